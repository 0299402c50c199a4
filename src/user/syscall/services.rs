//! What a system call may ask of the kernel: the `Services` trait, which
//! the kernel implements with the current process, the terminal and the
//! scheduler (src/user/mod.rs) and the host tests with plain memory
//! (`fake.rs`). Through it the handlers stay pure.

use super::errno::Errno;
use crate::cpu::gdt::TlsDescriptors;
use crate::files::Open;
use crate::mm::space::Protection;
use crate::net::api::{Address as SocketAddress, Kind as SocketKind, NetError};
use crate::user::umem::UserRange;

/// A user page the program may not use for the access (from a copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault;

/// A copy that faulted is -EFAULT, unless the call says otherwise (for
/// mprotect, a page that is not mapped is -ENOMEM): so `?` works on a
/// copy inside a handler.
impl From<Fault> for Errno {
    fn from(_: Fault) -> Errno {
        Errno::EFAULT
    }
}

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
    /// Blocks until input is there, then fills `buf` with at most its
    /// length; returns how many bytes (0: the end of the input).
    fn read_console(&mut self, buf: &mut [u8]) -> usize;
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
}

/// A socket as the table of open files names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Socket {
    pub id: u16,
    /// O_NONBLOCK on the open file.
    pub nonblocking: bool,
}

/// What the socket calls need from the kernel: the open-file table (fd
/// to socket, a new fd for a new socket) and the network layer.
pub trait Sockets: Services {
    /// The socket behind `fd`: EBADF if no file is open there, ENOTSOCK
    /// if it is not a socket.
    fn socket_at(&mut self, fd: u32) -> Result<Socket, Errno>;
    /// A new socket of `kind` at the lowest free fd; the fd.
    fn open_socket(&mut self, kind: SocketKind, nonblocking: bool) -> Result<u32, Errno>;
    /// Puts `id` (a new connection from accept) at the lowest free fd;
    /// EMFILE when none is free (the connection is then closed).
    fn install_socket(&mut self, id: u16, nonblocking: bool) -> Result<u32, Errno>;
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

/// What the file-descriptor calls need from the kernel, beside sockets:
/// the process's table of open files (src/files.rs).
pub trait Descriptors: Sockets {
    /// What `fd` names, if it is open.
    fn file(&mut self, fd: u32) -> Option<Open>;
    /// Closes `fd`, releasing what it named; false if it was not open.
    fn close(&mut self, fd: u32) -> bool;
    /// Makes the lowest free fd at or above `from` name what `fd` names.
    fn duplicate(&mut self, fd: u32, from: u32) -> Result<u32, Errno>;
    /// dup2(old, new).
    fn duplicate_to(&mut self, old: u32, new: u32) -> Result<u32, Errno>;
    fn set_nonblocking(&mut self, fd: u32, on: bool);
}
