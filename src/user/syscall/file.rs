//! Reading and writing: read, write, writev, lseek and ioctl on the
//! console (Linux fs/read_write.c, fs/ioctl.c; xv6 sysfile.c).

use super::errno::{EBADF, EFAULT, EINVAL, ENOTTY, ESPIPE};
use super::services::{Fault, Services};
use super::uaccess::{copy_out, iovec_at, BOUNCE_BYTES};
use crate::user::abi;
use crate::user::umem::UserRange;

pub const STDIN: u32 = 0;
pub const STDOUT: u32 = 1;
pub const STDERR: u32 = 2;

/// ioctl requests (asm-generic/ioctls.h).
pub const TCGETS: u32 = 0x5401;
pub const TIOCGWINSZ: u32 = 0x5413;

/// Most iovecs one writev takes (Linux's UIO_MAXIOV).
pub const IOV_MAX: u32 = 1024;

/// The console's file descriptors: stdin, stdout, stderr.
pub(super) fn is_console(fd: u32) -> bool {
    fd <= STDERR
}

pub(super) fn read(fd: u32, buf: u32, len: u32, kernel: &mut impl Services) -> i32 {
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

pub(super) fn write(fd: u32, buf: u32, len: u32, kernel: &mut impl Services) -> i32 {
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
    //~ -super::errno::ENOSYS
    // LAB 6 END
}

/// Writes `user` to the console, 256 bytes at a time: Ok(all of it), or
/// Err(bytes written before a page the program may not read).
pub(super) fn write_range(user: UserRange, kernel: &mut impl Services) -> Result<i32, i32> {
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
pub(super) fn writev(fd: u32, iov: u32, count: u32, kernel: &mut impl Services) -> i32 {
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

/// lseek and _llseek: the console is a terminal, which has no position.
/// glibc seeks when a program exits with input read ahead into stdin's
/// buffer (to give it back to the file); a terminal answers -ESPIPE, as
/// Linux's does, and glibc lets it be.
pub(super) fn seek(fd: u32) -> i32 {
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
pub(super) fn ioctl(fd: u32, request: u32, argument: u32, kernel: &mut impl Services) -> i32 {
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
