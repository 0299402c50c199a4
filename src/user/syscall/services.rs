//! What a system call may ask of the kernel: the `Services` trait, which
//! the kernel implements with the current process, the terminal and the
//! scheduler (src/user/mod.rs) and the host tests with plain memory
//! (`fake.rs`). Through it the handlers stay pure.

use crate::cpu::gdt::TlsDescriptors;
use crate::fd::{FdTable, OpenFile};
use crate::mm::space::Protection;
use crate::net::api::{Address as SocketAddress, Kind as SocketKind, NetError};
use crate::user::umem::UserRange;

/// A user page the program may not use for the access (from a copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault;

/// Which clock, for `Services::now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Since the Unix epoch (the RTC at boot, plus the ticks since).
    Realtime,
    /// Since boot, never going back.
    Monotonic,
    /// The CPU time the calling process has used: the timer ticks that
    /// landed while it ran (in ring 3 or in the kernel for it), each one
    /// tick long. glibc's clock() reads it.
    CpuTime,
}

/// What the kernel provides to system calls.
pub trait Services {
    /// Copies the program's bytes in `from` into `to` (same length).
    fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]) -> Result<(), Fault>;
    /// Copies `from` into the program's memory at `to` (same length).
    fn copy_to_user(&mut self, from: &[u8], to: UserRange) -> Result<(), Fault>;
    /// Fills `buf` with at most its length of the console's input, and
    /// returns how many bytes (0: the end of the input). Blocks until
    /// input is there, unless `nonblocking`: then None at once if there
    /// is none.
    fn read_console(&mut self, buf: &mut [u8], nonblocking: bool) -> Option<usize>;
    /// Writes `bytes` to the console.
    fn write_console(&mut self, bytes: &[u8]);
    /// The calling process's pid.
    fn pid(&mut self) -> u32;
    /// Moves the break to `address` if it may (0 only asks), and returns
    /// the break as it then is.
    fn brk(&mut self, address: u32) -> u32;
    /// Lets another ready process run.
    fn yield_cpu(&mut self);
    /// Sleeps for at least `nanoseconds`.
    fn sleep(&mut self, nanoseconds: u64);
    /// The time on `clock`, in nanoseconds.
    fn now(&mut self, clock: Clock) -> u64;
    /// A call this kernel does not implement (for its log).
    fn unknown(&mut self, number: u32);
    /// The path the program was started from (its argv[0]): copies as
    /// much as fits into `out`, returns how many bytes that was.
    fn program_path(&mut self, out: &mut [u8]) -> usize;
    /// The calling process's TLS descriptors.
    fn tls(&mut self) -> TlsDescriptors;
    /// Sets its TLS slot `slot` (0-2, GDT index 6-8) to `descriptor`,
    /// effective at once.
    fn set_tls(&mut self, slot: usize, descriptor: u64);
    /// Fills `out` with random bytes.
    fn random(&mut self, out: &mut [u8]);
    /// Sets what the program may do with its `pages` pages from `start`
    /// (page-aligned, in user space); Fault if one is not mapped, and
    /// then none is changed.
    fn protect(&mut self, start: u32, pages: u32, protection: Protection) -> Result<(), Fault>;
    /// Runs `f` on the calling process's file-descriptor table.
    fn files<R>(&mut self, f: impl FnOnce(&mut FdTable) -> R) -> R;

    /// The open file behind `fd`, if it is open.
    fn file(&mut self, fd: u32) -> Option<OpenFile> {
        self.files(|table| table.get(fd))
    }

    // ---- the network (src/net/), for the socket calls (net.rs) ----

    /// A new socket of `kind`: its id in the network layer.
    fn socket(&mut self, kind: SocketKind) -> Result<u16, NetError>;
    /// The last descriptor of socket `id` is gone: it closes.
    fn release_socket(&mut self, id: u16);
    fn kind(&mut self, id: u16) -> SocketKind;
    fn bind(&mut self, id: u16, to: SocketAddress) -> Result<(), NetError>;
    fn listen(&mut self, id: u16, backlog: u32) -> Result<(), NetError>;
    fn accept(&mut self, id: u16, nonblocking: bool) -> Result<(u16, SocketAddress), NetError>;
    fn connect(&mut self, id: u16, to: SocketAddress, nonblocking: bool) -> Result<(), NetError>;
    fn send(
        &mut self,
        id: u16,
        bytes: &[u8],
        to: Option<SocketAddress>,
        nonblocking: bool,
    ) -> Result<usize, NetError>;
    fn receive(
        &mut self,
        id: u16,
        buffer: &mut [u8],
        nonblocking: bool,
    ) -> Result<(usize, Option<SocketAddress>), NetError>;
    fn shutdown(&mut self, id: u16, read: bool, write: bool) -> Result<(), NetError>;
    fn local_address(&mut self, id: u16) -> Result<SocketAddress, NetError>;
    fn peer_address(&mut self, id: u16) -> Result<SocketAddress, NetError>;
    fn set_reuse_address(&mut self, id: u16, on: bool) -> Result<(), NetError>;
}

/// A socket as the table of open files names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Socket {
    pub id: u16,
    /// O_NONBLOCK on the open file.
    pub nonblocking: bool,
}
