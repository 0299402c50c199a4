//! The system-call interface: `int 0x80` with the Linux i386 convention,
//! so a Linux-style program runs unchanged.
//!
//! EAX holds the call number, EBX, ECX, EDX the arguments; the result
//! comes back in EAX, an error as a negative errno. Every pointer and
//! length from ring 3 becomes a `UserRange` (src/user/umem.rs) before the
//! kernel touches a byte, and the copies themselves check every page
//! against the process's page tables, so a program cannot make the
//! kernel read or write kernel memory, or memory it does not have.
//!
//! | EAX | call | arguments | result |
//! | --- | --- | --- | --- |
//! | 1 | exit | EBX = status | does not return |
//! | 3 | read | EBX = fd 0, ECX = buffer, EDX = length | bytes read (blocks until >= 1) |
//! | 4 | write | EBX = fd 1 or 2, ECX = buffer, EDX = length | bytes written |
//! | 20 | getpid | | the pid |
//! | 45 | brk | EBX = new break, or 0 | the break (unchanged if refused) |
//! | 158 | sched_yield | | 0 |
//! | 162 | nanosleep | EBX = &timespec, ECX = &remaining (untouched) | 0, -EINVAL |
//! | 252 | exit_group | EBX = status | does not return |
//! | 265 | clock_gettime | EBX = clock, ECX = &timespec | 0, -EINVAL |
//!
//! The numbers and errnos here are the only copy: the built-in programs'
//! assembly (src/user/programs.rs) gets them as `const` operands.
//!
//! The dispatch logic is pure: `dispatch` works through the `Services`
//! trait, which the kernel implements with the current process, the
//! terminal and the scheduler (src/user/mod.rs) and the host tests with
//! plain memory.

use super::umem::UserRange;

pub const SYS_EXIT: u32 = 1;
pub const SYS_READ: u32 = 3;
pub const SYS_WRITE: u32 = 4;
pub const SYS_GETPID: u32 = 20;
pub const SYS_BRK: u32 = 45;
pub const SYS_SCHED_YIELD: u32 = 158;
pub const SYS_NANOSLEEP: u32 = 162;
pub const SYS_EXIT_GROUP: u32 = 252;
pub const SYS_CLOCK_GETTIME: u32 = 265;

/// Bad file descriptor.
pub const EBADF: i32 = 9;
/// Bad address: a pointer or length the program may not use.
pub const EFAULT: i32 = 14;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// No such system call.
pub const ENOSYS: i32 = 38;

pub const STDIN: u32 = 0;
pub const STDOUT: u32 = 1;
pub const STDERR: u32 = 2;

/// clock_gettime's clocks (Linux include/uapi/linux/time.h).
pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_MONOTONIC_RAW: u32 = 4;
pub const CLOCK_BOOTTIME: u32 = 7;

/// Nanoseconds in a second: the bound of a timespec's tv_nsec.
const NANOS: u64 = 1_000_000_000;

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
}

/// What the kernel provides to system calls.
pub trait Services {
    /// Copies the program's bytes in `from` into `to` (same length).
    fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]) -> Result<(), Fault>;
    /// Copies `from` into the program's memory at `to` (same length).
    fn copy_to_user(&mut self, from: &[u8], to: UserRange) -> Result<(), Fault>;
    /// Blocks until input is there, then fills `buf` with at most its
    /// length; returns how many bytes.
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
}

/// What the caller must do after a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Return to the program with this value in EAX.
    Return(i32),
    /// The program asked to end with this status.
    Exit(i32),
}

/// Runs system call `number` with arguments `ebx`, `ecx`, `edx`.
pub fn dispatch(number: u32, ebx: u32, ecx: u32, edx: u32, kernel: &mut impl Services) -> Outcome {
    let value = match number {
        SYS_EXIT | SYS_EXIT_GROUP => return Outcome::Exit(ebx as i32),
        SYS_READ => read(ebx, ecx, edx, kernel),
        SYS_WRITE => write(ebx, ecx, edx, kernel),
        SYS_GETPID => kernel.pid() as i32,
        SYS_BRK => kernel.brk(ebx) as i32,
        SYS_SCHED_YIELD => {
            kernel.yield_cpu();
            0
        }
        SYS_NANOSLEEP => nanosleep(ebx, ecx, kernel),
        SYS_CLOCK_GETTIME => clock_gettime(ebx, ecx, kernel),
        _ => {
            kernel.unknown(number);
            -ENOSYS
        }
    };
    Outcome::Return(value)
}

/// Bytes copied through the kernel per step of a read or write.
const BOUNCE_BYTES: usize = 256;

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
    if fd != STDOUT && fd != STDERR {
        return -EBADF;
    }
    let Some(user) = UserRange::new(buf, len) else { return -EFAULT };
    let mut bytes = [0u8; BOUNCE_BYTES];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(bytes.len() as u32);
        let piece = user.part(done, n).expect("inside the checked range");
        if kernel.copy_from_user(piece, &mut bytes[..n as usize]).is_err() {
            // Linux returns what was written before the bad page, or
            // -EFAULT if nothing was.
            return if done > 0 { done as i32 } else { -EFAULT };
        }
        kernel.write_console(&bytes[..n as usize]);
        done += n;
    }
    len as i32
}

/// A `struct timespec` of Linux i386: two 32-bit words.
fn timespec(nanoseconds: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&((nanoseconds / NANOS) as u32).to_le_bytes());
    out[4..].copy_from_slice(&((nanoseconds % NANOS) as u32).to_le_bytes());
    out
}

fn nanosleep(request: u32, remaining: u32, kernel: &mut impl Services) -> i32 {
    let Some(user) = UserRange::new(request, 8) else { return -EFAULT };
    let mut raw = [0u8; 8];
    if kernel.copy_from_user(user, &mut raw).is_err() {
        return -EFAULT;
    }
    let seconds = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let nanoseconds = i32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
    if seconds < 0 || !(0..NANOS as i32).contains(&nanoseconds) {
        return -EINVAL;
    }
    kernel.sleep(seconds as u64 * NANOS + nanoseconds as u64);
    // Linux writes `remaining` only when a signal cuts the sleep short
    // (-EINTR); here nothing does (a Ctrl-C ends the process instead), so
    // it is left alone, as Linux leaves it after a full sleep.
    let _ = remaining;
    0
}

fn clock_gettime(clock: u32, out: u32, kernel: &mut impl Services) -> i32 {
    let clock = match clock {
        CLOCK_REALTIME => Clock::Realtime,
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME => Clock::Monotonic,
        _ => return -EINVAL,
    };
    let Some(user) = UserRange::new(out, 8) else { return -EFAULT };
    let now = kernel.now(clock);
    match kernel.copy_to_user(&timespec(now), user) {
        Ok(()) => 0,
        Err(Fault) => -EFAULT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            }
        }
        fn unknown(&mut self, number: u32) {
            self.unknown.push(number);
        }
    }

    #[test]
    fn write_copies_user_bytes_to_the_console() {
        let mut k = Fake::new();
        k.memory[16..21].copy_from_slice(b"hello");
        assert_eq!(dispatch(SYS_WRITE, 1, BASE + 16, 5, &mut k), Outcome::Return(5));
        assert_eq!(dispatch(SYS_WRITE, 2, BASE + 16, 5, &mut k), Outcome::Return(5));
        assert_eq!(k.console, b"hellohello");
    }

    #[test]
    fn long_writes_are_copied_in_pieces_and_stop_at_a_bad_page() {
        let mut k = Fake::new();
        for (i, b) in k.memory[..1000].iter_mut().enumerate() {
            *b = b'a' + (i % 26) as u8;
        }
        assert_eq!(dispatch(SYS_WRITE, 1, BASE, 1000, &mut k), Outcome::Return(1000));
        assert_eq!(k.console, k.memory[..1000]);
        // 512 bytes before the end of the mapped part, 1000 asked: the
        // first two 256-byte pieces go out, then the write stops.
        assert_eq!(dispatch(SYS_WRITE, 1, BASE + SIZE - 512, 1000, &mut k), Outcome::Return(512));
    }

    #[test]
    fn read_fills_the_user_buffer() {
        let mut k = Fake::new();
        assert_eq!(dispatch(SYS_READ, 0, BASE + 100, 2, &mut k), Outcome::Return(2));
        assert_eq!(&k.memory[100..102], b"hi");
        assert_eq!(dispatch(SYS_READ, 0, BASE + 100, 64, &mut k), Outcome::Return(1));
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
            assert_eq!(dispatch(SYS_WRITE, 1, buf, len, &mut k), Outcome::Return(-EFAULT));
            assert_eq!(dispatch(SYS_READ, 0, buf, len, &mut k), Outcome::Return(-EFAULT));
        }
        assert!(k.console.is_empty());
        assert_eq!(k.keys, b"hi\n", "a failed read must not consume keys");
    }

    #[test]
    fn bad_fd_and_unknown_calls() {
        let mut k = Fake::new();
        assert_eq!(dispatch(SYS_WRITE, 0, BASE, 1, &mut k), Outcome::Return(-EBADF));
        assert_eq!(dispatch(SYS_WRITE, 3, BASE, 1, &mut k), Outcome::Return(-EBADF));
        assert_eq!(dispatch(SYS_READ, 1, BASE, 1, &mut k), Outcome::Return(-EBADF));
        assert_eq!(dispatch(0, 0, 0, 0, &mut k), Outcome::Return(-ENOSYS));
        assert_eq!(dispatch(999, 0, 0, 0, &mut k), Outcome::Return(-ENOSYS));
        assert_eq!(k.unknown, [0, 999]);
        assert_eq!(dispatch(SYS_EXIT, 7, 0, 0, &mut k), Outcome::Exit(7));
        assert_eq!(dispatch(SYS_EXIT_GROUP, -1i32 as u32, 0, 0, &mut k), Outcome::Exit(-1));
    }

    #[test]
    fn getpid_brk_and_yield() {
        let mut k = Fake::new();
        assert_eq!(dispatch(SYS_GETPID, 0, 0, 0, &mut k), Outcome::Return(7));
        assert_eq!(dispatch(SYS_BRK, 0, 0, 0, &mut k), Outcome::Return(0x0805_0000));
        assert_eq!(dispatch(SYS_BRK, 0x0806_0000, 0, 0, &mut k), Outcome::Return(0x0806_0000));
        // Refused: the break stays where it was, as Linux answers.
        assert_eq!(dispatch(SYS_BRK, 0xC000_0000, 0, 0, &mut k), Outcome::Return(0x0806_0000));
        assert_eq!(dispatch(SYS_SCHED_YIELD, 0, 0, 0, &mut k), Outcome::Return(0));
        assert_eq!(k.yields, 1);
    }

    #[test]
    fn nanosleep_and_clock_gettime_use_two_word_timespecs() {
        let mut k = Fake::new();
        k.memory[..8].copy_from_slice(&[0, 0, 0, 0, 0x00, 0x65, 0xcd, 0x1d]); // 0 s, 500,000,000 ns
        k.memory[8..16].copy_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
        let before = k.clock;
        assert_eq!(dispatch(SYS_NANOSLEEP, BASE, BASE + 8, 0, &mut k), Outcome::Return(0));
        assert_eq!(k.clock - before, 500_000_000);
        // As on Linux: the remaining time is written only for an interrupted sleep.
        assert_eq!((k.word(BASE + 8), k.word(BASE + 12)), (1, 1));
        assert_eq!(
            dispatch(SYS_CLOCK_GETTIME, CLOCK_MONOTONIC, BASE + 16, 0, &mut k),
            Outcome::Return(0)
        );
        assert_eq!((k.word(BASE + 16), k.word(BASE + 20)), (5, 500_000_000));
        assert_eq!(
            dispatch(SYS_CLOCK_GETTIME, CLOCK_REALTIME, BASE + 16, 0, &mut k),
            Outcome::Return(0)
        );
        assert_eq!(k.word(BASE + 16), 1_700_000_005);
    }

    #[test]
    fn bad_timespecs_and_clocks() {
        let mut k = Fake::new();
        k.memory[..8].copy_from_slice(&[0, 0, 0, 0, 0x00, 0xca, 0x9a, 0x3b]); // tv_nsec = 1e9
        assert_eq!(dispatch(SYS_NANOSLEEP, BASE, 0, 0, &mut k), Outcome::Return(-EINVAL));
        k.memory[..8].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]); // tv_sec = -1
        assert_eq!(dispatch(SYS_NANOSLEEP, BASE, 0, 0, &mut k), Outcome::Return(-EINVAL));
        assert_eq!(dispatch(SYS_NANOSLEEP, 0xC000_0000, 0, 0, &mut k), Outcome::Return(-EFAULT));
        assert_eq!(dispatch(SYS_CLOCK_GETTIME, 3, BASE, 0, &mut k), Outcome::Return(-EINVAL));
        assert_eq!(
            dispatch(SYS_CLOCK_GETTIME, CLOCK_MONOTONIC, 0x10, 0, &mut k),
            Outcome::Return(-EFAULT)
        );
    }
}
