//! Reading and writing through a descriptor: read, write, writev,
//! lseek and ioctl (Linux fs/read_write.c, fs/ioctl.c; xv6 sysfile.c).
//! Each finds the descriptor's open file in the process's table
//! (src/fd.rs), -EBADF if it is not open (or not open for that access),
//! and then acts on its object: today always the console.

use super::errno::{Errno, SysResult};
use super::net;
use super::services::{Services, Socket};
use super::uaccess::{copy_out, iovec_at, BOUNCE_BYTES};
use crate::fd::{Object, OpenFile};
use crate::user::abi;
use crate::user::umem::UserRange;

/// ioctl requests (asm-generic/ioctls.h).
pub const TCGETS: u32 = 0x5401;
pub const TIOCGWINSZ: u32 = 0x5413;

/// Most iovecs one writev takes (Linux's UIO_MAXIOV).
pub const IOV_MAX: u32 = 1024;

/// The open file behind `fd` if it is open for reading, else EBADF.
fn readable(fd: u32, kernel: &mut impl Services) -> Result<OpenFile, Errno> {
    kernel.file(fd).filter(OpenFile::readable).ok_or(Errno::EBADF)
}

/// The open file behind `fd` if it is open for writing, else EBADF.
fn writable(fd: u32, kernel: &mut impl Services) -> Result<OpenFile, Errno> {
    kernel.file(fd).filter(OpenFile::writable).ok_or(Errno::EBADF)
}

pub(super) fn read(fd: u32, buf: u32, len: u32, kernel: &mut impl Services) -> SysResult {
    let file = readable(fd, kernel)?;
    let user = UserRange::new(buf, len).ok_or(Errno::EFAULT)?;
    if user.is_empty() {
        return Ok(0);
    }
    match file.object {
        Object::Console => read_console(user, file.nonblocking(), kernel),
        // recv without flags, as on Linux.
        Object::Socket(id) => {
            let socket = Socket { id, nonblocking: file.nonblocking() };
            Ok(net::receive_range(socket, user, false, kernel)?.0)
        }
    }
}

/// A read of the console: one line at most (src/terminal/). It waits
/// for a line unless the open file is O_NONBLOCK: then, with no line
/// there, -EAGAIN, as a Linux terminal answers.
fn read_console(user: UserRange, nonblocking: bool, kernel: &mut impl Services) -> SysResult {
    // Check the buffer before waiting for input, so that a bad buffer
    // consumes nothing; then read into a kernel buffer and copy out.
    let mut bytes = [0u8; BOUNCE_BYTES];
    let want = (user.len() as usize).min(bytes.len());
    let probe = user.part(0, want as u32).expect("inside the checked range");
    kernel.copy_to_user(&bytes[..want], probe)?;
    let got = kernel.read_console(&mut bytes[..want], nonblocking).ok_or(Errno::EAGAIN)?;
    let filled = user.part(0, got as u32).expect("read no more than asked");
    kernel.copy_to_user(&bytes[..got], filled)?;
    Ok(got as u32)
}

pub(super) fn write(fd: u32, buf: u32, len: u32, kernel: &mut impl Services) -> SysResult {
    // LAB 6 BEGIN: write(fd, buf, len) to the console
    let file = writable(fd, kernel)?;
    let user = UserRange::new(buf, len).ok_or(Errno::EFAULT)?;
    match file.object {
        Object::Console => match write_range(user, kernel) {
            Ok(written) => Ok(written),
            // Linux returns what was written before the bad page, or
            // -EFAULT if nothing was.
            Err(0) => Err(Errno::EFAULT),
            Err(written) => Ok(written),
        },
        // send without flags, as on Linux.
        Object::Socket(id) => {
            let socket = Socket { id, nonblocking: file.nonblocking() };
            net::send_range(socket, user, None, false, kernel)
        }
    }
    //~ // YOUR CODE HERE: the fd must be open for writing (`writable` gives
    //~ // its open file, or Err(Errno::EBADF)); the buffer must make a
    //~ // UserRange (else Err(Errno::EFAULT)); for the console, write_range
    //~ // does the copying and tells how much it wrote before a bad page
    //~ // (none at all: EFAULT).
    //~ let _ = (fd, buf, len, kernel, Object::Console);
    //~ Err(Errno::ENOSYS)
    // LAB 6 END
}

/// Writes `user` to the console, 256 bytes at a time: Ok(all of it), or
/// Err(bytes written before a page the program may not read). O_NONBLOCK
/// is not honoured here: a console write waits only for COM1's queue to
/// drain, never for a person.
fn write_range(user: UserRange, kernel: &mut impl Services) -> Result<u32, u32> {
    let mut bytes = [0u8; BOUNCE_BYTES];
    let mut done = 0;
    while done < user.len() {
        let n = (user.len() - done).min(bytes.len() as u32);
        let piece = user.part(done, n).expect("inside the checked range");
        if kernel.copy_from_user(piece, &mut bytes[..n as usize]).is_err() {
            return Err(done);
        }
        kernel.write_console(&bytes[..n as usize]);
        done += n;
    }
    Ok(done)
}

/// writev: the buffers of an iovec array, one after the other. glibc
/// uses it where several pieces make one message (its fatal-error
/// messages, `assert`). As on Linux: every iovec is checked (a total
/// beyond 2 GiB is -EINVAL, a buffer outside user space -EFAULT) before
/// anything is written; a page that turns out unreadable stops the
/// write, and the bytes written before it are the answer.
pub(super) fn writev(fd: u32, iov: u32, count: u32, kernel: &mut impl Services) -> SysResult {
    let file = writable(fd, kernel)?;
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let array = UserRange::new(iov, count * 8).ok_or(Errno::EFAULT)?;
    let mut total: u32 = 0;
    for i in 0..count {
        let (base, len) = iovec_at(array, i, kernel)?;
        total = match total.checked_add(len) {
            Some(t) if t <= i32::MAX as u32 => t,
            _ => return Err(Errno::EINVAL),
        };
        UserRange::new(base, len).ok_or(Errno::EFAULT)?;
    }
    let mut done = 0;
    for i in 0..count {
        // The array was readable a moment ago; if it is not now, stop.
        let Ok((base, len)) = iovec_at(array, i, kernel) else { break };
        let user = UserRange::new(base, len).expect("checked above");
        let written = match file.object {
            Object::Console => write_range(user, kernel),
            // Each buffer as a send: a datagram socket sends one datagram
            // per buffer here, where Linux would send them as one.
            Object::Socket(id) => {
                let socket = Socket { id, nonblocking: file.nonblocking() };
                net::send_range(socket, user, None, false, kernel).map_err(|_| 0)
            }
        };
        match written {
            Ok(n) => done += n,
            Err(n) if done + n > 0 => return Ok(done + n),
            Err(_) => return Err(Errno::EFAULT),
        }
    }
    Ok(done)
}

/// lseek and _llseek: the console is a terminal, which has no position.
/// glibc seeks when a program exits with input read ahead into stdin's
/// buffer (to give it back to the file); a terminal answers -ESPIPE, as
/// Linux's does, and glibc lets it be.
pub(super) fn seek(fd: u32, kernel: &mut impl Services) -> SysResult {
    match kernel.file(fd).ok_or(Errno::EBADF)?.object {
        Object::Console | Object::Socket(_) => Err(Errno::ESPIPE),
    }
}

/// ioctl on the console: TCGETS (tcgetattr, and glibc's isatty) and
/// TIOCGWINSZ (the screen's size). glibc's stdio calls isatty on a stream
/// whose fstat says "character device", and line-buffers stdout when it
/// answers yes: so output appears line by line, as on a Linux terminal.
/// Other requests, setting the terminal among them: -ENOTTY. Any open
/// descriptor of the console will do, whatever its access mode.
pub(super) fn ioctl(fd: u32, request: u32, argument: u32, kernel: &mut impl Services) -> SysResult {
    match kernel.file(fd).ok_or(Errno::EBADF)?.object {
        Object::Console => match request {
            TCGETS => copy_out(&abi::termios(), argument, kernel)?,
            TIOCGWINSZ => copy_out(&abi::winsize(), argument, kernel)?,
            _ => return Err(Errno::ENOTTY),
        },
        Object::Socket(_) => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::O_NONBLOCK;
    use crate::user::syscall::fake::{Fake, BASE, SIZE};
    use std::vec::Vec;
    use Errno::*;

    #[test]
    fn write_copies_user_bytes_to_the_console() {
        let mut k = Fake::new();
        k.poke(BASE + 16, b"hello");
        assert_eq!(write(1, BASE + 16, 5, &mut k), Ok(5));
        assert_eq!(write(2, BASE + 16, 5, &mut k), Ok(5));
        assert_eq!(k.console, b"hellohello");
    }

    #[test]
    fn long_writes_are_copied_in_pieces_and_stop_at_a_bad_page() {
        let mut k = Fake::new();
        for (i, b) in k.memory[..1000].iter_mut().enumerate() {
            *b = b'a' + (i % 26) as u8;
        }
        assert_eq!(write(1, BASE, 1000, &mut k), Ok(1000));
        assert_eq!(k.console, k.memory[..1000]);
        // 512 bytes before the end of the mapped part, 1000 asked: the
        // first two 256-byte pieces go out, then the write stops.
        assert_eq!(write(1, BASE + SIZE - 512, 1000, &mut k), Ok(512));
    }

    #[test]
    fn read_fills_the_user_buffer() {
        let mut k = Fake::new();
        assert_eq!(read(0, BASE + 100, 2, &mut k), Ok(2));
        assert_eq!(&k.memory[100..102], b"hi");
        assert_eq!(read(0, BASE + 100, 64, &mut k), Ok(1));
        assert_eq!(k.memory[100], b'\n');
        assert_eq!(read(0, BASE + 100, 0, &mut k), Ok(0));
    }

    #[test]
    fn a_nonblocking_read_with_no_input_is_eagain() {
        let mut k = Fake::new();
        let flags = k.files.get(0).unwrap().flags;
        k.files.set_flags(0, flags | O_NONBLOCK).unwrap();
        assert_eq!(read(0, BASE, 64, &mut k), Ok(3), "input there: read at once");
        assert_eq!(read(0, BASE, 64, &mut k), Err(EAGAIN));
        k.files.set_flags(0, flags).unwrap();
        assert_eq!(read(0, BASE, 64, &mut k), Ok(0), "blocking: the end of the input");
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
            assert_eq!(write(1, buf, len, &mut k), Err(EFAULT));
            assert_eq!(read(0, buf, len, &mut k), Err(EFAULT));
        }
        assert!(k.console.is_empty());
        assert_eq!(k.keys, b"hi\n", "a failed read must not consume keys");
    }

    #[test]
    fn closed_fds_and_the_wrong_access_are_ebadf() {
        let mut k = Fake::new();
        assert_eq!(write(0, BASE, 1, &mut k), Err(EBADF), "stdin is open for reading only");
        assert_eq!(write(3, BASE, 1, &mut k), Err(EBADF));
        assert_eq!(read(1, BASE, 1, &mut k), Err(EBADF), "stdout is open for writing only");
        assert_eq!(read(3, BASE, 1, &mut k), Err(EBADF));
        // The fd is checked before the buffer, as on Linux.
        assert_eq!(write(9, 0xC000_0000, 1, &mut k), Err(EBADF));
        // A closed stdout is closed for every call.
        k.files.close(1).unwrap();
        assert_eq!(write(1, BASE, 1, &mut k), Err(EBADF));
        assert_eq!(writev(1, BASE, 0, &mut k), Err(EBADF));
        assert_eq!(ioctl(1, TCGETS, BASE, &mut k), Err(EBADF));
        assert_eq!(seek(1, &mut k), Err(EBADF));
        // A dup of stderr writes as stderr does.
        assert_eq!(k.files.dup(2, 0, false), Ok(1));
        k.poke(BASE, b"x");
        assert_eq!(write(1, BASE, 1, &mut k), Ok(1));
        assert_eq!(k.console, b"x");
    }

    #[test]
    fn writev_writes_every_buffer_in_order() {
        let mut k = Fake::new();
        k.poke(BASE + 100, b"hello, ");
        k.poke(BASE + 200, b"world\n");
        let mut iov = Vec::new();
        for (base, len) in [(BASE + 100, 7u32), (BASE + 300, 0), (BASE + 200, 6)] {
            iov.extend_from_slice(&base.to_le_bytes());
            iov.extend_from_slice(&len.to_le_bytes());
        }
        k.poke(BASE + 16, &iov);
        assert_eq!(writev(1, BASE + 16, 3, &mut k), Ok(13));
        assert_eq!(k.console, b"hello, world\n");
        assert_eq!(writev(2, BASE + 16, 0, &mut k), Ok(0));
    }

    #[test]
    fn writev_checks_everything_before_writing() {
        let mut k = Fake::new();
        let entry = |base: u32, len: u32| [base.to_le_bytes(), len.to_le_bytes()].concat();
        k.poke(BASE, &[entry(BASE + 100, 5), entry(0xC000_0000, 4)].concat());
        assert_eq!(writev(1, BASE, 2, &mut k), Err(EFAULT));
        k.poke(BASE, &[entry(BASE + 100, 5), entry(BASE, 0x7FFF_FFFF)].concat());
        assert_eq!(writev(1, BASE, 2, &mut k), Err(EINVAL));
        assert!(k.console.is_empty(), "nothing written before the checks pass");
        assert_eq!(writev(1, BASE, 1025, &mut k), Err(EINVAL));
        assert_eq!(writev(1, 0xBFFF_FFFC, 1, &mut k), Err(EFAULT));
        assert_eq!(writev(0, BASE, 1, &mut k), Err(EBADF));
        // A buffer in user space but not mapped: what came before is written.
        k.poke(BASE, &[entry(BASE + 100, 5), entry(BASE + SIZE - 2, 8)].concat());
        assert_eq!(writev(1, BASE, 2, &mut k), Ok(5));
    }

    #[test]
    fn ioctl_knows_tcgets_and_tiocgwinsz_on_the_console_only() {
        let mut k = Fake::new();
        for fd in 0..3 {
            assert_eq!(ioctl(fd, TCGETS, BASE + 64, &mut k), Ok(0));
            assert_eq!(k.memory[64..100], abi::termios());
            assert_eq!(ioctl(fd, TIOCGWINSZ, BASE, &mut k), Ok(0));
            assert_eq!(k.memory[..8], abi::winsize());
        }
        assert_eq!(ioctl(1, 0x5402, BASE, &mut k), Err(ENOTTY)); // TCSETS
        assert_eq!(ioctl(3, TCGETS, BASE, &mut k), Err(EBADF));
        assert_eq!(ioctl(1, TCGETS, 0xC000_0000, &mut k), Err(EFAULT));
        assert_eq!(ioctl(1, TIOCGWINSZ, 0x10, &mut k), Err(EFAULT));
    }

    #[test]
    fn the_console_cannot_seek() {
        let mut k = Fake::new();
        for fd in [0, 1, 2] {
            assert_eq!(seek(fd, &mut k), Err(ESPIPE));
        }
        assert_eq!(seek(3, &mut k), Err(EBADF));
    }
}
