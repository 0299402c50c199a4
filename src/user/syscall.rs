//! The system-call interface: `int 0x80` with the Linux i386 convention,
//! so a Linux program runs unchanged: a hand-written one, or a static C
//! program built with `gcc -m32 -static` and glibc.
//!
//! EAX holds the call number, EBX, ECX, EDX, ESI, EDI, EBP the arguments;
//! the result comes back in EAX, an error as a negative errno. Every
//! pointer and length from ring 3 becomes a `UserRange` (src/user/umem.rs)
//! before the kernel touches a byte, and the copies themselves check
//! every page against the process's page tables, so a program cannot make
//! the kernel read or write kernel memory, or memory it does not have.
//! The console is fds 0, 1 and 2; every other fd is -EBADF.
//!
//! | EAX | call | arguments | result |
//! | --- | --- | --- | --- |
//! | 1 | exit | EBX = status | does not return |
//! | 3 | read | EBX = fd 0, ECX = buffer, EDX = length | bytes read (blocks until >= 1) |
//! | 4 | write | EBX = fd 1 or 2, ECX = buffer, EDX = length | bytes written |
//! | 19 | lseek | EBX = fd | -ESPIPE: a terminal cannot seek |
//! | 20 | getpid | | the pid |
//! | 45 | brk | EBX = new break, or 0 | the break (unchanged if refused) |
//! | 54 | ioctl | EBX = fd, ECX = TCGETS or TIOCGWINSZ, EDX = &struct | 0; -ENOTTY else |
//! | 85 | readlink | EBX = "/proc/self/exe", ECX = buffer, EDX = size | argv[0], made absolute |
//! | 125 | mprotect | EBX = page, ECX = length, EDX = PROT_* | 0; -ENOMEM if not all mapped |
//! | 140 | _llseek | EBX = fd | -ESPIPE, as lseek |
//! | 146 | writev | EBX = fd 1 or 2, ECX = iovec[], EDX = count | bytes written |
//! | 158 | sched_yield | | 0 |
//! | 162 | nanosleep | EBX = &timespec, ECX = &remaining (untouched) | 0, -EINVAL |
//! | 191 | ugetrlimit | EBX = RLIMIT_STACK, ECX = &rlimit | 0 (128 KiB); -EINVAL else |
//! | 197 | fstat64 | EBX = fd, ECX = &stat64 | 0: a character device |
//! | 243 | set_thread_area | EBX = &user_desc | 0, the slot written back |
//! | 252 | exit_group | EBX = status | does not return |
//! | 258 | set_tid_address | EBX = pointer (not kept) | the pid: the only thread's tid |
//! | 265 | clock_gettime | EBX = clock (0, 1, 4-7), ECX = &timespec | 0, -EINVAL |
//! | 267 | clock_nanosleep | EBX = clock (0, 1, 7), ECX = flags, EDX = &timespec | 0, -EOPNOTSUPP |
//! | 311 | set_robust_list | | -ENOSYS, on purpose: no futexes |
//! | 355 | getrandom | EBX = buffer, ECX = length, EDX = GRND_* | length |
//! | 383 | statx | EBX = fd, ECX = "", EDX = AT_EMPTY_PATH, EDI = &statx | 0: a character device |
//! | 386 | rseq | | -ENOSYS, on purpose: nothing to restart |
//! | 403 | clock_gettime64 | EBX = clock (0, 1, 4-7), ECX = &timespec64 | 0, -EINVAL |
//! | 407 | clock_nanosleep_time64 | as 267, EDX = &timespec64 | 0, -EOPNOTSUPP |
//!
//! The rows from 19 on are what glibc's start-up, stdio, malloc and time
//! functions ask of Linux; each answer's reason is written next to its
//! code below, from what glibc does with it. Any other number is -ENOSYS
//! and logged once per process (`Services::unknown`); set_robust_list
//! and rseq are refused on purpose, so they are not logged.
//!
//! The numbers and errnos here are the only copy: the built-in programs'
//! assembly (src/user/programs.rs) gets them as `const` operands.
//!
//! The dispatch logic is pure: `dispatch` works through the `Services`
//! trait, which the kernel implements with the current process, the
//! terminal and the scheduler (src/user/mod.rs) and the host tests with
//! plain memory.

use super::abi::{self, CONSOLE_STATUS, NANOS};
use super::fdcall::{self, Descriptors};
use super::layout::STACK_SIZE;
use super::tls::{self, Refused, UserDesc, USER_DESC_BYTES};
use super::umem::UserRange;
use crate::cpu::gdt::TlsDescriptors;
use crate::cpu::paging::{KERNEL_BASE, PAGE_SIZE};
use crate::mm::space::Protection;

pub const SYS_EXIT: u32 = 1;
pub const SYS_READ: u32 = 3;
pub const SYS_WRITE: u32 = 4;
pub const SYS_LSEEK: u32 = 19;
pub const SYS_GETPID: u32 = 20;
pub const SYS_BRK: u32 = 45;
pub const SYS_IOCTL: u32 = 54;
pub const SYS_READLINK: u32 = 85;
pub const SYS_MPROTECT: u32 = 125;
pub const SYS_LLSEEK: u32 = 140;
pub const SYS_WRITEV: u32 = 146;
pub const SYS_SCHED_YIELD: u32 = 158;
pub const SYS_NANOSLEEP: u32 = 162;
pub const SYS_UGETRLIMIT: u32 = 191;
pub const SYS_FSTAT64: u32 = 197;
pub const SYS_SET_THREAD_AREA: u32 = 243;
pub const SYS_EXIT_GROUP: u32 = 252;
pub const SYS_SET_TID_ADDRESS: u32 = 258;
pub const SYS_CLOCK_GETTIME: u32 = 265;
pub const SYS_CLOCK_NANOSLEEP: u32 = 267;
pub const SYS_SET_ROBUST_LIST: u32 = 311;
pub const SYS_GETRANDOM: u32 = 355;
pub const SYS_STATX: u32 = 383;
pub const SYS_RSEQ: u32 = 386;
pub const SYS_CLOCK_GETTIME64: u32 = 403;
pub const SYS_CLOCK_NANOSLEEP_TIME64: u32 = 407;

/// No such file or directory.
pub const ENOENT: i32 = 2;
/// No such process: here, no free TLS slot (Linux's answer).
pub const ESRCH: i32 = 3;
/// Bad file descriptor.
pub const EBADF: i32 = 9;
/// Out of memory; for mprotect, a range that is not all mapped.
pub const ENOMEM: i32 = 12;
/// Bad address: a pointer or length the program may not use.
pub const EFAULT: i32 = 14;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// Not a terminal: an ioctl the console does not know.
pub const ENOTTY: i32 = 25;
/// Illegal seek: the console is not a file.
pub const ESPIPE: i32 = 29;
/// No such system call.
pub const ENOSYS: i32 = 38;
/// Not supported: for clock_nanosleep, a clock Linux knows but this
/// kernel cannot sleep on.
pub const EOPNOTSUPP: i32 = 95;

pub const STDIN: u32 = 0;
pub const STDOUT: u32 = 1;
pub const STDERR: u32 = 2;

/// clock_gettime's clocks (Linux include/uapi/linux/time.h).
pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
pub const CLOCK_MONOTONIC_RAW: u32 = 4;
/// REALTIME and MONOTONIC as of the last tick: cheaper on Linux, and
/// what glibc's time() reads.
pub const CLOCK_REALTIME_COARSE: u32 = 5;
pub const CLOCK_MONOTONIC_COARSE: u32 = 6;
/// MONOTONIC plus the time spent suspended.
pub const CLOCK_BOOTTIME: u32 = 7;
pub const CLOCK_REALTIME_ALARM: u32 = 8;
pub const CLOCK_BOOTTIME_ALARM: u32 = 9;
/// 10 is unused (CLOCK_SGI_CYCLE, removed); 11 is the last clock Linux has.
pub const CLOCK_TAI: u32 = 11;
/// clock_nanosleep's flag: the time is the clock's reading to wake at,
/// not a length.
pub const TIMER_ABSTIME: u32 = 1;

/// ioctl requests (asm-generic/ioctls.h).
pub const TCGETS: u32 = 0x5401;
pub const TIOCGWINSZ: u32 = 0x5413;

/// getrlimit's resource for the stack.
pub const RLIMIT_STACK: u32 = 3;

/// getrandom's flags: don't block, the "random" pool, don't wait for
/// the pool to be ready. This kernel never blocks in getrandom.
pub const GRND_NONBLOCK: u32 = 1;
pub const GRND_RANDOM: u32 = 2;
pub const GRND_INSECURE: u32 = 4;
/// The most bytes one getrandom returns (Linux: 32 MiB - 1).
pub const GETRANDOM_MAX: u32 = (32 << 20) - 1;

/// mprotect's bits.
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;
/// "Atomic operations may be used here": meaningless without other CPUs
/// or shared memory, accepted as Linux accepts it.
pub const PROT_SEM: u32 = 8;

/// statx's and the *at calls' flags (fcntl.h): the path is relative to
/// the fd (empty: the fd itself); don't follow a final symlink; don't
/// mount; how to sync with a network file system (two bits, 3 invalid).
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
pub const AT_EMPTY_PATH: u32 = 0x1000;
pub const AT_STATX_SYNC_TYPE: u32 = 0x6000;
/// statx's mask bit that no kernel may be asked for.
pub const STATX_RESERVED: u32 = 0x8000_0000;

/// The one link readlink knows.
pub const PROC_SELF_EXE: &[u8] = b"/proc/self/exe";
/// Bytes of a path the kernel reads before deciding it is not a path it
/// knows (no file system: every other path is -ENOENT).
const PATH_LOOKUP_BYTES: usize = 64;
/// Most iovecs one writev takes (Linux's UIO_MAXIOV).
pub const IOV_MAX: u32 = 1024;

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

/// What the caller must do after a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Return to the program with this value in EAX.
    Return(i32),
    /// The program asked to end with this status.
    Exit(i32),
}

/// The exit status as Linux reports it to a parent (and a shell's `$?`):
/// the low 8 bits of what the program passed to exit. `exit(300)` is 44,
/// `exit(-1)` is 255.
pub fn reported_status(passed: i32) -> u8 {
    passed as u8
}

/// Runs system call `number` with the arguments in EBX, ECX, EDX, ESI,
/// EDI, EBP.
pub fn dispatch(number: u32, args: [u32; 6], kernel: &mut impl Descriptors) -> Outcome {
    // The file-descriptor calls, the sockets, and any fd call on what is
    // not the console (src/user/fdcall.rs).
    if let Some(value) = fdcall::route(number, args, kernel) {
        return Outcome::Return(value);
    }
    let [a, b, c, d, e, _] = args;
    let value = match number {
        // LAB 6 BEGIN: exit and exit_group end the process
        SYS_EXIT | SYS_EXIT_GROUP => return Outcome::Exit(a as i32),
        //~ // YOUR CODE HERE: an arm for SYS_EXIT and SYS_EXIT_GROUP: the status
        //~ // is in EBX (`a`), and the process ends (Outcome::Exit).
        // LAB 6 END
        SYS_READ => read(a, b, c, kernel),
        SYS_WRITE => write(a, b, c, kernel),
        SYS_WRITEV => writev(a, b, c, kernel),
        SYS_LSEEK | SYS_LLSEEK => seek(a),
        // LAB 6 BEGIN: getpid
        SYS_GETPID => kernel.pid() as i32,
        //~ // YOUR CODE HERE: an arm for SYS_GETPID (the kernel's Services know it).
        // LAB 6 END
        // glibc's static start-up takes its TLS block and TCB from the heap
        // (brk(0), then brk(0 + about 2 KiB)) before set_thread_area. If
        // brk refuses it tries mmap2, which is -ENOSYS here, and then it
        // dies: "Fatal glibc error: Cannot allocate TLS block", exit 127.
        // malloc grows the heap with brk and turns to mmap2 only when brk
        // refuses (or for one request of 128 KiB or more). Refusing means
        // answering the old break, as Linux does: glibc's brk() takes an
        // answer below the address it asked for as failure (ENOMEM). A
        // negative errno would be read as a break far above it, a success:
        // malloc then corrupts its heap and aborts (all checked on Linux
        // with strace -e inject=brk:retval=... and inject=brk:error=ENOMEM).
        SYS_BRK => kernel.brk(a) as i32,
        SYS_IOCTL => ioctl(a, b, c, kernel),
        SYS_READLINK => readlink(a, b, c, kernel),
        SYS_MPROTECT => mprotect(a, b, c, kernel),
        SYS_SCHED_YIELD => {
            kernel.yield_cpu();
            0
        }
        SYS_NANOSLEEP => nanosleep(a, b, kernel),
        SYS_CLOCK_NANOSLEEP => clock_nanosleep(a, b, c, d, false, kernel),
        SYS_CLOCK_NANOSLEEP_TIME64 => clock_nanosleep(a, b, c, d, true, kernel),
        SYS_UGETRLIMIT => getrlimit(a, b, kernel),
        SYS_FSTAT64 => fstat64(a, b, kernel),
        SYS_SET_THREAD_AREA => set_thread_area(a, kernel),
        // glibc stores the answer as the thread's tid (raise() and the
        // pthread functions name the thread by it). One thread per
        // process here, so its tid is the pid, as for a main thread on
        // Linux. The pointer is for waking a joining thread when this
        // thread exits; with no other threads, nobody joins.
        SYS_SET_TID_ADDRESS => kernel.pid() as i32,
        SYS_CLOCK_GETTIME => clock_gettime(a, b, false, kernel),
        SYS_CLOCK_GETTIME64 => clock_gettime(a, b, true, kernel),
        // Robust futex lists tell the kernel which locks to release
        // when a thread dies; there are no futexes here. glibc takes
        // -ENOSYS to mean "no robust mutexes" and carries on (checked
        // by failing the call on Linux with strace's fault injection).
        SYS_SET_ROBUST_LIST => -ENOSYS,
        // Restartable sequences need the kernel to update the area on
        // every preemption and migration; not done here. glibc takes
        // -ENOSYS as "not registered" and uses its fallbacks.
        SYS_RSEQ => -ENOSYS,
        SYS_GETRANDOM => getrandom(a, b, c, kernel),
        SYS_STATX => statx(a, b, c, d, e, kernel),
        _ => {
            kernel.unknown(number);
            -ENOSYS
        }
    };
    Outcome::Return(value)
}

/// Bytes copied through the kernel per step of a read or write.
const BOUNCE_BYTES: usize = 256;

/// The console's file descriptors: stdin, stdout, stderr.
fn is_console(fd: u32) -> bool {
    fd <= STDERR
}

fn read(fd: u32, buf: u32, len: u32, kernel: &mut impl Services) -> i32 {
    if fd != STDIN {
        return -EBADF;
    }
    let Some(user) = UserRange::new(buf, len) else { return -EFAULT };
    if user.is_empty() {
        return 0;
    }
    // Check the buffer before waiting for input, so that a bad buffer
    // consumes nothing; then read into a kernel buffer and copy out.
    let mut bytes = [0u8; BOUNCE_BYTES];
    let want = (len as usize).min(bytes.len());
    let probe = user.part(0, want as u32).expect("inside the checked range");
    if kernel.copy_to_user(&bytes[..want], probe).is_err() {
        return -EFAULT;
    }
    let got = kernel.read_console(&mut bytes[..want]);
    let filled = user.part(0, got as u32).expect("read no more than asked");
    match kernel.copy_to_user(&bytes[..got], filled) {
        Ok(()) => got as i32,
        Err(Fault) => -EFAULT,
    }
}

fn write(fd: u32, buf: u32, len: u32, kernel: &mut impl Services) -> i32 {
    // LAB 6 BEGIN: write(fd, buf, len) to the console
    if fd != STDOUT && fd != STDERR {
        return -EBADF;
    }
    let Some(user) = UserRange::new(buf, len) else { return -EFAULT };
    write_range(user, kernel).unwrap_or_else(|written| if written > 0 { written } else { -EFAULT })
    //~ // YOUR CODE HERE: only stdout and stderr (else -EBADF); the buffer
    //~ // must make a UserRange (else -EFAULT); write_range does the copying
    //~ // and tells how much it wrote before a bad page.
    //~ let _ = (fd, buf, len, kernel, STDOUT);
    //~ -ENOSYS
    // LAB 6 END
}

/// Writes `user` to the console, 256 bytes at a time: Ok(all of it), or
/// Err(bytes written before a page the program may not read).
fn write_range(user: UserRange, kernel: &mut impl Services) -> Result<i32, i32> {
    let mut bytes = [0u8; BOUNCE_BYTES];
    let mut done = 0;
    while done < user.len() {
        let n = (user.len() - done).min(bytes.len() as u32);
        let piece = user.part(done, n).expect("inside the checked range");
        if kernel.copy_from_user(piece, &mut bytes[..n as usize]).is_err() {
            // Linux returns what was written before the bad page, or
            // -EFAULT if nothing was.
            return Err(done as i32);
        }
        kernel.write_console(&bytes[..n as usize]);
        done += n;
    }
    Ok(done as i32)
}

/// writev: the buffers of an iovec array, one after the other. glibc
/// uses it where several pieces make one message (its fatal-error
/// messages, `assert`). As on Linux: every iovec is checked (a total
/// beyond 2 GiB is -EINVAL, a buffer outside user space -EFAULT) before
/// anything is written; a page that turns out unreadable stops the
/// write, and the bytes written before it are the answer.
fn writev(fd: u32, iov: u32, count: u32, kernel: &mut impl Services) -> i32 {
    if fd != STDOUT && fd != STDERR {
        return -EBADF;
    }
    if count > IOV_MAX {
        return -EINVAL;
    }
    let Some(array) = UserRange::new(iov, count * 8) else { return -EFAULT };
    let mut total: u32 = 0;
    for i in 0..count {
        let Ok((base, len)) = iovec_at(array, i, kernel) else { return -EFAULT };
        total = match total.checked_add(len) {
            Some(t) if t <= i32::MAX as u32 => t,
            _ => return -EINVAL,
        };
        if UserRange::new(base, len).is_none() {
            return -EFAULT;
        }
    }
    let mut done = 0;
    for i in 0..count {
        // The array was readable a moment ago; if it is not now, stop.
        let Ok((base, len)) = iovec_at(array, i, kernel) else { break };
        let user = UserRange::new(base, len).expect("checked above");
        match write_range(user, kernel) {
            Ok(n) => done += n,
            Err(n) => return if done + n > 0 { done + n } else { -EFAULT },
        }
    }
    done
}

/// Entry `i` of the iovec array `array`: (base, length).
fn iovec_at(array: UserRange, i: u32, kernel: &mut impl Services) -> Result<(u32, u32), Fault> {
    let mut raw = [0u8; 8];
    kernel.copy_from_user(array.part(i * 8, 8).ok_or(Fault)?, &mut raw)?;
    Ok(abi::iovec(&raw))
}

/// lseek and _llseek: the console is a terminal, which has no position.
/// glibc seeks when a program exits with input read ahead into stdin's
/// buffer (to give it back to the file); a terminal answers -ESPIPE, as
/// Linux's does, and glibc lets it be.
fn seek(fd: u32) -> i32 {
    if is_console(fd) {
        -ESPIPE
    } else {
        -EBADF
    }
}

/// ioctl on the console: TCGETS (tcgetattr, and glibc's isatty) and
/// TIOCGWINSZ (the screen's size). glibc's stdio calls isatty on a stream
/// whose fstat says "character device", and line-buffers stdout when it
/// answers yes: so output appears line by line, as on a Linux terminal.
/// Other requests, setting the terminal among them: -ENOTTY.
fn ioctl(fd: u32, request: u32, argument: u32, kernel: &mut impl Services) -> i32 {
    if !is_console(fd) {
        return -EBADF;
    }
    let result = match request {
        TCGETS => copy_out(&abi::termios(), argument, kernel),
        TIOCGWINSZ => copy_out(&abi::winsize(), argument, kernel),
        _ => return -ENOTTY,
    };
    result.map_or(-EFAULT, |()| 0)
}

/// Copies `bytes` to the program at `to`.
fn copy_out(bytes: &[u8], to: u32, kernel: &mut impl Services) -> Result<(), Fault> {
    let user = UserRange::new(to, bytes.len() as u32).ok_or(Fault)?;
    kernel.copy_to_user(bytes, user)
}

/// Reads the NUL-terminated string at `at` into `out`, a page at a time
/// (so a short string at the end of the last mapped page is fine):
/// Ok(Some(length)), Ok(None) if it is longer than `out`, Err on a page
/// the program may not read.
fn read_c_string(
    at: u32,
    out: &mut [u8],
    kernel: &mut impl Services,
) -> Result<Option<usize>, Fault> {
    let mut done = 0;
    while done < out.len() {
        let address = at.checked_add(done as u32).ok_or(Fault)?;
        let to_page_end = (PAGE_SIZE - address % PAGE_SIZE) as usize;
        let n = to_page_end.min(out.len() - done);
        let range = UserRange::new(address, n as u32).ok_or(Fault)?;
        kernel.copy_from_user(range, &mut out[done..done + n])?;
        if let Some(nul) = out[done..done + n].iter().position(|&b| b == 0) {
            return Ok(Some(done + nul));
        }
        done += n;
    }
    Ok(None)
}

/// readlink: only "/proc/self/exe", the program's own file, which glibc's
/// static start-up reads to know its directory ($ORIGIN, for dlopen
/// paths). glibc copes when the call fails, but asserts that an answer
/// is an absolute path, as Linux's always is. The answer is the path the
/// program was started from, its argv[0] as the loader gave it, made
/// absolute: the modules this kernel runs have no directory of their
/// own, so a relative path is taken from the root ("build/hello_c" is
/// "/build/hello_c"). Like Linux, cut to the buffer's size and not NUL-
/// terminated. Any other path: -ENOENT, for there are no files.
fn readlink(path: u32, buf: u32, size: u32, kernel: &mut impl Services) -> i32 {
    let mut name = [0u8; PATH_LOOKUP_BYTES];
    let length = match read_c_string(path, &mut name, kernel) {
        Err(Fault) => return -EFAULT,
        Ok(length) => length,
    };
    if length.map(|n| &name[..n]) != Some(PROC_SELF_EXE) {
        return -ENOENT;
    }
    if size as i32 <= 0 {
        return -EINVAL;
    }
    let mut started = [0u8; 256];
    let n = kernel.program_path(&mut started);
    let mut target = [0u8; 257];
    let n = absolute_path(&started[..n], &mut target).min(size as usize);
    match copy_out(&target[..n], buf, kernel) {
        Ok(()) => n as i32,
        Err(Fault) => -EFAULT,
    }
}

/// `path` as an absolute path, into `out` (one byte longer than `path`):
/// unchanged if it starts with '/', else from the root, without a
/// leading "./". Returns its length.
pub fn absolute_path(path: &[u8], out: &mut [u8]) -> usize {
    if path.first() == Some(&b'/') {
        out[..path.len()].copy_from_slice(path);
        return path.len();
    }
    let path = path.strip_prefix(b"./").unwrap_or(path);
    out[0] = b'/';
    out[1..=path.len()].copy_from_slice(path);
    path.len() + 1
}

/// mprotect: changes the protection of pages the program has. glibc's
/// static start-up makes its RELRO range (data written once at start-up,
/// such as the GOT) read-only, and a failure there is fatal ("cannot
/// apply additional memory protection after relocation", exit 127): so
/// it is done, for real. The start must be page-aligned and the bits
/// known (-EINVAL); every page of the range must be mapped, or -ENOMEM
/// and nothing changes, as on Linux. PROT_EXEC adds nothing: without a
/// no-execute bit, readable is executable.
fn mprotect(start: u32, len: u32, prot: u32, kernel: &mut impl Services) -> i32 {
    let known = PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM;
    if !start.is_multiple_of(PAGE_SIZE) || prot & !known != 0 {
        return -EINVAL;
    }
    let pages = len.div_ceil(PAGE_SIZE);
    let fits = pages.checked_mul(PAGE_SIZE).and_then(|bytes| start.checked_add(bytes));
    if !fits.is_some_and(|end| end <= KERNEL_BASE) {
        return -ENOMEM;
    }
    if pages == 0 {
        return 0;
    }
    let protection = if prot & PROT_WRITE != 0 {
        Protection::ReadWrite
    } else if prot & (PROT_READ | PROT_EXEC) != 0 {
        Protection::Read
    } else {
        Protection::None
    };
    match kernel.protect(start, pages, protection) {
        Ok(()) => 0,
        Err(Fault) => -ENOMEM,
    }
}

/// ugetrlimit: only RLIMIT_STACK, which has a true answer: 128 KiB, the
/// stack every process gets, and it never grows. glibc sizes new
/// threads' stacks by it (and uses a default when the call fails).
/// Every other resource: -EINVAL, as for one Linux does not know.
fn getrlimit(resource: u32, out: u32, kernel: &mut impl Services) -> i32 {
    if resource != RLIMIT_STACK {
        return -EINVAL;
    }
    copy_out(&abi::rlimit(STACK_SIZE, STACK_SIZE), out, kernel).map_or(-EFAULT, |()| 0)
}

/// fstat64 on the console: a character device (see abi::CONSOLE_STATUS
/// for what glibc makes of that).
fn fstat64(fd: u32, out: u32, kernel: &mut impl Services) -> i32 {
    if !is_console(fd) {
        return -EBADF;
    }
    copy_out(&abi::stat64(&CONSOLE_STATUS), out, kernel).map_or(-EFAULT, |()| 0)
}

/// statx: glibc 2.33 and later implement fstat with
/// `statx(fd, "", AT_EMPTY_PATH, ...)` on i386, and stdio calls it on
/// stdout before the first write, and on stdin before the first read.
/// The console is a character device; an empty path without
/// AT_EMPTY_PATH, and every path (there are no files), are -ENOENT.
fn statx(fd: u32, path: u32, flags: u32, mask: u32, out: u32, kernel: &mut impl Services) -> i32 {
    let known = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE;
    let sync_both = flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE;
    if flags & !known != 0 || sync_both || mask & STATX_RESERVED != 0 {
        return -EINVAL;
    }
    let mut name = [0u8; 1];
    match read_c_string(path, &mut name, kernel) {
        Err(Fault) => return -EFAULT,
        Ok(Some(0)) if flags & AT_EMPTY_PATH != 0 => {}
        Ok(_) => return -ENOENT,
    }
    if !is_console(fd) {
        return -EBADF;
    }
    copy_out(&abi::statx(&CONSOLE_STATUS), out, kernel).map_or(-EFAULT, |()| 0)
}

/// set_thread_area: see src/user/tls.rs for the checks and
/// src/cpu/gdt.rs for why thread-local storage lives in the GDT. glibc's
/// start-up cannot do without it (it exits with "set_thread_area failed
/// when setting up thread-local storage").
fn set_thread_area(desc: u32, kernel: &mut impl Services) -> i32 {
    let Some(user) = UserRange::new(desc, USER_DESC_BYTES as u32) else { return -EFAULT };
    let mut raw = [0u8; USER_DESC_BYTES];
    if kernel.copy_from_user(user, &mut raw).is_err() {
        return -EFAULT;
    }
    let grant = match tls::grant(&UserDesc::parse(&raw), &kernel.tls()) {
        Ok(grant) => grant,
        Err(Refused::Invalid) => return -EINVAL,
        Err(Refused::NoFreeSlot) => return -ESRCH,
    };
    if let Some(index) = grant.write_back {
        let entry = user.part(0, 4).expect("inside the checked range");
        if kernel.copy_to_user(&index.to_le_bytes(), entry).is_err() {
            return -EFAULT;
        }
    }
    kernel.set_tls(grant.slot, grant.descriptor);
    0
}

/// getrandom: glibc asks for 4 bytes at start-up for malloc's tcache key
/// (without them it falls back to the clock). Never blocks, and returns
/// at most GETRANDOM_MAX bytes, as Linux; flags other
/// than the three Linux knows, or GRND_RANDOM with GRND_INSECURE, are
/// -EINVAL. A page the program may not write stops the fill: the bytes
/// before it are the answer, or -EFAULT.
fn getrandom(buf: u32, len: u32, flags: u32, kernel: &mut impl Services) -> i32 {
    let both = GRND_RANDOM | GRND_INSECURE;
    if flags & !(GRND_NONBLOCK | both) != 0 || flags & both == both {
        return -EINVAL;
    }
    // Linux's limit for one call; more may come in another.
    let len = len.min(GETRANDOM_MAX);
    let Some(user) = UserRange::new(buf, len) else { return -EFAULT };
    let mut bytes = [0u8; BOUNCE_BYTES];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(bytes.len() as u32);
        kernel.random(&mut bytes[..n as usize]);
        let piece = user.part(done, n).expect("inside the checked range");
        if kernel.copy_to_user(&bytes[..n as usize], piece).is_err() {
            return if done > 0 { done as i32 } else { -EFAULT };
        }
        done += n;
    }
    len as i32
}

/// The timespec a program passed at `at` (64-bit fields if `wide`), in
/// nanoseconds: Err(EFAULT) if it cannot be read, Err(EINVAL) if it is
/// not a time (see `timespec_nanoseconds`).
fn read_timespec(at: u32, wide: bool, kernel: &mut impl Services) -> Result<u64, i32> {
    let mut raw = [0u8; 16];
    let size = if wide { 16 } else { 8 };
    let user = UserRange::new(at, size).ok_or(EFAULT)?;
    kernel.copy_from_user(user, &mut raw[..size as usize]).map_err(|Fault| EFAULT)?;
    let (seconds, nanoseconds) = if wide {
        abi::timespec64_in(&raw)
    } else {
        abi::timespec_in(raw[..8].try_into().expect("8 bytes"))
    };
    timespec_nanoseconds(seconds, nanoseconds).ok_or(EINVAL)
}

/// (tv_sec, tv_nsec) as nanoseconds, if they make a time Linux accepts
/// (timespec64_valid): seconds not negative, nanoseconds in 0..10^9.
/// A time too far off for 64 bits of nanoseconds (585 years) is clamped,
/// as Linux clamps it: such a sleep never ends either way.
fn timespec_nanoseconds(seconds: i64, nanoseconds: i64) -> Option<u64> {
    if seconds < 0 || !(0..NANOS as i64).contains(&nanoseconds) {
        return None;
    }
    Some((seconds as u64).saturating_mul(NANOS).saturating_add(nanoseconds as u64))
}

fn nanosleep(request: u32, remaining: u32, kernel: &mut impl Services) -> i32 {
    match read_timespec(request, false, kernel) {
        Ok(length) => kernel.sleep(length),
        Err(errno) => return -errno,
    }
    // Linux writes `remaining` only when a signal cuts the sleep short
    // (-EINTR); here nothing does (a Ctrl-C ends the process instead), so
    // it is left alone, as Linux leaves it after a full sleep.
    let _ = remaining;
    0
}

/// The clock clock_nanosleep sleeps on for a clock id, or the errno
/// Linux gives: -EINVAL for an id that names no clock, -EOPNOTSUPP for
/// one that cannot be slept on. Linux sleeps on CPU-time clocks (2, and
/// the negative ids that name another process's or thread's CPU time;
/// glibc passes CLOCK_PROCESS_CPUTIME_ID as one of those) and on
/// CLOCK_TAI too. This kernel keeps no TAI, and can read a process's CPU
/// time but not wake it when that reaches a value (its sleep is a wait
/// for ticks, which a sleeper does not use up), so those are
/// -EOPNOTSUPP here, as the raw, coarse and alarm clocks are on Linux
/// (checked with int 0x80 from a 32-bit program on Linux 6.18).
fn sleep_clock(id: u32) -> Result<Clock, i32> {
    match id {
        CLOCK_REALTIME => Ok(Clock::Realtime),
        // No suspend, so boot time is monotonic time (as in readable_clock).
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => Ok(Clock::Monotonic),
        CLOCK_PROCESS_CPUTIME_ID
        | CLOCK_THREAD_CPUTIME_ID
        | CLOCK_MONOTONIC_RAW
        | CLOCK_REALTIME_COARSE
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_REALTIME_ALARM
        | CLOCK_BOOTTIME_ALARM
        | CLOCK_TAI => Err(EOPNOTSUPP),
        _ if (id as i32) < 0 => Err(EOPNOTSUPP),
        _ => Err(EINVAL),
    }
}

/// clock_nanosleep (267), and clock_nanosleep_time64 (407), the same with
/// a 64-bit timespec. glibc's sleep(), usleep() and nanosleep() are
/// clock_nanosleep on CLOCK_REALTIME (glibc 2.36 uses 267 while the
/// seconds fit in 32 bits, 407 beyond). Refused, they return at once:
/// sleep(1) gave 1, "a second not slept", without waiting. The raw call
/// answers -errno like every other; glibc's clock_nanosleep() returns it
/// as a positive number, nanosleep() as -1 and errno. Checks in Linux's
/// order: the clock, then the timespec's page, then its value.
///
/// TIMER_ABSTIME: sleep until the clock reads the time given. Both
/// clocks here are the tick count plus a constant, so that is a sleep of
/// (time - now), which the tick rounding only lengthens; a time already
/// past returns at once. Other flag bits are ignored, as Linux ignores
/// them. `remaining`, as for nanosleep, is never written.
fn clock_nanosleep(
    clock: u32,
    flags: u32,
    request: u32,
    remaining: u32,
    wide: bool,
    kernel: &mut impl Services,
) -> i32 {
    let clock = match sleep_clock(clock) {
        Ok(clock) => clock,
        Err(errno) => return -errno,
    };
    let time = match read_timespec(request, wide, kernel) {
        Ok(time) => time,
        Err(errno) => return -errno,
    };
    if flags & TIMER_ABSTIME == 0 {
        kernel.sleep(time);
    } else {
        let now = kernel.now(clock);
        if time > now {
            kernel.sleep(time - now);
        }
    }
    let _ = remaining;
    0
}

/// The clock behind a clock id that clock_gettime reads, or None for one
/// it does not know. Every clock here is as fine as the timer tick, so a
/// coarse clock is its precise twin. glibc's time() is clock_gettime64 on
/// CLOCK_REALTIME_COARSE when there is no vDSO (there is none here), and
/// without an answer it returns -1 or stack garbage, so that
/// srand(time(NULL)) gets no real seed. The machine never suspends, so
/// boot time is monotonic time; nothing slews the clock (no NTP), so the
/// raw clock is monotonic time too. A process has one thread, so its
/// thread's CPU time is its own: glibc's clock() reads
/// CLOCK_PROCESS_CPUTIME_ID, and without an answer returns -1, which a
/// student's `(end - start) / CLOCKS_PER_SEC` turns into nonsense.
fn readable_clock(id: u32) -> Option<Clock> {
    match id {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Some(Clock::Realtime),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_COARSE | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME => {
            Some(Clock::Monotonic)
        }
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => Some(Clock::CpuTime),
        _ => None,
    }
}

/// clock_gettime, and clock_gettime64, its 64-bit-time twin, which glibc
/// 2.34 and later try first on i386 (falling back on -ENOSYS).
fn clock_gettime(clock: u32, out: u32, wide: bool, kernel: &mut impl Services) -> i32 {
    let Some(clock) = readable_clock(clock) else { return -EINVAL };
    let size = if wide { 16 } else { 8 };
    let Some(user) = UserRange::new(out, size) else { return -EFAULT };
    let now = kernel.now(clock);
    let result = if wide {
        kernel.copy_to_user(&abi::timespec64(now), user)
    } else {
        kernel.copy_to_user(&abi::timespec(now), user)
    };
    result.map_or(-EFAULT, |()| 0)
}

#[cfg(test)]
mod tests {
    use super::super::sockcall::{self, Sockets};
    use super::*;
    use crate::files::{File, Files, Open};
    use crate::net::api::{Address, Kind, NetError};
    use std::vec;
    use std::vec::Vec;

    /// The part of user space the fake program has: everything else
    /// faults, as an unmapped page would.
    const BASE: u32 = 0x0804_8000;
    const SIZE: u32 = 0x1_0000;

    /// User memory as a vector, keys as a byte queue, console as a log,
    /// and a clock that sleeps by moving forward.
    struct Fake {
        memory: Vec<u8>,
        keys: Vec<u8>,
        console: Vec<u8>,
        touched: bool,
        brk: u32,
        clock: u64,
        yields: u32,
        unknown: Vec<u32>,
        tls: TlsDescriptors,
        /// (start, pages, protection) of every protect call that succeeded.
        protected: Vec<(u32, u32, Protection)>,
        files: Files,
        /// Every bind the fake network saw.
        bound: Vec<(u16, Address)>,
    }

    fn call(k: &mut Fake, number: u32, a: u32, b: u32, c: u32) -> Outcome {
        dispatch(number, [a, b, c, 0, 0, 0], k)
    }

    fn call6(k: &mut Fake, number: u32, args: [u32; 6]) -> Outcome {
        dispatch(number, args, k)
    }

    impl Fake {
        fn new() -> Fake {
            Fake {
                memory: vec![0; SIZE as usize],
                keys: b"hi\n".to_vec(),
                console: Vec::new(),
                touched: false,
                brk: 0x0805_0000,
                clock: 5_000_000_000,
                yields: 0,
                unknown: Vec::new(),
                tls: [0; 3],
                protected: Vec::new(),
                files: Files::console(),
                bound: Vec::new(),
            }
        }

        fn at(range: UserRange) -> Result<std::ops::Range<usize>, Fault> {
            let start = range.start().checked_sub(BASE).ok_or(Fault)?;
            let end = start + range.len();
            if end > SIZE {
                return Err(Fault);
            }
            Ok(start as usize..end as usize)
        }

        fn word(&self, address: u32) -> u32 {
            let at = (address - BASE) as usize;
            u32::from_le_bytes(self.memory[at..at + 4].try_into().unwrap())
        }
    }

    impl Services for Fake {
        fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]) -> Result<(), Fault> {
            let range = Self::at(from)?;
            self.touched = true;
            to.copy_from_slice(&self.memory[range]);
            Ok(())
        }
        fn copy_to_user(&mut self, from: &[u8], to: UserRange) -> Result<(), Fault> {
            let range = Self::at(to)?;
            self.touched = true;
            self.memory[range].copy_from_slice(from);
            Ok(())
        }
        fn read_console(&mut self, buf: &mut [u8]) -> usize {
            let n = buf.len().min(self.keys.len());
            buf[..n].copy_from_slice(&self.keys[..n]);
            self.keys.drain(..n);
            n
        }
        fn write_console(&mut self, bytes: &[u8]) {
            self.console.extend_from_slice(bytes);
        }
        fn pid(&mut self) -> u32 {
            7
        }
        fn brk(&mut self, address: u32) -> u32 {
            if address >= 0x0805_0000 && address < 0x0900_0000 {
                self.brk = address;
            }
            self.brk
        }
        fn yield_cpu(&mut self) {
            self.yields += 1;
        }
        fn sleep(&mut self, nanoseconds: u64) {
            self.clock += nanoseconds;
        }
        fn now(&mut self, clock: Clock) -> u64 {
            match clock {
                Clock::Monotonic => self.clock,
                Clock::Realtime => 1_700_000_000 * NANOS + self.clock,
                // The fake program has run for a fifth of the time.
                Clock::CpuTime => self.clock / 5,
            }
        }
        fn unknown(&mut self, number: u32) {
            self.unknown.push(number);
        }
        fn program_path(&mut self, out: &mut [u8]) -> usize {
            let path = b"build/hello_c";
            let n = path.len().min(out.len());
            out[..n].copy_from_slice(&path[..n]);
            n
        }
        fn tls(&mut self) -> TlsDescriptors {
            self.tls
        }
        fn set_tls(&mut self, slot: usize, descriptor: u64) {
            self.tls[slot] = descriptor;
        }
        fn random(&mut self, out: &mut [u8]) {
            out.iter_mut().enumerate().for_each(|(i, b)| *b = 0x80 | i as u8);
        }
        fn protect(&mut self, start: u32, pages: u32, protection: Protection) -> Result<(), Fault> {
            // The fake program has [BASE, BASE + SIZE) mapped.
            Self::at(UserRange::new(start, pages * PAGE_SIZE).ok_or(Fault)?)?;
            self.protected.push((start, pages, protection));
            Ok(())
        }
    }

    /// The fake's network: every socket answers as a connected peer at
    /// 10.0.2.2:9 would; accept hands out socket 5 from 10.0.2.2:40000.
    impl Sockets for Fake {
        fn socket_at(&mut self, fd: u32) -> Result<sockcall::Socket, i32> {
            fdcall::socket_at(self.files.get(fd))
        }
        fn open_socket(&mut self, _kind: Kind, nonblocking: bool) -> Result<u32, i32> {
            self.install_socket(4, nonblocking)
        }
        fn install_socket(&mut self, id: u16, nonblocking: bool) -> Result<u32, i32> {
            self.files.open(Open { file: File::Socket(id), nonblocking }).map_err(|_| -24)
        }
        fn kind(&mut self, _id: u16) -> Kind {
            Kind::Datagram
        }
        fn bind(&mut self, id: u16, to: Address) -> Result<(), NetError> {
            self.bound.push((id, to));
            if to.port == 80 {
                Err(NetError::AddressInUse)
            } else {
                Ok(())
            }
        }
        fn listen(&mut self, _id: u16, _backlog: u32) -> Result<(), NetError> {
            Err(NetError::NotSupported)
        }
        fn accept(&mut self, _id: u16, nonblocking: bool) -> Result<(u16, Address), NetError> {
            if nonblocking {
                return Err(NetError::WouldBlock);
            }
            Ok((5, Address { ip: [10, 0, 2, 2], port: 40000 }))
        }
        fn connect(&mut self, _id: u16, _to: Address, _nb: bool) -> Result<(), NetError> {
            Err(NetError::Refused)
        }
        fn send(
            &mut self,
            _id: u16,
            bytes: &[u8],
            _to: Option<Address>,
            _nb: bool,
        ) -> Result<usize, NetError> {
            self.console.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn receive(
            &mut self,
            _id: u16,
            buffer: &mut [u8],
            _nb: bool,
        ) -> Result<(usize, Option<Address>), NetError> {
            let n = buffer.len().min(4);
            buffer[..n].copy_from_slice(&b"pong"[..n]);
            Ok((n, Some(Address { ip: [10, 0, 2, 2], port: 9 })))
        }
        fn shutdown(&mut self, _id: u16, _read: bool, _write: bool) -> Result<(), NetError> {
            Ok(())
        }
        fn local_address(&mut self, _id: u16) -> Result<Address, NetError> {
            Ok(Address { ip: [10, 0, 2, 15], port: 5555 })
        }
        fn peer_address(&mut self, _id: u16) -> Result<Address, NetError> {
            Err(NetError::NotConnected)
        }
        fn set_reuse_address(&mut self, _id: u16, _on: bool) -> Result<(), NetError> {
            Ok(())
        }
    }

    impl Descriptors for Fake {
        fn file(&mut self, fd: u32) -> Option<Open> {
            self.files.get(fd)
        }
        fn close(&mut self, fd: u32) -> bool {
            self.files.close(fd).is_some()
        }
        fn duplicate(&mut self, fd: u32, from: u32) -> Result<u32, i32> {
            let free = (from..32).find(|&n| self.files.get(n).is_none()).ok_or(-24)?;
            self.files.duplicate_to(fd, free).map(|_| free).map_err(|_| -EBADF)
        }
        fn duplicate_to(&mut self, old: u32, new: u32) -> Result<u32, i32> {
            self.files.duplicate_to(old, new).map(|_| new).map_err(|_| -EBADF)
        }
        fn set_nonblocking(&mut self, fd: u32, on: bool) {
            self.files.set_nonblocking(fd, on);
        }
    }

    fn sockaddr(ip: [u8; 4], port: u16) -> [u8; 16] {
        sockcall::encode_sockaddr(Address { ip, port })
    }

    #[test]
    fn socketcall_reads_its_arguments_from_user_memory() {
        let mut k = Fake::new();
        // socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0): args at BASE.
        let args = [2u32, 2 | sockcall::SOCK_NONBLOCK, 0];
        poke(&mut k, BASE, &args.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<_>>());
        assert_eq!(
            call(&mut k, fdcall::SYS_SOCKETCALL, sockcall::SYS_SOCKET, BASE, 0),
            Outcome::Return(3)
        );
        assert!(k.files.get(3).unwrap().nonblocking);
        // bind(3, &addr, 16): 0.0.0.0:5555 in network order.
        poke(&mut k, BASE + 64, &sockaddr([0; 4], 5555));
        poke(
            &mut k,
            BASE,
            &[3u32, BASE + 64, 16].iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<_>>(),
        );
        assert_eq!(
            call(&mut k, fdcall::SYS_SOCKETCALL, sockcall::SYS_BIND, BASE, 0),
            Outcome::Return(0)
        );
        assert_eq!(k.bound, [(4, Address { ip: [0; 4], port: 5555 })]);
        // The direct call (361) takes the same arguments in registers.
        assert_eq!(call(&mut k, 361, 3, BASE + 64, 16), Outcome::Return(0));
        // Arguments on a page the program does not have.
        assert_eq!(
            call(&mut k, fdcall::SYS_SOCKETCALL, sockcall::SYS_BIND, 0x1000, 0),
            Outcome::Return(-EFAULT)
        );
        assert_eq!(call(&mut k, fdcall::SYS_SOCKETCALL, 99, BASE, 0), Outcome::Return(-EINVAL));
    }

    #[test]
    fn socket_calls_check_their_arguments_as_linux_does() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, 10, 1, 0), Outcome::Return(-sockcall::EAFNOSUPPORT));
        assert_eq!(call(&mut k, 359, 2, 3, 0), Outcome::Return(-sockcall::ESOCKTNOSUPPORT));
        assert_eq!(call(&mut k, 359, 2, 1, 17), Outcome::Return(-sockcall::EPROTONOSUPPORT));
        assert_eq!(call(&mut k, 359, 2, 2, 0), Outcome::Return(3));
        let mut unix = sockaddr([0; 4], 7);
        unix[0] = 1; // AF_UNIX
        poke(&mut k, BASE, &unix);
        assert_eq!(call(&mut k, 361, 3, BASE, 16), Outcome::Return(-sockcall::EAFNOSUPPORT));
        assert_eq!(call(&mut k, 361, 3, BASE, 8), Outcome::Return(-EINVAL));
        poke(&mut k, BASE, &sockaddr([0; 4], 80));
        assert_eq!(call(&mut k, 361, 3, BASE, 16), Outcome::Return(-sockcall::EADDRINUSE));
        // Not a socket, and not open.
        assert_eq!(call(&mut k, 361, 1, BASE, 16), Outcome::Return(-sockcall::ENOTSOCK));
        assert_eq!(call(&mut k, 361, 9, BASE, 16), Outcome::Return(-EBADF));
    }

    #[test]
    fn accept_and_recvfrom_write_the_address_back_value_result() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, 2, 1, 0), Outcome::Return(3));
        // accept4(3, &addr, &len = 16, 0)
        poke(&mut k, BASE + 32, &16u32.to_le_bytes());
        assert_eq!(call6(&mut k, 364, [3, BASE, BASE + 32, 0, 0, 0]), Outcome::Return(4));
        assert_eq!(k.memory[..16], sockaddr([10, 0, 2, 2], 40000));
        assert_eq!(k.word(BASE + 32), 16);
        // A short buffer gets what fits; the length says the whole.
        k.memory[..16].fill(0xAA);
        poke(&mut k, BASE + 32, &4u32.to_le_bytes());
        assert_eq!(call6(&mut k, 364, [3, BASE, BASE + 32, 0, 0, 0]), Outcome::Return(5));
        assert_eq!(k.memory[..5], [2, 0, 0x9C, 0x40, 0xAA]);
        assert_eq!(k.word(BASE + 32), 16);
        // recvfrom(4, buf, 100, 0, &from, &len)
        poke(&mut k, BASE + 32, &16u32.to_le_bytes());
        assert_eq!(
            call6(&mut k, 371, [4, BASE + 100, 100, 0, BASE, BASE + 32]),
            Outcome::Return(4)
        );
        assert_eq!(&k.memory[100..104], b"pong");
        assert_eq!(k.memory[..16], sockaddr([10, 0, 2, 2], 9));
        // read() on a socket is recv().
        assert_eq!(call(&mut k, SYS_READ, 4, BASE + 200, 2), Outcome::Return(2));
        assert_eq!(&k.memory[200..202], b"po");
    }

    #[test]
    fn close_dup2_and_fcntl_work_on_the_table() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, fdcall::SYS_CLOSE, 1, 0, 0), Outcome::Return(0));
        assert_eq!(call(&mut k, fdcall::SYS_CLOSE, 1, 0, 0), Outcome::Return(-EBADF));
        k.memory[..2].copy_from_slice(b"hi");
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE, 2), Outcome::Return(-EBADF));
        assert_eq!(call(&mut k, fdcall::SYS_DUP2, 2, 1, 0), Outcome::Return(1));
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE, 2), Outcome::Return(2));
        assert_eq!(call(&mut k, fdcall::SYS_DUP, 0, 0, 0), Outcome::Return(3));
        assert_eq!(call(&mut k, fdcall::SYS_FCNTL64, 3, fdcall::F_GETFL, 0), Outcome::Return(2));
        let nonblock = fdcall::O_NONBLOCK;
        assert_eq!(
            call(&mut k, fdcall::SYS_FCNTL64, 3, fdcall::F_SETFL, nonblock),
            Outcome::Return(0)
        );
        assert_eq!(
            call(&mut k, fdcall::SYS_FCNTL64, 3, fdcall::F_GETFL, 0),
            Outcome::Return((2 | nonblock) as i32)
        );
        assert_eq!(call(&mut k, fdcall::SYS_FCNTL, 9, fdcall::F_GETFL, 0), Outcome::Return(-EBADF));
        // A non-blocking accept with nothing there is EAGAIN.
        assert_eq!(call(&mut k, 359, 2, 1 | sockcall::SOCK_NONBLOCK, 0), Outcome::Return(4));
        assert_eq!(call6(&mut k, 364, [4, 0, 0, 0, 0, 0]), Outcome::Return(-sockcall::EAGAIN));
    }

    /// Puts `bytes` at `address` in the fake program's memory.
    fn poke(k: &mut Fake, address: u32, bytes: &[u8]) {
        let at = (address - BASE) as usize;
        k.memory[at..at + bytes.len()].copy_from_slice(bytes);
    }

    #[test]
    fn write_copies_user_bytes_to_the_console() {
        let mut k = Fake::new();
        k.memory[16..21].copy_from_slice(b"hello");
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE + 16, 5), Outcome::Return(5));
        assert_eq!(call(&mut k, SYS_WRITE, 2, BASE + 16, 5), Outcome::Return(5));
        assert_eq!(k.console, b"hellohello");
    }

    #[test]
    fn long_writes_are_copied_in_pieces_and_stop_at_a_bad_page() {
        let mut k = Fake::new();
        for (i, b) in k.memory[..1000].iter_mut().enumerate() {
            *b = b'a' + (i % 26) as u8;
        }
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE, 1000), Outcome::Return(1000));
        assert_eq!(k.console, k.memory[..1000]);
        // 512 bytes before the end of the mapped part, 1000 asked: the
        // first two 256-byte pieces go out, then the write stops.
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE + SIZE - 512, 1000), Outcome::Return(512));
    }

    #[test]
    fn read_fills_the_user_buffer() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_READ, 0, BASE + 100, 2), Outcome::Return(2));
        assert_eq!(&k.memory[100..102], b"hi");
        assert_eq!(call(&mut k, SYS_READ, 0, BASE + 100, 64), Outcome::Return(1));
        assert_eq!(k.memory[100], b'\n');
    }

    #[test]
    fn kernel_pointers_unmapped_pages_and_overruns_are_efault_and_consume_nothing() {
        let mut k = Fake::new();
        for (buf, len) in [
            (0xC010_0000, 10),    // the kernel
            (0xBFFF_FFF0, 0x20),  // runs into the kernel
            (BASE - 4, 8),        // starts below the mapped part
            (BASE + SIZE - 4, 5), // runs past it
            (0xFFFF_FFFF, 2),     // wraps around
            (BASE, u32::MAX),
        ] {
            assert_eq!(call(&mut k, SYS_WRITE, 1, buf, len), Outcome::Return(-EFAULT));
            assert_eq!(call(&mut k, SYS_READ, 0, buf, len), Outcome::Return(-EFAULT));
        }
        assert!(k.console.is_empty());
        assert_eq!(k.keys, b"hi\n", "a failed read must not consume keys");
    }

    #[test]
    fn bad_fd_and_unknown_calls() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_WRITE, 0, BASE, 1), Outcome::Return(-EBADF));
        assert_eq!(call(&mut k, SYS_WRITE, 3, BASE, 1), Outcome::Return(-EBADF));
        assert_eq!(call(&mut k, SYS_READ, 1, BASE, 1), Outcome::Return(-EBADF));
        assert_eq!(call(&mut k, 0, 0, 0, 0), Outcome::Return(-ENOSYS));
        assert_eq!(call(&mut k, 999, 0, 0, 0), Outcome::Return(-ENOSYS));
        assert_eq!(k.unknown, [0, 999]);
        assert_eq!(call(&mut k, SYS_EXIT, 7, 0, 0), Outcome::Exit(7));
        assert_eq!(call(&mut k, SYS_EXIT_GROUP, -1i32 as u32, 0, 0), Outcome::Exit(-1));
    }

    #[test]
    fn getpid_brk_and_yield() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_GETPID, 0, 0, 0), Outcome::Return(7));
        assert_eq!(call(&mut k, SYS_BRK, 0, 0, 0), Outcome::Return(0x0805_0000));
        assert_eq!(call(&mut k, SYS_BRK, 0x0806_0000, 0, 0), Outcome::Return(0x0806_0000));
        // Refused: the break stays where it was, as Linux answers.
        assert_eq!(call(&mut k, SYS_BRK, 0xC000_0000, 0, 0), Outcome::Return(0x0806_0000));
        assert_eq!(call(&mut k, SYS_SCHED_YIELD, 0, 0, 0), Outcome::Return(0));
        assert_eq!(k.yields, 1);
    }

    #[test]
    fn nanosleep_and_clock_gettime_use_two_word_timespecs() {
        let mut k = Fake::new();
        k.memory[..8].copy_from_slice(&[0, 0, 0, 0, 0x00, 0x65, 0xcd, 0x1d]); // 0 s, 500,000,000 ns
        k.memory[8..16].copy_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
        let before = k.clock;
        assert_eq!(call(&mut k, SYS_NANOSLEEP, BASE, BASE + 8, 0), Outcome::Return(0));
        assert_eq!(k.clock - before, 500_000_000);
        // As on Linux: the remaining time is written only for an interrupted sleep.
        assert_eq!((k.word(BASE + 8), k.word(BASE + 12)), (1, 1));
        assert_eq!(
            call(&mut k, SYS_CLOCK_GETTIME, CLOCK_MONOTONIC, BASE + 16, 0),
            Outcome::Return(0)
        );
        assert_eq!((k.word(BASE + 16), k.word(BASE + 20)), (5, 500_000_000));
        assert_eq!(
            call(&mut k, SYS_CLOCK_GETTIME, CLOCK_REALTIME, BASE + 16, 0),
            Outcome::Return(0)
        );
        assert_eq!(k.word(BASE + 16), 1_700_000_005);
    }

    #[test]
    fn bad_timespecs_and_clocks() {
        let mut k = Fake::new();
        k.memory[..8].copy_from_slice(&[0, 0, 0, 0, 0x00, 0xca, 0x9a, 0x3b]); // tv_nsec = 1e9
        assert_eq!(call(&mut k, SYS_NANOSLEEP, BASE, 0, 0), Outcome::Return(-EINVAL));
        k.memory[..8].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]); // tv_sec = -1
        assert_eq!(call(&mut k, SYS_NANOSLEEP, BASE, 0, 0), Outcome::Return(-EINVAL));
        assert_eq!(call(&mut k, SYS_NANOSLEEP, 0xC000_0000, 0, 0), Outcome::Return(-EFAULT));
        assert_eq!(call(&mut k, SYS_CLOCK_GETTIME, CLOCK_TAI, BASE, 0), Outcome::Return(-EINVAL));
        // The process's CPU time, as glibc's clock() asks for it.
        let cpu = CLOCK_PROCESS_CPUTIME_ID;
        assert_eq!(call(&mut k, SYS_CLOCK_GETTIME, cpu, BASE, 0), Outcome::Return(0));
        assert_eq!((k.word(BASE), k.word(BASE + 4)), (1, 0)); // 5 s / 5
        assert_eq!(
            call(&mut k, SYS_CLOCK_GETTIME, CLOCK_MONOTONIC, 0x10, 0),
            Outcome::Return(-EFAULT)
        );
    }

    /// A 32-bit and a 64-bit timespec (seconds, nanoseconds) as a program
    /// lays them out.
    fn ts32(seconds: i32, nanoseconds: i32) -> Vec<u8> {
        [seconds.to_le_bytes(), nanoseconds.to_le_bytes()].concat()
    }
    fn ts64(seconds: i64, nanoseconds: i64) -> Vec<u8> {
        [seconds.to_le_bytes(), nanoseconds.to_le_bytes()].concat()
    }

    fn clock_nanosleep(k: &mut Fake, wide: bool, clock: u32, flags: u32, at: u32) -> Outcome {
        let number = if wide { SYS_CLOCK_NANOSLEEP_TIME64 } else { SYS_CLOCK_NANOSLEEP };
        call6(k, number, [clock, flags, at, BASE + 64, 0, 0])
    }

    #[test]
    fn timespecs_are_times_only_in_linux_s_range() {
        assert_eq!(timespec_nanoseconds(2, 5), Some(2 * NANOS + 5));
        assert_eq!(timespec_nanoseconds(0, 999_999_999), Some(999_999_999));
        assert_eq!(timespec_nanoseconds(0, 1_000_000_000), None);
        assert_eq!(timespec_nanoseconds(0, -1), None);
        assert_eq!(timespec_nanoseconds(-1, 0), None);
        assert_eq!(timespec_nanoseconds(i64::MAX, 999_999_999), Some(u64::MAX), "clamped");
    }

    #[test]
    fn clock_nanosleep_sleeps_for_a_length_in_either_layout() {
        let mut k = Fake::new();
        // glibc's usleep(200000): clock_nanosleep(CLOCK_REALTIME, 0, {0, 2e8}).
        poke(&mut k, BASE, &ts32(0, 200_000_000));
        poke(&mut k, BASE + 64, &[0xaa; 16]);
        let before = k.clock;
        assert_eq!(clock_nanosleep(&mut k, false, CLOCK_REALTIME, 0, BASE), Outcome::Return(0));
        assert_eq!(k.clock - before, 200_000_000);
        assert_eq!(k.memory[64..80], [0xaa; 16], "the remaining time is not written");
        // The 64-bit layout; the high half of tv_nsec is padding.
        poke(&mut k, BASE, &ts64(1, 0x1_0000_0000 + 7));
        let before = k.clock;
        assert_eq!(clock_nanosleep(&mut k, true, CLOCK_MONOTONIC, 0, BASE), Outcome::Return(0));
        assert_eq!(k.clock - before, NANOS + 7);
        // CLOCK_BOOTTIME is monotonic time here; flag bits but
        // TIMER_ABSTIME are ignored, as on Linux.
        poke(&mut k, BASE, &ts32(3, 0));
        let before = k.clock;
        assert_eq!(clock_nanosleep(&mut k, false, CLOCK_BOOTTIME, 2, BASE), Outcome::Return(0));
        assert_eq!(k.clock - before, 3 * NANOS);
        assert!(k.unknown.is_empty());
    }

    #[test]
    fn clock_nanosleep_with_timer_abstime_sleeps_until_the_clock_reads_the_time() {
        let mut k = Fake::new(); // monotonic 5 s, realtime 1,700,000,005 s
        poke(&mut k, BASE, &ts32(7, 250_000_000));
        let abs = TIMER_ABSTIME;
        assert_eq!(clock_nanosleep(&mut k, false, CLOCK_MONOTONIC, abs, BASE), Outcome::Return(0));
        assert_eq!(k.now(Clock::Monotonic), 7_250_000_000);
        poke(&mut k, BASE, &ts64(1_700_000_010, 0));
        assert_eq!(clock_nanosleep(&mut k, true, CLOCK_REALTIME, abs, BASE), Outcome::Return(0));
        assert_eq!(k.now(Clock::Realtime), 1_700_000_010 * NANOS);
        // A time already past: back at once, without sleeping.
        let before = k.clock;
        poke(&mut k, BASE, &ts32(1, 0));
        assert_eq!(clock_nanosleep(&mut k, false, CLOCK_REALTIME, abs, BASE), Outcome::Return(0));
        assert_eq!(clock_nanosleep(&mut k, false, CLOCK_MONOTONIC, abs, BASE), Outcome::Return(0));
        assert_eq!(k.clock, before);
    }

    #[test]
    fn clock_nanosleep_refuses_as_linux_in_linux_s_order() {
        let mut k = Fake::new();
        poke(&mut k, BASE, &ts32(0, 1000));
        let before = k.clock;
        // Clocks Linux knows but this kernel cannot sleep on, and glibc's
        // CLOCK_PROCESS_CPUTIME_ID as it passes it (a CPU clock, -6).
        let unsupported = [2, 3, 4, 5, 6, 8, 9, 11, (-6i32) as u32];
        for clock in unsupported {
            let got = clock_nanosleep(&mut k, false, clock, 0, BASE);
            assert_eq!(got, Outcome::Return(-EOPNOTSUPP), "clock {clock}");
        }
        for clock in [10, 12, 1000] {
            let got = clock_nanosleep(&mut k, true, clock, 0, BASE);
            assert_eq!(got, Outcome::Return(-EINVAL), "clock {clock}");
        }
        // The clock is checked before the pointer, the pointer before the value.
        assert_eq!(clock_nanosleep(&mut k, false, 12, 0, 0x10), Outcome::Return(-EINVAL));
        assert_eq!(clock_nanosleep(&mut k, false, 0, 0, 0x10), Outcome::Return(-EFAULT));
        let last8 = BASE + SIZE - 8; // a 32-bit timespec fits, a 64-bit one does not
        assert_eq!(clock_nanosleep(&mut k, true, 0, 0, last8), Outcome::Return(-EFAULT));
        poke(&mut k, BASE, &ts32(0, 1_000_000_000));
        assert_eq!(clock_nanosleep(&mut k, false, 1, 0, BASE), Outcome::Return(-EINVAL));
        poke(&mut k, BASE, &ts32(-1, 0));
        assert_eq!(
            clock_nanosleep(&mut k, false, 1, TIMER_ABSTIME, BASE),
            Outcome::Return(-EINVAL)
        );
        poke(&mut k, BASE, &ts64(-1, 0));
        assert_eq!(clock_nanosleep(&mut k, true, 1, 0, BASE), Outcome::Return(-EINVAL));
        poke(&mut k, BASE, &ts64(0, -1)); // the low half -1 too
        assert_eq!(clock_nanosleep(&mut k, true, 1, 0, BASE), Outcome::Return(-EINVAL));
        assert_eq!(k.clock, before, "no refused call slept");
        assert!(k.unknown.is_empty());
    }

    #[test]
    fn exit_status_is_reported_in_8_bits() {
        assert_eq!(reported_status(44), 44);
        assert_eq!(reported_status(300), 44);
        assert_eq!(reported_status(-1), 255);
        assert_eq!(reported_status(256), 0);
    }

    #[test]
    fn writev_writes_every_buffer_in_order() {
        let mut k = Fake::new();
        poke(&mut k, BASE + 100, b"hello, ");
        poke(&mut k, BASE + 200, b"world\n");
        let mut iov = Vec::new();
        for (base, len) in [(BASE + 100, 7u32), (BASE + 300, 0), (BASE + 200, 6)] {
            iov.extend_from_slice(&base.to_le_bytes());
            iov.extend_from_slice(&len.to_le_bytes());
        }
        poke(&mut k, BASE + 16, &iov);
        assert_eq!(call(&mut k, SYS_WRITEV, 1, BASE + 16, 3), Outcome::Return(13));
        assert_eq!(k.console, b"hello, world\n");
        assert_eq!(call(&mut k, SYS_WRITEV, 2, BASE + 16, 0), Outcome::Return(0));
    }

    #[test]
    fn writev_checks_everything_before_writing() {
        let mut k = Fake::new();
        let entry = |base: u32, len: u32| [base.to_le_bytes(), len.to_le_bytes()].concat();
        poke(&mut k, BASE, &[entry(BASE + 100, 5), entry(0xC000_0000, 4)].concat());
        assert_eq!(call(&mut k, SYS_WRITEV, 1, BASE, 2), Outcome::Return(-EFAULT));
        poke(&mut k, BASE, &[entry(BASE + 100, 5), entry(BASE, 0x7FFF_FFFF)].concat());
        assert_eq!(call(&mut k, SYS_WRITEV, 1, BASE, 2), Outcome::Return(-EINVAL));
        assert!(k.console.is_empty(), "nothing written before the checks pass");
        assert_eq!(call(&mut k, SYS_WRITEV, 1, BASE, 1025), Outcome::Return(-EINVAL));
        assert_eq!(call(&mut k, SYS_WRITEV, 1, 0xBFFF_FFFC, 1), Outcome::Return(-EFAULT));
        assert_eq!(call(&mut k, SYS_WRITEV, 0, BASE, 1), Outcome::Return(-EBADF));
        // A buffer in user space but not mapped: what came before is written.
        poke(&mut k, BASE, &[entry(BASE + 100, 5), entry(BASE + SIZE - 2, 8)].concat());
        assert_eq!(call(&mut k, SYS_WRITEV, 1, BASE, 2), Outcome::Return(5));
    }

    #[test]
    fn ioctl_knows_tcgets_and_tiocgwinsz_on_the_console_only() {
        let mut k = Fake::new();
        for fd in 0..3 {
            assert_eq!(call(&mut k, SYS_IOCTL, fd, TCGETS, BASE + 64), Outcome::Return(0));
            assert_eq!(k.memory[64..100], abi::termios());
            assert_eq!(call(&mut k, SYS_IOCTL, fd, TIOCGWINSZ, BASE), Outcome::Return(0));
            assert_eq!(k.memory[..8], abi::winsize());
        }
        assert_eq!(call(&mut k, SYS_IOCTL, 1, 0x5402, BASE), Outcome::Return(-ENOTTY)); // TCSETS
        assert_eq!(call(&mut k, SYS_IOCTL, 3, TCGETS, BASE), Outcome::Return(-EBADF));
        assert_eq!(call(&mut k, SYS_IOCTL, 1, TCGETS, 0xC000_0000), Outcome::Return(-EFAULT));
        assert_eq!(call(&mut k, SYS_IOCTL, 1, TIOCGWINSZ, 0x10), Outcome::Return(-EFAULT));
        assert!(k.unknown.is_empty());
    }

    #[test]
    fn the_console_is_a_character_device_for_fstat64_and_statx() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_FSTAT64, 1, BASE + 512, 0), Outcome::Return(0));
        assert_eq!(k.memory[512..608], abi::stat64(&CONSOLE_STATUS));
        assert_eq!(call(&mut k, SYS_FSTAT64, 5, BASE + 512, 0), Outcome::Return(-EBADF));
        assert_eq!(call(&mut k, SYS_FSTAT64, 0, 0xBFFF_FFF0, 0), Outcome::Return(-EFAULT));
        // glibc's fstat(1): statx(1, "", AT_NO_AUTOMOUNT | AT_EMPTY_PATH, 0x7ff, buf).
        let empty = BASE + SIZE - 1; // "" in the last byte of the mapping
        let statx = |k: &mut Fake, fd: u32, path: u32, flags: u32, mask: u32, buf: u32| {
            call6(k, SYS_STATX, [fd, path, flags, mask, buf, 0])
        };
        let flags = AT_NO_AUTOMOUNT | AT_EMPTY_PATH;
        assert_eq!(statx(&mut k, 1, empty, flags, 0x7ff, BASE + 1024), Outcome::Return(0));
        assert_eq!(k.memory[1024..1280], abi::statx(&CONSOLE_STATUS));
        assert_eq!(statx(&mut k, 4, empty, flags, 0x7ff, BASE), Outcome::Return(-EBADF));
        assert_eq!(statx(&mut k, 1, empty, AT_NO_AUTOMOUNT, 0x7ff, BASE), Outcome::Return(-ENOENT));
        poke(&mut k, BASE + 2048, b"/dev/tty\0");
        assert_eq!(statx(&mut k, 1, BASE + 2048, flags, 0x7ff, BASE), Outcome::Return(-ENOENT));
        assert_eq!(statx(&mut k, 1, 0xC000_0000, flags, 0x7ff, BASE), Outcome::Return(-EFAULT));
        assert_eq!(statx(&mut k, 1, empty, flags | 0x6000, 0x7ff, BASE), Outcome::Return(-EINVAL));
        assert_eq!(statx(&mut k, 1, empty, flags | 1, 0x7ff, BASE), Outcome::Return(-EINVAL));
        assert_eq!(statx(&mut k, 1, empty, flags, STATX_RESERVED, BASE), Outcome::Return(-EINVAL));
        assert_eq!(
            statx(&mut k, 1, empty, flags, 0x7ff, BASE + SIZE - 8),
            Outcome::Return(-EFAULT)
        );
    }

    #[test]
    fn readlink_proc_self_exe_gives_the_program_path() {
        let mut k = Fake::new();
        poke(&mut k, BASE, b"/proc/self/exe\0");
        assert_eq!(call(&mut k, SYS_READLINK, BASE, BASE + 64, 4096), Outcome::Return(14));
        assert_eq!(&k.memory[64..78], b"/build/hello_c");
        // Cut to the buffer, not terminated, as on Linux.
        k.memory[64..80].fill(b'.');
        assert_eq!(call(&mut k, SYS_READLINK, BASE, BASE + 64, 5), Outcome::Return(5));
        assert_eq!(&k.memory[64..70], b"/buil.");
        assert_eq!(call(&mut k, SYS_READLINK, BASE, BASE + 64, 0), Outcome::Return(-EINVAL));
        assert_eq!(call(&mut k, SYS_READLINK, BASE, 0xC000_0000, 16), Outcome::Return(-EFAULT));
        // The path string ends exactly at the end of the mapping: fine.
        let at = BASE + SIZE - 15;
        poke(&mut k, at, b"/proc/self/exe\0");
        assert_eq!(call(&mut k, SYS_READLINK, at, BASE + 64, 100), Outcome::Return(14));
        // One byte short of its NUL: the string runs off the mapping.
        poke(&mut k, BASE + SIZE - 14, b"/proc/self/exe");
        let at = BASE + SIZE - 14;
        assert_eq!(call(&mut k, SYS_READLINK, at, BASE + 64, 100), Outcome::Return(-EFAULT));
        poke(&mut k, BASE, b"/proc/self/ex\0");
        assert_eq!(call(&mut k, SYS_READLINK, BASE, BASE + 64, 100), Outcome::Return(-ENOENT));
        poke(&mut k, BASE, &[b'x'; 100]);
        assert_eq!(call(&mut k, SYS_READLINK, BASE, BASE + 64, 100), Outcome::Return(-ENOENT));
        assert_eq!(call(&mut k, SYS_READLINK, 0xFFFF_FFF0, BASE, 100), Outcome::Return(-EFAULT));
    }

    #[test]
    fn program_paths_are_made_absolute_from_the_root() {
        let absolute = |path: &[u8]| {
            let mut out = [0u8; 32];
            let n = absolute_path(path, &mut out);
            out[..n].to_vec()
        };
        assert_eq!(absolute(b"/work/build/hello_c"), b"/work/build/hello_c");
        assert_eq!(absolute(b"build/hello_c"), b"/build/hello_c");
        assert_eq!(absolute(b"./hello_c"), b"/hello_c");
        assert_eq!(absolute(b"hello_c"), b"/hello_c");
        assert_eq!(absolute(b""), b"/");
    }

    #[test]
    fn mprotect_validates_and_protects_whole_pages() {
        let mut k = Fake::new();
        let call3 = |k: &mut Fake, a, b, c| call(k, SYS_MPROTECT, a, b, c);
        assert_eq!(call3(&mut k, BASE + 0x1000, 12288, PROT_READ), Outcome::Return(0));
        assert_eq!(call3(&mut k, BASE, 1, PROT_READ | PROT_WRITE), Outcome::Return(0));
        assert_eq!(call3(&mut k, BASE, 4096, 0), Outcome::Return(0));
        assert_eq!(call3(&mut k, BASE, 4096, PROT_EXEC), Outcome::Return(0));
        assert_eq!(
            k.protected,
            [
                (BASE + 0x1000, 3, Protection::Read),
                (BASE, 1, Protection::ReadWrite),
                (BASE, 1, Protection::None),
                (BASE, 1, Protection::Read)
            ]
        );
        assert_eq!(call3(&mut k, BASE, 0, PROT_READ), Outcome::Return(0));
        assert_eq!(call3(&mut k, BASE + 1, 4096, PROT_READ), Outcome::Return(-EINVAL));
        assert_eq!(call3(&mut k, BASE, 4096, 0x10), Outcome::Return(-EINVAL));
        assert_eq!(call3(&mut k, BASE, 4096, PROT_SEM), Outcome::Return(0));
        assert_eq!(call3(&mut k, BASE, SIZE + 1, PROT_READ), Outcome::Return(-ENOMEM));
        assert_eq!(call3(&mut k, 0xBFFF_F000, 0x2000, PROT_READ), Outcome::Return(-ENOMEM));
        assert_eq!(call3(&mut k, 0xC000_0000, 0x1000, PROT_READ), Outcome::Return(-ENOMEM));
        assert_eq!(call3(&mut k, 0x1000, u32::MAX, PROT_READ), Outcome::Return(-ENOMEM));
        assert_eq!(k.protected.len(), 5, "no refused call reached the page tables");
        assert_eq!(k.protected[4], (BASE, 1, Protection::None), "PROT_SEM alone: no access");
    }

    #[test]
    fn set_thread_area_picks_a_slot_writes_it_back_and_refuses_bad_input() {
        let mut k = Fake::new();
        let desc = |entry: u32, flags: u32| {
            [
                entry.to_le_bytes(),
                0x0900_0000u32.to_le_bytes(),
                0xF_FFFFu32.to_le_bytes(),
                flags.to_le_bytes(),
            ]
            .concat()
        };
        // glibc's request: entry -1, seg_32bit | limit_in_pages | useable.
        poke(&mut k, BASE, &desc(u32::MAX, 0x51));
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0), Outcome::Return(0));
        assert_eq!(k.word(BASE), 6, "the chosen GDT entry is written back");
        assert_ne!(k.tls[0], 0);
        poke(&mut k, BASE, &desc(u32::MAX, 0x51));
        call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0);
        assert_eq!(k.word(BASE), 7);
        // The same user_desc again now names entry 7: it is replaced in place.
        let before = k.tls;
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0), Outcome::Return(0));
        assert_eq!(k.tls, before);
        poke(&mut k, BASE, &desc(u32::MAX, 0x51));
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0), Outcome::Return(0));
        poke(&mut k, BASE, &desc(u32::MAX, 0x51));
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0), Outcome::Return(-ESRCH));
        // Bad slots, a code segment, unreadable and read-only user_descs.
        poke(&mut k, BASE, &desc(12, 0x51));
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0), Outcome::Return(-EINVAL));
        poke(&mut k, BASE, &desc(6, 0x51 | 4));
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0), Outcome::Return(-EINVAL));
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, 0xC000_0000, 0, 0), Outcome::Return(-EFAULT));
        assert_eq!(
            call(&mut k, SYS_SET_THREAD_AREA, BASE + SIZE - 8, 0, 0),
            Outcome::Return(-EFAULT)
        );
        // Clearing slot 7 with the documented empty form frees it again.
        let empty = [7u32.to_le_bytes(), [0; 4], [0; 4], 0x28u32.to_le_bytes()].concat();
        poke(&mut k, BASE, &empty);
        assert_eq!(call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0), Outcome::Return(0));
        assert_eq!(k.tls[1], 0);
        poke(&mut k, BASE, &desc(u32::MAX, 0x51));
        call(&mut k, SYS_SET_THREAD_AREA, BASE, 0, 0);
        assert_eq!(k.word(BASE), 7);
        assert!(k.unknown.is_empty());
    }

    #[test]
    fn start_up_calls_answer_as_glibc_needs() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_SET_TID_ADDRESS, BASE, 0, 0), Outcome::Return(7));
        assert_eq!(call(&mut k, SYS_SET_ROBUST_LIST, BASE, 12, 0), Outcome::Return(-ENOSYS));
        assert_eq!(
            call6(&mut k, SYS_RSEQ, [BASE, 0x20, 0, 0x5305_3053, 0, 0]),
            Outcome::Return(-ENOSYS)
        );
        assert!(k.unknown.is_empty(), "refused on purpose, not unknown");
        assert_eq!(call(&mut k, SYS_UGETRLIMIT, RLIMIT_STACK, BASE, 0), Outcome::Return(0));
        assert_eq!((k.word(BASE), k.word(BASE + 4)), (128 * 1024, 128 * 1024));
        assert_eq!(call(&mut k, SYS_UGETRLIMIT, 7, BASE, 0), Outcome::Return(-EINVAL));
        assert_eq!(
            call(&mut k, SYS_UGETRLIMIT, RLIMIT_STACK, 0xC000_0000, 0),
            Outcome::Return(-EFAULT)
        );
        for fd in [0, 1, 2] {
            assert_eq!(call(&mut k, SYS_LLSEEK, fd, 0, 0), Outcome::Return(-ESPIPE));
            assert_eq!(call(&mut k, SYS_LSEEK, fd, 0, 0), Outcome::Return(-ESPIPE));
        }
        assert_eq!(call(&mut k, SYS_LSEEK, 3, 0, 0), Outcome::Return(-EBADF));
    }

    #[test]
    fn getrandom_fills_the_buffer_and_checks_flags_and_pages() {
        let mut k = Fake::new();
        let r = |k: &mut Fake, buf, len, flags| call(k, SYS_GETRANDOM, buf, len, flags);
        assert_eq!(r(&mut k, BASE, 4, GRND_NONBLOCK), Outcome::Return(4));
        assert_eq!(k.memory[..5], [0x80, 0x81, 0x82, 0x83, 0]);
        assert_eq!(r(&mut k, BASE, 600, 0), Outcome::Return(600));
        assert_eq!(k.memory[599], 0x80 | (599 % 256) as u8);
        assert_eq!(r(&mut k, BASE, 0, GRND_INSECURE), Outcome::Return(0));
        assert_eq!(r(&mut k, BASE, 4, 8), Outcome::Return(-EINVAL));
        assert_eq!(r(&mut k, BASE, 4, GRND_RANDOM | GRND_INSECURE), Outcome::Return(-EINVAL));
        assert_eq!(r(&mut k, 0xC000_0000, 4, 0), Outcome::Return(-EFAULT));
        // 300 bytes asked at 256 before the end: the first 256 arrive.
        assert_eq!(r(&mut k, BASE + SIZE - 256, 300, 0), Outcome::Return(256));
    }

    #[test]
    fn coarse_and_boot_clocks_read_their_precise_twins() {
        assert_eq!(readable_clock(CLOCK_REALTIME_COARSE), Some(Clock::Realtime));
        assert_eq!(readable_clock(CLOCK_MONOTONIC_COARSE), Some(Clock::Monotonic));
        assert_eq!(readable_clock(CLOCK_BOOTTIME), Some(Clock::Monotonic));
        // One thread per process: both CPU-time clocks are the process's.
        assert_eq!(readable_clock(CLOCK_PROCESS_CPUTIME_ID), Some(Clock::CpuTime));
        assert_eq!(readable_clock(CLOCK_THREAD_CPUTIME_ID), Some(Clock::CpuTime));
        let unread = [CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI, 10, 12];
        for id in unread {
            assert_eq!(readable_clock(id), None, "clock {id}");
        }
        // glibc's time(NULL): clock_gettime64(CLOCK_REALTIME_COARSE), or the
        // 32-bit call when that one is -ENOSYS.
        let mut k = Fake::new();
        let coarse = CLOCK_REALTIME_COARSE;
        assert_eq!(call(&mut k, SYS_CLOCK_GETTIME64, coarse, BASE, 0), Outcome::Return(0));
        assert_eq!(k.memory[..16], abi::timespec64(1_700_000_005 * NANOS));
        assert_eq!(call(&mut k, SYS_CLOCK_GETTIME, coarse, BASE, 0), Outcome::Return(0));
        assert_eq!(k.word(BASE), 1_700_000_005);
        let coarse = CLOCK_MONOTONIC_COARSE;
        assert_eq!(call(&mut k, SYS_CLOCK_GETTIME, coarse, BASE, 0), Outcome::Return(0));
        assert_eq!(k.word(BASE), 5);
    }

    #[test]
    fn clock_gettime64_uses_two_64_bit_words() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_CLOCK_GETTIME64, CLOCK_REALTIME, BASE, 0), Outcome::Return(0));
        assert_eq!(k.memory[..16], abi::timespec64(1_700_000_005 * NANOS));
        assert_eq!(call(&mut k, SYS_CLOCK_GETTIME64, 99, BASE, 0), Outcome::Return(-EINVAL));
        assert_eq!(
            call(&mut k, SYS_CLOCK_GETTIME64, CLOCK_MONOTONIC, BASE + SIZE - 8, 0),
            Outcome::Return(-EFAULT)
        );
    }
}
