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
//! The numbers (`numbers.rs`) and errnos (`errno.rs`) are the only copy:
//! the built-in programs' assembly (src/user/programs.rs) gets them as
//! `const` operands.
//!
//! The dispatch logic is pure: `dispatch` works through the `Services`
//! trait (`services.rs`), which the kernel implements with the current
//! process, the terminal and the scheduler (src/user/mod.rs) and the host
//! tests with plain memory. The handlers live one file per subject, each
//! named after the Linux file that holds the same calls: `file.rs`
//! (read, write, writev, lseek, ioctl), `stat.rs` (fstat64, statx,
//! readlink), `mm.rs` (mprotect), `time.rs` (the clocks and sleeps),
//! `process.rs` (set_thread_area, ugetrlimit), `misc.rs` (getrandom);
//! `uaccess.rs` holds the copies several of them need.

pub mod errno;
pub mod file;
pub mod misc;
pub mod mm;
pub mod numbers;
pub mod process;
pub mod services;
pub mod stat;
pub mod time;
pub mod uaccess;

pub use self::errno::*;
pub use self::file::{STDERR, STDIN, STDOUT};
pub use self::numbers::*;
pub use self::services::{Clock, Fault, Services};

use self::file::{ioctl, read, seek, write, writev};
use self::misc::getrandom;
use self::mm::mprotect;
use self::process::{getrlimit, set_thread_area};
use self::stat::{fstat64, readlink, statx};
use self::time::{clock_gettime, clock_nanosleep, nanosleep};

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
pub fn dispatch(number: u32, args: [u32; 6], kernel: &mut impl Services) -> Outcome {
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

#[cfg(test)]
mod tests {
    use super::file::*;
    use super::misc::*;
    use super::mm::*;
    use super::process::*;
    use super::stat::*;
    use super::time::*;
    use super::*;
    use crate::cpu::gdt::TlsDescriptors;
    use crate::cpu::paging::PAGE_SIZE;
    use crate::mm::space::Protection;
    use crate::user::abi::{self, CONSOLE_STATUS, NANOS};
    use crate::user::umem::UserRange;
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
