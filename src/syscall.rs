//! The system-call interface: `int 0x80` with the Linux i386 convention,
//! so a tiny Linux-style assembly program runs unchanged.
//!
//! EAX holds the call number, EBX, ECX, EDX the arguments; the result
//! comes back in EAX, an error as a negative errno. Every pointer and
//! length from ring 3 is checked against the user region before the
//! kernel touches a byte, so a program cannot make the kernel read or
//! write kernel memory on its behalf.
//!
//! | EAX | call | arguments | result |
//! | --- | --- | --- | --- |
//! | 1 | exit | EBX = status | does not return |
//! | 3 | read | EBX = fd 0, ECX = buffer, EDX = length | bytes read (blocks until >= 1) |
//! | 4 | write | EBX = fd 1 or 2, ECX = buffer, EDX = length | bytes written |
//!
//! The dispatch logic is pure: `dispatch` works through a `Kernel` trait,
//! which the real kernel implements with the keyboard queue and the
//! console (src/user.rs) and the host tests implement with plain memory.

use crate::paging::user_range_ok;

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
pub trait Kernel {
    /// The user memory `[start, start + len)`, already checked to lie in
    /// the user region.
    fn user_memory(&mut self, start: u32, len: u32) -> &mut [u8];
    /// Blocks until at least one key is available, then fills `buf` with
    /// the bytes of as many whole keys as fit; returns how many bytes.
    fn read_keys(&mut self, buf: &mut [u8]) -> usize;
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
pub fn dispatch(number: u32, ebx: u32, ecx: u32, edx: u32, kernel: &mut impl Kernel) -> Outcome {
    match number {
        SYS_EXIT => Outcome::Exit(ebx as i32),
        SYS_READ => Outcome::Return(read(ebx, ecx, edx, kernel)),
        SYS_WRITE => Outcome::Return(write(ebx, ecx, edx, kernel)),
        _ => Outcome::Return(-ENOSYS),
    }
}

fn read(fd: u32, buf: u32, len: u32, kernel: &mut impl Kernel) -> i32 {
    if fd != STDIN {
        return -EBADF;
    }
    if !user_range_ok(buf, len) {
        return -EFAULT;
    }
    if len == 0 {
        return 0;
    }
    // Read into a kernel buffer first, then copy out: the user memory is
    // borrowed only for the copy.
    let mut bytes = [0u8; 256];
    let want = (len as usize).min(bytes.len());
    let got = kernel.read_keys(&mut bytes[..want]);
    kernel.user_memory(buf, got as u32).copy_from_slice(&bytes[..got]);
    got as i32
}

fn write(fd: u32, buf: u32, len: u32, kernel: &mut impl Kernel) -> i32 {
    if fd != STDOUT && fd != STDERR {
        return -EBADF;
    }
    if !user_range_ok(buf, len) {
        return -EFAULT;
    }
    let mut bytes = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(bytes.len() as u32);
        bytes[..n as usize].copy_from_slice(kernel.user_memory(buf + done, n));
        kernel.write_console(&bytes[..n as usize]);
        done += n;
    }
    len as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::{USER_END, USER_START};
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
            Fake { memory: vec![0; (USER_END - USER_START) as usize], keys: b"hi\n".to_vec(), console: Vec::new(), touched: false }
        }
    }

    impl Kernel for Fake {
        fn user_memory(&mut self, start: u32, len: u32) -> &mut [u8] {
            assert!(user_range_ok(start, len), "kernel touched unchecked memory");
            self.touched = true;
            let at = (start - USER_START) as usize;
            &mut self.memory[at..at + len as usize]
        }
        fn read_keys(&mut self, buf: &mut [u8]) -> usize {
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
        for (buf, len) in [(0x0010_0000, 10), (USER_END - 4, 5), (USER_START - 1, 1), (0xFFFF_FFFF, 2), (USER_START, u32::MAX)] {
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
