//! The calls on file descriptors as such: close, dup, dup2, fcntl, and
//! where read, write and the other fd calls go when the descriptor is
//! not the console (a socket, or nothing at all).
//!
//! `dispatch` (src/user/syscall.rs) asks `route` first. It answers for
//! the calls it owns, and for an fd call whose descriptor is closed
//! (-EBADF) or a socket; a call on the console falls through to the
//! console's own code in syscall.rs, unchanged. The table itself is
//! src/files.rs; the sockets are src/user/sockcall.rs and src/net/.

use super::sockcall::{self, Sockets, ENOTSOCK, SYS_RECV, SYS_SEND};
use super::syscall::{
    EBADF, EINVAL, ENOTTY, ESPIPE, SYS_FSTAT64, SYS_IOCTL, SYS_LLSEEK, SYS_LSEEK, SYS_READ,
    SYS_WRITE, SYS_WRITEV,
};
use crate::files::{File, Open};

pub const SYS_CLOSE: u32 = 6;
pub const SYS_DUP: u32 = 41;
pub const SYS_DUP2: u32 = 63;
pub const SYS_FCNTL: u32 = 55;
pub const SYS_SOCKETCALL: u32 = 102;
pub const SYS_FCNTL64: u32 = 221;

/// fcntl's commands and flags (asm-generic/fcntl.h).
pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const F_DUPFD_CLOEXEC: u32 = 1030;
pub const O_RDWR: u32 = 2;
pub const O_NONBLOCK: u32 = 0o4000;
/// Too many open files.
pub const EMFILE: i32 = 24;

/// What the file-descriptor calls need from the kernel, beside sockets.
pub trait Descriptors: Sockets {
    /// What `fd` names, if it is open.
    fn file(&mut self, fd: u32) -> Option<Open>;
    /// Closes `fd`, releasing what it named; false if it was not open.
    fn close(&mut self, fd: u32) -> bool;
    /// Makes the lowest free fd at or above `from` name what `fd` names.
    fn duplicate(&mut self, fd: u32, from: u32) -> Result<u32, i32>;
    /// dup2(old, new).
    fn duplicate_to(&mut self, old: u32, new: u32) -> Result<u32, i32>;
    fn set_nonblocking(&mut self, fd: u32, on: bool);
}

/// The answer to system call `number` if it is one of the fd calls here,
/// or an fd call on something other than the console; None otherwise.
pub fn route(number: u32, args: [u32; 6], k: &mut impl Descriptors) -> Option<i32> {
    let [a, b, c, d, e, f] = args;
    let answer = match number {
        SYS_CLOSE => {
            if k.close(a) {
                0
            } else {
                -EBADF
            }
        }
        SYS_DUP => k.duplicate(a, 0).map_or_else(|e| e, |fd| fd as i32),
        SYS_DUP2 => k.duplicate_to(a, b).map_or_else(|e| e, |fd| fd as i32),
        SYS_FCNTL | SYS_FCNTL64 => fcntl(a, b, c, k),
        SYS_SOCKETCALL => sockcall::socketcall(a, b, k),
        _ if sockcall::direct_call(number).is_some() => {
            let call = sockcall::direct_call(number).expect("just checked");
            sockcall::call_with(call, [a, b, c, d, e, f], k)
        }
        SYS_READ | SYS_WRITE | SYS_WRITEV | SYS_LSEEK | SYS_LLSEEK | SYS_IOCTL | SYS_FSTAT64 => {
            match k.file(a).map(|open| open.file) {
                None => -EBADF,
                Some(File::Console) => return None,
                Some(File::Socket(_)) => on_socket(number, a, b, c, k),
            }
        }
        _ => return None,
    };
    Some(answer)
}

/// An fd call on a socket: read and write are recv and send without
/// flags, as on Linux; a socket has no position and is not a terminal.
fn on_socket(number: u32, fd: u32, b: u32, c: u32, k: &mut impl Descriptors) -> i32 {
    match number {
        SYS_READ => sockcall::call_with(SYS_RECV, [fd, b, c, 0, 0, 0], k),
        SYS_WRITE => sockcall::call_with(SYS_SEND, [fd, b, c, 0, 0, 0], k),
        SYS_LSEEK | SYS_LLSEEK => -ESPIPE,
        SYS_IOCTL => -ENOTTY,
        // writev and fstat on sockets are not here yet: said plainly
        // rather than answered wrongly.
        _ => -sockcall::EOPNOTSUPP,
    }
}

fn fcntl(fd: u32, command: u32, argument: u32, k: &mut impl Descriptors) -> i32 {
    let Some(open) = k.file(fd) else { return -EBADF };
    match command {
        F_DUPFD | F_DUPFD_CLOEXEC => k.duplicate(fd, argument).map_or_else(|e| e, |n| n as i32),
        // close-on-exec: there is no exec, so nothing to close.
        F_GETFD => 0,
        F_SETFD => 0,
        F_GETFL => (O_RDWR | if open.nonblocking { O_NONBLOCK } else { 0 }) as i32,
        F_SETFL => {
            k.set_nonblocking(fd, argument & O_NONBLOCK != 0);
            0
        }
        _ => -EINVAL,
    }
}

/// For the socket calls: what `fd` is, as a socket.
pub fn socket_at(open: Option<Open>) -> Result<sockcall::Socket, i32> {
    match open {
        None => Err(-EBADF),
        Some(Open { file: File::Console, .. }) => Err(-ENOTSOCK),
        Some(Open { file: File::Socket(id), nonblocking }) => {
            Ok(sockcall::Socket { id, nonblocking })
        }
    }
}
