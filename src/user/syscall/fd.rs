//! The calls on file descriptors as such: close, dup, dup2, fcntl, and
//! where read, write and the other fd calls go when the descriptor is
//! not the console (a socket, or nothing at all).
//!
//! `dispatch` (mod.rs) asks `route` first. It answers for the calls it
//! owns, and for an fd call whose descriptor is closed (EBADF) or a
//! socket; a call on the console falls through to the console's own code
//! in file.rs and stat.rs, unchanged. The table itself is src/files.rs;
//! the sockets are net.rs and src/net/.

use super::errno::{Errno, SysResult};
use super::net::{self, SYS_RECV, SYS_SEND};
use super::numbers::*;
use super::services::{Descriptors, Socket};
use crate::files::{File, Open};

/// fcntl's commands and flags (asm-generic/fcntl.h).
pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const F_DUPFD_CLOEXEC: u32 = 1030;
pub const O_RDWR: u32 = 2;
pub const O_NONBLOCK: u32 = 0o4000;

/// The answer to system call `number` if it is one of the fd calls here,
/// or an fd call on something other than the console; None otherwise.
pub fn route(number: u32, args: [u32; 6], k: &mut impl Descriptors) -> Option<SysResult> {
    let [a, b, c, d, e, f] = args;
    let answer = match number {
        SYS_CLOSE => {
            if k.close(a) {
                Ok(0)
            } else {
                Err(Errno::EBADF)
            }
        }
        SYS_DUP => k.duplicate(a, 0),
        SYS_DUP2 => k.duplicate_to(a, b),
        SYS_FCNTL | SYS_FCNTL64 => fcntl(a, b, c, k),
        SYS_SOCKETCALL => net::socketcall(a, b, k),
        _ if net::direct_call(number).is_some() => {
            let call = net::direct_call(number).expect("just checked");
            net::call_with(call, [a, b, c, d, e, f], k)
        }
        SYS_READ | SYS_WRITE | SYS_WRITEV | SYS_LSEEK | SYS_LLSEEK | SYS_IOCTL | SYS_FSTAT64 => {
            match k.file(a).map(|open| open.file) {
                None => Err(Errno::EBADF),
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
fn on_socket(number: u32, fd: u32, b: u32, c: u32, k: &mut impl Descriptors) -> SysResult {
    match number {
        SYS_READ => net::call_with(SYS_RECV, [fd, b, c, 0, 0, 0], k),
        SYS_WRITE => net::call_with(SYS_SEND, [fd, b, c, 0, 0, 0], k),
        SYS_LSEEK | SYS_LLSEEK => Err(Errno::ESPIPE),
        SYS_IOCTL => Err(Errno::ENOTTY),
        // writev and fstat on sockets are not here yet: said plainly
        // rather than answered wrongly.
        _ => Err(Errno::EOPNOTSUPP),
    }
}

fn fcntl(fd: u32, command: u32, argument: u32, k: &mut impl Descriptors) -> SysResult {
    let open = k.file(fd).ok_or(Errno::EBADF)?;
    match command {
        F_DUPFD | F_DUPFD_CLOEXEC => k.duplicate(fd, argument),
        // close-on-exec: there is no exec, so nothing to close.
        F_GETFD | F_SETFD => Ok(0),
        F_GETFL => Ok(O_RDWR | if open.nonblocking { O_NONBLOCK } else { 0 }),
        F_SETFL => {
            k.set_nonblocking(fd, argument & O_NONBLOCK != 0);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// For the socket calls: what `fd` is, as a socket.
pub fn socket_at(open: Option<Open>) -> Result<Socket, Errno> {
    match open {
        None => Err(Errno::EBADF),
        Some(Open { file: File::Console, .. }) => Err(Errno::ENOTSOCK),
        Some(Open { file: File::Socket(id), nonblocking }) => Ok(Socket { id, nonblocking }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Fake, BASE};
    use super::*;

    fn call(k: &mut Fake, number: u32, a: u32, b: u32, c: u32) -> Option<SysResult> {
        route(number, [a, b, c, 0, 0, 0], k)
    }

    #[test]
    fn close_dup2_and_fcntl_work_on_the_table() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, SYS_CLOSE, 1, 0, 0), Some(Ok(0)));
        assert_eq!(call(&mut k, SYS_CLOSE, 1, 0, 0), Some(Err(Errno::EBADF)));
        // A write to the closed fd is EBADF here; on the console it is
        // file.rs's (None: not routed).
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE, 2), Some(Err(Errno::EBADF)));
        assert_eq!(call(&mut k, SYS_DUP2, 2, 1, 0), Some(Ok(1)));
        assert_eq!(call(&mut k, SYS_WRITE, 1, BASE, 2), None);
        assert_eq!(call(&mut k, SYS_DUP, 0, 0, 0), Some(Ok(3)));
        assert_eq!(call(&mut k, SYS_FCNTL64, 3, F_GETFL, 0), Some(Ok(O_RDWR)));
        assert_eq!(call(&mut k, SYS_FCNTL64, 3, F_SETFL, O_NONBLOCK), Some(Ok(0)));
        assert_eq!(call(&mut k, SYS_FCNTL64, 3, F_GETFL, 0), Some(Ok(O_RDWR | O_NONBLOCK)));
        assert_eq!(call(&mut k, SYS_FCNTL, 3, F_DUPFD, 10), Some(Ok(10)));
        assert_eq!(call(&mut k, SYS_FCNTL, 9, F_GETFL, 0), Some(Err(Errno::EBADF)));
        assert_eq!(call(&mut k, SYS_FCNTL, 3, 999, 0), Some(Err(Errno::EINVAL)));
        // Calls that are not fd.rs's are not routed.
        assert_eq!(call(&mut k, SYS_GETPID, 0, 0, 0), None);
    }

    #[test]
    fn read_and_write_on_a_socket_are_recv_and_send() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, 2, 2, 0), Some(Ok(3)));
        assert_eq!(call(&mut k, SYS_READ, 3, BASE, 2), Some(Ok(2)));
        assert_eq!(&k.memory[..2], b"po");
        k.poke(BASE, b"hey");
        assert_eq!(call(&mut k, SYS_WRITE, 3, BASE, 3), Some(Ok(3)));
        assert_eq!(k.console, b"hey");
        assert_eq!(call(&mut k, SYS_LSEEK, 3, 0, 0), Some(Err(Errno::ESPIPE)));
        assert_eq!(call(&mut k, SYS_IOCTL, 3, 0x5401, 0), Some(Err(Errno::ENOTTY)));
    }
}
