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
//! A file descriptor indexes the process's table (src/fd.rs): a program
//! starts with the console on 0 (for reading), 1 and 2 (for writing);
//! close, dup, dup2 and fcntl change the table, and a descriptor that is
//! not open is -EBADF for every call. A read waits for a line unless its
//! open file has O_NONBLOCK (then -EAGAIN).
//!
//! | EAX | call | arguments | result |
//! | --- | --- | --- | --- |
//! | 1 | exit | EBX = status | does not return |
//! | 3 | read | EBX = fd (readable), ECX = buffer, EDX = length | bytes read (waits for >= 1) |
//! | 4 | write | EBX = fd (writable), ECX = buffer, EDX = length | bytes written |
//! | 6 | close | EBX = fd | 0 |
//! | 19 | lseek | EBX = fd | -ESPIPE: a terminal cannot seek |
//! | 20 | getpid | | the pid |
//! | 41 | dup | EBX = fd | the lowest free fd; -EMFILE if none (32 per process) |
//! | 45 | brk | EBX = new break, or 0 | the break (unchanged if refused) |
//! | 54 | ioctl | EBX = fd, ECX = TCGETS or TIOCGWINSZ, EDX = &struct | 0; -ENOTTY else |
//! | 55 | fcntl | EBX = fd, ECX = F_DUPFD, F_[GS]ETFD, F_[GS]ETFL, EDX = argument | as Linux |
//! | 63 | dup2 | EBX = fd, ECX = new fd (below 32) | the new fd, what it named closed first |
//! | 85 | readlink | EBX = "/proc/self/exe", ECX = buffer, EDX = size | argv[0], made absolute |
//! | 125 | mprotect | EBX = page, ECX = length, EDX = PROT_* | 0; -ENOMEM if not all mapped |
//! | 140 | _llseek | EBX = fd | -ESPIPE, as lseek |
//! | 146 | writev | EBX = fd (writable), ECX = iovec[], EDX = count | bytes written |
//! | 158 | sched_yield | | 0 |
//! | 162 | nanosleep | EBX = &timespec, ECX = &remaining (untouched) | 0, -EINVAL |
//! | 191 | ugetrlimit | EBX = RLIMIT_STACK or _NOFILE, ECX = &rlimit | 0 (128 KiB; 32) |
//! | 197 | fstat64 | EBX = fd, ECX = &stat64 | 0: a character device |
//! | 221 | fcntl64 | as 55 | as 55 (glibc's fcntl) |
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
//! Most rows from 19 on are what glibc's start-up, stdio, malloc and time
//! functions ask of Linux (close, dup, dup2 and fcntl are what a program
//! asks of its descriptors); each answer's reason is written next to its
//! handler, from what glibc does with it. Any other number is -ENOSYS
//! and logged once per process (`Services::unknown`); set_robust_list
//! and rseq are refused on purpose, so they are not logged.
//!
//! A handler returns `SysResult`, `Ok(value)` or `Err(Errno)`, and
//! `dispatch` turns it into EAX in one place (`errno::to_eax`), as zCore
//! does: no handler writes a negative number by hand. The numbers
//! (`numbers.rs`) and errnos (`errno.rs`) are the only copy: the built-in
//! programs' assembly (src/user/programs.rs) gets them as `const`
//! operands.
//!
//! The dispatch logic is pure: `dispatch` works through the `Services`
//! trait (`services.rs`), which the kernel implements with the current
//! process, the terminal and the scheduler (src/user/mod.rs) and the host
//! tests with plain memory (`fake.rs`). The handlers live one file per
//! subject, each named after the Linux file that holds the same calls,
//! with its host tests beside it:
//!
//! - `file.rs`: read, write, writev, lseek, _llseek, ioctl;
//! - `fcntl.rs`: close, dup, dup2, fcntl, fcntl64;
//! - `stat.rs`: fstat64, statx, readlink;
//! - `mm.rs`: brk, mprotect;
//! - `time.rs`: clock_gettime, nanosleep, clock_nanosleep, the *64 twins;
//! - `process.rs`: set_thread_area, ugetrlimit, set_tid_address,
//!   sched_yield, set_robust_list, rseq;
//! - `misc.rs`: getrandom;
//! - `net.rs`: socketcall (102) and the direct socket calls 359-373;
//!   read and write on a socket come here from `file.rs`.
//!
//! exit and getpid are arms of `dispatch` itself. `uaccess.rs` holds the
//! copies from and to user memory that several handlers need. A handler
//! file imports `errno`, `services` and `uaccess`, never this file; only
//! this file imports the handlers, so the folder has no import cycle.

pub mod errno;
#[cfg(test)]
mod fake;
pub mod fcntl;
pub mod file;
pub mod misc;
pub mod mm;
pub mod net;
pub mod numbers;
pub mod process;
pub mod services;
pub mod stat;
pub mod time;
pub mod uaccess;

pub use self::errno::{Errno, SysResult};
pub use self::services::{Clock, Fault, Services, Socket};

use self::fcntl::{close, dup, dup2, fcntl};
use self::file::{ioctl, read, seek, write, writev};
use self::misc::getrandom;
use self::mm::{brk, mprotect};
use self::numbers::*;
use self::process::{
    getrlimit, rseq, sched_yield, set_robust_list, set_thread_area, set_tid_address,
};
use self::stat::{fstat64, readlink, statx};
use self::time::{clock_gettime, clock_nanosleep, nanosleep};

/// What the caller must do after a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Return to the program with this value in EAX (a negative errno
    /// for an error).
    Return(u32),
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
/// EDI, EBP. The arms are grouped by the file their handler lives in.
pub fn dispatch(number: u32, args: [u32; 6], kernel: &mut impl Services) -> Outcome {
    let [a, b, c, d, e, f] = args;
    let result = match number {
        // ---- the process (process.rs) ----
        // LAB 6 BEGIN: exit and exit_group end the process
        SYS_EXIT | SYS_EXIT_GROUP => return Outcome::Exit(a as i32),
        //~ // YOUR CODE HERE: an arm for SYS_EXIT and SYS_EXIT_GROUP: the status
        //~ // is in EBX (`a`), and the process ends (Outcome::Exit).
        // LAB 6 END
        // LAB 6 BEGIN: getpid
        SYS_GETPID => Ok(kernel.pid()),
        //~ // YOUR CODE HERE: an arm for SYS_GETPID (the kernel's Services know it).
        // LAB 6 END
        SYS_SET_TID_ADDRESS => set_tid_address(a, kernel),
        SYS_SCHED_YIELD => sched_yield(kernel),
        SYS_SET_THREAD_AREA => set_thread_area(a, kernel),
        SYS_UGETRLIMIT => getrlimit(a, b, kernel),
        SYS_SET_ROBUST_LIST => set_robust_list(),
        SYS_RSEQ => rseq(),
        // ---- file I/O (file.rs) ----
        SYS_READ => read(a, b, c, kernel),
        SYS_WRITE => write(a, b, c, kernel),
        SYS_WRITEV => writev(a, b, c, kernel),
        SYS_LSEEK | SYS_LLSEEK => seek(a, kernel),
        SYS_IOCTL => ioctl(a, b, c, kernel),
        // ---- the descriptor table (fcntl.rs) ----
        SYS_CLOSE => close(a, kernel),
        SYS_DUP => dup(a, kernel),
        SYS_DUP2 => dup2(a, b, kernel),
        SYS_FCNTL | SYS_FCNTL64 => fcntl(a, b, c, kernel),
        // ---- files and paths (stat.rs) ----
        SYS_FSTAT64 => fstat64(a, b, kernel),
        SYS_STATX => statx(a, b, c, d, e, kernel),
        SYS_READLINK => readlink(a, b, c, kernel),
        // ---- memory (mm.rs) ----
        SYS_BRK => brk(a, kernel),
        SYS_MPROTECT => mprotect(a, b, c, kernel),
        // ---- clocks and sleeps (time.rs) ----
        SYS_NANOSLEEP => nanosleep(a, b, kernel),
        SYS_CLOCK_NANOSLEEP => clock_nanosleep(a, b, c, d, false, kernel),
        SYS_CLOCK_NANOSLEEP_TIME64 => clock_nanosleep(a, b, c, d, true, kernel),
        SYS_CLOCK_GETTIME => clock_gettime(a, b, false, kernel),
        SYS_CLOCK_GETTIME64 => clock_gettime(a, b, true, kernel),
        // ---- sockets (net.rs) ----
        SYS_SOCKETCALL => net::socketcall(a, b, kernel),
        _ if net::direct_call(number).is_some() => {
            let call = net::direct_call(number).expect("just checked");
            net::call_with(call, [a, b, c, d, e, f], kernel)
        }
        // ---- the rest (misc.rs) ----
        SYS_GETRANDOM => getrandom(a, b, c, kernel),
        _ => {
            kernel.unknown(number);
            Err(Errno::ENOSYS)
        }
    };
    Outcome::Return(errno::to_eax(result))
}

#[cfg(test)]
mod tests {
    use super::fake::{Fake, BASE};
    use super::*;

    fn call(k: &mut Fake, number: u32, a: u32, b: u32, c: u32) -> Outcome {
        dispatch(number, [a, b, c, 0, 0, 0], k)
    }

    /// What a failed call leaves in EAX.
    fn fails(errno: Errno) -> Outcome {
        Outcome::Return(errno::to_eax(Err(errno)))
    }

    #[test]
    fn exit_getpid_and_unknown_calls() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_EXIT, 7, 0, 0), Outcome::Exit(7));
        assert_eq!(call(&mut k, SYS_EXIT_GROUP, -1i32 as u32, 0, 0), Outcome::Exit(-1));
        assert_eq!(call(&mut k, SYS_GETPID, 0, 0, 0), Outcome::Return(7));
        assert_eq!(call(&mut k, 0, 0, 0, 0), fails(Errno::ENOSYS));
        assert_eq!(call(&mut k, 999, 0, 0, 0), fails(Errno::ENOSYS));
        assert_eq!(k.unknown, [0, 999]);
    }

    #[test]
    fn errors_reach_eax_negated_and_values_unchanged() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_WRITE, 0, BASE, 1), Outcome::Return(-9i32 as u32));
        assert_eq!(call(&mut k, SYS_WRITE, 1, 0xC000_0000, 1), Outcome::Return(-14i32 as u32));
        k.poke(BASE, b"ok");
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE, 2), Outcome::Return(2));
        assert_eq!(call(&mut k, SYS_BRK, 0, 0, 0), Outcome::Return(0x0805_0000));
    }

    #[test]
    fn every_call_in_the_table_reaches_its_handler() {
        // Each call with arguments its handler refuses in a way only it
        // would: not -ENOSYS, and nothing logged as unknown.
        let mut k = Fake::new();
        let bad = 0xC000_0000;
        for (number, args, expect) in [
            (SYS_READ, [0, bad, 1], fails(Errno::EFAULT)),
            (SYS_WRITEV, [1, 0, 1025], fails(Errno::EINVAL)),
            (SYS_LSEEK, [1, 0, 0], fails(Errno::ESPIPE)),
            (SYS_LLSEEK, [1, 0, 0], fails(Errno::ESPIPE)),
            (SYS_IOCTL, [1, 0x5402, 0], fails(Errno::ENOTTY)),
            (SYS_CLOSE, [3, 0, 0], fails(Errno::EBADF)),
            (SYS_DUP, [3, 0, 0], fails(Errno::EBADF)),
            (SYS_DUP2, [1, 32, 0], fails(Errno::EBADF)),
            (SYS_FCNTL, [1, 999, 0], fails(Errno::EINVAL)),
            (SYS_FCNTL64, [1, 1030, 32], fails(Errno::EINVAL)),
            (SYS_FSTAT64, [1, bad, 0], fails(Errno::EFAULT)),
            (SYS_READLINK, [bad, 0, 0], fails(Errno::EFAULT)),
            (SYS_MPROTECT, [BASE + 1, 0, 0], fails(Errno::EINVAL)),
            (SYS_SCHED_YIELD, [0, 0, 0], Outcome::Return(0)),
            (SYS_NANOSLEEP, [bad, 0, 0], fails(Errno::EFAULT)),
            (SYS_UGETRLIMIT, [6, 0, 0], fails(Errno::EINVAL)),
            (SYS_SET_THREAD_AREA, [bad, 0, 0], fails(Errno::EFAULT)),
            (SYS_SET_TID_ADDRESS, [BASE, 0, 0], Outcome::Return(7)),
            (SYS_CLOCK_GETTIME, [99, 0, 0], fails(Errno::EINVAL)),
            (SYS_CLOCK_GETTIME64, [99, 0, 0], fails(Errno::EINVAL)),
            (SYS_CLOCK_NANOSLEEP, [11, 0, 0], fails(Errno::EOPNOTSUPP)),
            (SYS_CLOCK_NANOSLEEP_TIME64, [11, 0, 0], fails(Errno::EOPNOTSUPP)),
            (SYS_GETRANDOM, [BASE, 4, 8], fails(Errno::EINVAL)),
            (SYS_SET_ROBUST_LIST, [BASE, 12, 0], fails(Errno::ENOSYS)),
            (SYS_RSEQ, [BASE, 0x20, 0], fails(Errno::ENOSYS)),
        ] {
            let [a, b, c] = args;
            assert_eq!(call(&mut k, number, a, b, c), expect, "call {number}");
        }
        // statx's fifth argument (EDI) is its buffer.
        let statx = dispatch(SYS_STATX, [1, bad, 0x1000, 0x7ff, BASE, 0], &mut k);
        assert_eq!(statx, fails(Errno::EFAULT));
        assert!(k.unknown.is_empty(), "set_robust_list and rseq are refused on purpose");
    }

    #[test]
    fn exit_status_is_reported_in_8_bits() {
        assert_eq!(reported_status(44), 44);
        assert_eq!(reported_status(300), 44);
        assert_eq!(reported_status(-1), 255);
        assert_eq!(reported_status(256), 0);
    }
}
