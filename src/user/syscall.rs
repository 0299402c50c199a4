//! The system-call interface: `int 0x80` with the Linux i386 convention,
//! so a tiny Linux-style assembly program runs unchanged.
//!
//! EAX holds the call number, EBX, ECX, EDX the arguments; the result
//! comes back in EAX, an error as a negative errno. Every pointer and
//! length from ring 3 becomes a `UserRange` (src/user/umem.rs) before the
//! kernel touches a byte, and only a `UserRange` can be copied from or
//! to, so a program cannot make the kernel read or write kernel memory on
//! its behalf.
//!
//! | EAX | call | arguments | result |
//! | --- | --- | --- | --- |
//! | 1 | exit | EBX = status | does not return |
//! | 3 | read | EBX = fd 0, ECX = buffer, EDX = length | bytes read (blocks until >= 1) |
//! | 4 | write | EBX = fd 1 or 2, ECX = buffer, EDX = length | bytes written |
//!
//! The numbers and errnos here are the only copy: the built-in programs'
//! assembly (src/user/programs.rs) gets them as `const` operands.
//!
//! The dispatch logic is pure: `dispatch` works through the `Services`
//! trait, which the kernel implements with the terminal and the console
//! (src/user/mod.rs) and the host tests implement with plain memory.

use super::umem::UserRange;

pub const SYS_EXIT: u32 = 1;
pub const SYS_READ: u32 = 3;
pub const SYS_WRITE: u32 = 4;

/// Bad file descriptor.
pub const EBADF: i32 = 9;
/// Bad address: a pointer or length outside the user region.
pub const EFAULT: i32 = 14;
/// No such system call.
pub const ENOSYS: i32 = 38;

pub const STDIN: u32 = 0;
pub const STDOUT: u32 = 1;
pub const STDERR: u32 = 2;

/// What the kernel provides to system calls.
pub trait Services {
    /// Copies the program's bytes in `from` into `to` (same length).
    fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]);
    /// Copies `from` into the program's memory at `to` (same length).
    fn copy_to_user(&mut self, from: &[u8], to: UserRange);
    /// Blocks until at least one key is available, then fills `buf` with
    /// the bytes of as many whole keys as fit; returns how many bytes.
    fn read_console(&mut self, buf: &mut [u8]) -> usize;
    /// Writes `bytes` to the console.
    fn write_console(&mut self, bytes: &[u8]);
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
    match number {
        SYS_EXIT => Outcome::Exit(ebx as i32),
        SYS_READ => Outcome::Return(read(ebx, ecx, edx, kernel)),
        SYS_WRITE => Outcome::Return(write(ebx, ecx, edx, kernel)),
        _ => Outcome::Return(-ENOSYS),
    }
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
    // Read into a kernel buffer first, then copy out: the user memory is
    // touched only by the copy.
    let mut bytes = [0u8; BOUNCE_BYTES];
    let want = (len as usize).min(bytes.len());
    let got = kernel.read_console(&mut bytes[..want]);
    let filled = user.part(0, got as u32).expect("read no more than asked");
    kernel.copy_to_user(&bytes[..got], filled);
    got as i32
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
        kernel.copy_from_user(piece, &mut bytes[..n as usize]);
        kernel.write_console(&bytes[..n as usize]);
        done += n;
    }
    len as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::paging::{USER_END, USER_START};
    use std::vec;
    use std::vec::Vec;

    /// User memory as a plain vector, keys as a byte queue, console as a log.
    struct Fake {
        memory: Vec<u8>,
        keys: Vec<u8>,
        console: Vec<u8>,
        touched: bool,
    }

    impl Fake {
        fn new() -> Fake {
            Fake {
                memory: vec![0; (USER_END - USER_START) as usize],
                keys: b"hi\n".to_vec(),
                console: Vec::new(),
                touched: false,
            }
        }
    }

    impl Fake {
        fn at(range: UserRange) -> std::ops::Range<usize> {
            let at = (range.start() - USER_START) as usize;
            at..at + range.len() as usize
        }
    }

    impl Services for Fake {
        fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]) {
            self.touched = true;
            to.copy_from_slice(&self.memory[Self::at(from)]);
        }
        fn copy_to_user(&mut self, from: &[u8], to: UserRange) {
            self.touched = true;
            self.memory[Self::at(to)].copy_from_slice(from);
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
    }

    #[test]
    fn write_copies_user_bytes_to_the_console() {
        let mut k = Fake::new();
        k.memory[16..21].copy_from_slice(b"hello");
        assert_eq!(dispatch(SYS_WRITE, 1, USER_START + 16, 5, &mut k), Outcome::Return(5));
        assert_eq!(dispatch(SYS_WRITE, 2, USER_START + 16, 5, &mut k), Outcome::Return(5));
        assert_eq!(k.console, b"hellohello");
    }

    #[test]
    fn long_writes_are_copied_in_pieces() {
        let mut k = Fake::new();
        for (i, b) in k.memory[..1000].iter_mut().enumerate() {
            *b = b'a' + (i % 26) as u8;
        }
        assert_eq!(dispatch(SYS_WRITE, 1, USER_START, 1000, &mut k), Outcome::Return(1000));
        assert_eq!(k.console, k.memory[..1000]);
    }

    #[test]
    fn read_fills_the_user_buffer() {
        let mut k = Fake::new();
        assert_eq!(dispatch(SYS_READ, 0, USER_START + 100, 2, &mut k), Outcome::Return(2));
        assert_eq!(&k.memory[100..102], b"hi");
        assert_eq!(dispatch(SYS_READ, 0, USER_START + 100, 64, &mut k), Outcome::Return(1));
        assert_eq!(k.memory[100], b'\n');
    }

    #[test]
    fn kernel_pointers_and_overruns_are_efault_and_touch_nothing() {
        let mut k = Fake::new();
        for (buf, len) in [
            (0x0010_0000, 10),
            (USER_END - 4, 5),
            (USER_START - 1, 1),
            (0xFFFF_FFFF, 2),
            (USER_START, u32::MAX),
        ] {
            assert_eq!(dispatch(SYS_WRITE, 1, buf, len, &mut k), Outcome::Return(-EFAULT));
            assert_eq!(dispatch(SYS_READ, 0, buf, len, &mut k), Outcome::Return(-EFAULT));
        }
        assert!(!k.touched);
        assert!(k.console.is_empty());
        assert_eq!(k.keys, b"hi\n", "a failed read must not consume keys");
    }

    #[test]
    fn bad_fd_and_unknown_calls() {
        let mut k = Fake::new();
        assert_eq!(dispatch(SYS_WRITE, 0, USER_START, 1, &mut k), Outcome::Return(-EBADF));
        assert_eq!(dispatch(SYS_WRITE, 3, USER_START, 1, &mut k), Outcome::Return(-EBADF));
        assert_eq!(dispatch(SYS_READ, 1, USER_START, 1, &mut k), Outcome::Return(-EBADF));
        assert_eq!(dispatch(0, 0, 0, 0, &mut k), Outcome::Return(-ENOSYS));
        assert_eq!(dispatch(999, 0, 0, 0, &mut k), Outcome::Return(-ENOSYS));
        assert_eq!(dispatch(SYS_EXIT, 7, 0, 0, &mut k), Outcome::Exit(7));
        assert_eq!(dispatch(SYS_EXIT, -1i32 as u32, 0, 0, &mut k), Outcome::Exit(-1));
    }
}
