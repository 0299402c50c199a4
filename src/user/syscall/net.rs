//! The socket system calls, as Linux i386 has them, in both forms:
//!
//! - `socketcall` (102): EBX names the call (SYS_SOCKET 1 ... SYS_ACCEPT4
//!   18), ECX points to its arguments, an array of u32 in the program's
//!   memory. Debian's static glibc (2.36, built for Linux 3.2) makes
//!   *every* socket call this way, send and recv included.
//! - the direct calls 359-373 (Linux 4.3 and later), which a glibc built
//!   for newer kernels uses: the same arguments, in registers. There is
//!   no i386 accept, send or recv: glibc makes them accept4, sendto and
//!   recvfrom.
//!
//! Both arrive at `call`, which decodes the user's structures (struct
//! sockaddr_in, the flags in `type`, MSG_*), asks the network layer
//! through `Services`, and writes the answers back (an address and its
//! length, value-result, as Linux does). Pure: the kernel implements
//! `Services` with the file-descriptor table and src/net/, the host tests
//! with plain memory.

use super::errno::{Errno, SysResult};
use super::services::{Services, Socket};
use crate::fd::{Object, OpenFile, O_NONBLOCK, O_RDWR};
use crate::net::api::{Address as SocketAddress, Kind as SocketKind, NetError};
use crate::user::umem::UserRange;

/// socketcall's call numbers (linux/net.h).
pub const SYS_SOCKET: u32 = 1;
pub const SYS_BIND: u32 = 2;
pub const SYS_CONNECT: u32 = 3;
pub const SYS_LISTEN: u32 = 4;
pub const SYS_ACCEPT: u32 = 5;
pub const SYS_GETSOCKNAME: u32 = 6;
pub const SYS_GETPEERNAME: u32 = 7;
pub const SYS_SOCKETPAIR: u32 = 8;
pub const SYS_SEND: u32 = 9;
pub const SYS_RECV: u32 = 10;
pub const SYS_SENDTO: u32 = 11;
pub const SYS_RECVFROM: u32 = 12;
pub const SYS_SHUTDOWN: u32 = 13;
pub const SYS_SETSOCKOPT: u32 = 14;
pub const SYS_GETSOCKOPT: u32 = 15;
pub const SYS_SENDMSG: u32 = 16;
pub const SYS_RECVMSG: u32 = 17;
pub const SYS_ACCEPT4: u32 = 18;
pub const SYS_RECVMMSG: u32 = 19;
pub const SYS_SENDMMSG: u32 = 20;

/// How many u32 arguments each socketcall takes (Linux net/socket.c
/// `nargs`), by call number.
pub const NARGS: [u8; 21] = [0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4];

/// The direct system calls (arch/x86/entry/syscalls/syscall_32.tbl) and
/// the socketcall each one is.
pub const DIRECT: [(u32, u32); 15] = [
    (359, SYS_SOCKET),
    (360, SYS_SOCKETPAIR),
    (361, SYS_BIND),
    (362, SYS_CONNECT),
    (363, SYS_LISTEN),
    (364, SYS_ACCEPT4),
    (365, SYS_GETSOCKOPT),
    (366, SYS_SETSOCKOPT),
    (367, SYS_GETSOCKNAME),
    (368, SYS_GETPEERNAME),
    (369, SYS_SENDTO),
    (370, SYS_SENDMSG),
    (371, SYS_RECVFROM),
    (372, SYS_RECVMSG),
    (373, SYS_SHUTDOWN),
];

/// The socketcall a direct call number is, if it is one.
pub fn direct_call(number: u32) -> Option<u32> {
    DIRECT.iter().find(|(n, _)| *n == number).map(|(_, call)| *call)
}

/// Address families, socket types and flags (linux/socket.h, net.h).
pub const AF_UNSPEC: u32 = 0;
pub const AF_UNIX: u32 = 1;
pub const AF_INET: u32 = 2;
pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
/// socket()'s type is its low 4 bits, below SOCK_MAX; the bits above are
/// flags.
pub const SOCK_TYPE_MASK: u32 = 0xf;
pub const SOCK_MAX: u32 = 11;
/// In socket()'s type and accept4()'s flags: the new fd's flags.
pub const SOCK_NONBLOCK: u32 = 0o4000;
pub const SOCK_CLOEXEC: u32 = 0o2000000;
/// Option levels beside SOL_SOCKET: the IP layer's, and the protocols'.
pub const SOL_IP: u32 = 0;
pub const IPPROTO_TCP: u32 = 6;
pub const IPPROTO_UDP: u32 = 17;
pub const SOL_SOCKET: u32 = 1;
pub const SO_REUSEADDR: u32 = 2;
pub const SO_TYPE: u32 = 3;
pub const SO_ERROR: u32 = 4;
pub const SO_KEEPALIVE: u32 = 9;
pub const SO_REUSEPORT: u32 = 15;
pub const SO_RCVBUF: u32 = 8;
pub const SO_SNDBUF: u32 = 7;
/// send/recv flags.
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_NOSIGNAL: u32 = 0x4000;
/// shutdown's `how`.
pub const SHUT_RD: u32 = 0;
pub const SHUT_WR: u32 = 1;
pub const SHUT_RDWR: u32 = 2;

/// struct sockaddr_in: family (2 bytes, host order), port (2, network
/// order), address (4, network order), 8 bytes of zero padding.
pub const SOCKADDR_IN_BYTES: u32 = 16;

/// Decodes a struct sockaddr_in of `len` bytes. Linux checks the length
/// first (EINVAL when shorter than sockaddr_in), then the family.
pub fn decode_sockaddr(bytes: &[u8]) -> Result<SocketAddress, Errno> {
    if bytes.len() < SOCKADDR_IN_BYTES as usize {
        return Err(Errno::EINVAL);
    }
    let family = u16::from_le_bytes([bytes[0], bytes[1]]);
    if u32::from(family) != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    Ok(SocketAddress {
        port: u16::from_be_bytes([bytes[2], bytes[3]]),
        ip: [bytes[4], bytes[5], bytes[6], bytes[7]],
    })
}

/// bind()'s address: a struct sockaddr_in, or AF_UNSPEC with 0.0.0.0,
/// which Linux's __inet_bind takes as AF_INET ("compatibility games",
/// for old programs that leave the family 0); AF_UNSPEC with another
/// address is EAFNOSUPPORT.
pub fn decode_bind_address(bytes: &[u8]) -> Result<SocketAddress, Errno> {
    let family = bytes.get(..2).map(|f| u32::from(u16::from_le_bytes([f[0], f[1]])));
    match decode_sockaddr(bytes) {
        Err(Errno::EAFNOSUPPORT) if family == Some(AF_UNSPEC) && bytes[4..8] == [0; 4] => {
            Ok(SocketAddress { port: u16::from_be_bytes([bytes[2], bytes[3]]), ip: [0; 4] })
        }
        other => other,
    }
}

/// Encodes `address` as a struct sockaddr_in.
pub fn encode_sockaddr(address: SocketAddress) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..2].copy_from_slice(&(AF_INET as u16).to_le_bytes());
    bytes[2..4].copy_from_slice(&address.port.to_be_bytes());
    bytes[4..8].copy_from_slice(&address.ip);
    bytes
}

/// Linux's errno for what went wrong in the network layer.
impl From<NetError> for Errno {
    fn from(e: NetError) -> Errno {
        match e {
            NetError::WouldBlock => Errno::EAGAIN,
            NetError::NoNetwork => Errno::ENETDOWN,
            NetError::NoBuffers => Errno::ENOBUFS,
            NetError::AddressInUse => Errno::EADDRINUSE,
            NetError::AddressNotAvailable => Errno::EADDRNOTAVAIL,
            NetError::Invalid => Errno::EINVAL,
            NetError::NotConnected => Errno::ENOTCONN,
            NetError::IsConnected => Errno::EISCONN,
            NetError::Refused => Errno::ECONNREFUSED,
            NetError::Reset => Errno::ECONNRESET,
            NetError::BrokenPipe => Errno::EPIPE,
            NetError::TooLong => Errno::EMSGSIZE,
            NetError::NoDestination => Errno::EDESTADDRREQ,
            NetError::NotSupported => Errno::EOPNOTSUPP,
            NetError::Interrupted => Errno::EINTR,
            NetError::InProgress => Errno::EINPROGRESS,
            NetError::Already => Errno::EALREADY,
        }
    }
}

/// Bytes moved through the kernel per step of a send or receive: one
/// full Ethernet payload, so a datagram goes in one piece.
pub const BOUNCE: usize = 1472 * 2;

/// socketcall(call, args): reads the arguments, then `call`.
pub fn socketcall(call: u32, args: u32, k: &mut impl Services) -> SysResult {
    let Some(&count) = NARGS.get(call as usize).filter(|_| call >= 1) else {
        return Err(Errno::EINVAL);
    };
    let mut raw = [0u8; 24];
    let bytes = &mut raw[..usize::from(count) * 4];
    let user = UserRange::new(args, bytes.len() as u32).ok_or(Errno::EFAULT)?;
    k.copy_from_user(user, bytes)?;
    let mut a = [0u32; 6];
    for (i, word) in raw.chunks_exact(4).enumerate() {
        a[i] = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
    }
    call_with(call, a, k)
}

/// A socket call with its arguments in hand.
pub fn call_with(call: u32, a: [u32; 6], k: &mut impl Services) -> SysResult {
    match call {
        SYS_SOCKET => socket(a[0], a[1], a[2], k),
        SYS_BIND => bind(a[0], a[1], a[2], k),
        SYS_CONNECT => connect(a[0], a[1], a[2], k),
        SYS_LISTEN => listen(a[0], a[1], k),
        SYS_ACCEPT => accept(a[0], a[1], a[2], 0, k),
        SYS_ACCEPT4 => accept(a[0], a[1], a[2], a[3], k),
        SYS_GETSOCKNAME => name(a[0], a[1], a[2], false, k),
        SYS_GETPEERNAME => name(a[0], a[1], a[2], true, k),
        SYS_SEND => send(a[0], a[1], a[2], a[3], 0, 0, k),
        SYS_SENDTO => send(a[0], a[1], a[2], a[3], a[4], a[5], k),
        SYS_RECV => receive(a[0], a[1], a[2], a[3], 0, 0, k),
        SYS_RECVFROM => receive(a[0], a[1], a[2], a[3], a[4], a[5], k),
        SYS_SHUTDOWN => shutdown(a[0], a[1], k),
        SYS_SETSOCKOPT => setsockopt(a[0], a[1], a[2], a[3], a[4], k),
        SYS_GETSOCKOPT => getsockopt(a[0], a[1], a[2], a[3], a[4], k),
        // socketpair needs AF_UNIX, sendmsg/recvmsg and the mmsg calls
        // are not here (yet): the program is told so.
        SYS_SOCKETPAIR => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EINVAL),
    }
}

/// The socket behind `fd`: EBADF if no file is open there, ENOTSOCK if
/// it is not a socket.
pub(super) fn socket_at(fd: u32, k: &mut impl Services) -> Result<Socket, Errno> {
    let file = k.file(fd).ok_or(Errno::EBADF)?;
    match file.object {
        Object::Socket(id) => Ok(Socket { id, nonblocking: file.nonblocking() }),
        Object::Console => Err(Errno::ENOTSOCK),
    }
}

/// Puts socket `id` at the lowest free descriptor, open for reading and
/// writing, with the flags socket() or accept4() asked for
/// (SOCK_NONBLOCK on the open file, SOCK_CLOEXEC on the descriptor);
/// when none is free, the socket closes again (EMFILE).
fn install(id: u16, flags: u32, k: &mut impl Services) -> SysResult {
    let status = O_RDWR | if flags & SOCK_NONBLOCK != 0 { O_NONBLOCK } else { 0 };
    let open = OpenFile { object: Object::Socket(id), flags: status };
    let fd = k.files(|table| {
        let fd = table.open(open)?;
        table.set_close_on_exec(fd, flags & SOCK_CLOEXEC != 0)?;
        Ok(fd)
    });
    fd.map_err(|e: crate::fd::FdError| {
        k.release_socket(id);
        Errno::from(e)
    })
}

/// Reads a sockaddr of `len` bytes at `at`.
fn read_sockaddr(at: u32, len: u32, k: &mut impl Services) -> Result<SocketAddress, Errno> {
    read_address(at, len, decode_sockaddr, k)
}

/// Reads `len` bytes at `at` and decodes them with `decode`.
fn read_address(
    at: u32,
    len: u32,
    decode: fn(&[u8]) -> Result<SocketAddress, Errno>,
    k: &mut impl Services,
) -> Result<SocketAddress, Errno> {
    // Linux: a length beyond sockaddr_storage (128) or negative is EINVAL.
    if len > 128 {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; 16];
    let n = len.min(SOCKADDR_IN_BYTES) as usize;
    let user = UserRange::new(at, n as u32).ok_or(Errno::EFAULT)?;
    k.copy_from_user(user, &mut bytes[..n])?;
    decode(&bytes[..n])
}

/// Writes `address` for a caller that passed `at` and `len_at` (a
/// value-result length): as much as its buffer holds, and the full
/// length in *len_at, as Linux does. Nothing when `at` is NULL.
fn write_sockaddr(
    address: SocketAddress,
    at: u32,
    len_at: u32,
    k: &mut impl Services,
) -> Result<(), Errno> {
    if at == 0 {
        return Ok(());
    }
    let mut len_bytes = [0u8; 4];
    let len_user = UserRange::new(len_at, 4).ok_or(Errno::EFAULT)?;
    k.copy_from_user(len_user, &mut len_bytes)?;
    let room = i32::from_le_bytes(len_bytes);
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let bytes = encode_sockaddr(address);
    let n = (room as u32).min(SOCKADDR_IN_BYTES);
    let user = UserRange::new(at, n).ok_or(Errno::EFAULT)?;
    k.copy_to_user(&bytes[..n as usize], user)?;
    k.copy_to_user(&SOCKADDR_IN_BYTES.to_le_bytes(), len_user)?;
    Ok(())
}

fn socket(domain: u32, kind: u32, protocol: u32, k: &mut impl Services) -> SysResult {
    // Linux's order (__sys_socket_create, __sock_create): unknown flags
    // beside the type, then the family, then a type out of range (all
    // EINVAL but the family); then the family's own answer (inet_create:
    // no such type, or a protocol the type does not have).
    let flags = kind & !SOCK_TYPE_MASK;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if domain != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    if kind & SOCK_TYPE_MASK >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    let kind = match (kind & SOCK_TYPE_MASK, protocol) {
        (SOCK_STREAM, 0 | IPPROTO_TCP) => SocketKind::Stream,
        (SOCK_DGRAM, 0 | IPPROTO_UDP) => SocketKind::Datagram,
        (SOCK_STREAM | SOCK_DGRAM, _) => return Err(Errno::EPROTONOSUPPORT),
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    let id = k.socket(kind)?;
    install(id, flags, k)
}

fn bind(fd: u32, at: u32, len: u32, k: &mut impl Services) -> SysResult {
    let s = socket_at(fd, k)?;
    let address = read_address(at, len, decode_bind_address, k)?;
    k.bind(s.id, address)?;
    Ok(0)
}

fn listen(fd: u32, backlog: u32, k: &mut impl Services) -> SysResult {
    let s = socket_at(fd, k)?;
    k.listen(s.id, backlog)?;
    Ok(0)
}

fn connect(fd: u32, at: u32, len: u32, k: &mut impl Services) -> SysResult {
    let s = socket_at(fd, k)?;
    let address = read_sockaddr(at, len, k)?;
    k.connect(s.id, address, s.nonblocking)?;
    Ok(0)
}

fn accept(fd: u32, at: u32, len_at: u32, flags: u32, k: &mut impl Services) -> SysResult {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let s = socket_at(fd, k)?;
    let (id, peer) = k.accept(s.id, s.nonblocking)?;
    let new = install(id, flags, k)?;
    write_sockaddr(peer, at, len_at, k)?;
    Ok(new)
}

fn name(fd: u32, at: u32, len_at: u32, peer: bool, k: &mut impl Services) -> SysResult {
    let s = socket_at(fd, k)?;
    let address = if peer { k.peer_address(s.id) } else { k.local_address(s.id) }?;
    if at == 0 {
        return Err(Errno::EFAULT);
    }
    write_sockaddr(address, at, len_at, k)?;
    Ok(0)
}

fn send(
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    to: u32,
    to_len: u32,
    k: &mut impl Services,
) -> SysResult {
    let s = socket_at(fd, k)?;
    let to = if to == 0 { None } else { Some(read_sockaddr(to, to_len, k)?) };
    let user = UserRange::new(buf, len).ok_or(Errno::EFAULT)?;
    send_range(s, user, to, flags & MSG_DONTWAIT != 0, k)
}

/// Sends the bytes of `user` on socket `s`: one datagram, or as much of
/// the stream as it takes (a send that sent something answers that,
/// and the error comes next time, as on Linux). write() on a socket is
/// this too (file.rs).
pub(super) fn send_range(
    s: Socket,
    user: UserRange,
    to: Option<SocketAddress>,
    dont_wait: bool,
    k: &mut impl Services,
) -> SysResult {
    let nonblocking = s.nonblocking || dont_wait;
    let len = user.len();
    let mut bytes = [0u8; BOUNCE];
    if k.kind(s.id) == SocketKind::Datagram {
        // One datagram, one piece.
        if len as usize > bytes.len() {
            return Err(Errno::EMSGSIZE);
        }
        let piece = &mut bytes[..len as usize];
        k.copy_from_user(user, piece)?;
        return Ok(k.send(s.id, piece, to, nonblocking)? as u32);
    }
    let mut done = 0u32;
    loop {
        let n = (len - done).min(bytes.len() as u32);
        let part = user.part(done, n).expect("inside the checked range");
        if k.copy_from_user(part, &mut bytes[..n as usize]).is_err() {
            return if done > 0 { Ok(done) } else { Err(Errno::EFAULT) };
        }
        match k.send(s.id, &bytes[..n as usize], to, nonblocking || done > 0) {
            Ok(sent) => done += sent as u32,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e.into()),
        }
        if done >= len {
            break;
        }
    }
    Ok(done)
}

fn receive(
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    from: u32,
    from_len: u32,
    k: &mut impl Services,
) -> SysResult {
    let s = socket_at(fd, k)?;
    let user = UserRange::new(buf, len).ok_or(Errno::EFAULT)?;
    let (n, sender) = receive_range(s, user, flags & MSG_DONTWAIT != 0, k)?;
    if let Some(sender) = sender {
        write_sockaddr(sender, from, from_len, k)?;
    }
    Ok(n)
}

/// Receives into `user` from socket `s`: bytes of the stream (0: the
/// peer closed), or one datagram (the rest of one that does not fit is
/// dropped, as Linux does); and who sent them. read() on a socket is
/// this too (file.rs).
pub(super) fn receive_range(
    s: Socket,
    user: UserRange,
    dont_wait: bool,
    k: &mut impl Services,
) -> Result<(u32, Option<SocketAddress>), Errno> {
    let nonblocking = s.nonblocking || dont_wait;
    let mut bytes = [0u8; BOUNCE];
    let want = (user.len() as usize).min(bytes.len());
    // Check the buffer first, so that a bad one consumes nothing.
    let probe = user.part(0, want as u32).expect("inside");
    k.copy_to_user(&bytes[..want], probe)?;
    let (n, sender) = k.receive(s.id, &mut bytes[..want], nonblocking)?;
    let filled = user.part(0, n as u32).expect("no more than asked");
    k.copy_to_user(&bytes[..n], filled)?;
    Ok((n as u32, sender))
}

fn shutdown(fd: u32, how: u32, k: &mut impl Services) -> SysResult {
    let s = socket_at(fd, k)?;
    let (read, write) = match how {
        SHUT_RD => (true, false),
        SHUT_WR => (false, true),
        SHUT_RDWR => (true, true),
        _ => return Err(Errno::EINVAL),
    };
    k.shutdown(s.id, read, write)?;
    Ok(0)
}

fn read_int(at: u32, len: u32, k: &mut impl Services) -> Result<u32, Errno> {
    if len < 4 {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; 4];
    let user = UserRange::new(at, 4).ok_or(Errno::EFAULT)?;
    k.copy_from_user(user, &mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

fn setsockopt(
    fd: u32,
    level: u32,
    option: u32,
    at: u32,
    len: u32,
    k: &mut impl Services,
) -> SysResult {
    let s = socket_at(fd, k)?;
    if level != SOL_SOCKET {
        return Err(Errno::ENOPROTOOPT);
    }
    let value = read_int(at, len, k)?;
    match option {
        SO_REUSEADDR => {
            k.set_reuse_address(s.id, value != 0)?;
            Ok(0)
        }
        // Accepted and not acted on: the buffers are the pools' sizes,
        // keep-alive is never sent.
        SO_KEEPALIVE | SO_RCVBUF | SO_SNDBUF => Ok(0),
        _ => Err(Errno::ENOPROTOOPT),
    }
}

fn getsockopt(
    fd: u32,
    level: u32,
    option: u32,
    at: u32,
    len_at: u32,
    k: &mut impl Services,
) -> SysResult {
    let s = socket_at(fd, k)?;
    if level != SOL_SOCKET {
        // Linux: the protocol's level, and the IP layer's, know no such
        // option (ENOPROTOOPT); any other level reaches ip_getsockopt,
        // which answers EOPNOTSUPP (setsockopt's ip_setsockopt says
        // ENOPROTOOPT: the two differ on Linux).
        let protocol = match k.kind(s.id) {
            SocketKind::Stream => IPPROTO_TCP,
            SocketKind::Datagram => IPPROTO_UDP,
        };
        let known = level == SOL_IP || level == protocol;
        return Err(if known { Errno::ENOPROTOOPT } else { Errno::EOPNOTSUPP });
    }
    let value = match option {
        SO_TYPE => match k.kind(s.id) {
            SocketKind::Stream => SOCK_STREAM,
            SocketKind::Datagram => SOCK_DGRAM,
        },
        SO_ERROR => 0,
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let len = read_int(len_at, 4, k)?;
    let n = len.min(4);
    let user = UserRange::new(at, n).ok_or(Errno::EFAULT)?;
    k.copy_to_user(&value.to_le_bytes()[..n as usize], user)?;
    let len_user = UserRange::new(len_at, 4).ok_or(Errno::EFAULT)?;
    k.copy_to_user(&n.to_le_bytes(), len_user)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Fake, BASE};
    use super::super::numbers::{SYS_READ, SYS_WRITE};
    use super::super::{dispatch, errno, Outcome};
    use super::*;
    use std::vec::Vec;

    /// A socket call as dispatch makes it: socketcall, or a direct one.
    fn call(k: &mut Fake, number: u32, args: [u32; 6]) -> SysResult {
        match number {
            SOCKETCALL => socketcall(args[0], args[1], k),
            _ => call_with(direct_call(number).expect("a socket call"), args, k),
        }
    }

    fn words(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn sockaddr(ip: [u8; 4], port: u16) -> [u8; 16] {
        encode_sockaddr(SocketAddress { ip, port })
    }

    const SOCKETCALL: u32 = super::super::numbers::SYS_SOCKETCALL;

    #[test]
    fn socketcall_reads_its_arguments_from_user_memory() {
        let mut k = Fake::new();
        // socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), arguments at BASE.
        k.poke(BASE, &words(&[2, 2 | SOCK_NONBLOCK, 0]));
        assert_eq!(call(&mut k, SOCKETCALL, [SYS_SOCKET, BASE, 0, 0, 0, 0]), Ok(3));
        assert!(k.files.get(3).unwrap().nonblocking());
        // bind(3, &addr, 16): 0.0.0.0:5555, the port in network order.
        k.poke(BASE + 64, &sockaddr([0; 4], 5555));
        k.poke(BASE, &words(&[3, BASE + 64, 16]));
        assert_eq!(call(&mut k, SOCKETCALL, [SYS_BIND, BASE, 0, 0, 0, 0]), Ok(0));
        assert_eq!(k.bound, [(4, SocketAddress { ip: [0; 4], port: 5555 })]);
        // The direct call (361) takes the same arguments in registers.
        assert_eq!(call(&mut k, 361, [3, BASE + 64, 16, 0, 0, 0]), Ok(0));
        // Arguments on a page the program does not have; no such call.
        assert_eq!(call(&mut k, SOCKETCALL, [SYS_BIND, 0x1000, 0, 0, 0, 0]), Err(Errno::EFAULT));
        assert_eq!(call(&mut k, SOCKETCALL, [99, BASE, 0, 0, 0, 0]), Err(Errno::EINVAL));
        assert_eq!(call(&mut k, SOCKETCALL, [0, BASE, 0, 0, 0, 0]), Err(Errno::EINVAL));
    }

    #[test]
    fn the_arguments_are_checked_as_linux_checks_them() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, [10, 1, 0, 0, 0, 0]), Err(Errno::EAFNOSUPPORT));
        assert_eq!(call(&mut k, 359, [2, 3, 0, 0, 0, 0]), Err(Errno::ESOCKTNOSUPPORT));
        assert_eq!(call(&mut k, 359, [2, 1, 17, 0, 0, 0]), Err(Errno::EPROTONOSUPPORT));
        assert_eq!(call(&mut k, 359, [2, 2, 0, 0, 0, 0]), Ok(3));
        let mut unix = sockaddr([0; 4], 7);
        unix[0] = 1; // AF_UNIX
        k.poke(BASE, &unix);
        assert_eq!(call(&mut k, 361, [3, BASE, 16, 0, 0, 0]), Err(Errno::EAFNOSUPPORT));
        // Too short for a sockaddr_in: EINVAL comes before the family.
        assert_eq!(call(&mut k, 361, [3, BASE, 8, 0, 0, 0]), Err(Errno::EINVAL));
        k.poke(BASE, &sockaddr([0; 4], 80));
        assert_eq!(call(&mut k, 361, [3, BASE, 16, 0, 0, 0]), Err(Errno::EADDRINUSE));
        // The console is not a socket; fd 9 is not open.
        assert_eq!(call(&mut k, 361, [1, BASE, 16, 0, 0, 0]), Err(Errno::ENOTSOCK));
        assert_eq!(call(&mut k, 361, [9, BASE, 16, 0, 0, 0]), Err(Errno::EBADF));
        // setsockopt(SO_REUSEADDR) needs an int.
        k.poke(BASE + 32, &1u32.to_le_bytes());
        assert_eq!(call(&mut k, 366, [3, SOL_SOCKET, SO_REUSEADDR, BASE + 32, 4, 0]), Ok(0));
        assert_eq!(
            call(&mut k, 366, [3, SOL_SOCKET, SO_REUSEADDR, BASE + 32, 2, 0]),
            Err(Errno::EINVAL)
        );
        assert_eq!(call(&mut k, 366, [3, 6, 1, BASE + 32, 4, 0]), Err(Errno::ENOPROTOOPT));
    }

    #[test]
    fn socket_checks_flags_then_family_then_type_as_linux_does() {
        let mut k = Fake::new();
        // Unknown flag bits above the type: EINVAL, before the family.
        assert_eq!(call(&mut k, 359, [200, 99, 0, 0, 0, 0]), Err(Errno::EINVAL));
        assert_eq!(call(&mut k, 359, [2, 2 | 0x10000, 0, 0, 0, 0]), Err(Errno::EINVAL));
        assert_eq!(call(&mut k, 359, [200, 1, 0, 0, 0, 0]), Err(Errno::EAFNOSUPPORT));
        // A type past SOCK_MAX is EINVAL; one below it that AF_INET
        // lacks (SOCK_RDM) is ESOCKTNOSUPPORT.
        assert_eq!(call(&mut k, 359, [2, 15, 0, 0, 0, 0]), Err(Errno::EINVAL));
        assert_eq!(call(&mut k, 359, [2, 4, 0, 0, 0, 0]), Err(Errno::ESOCKTNOSUPPORT));
        let flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
        assert_eq!(call(&mut k, 359, [2, 2 | flags, 17, 0, 0, 0]), Ok(3));
    }

    #[test]
    fn getsockopt_on_an_unknown_level_is_eopnotsupp_and_setsockopt_enoprotoopt() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, [2, 2, 0, 0, 0, 0]), Ok(3));
        k.poke(BASE + 4, &4u32.to_le_bytes());
        let get = |k: &mut Fake, level| call(k, 365, [3, level, 1, BASE, BASE + 4, 0]);
        assert_eq!(get(&mut k, 12345), Err(Errno::EOPNOTSUPP));
        // The fake's sockets are UDP: TCP's level is another protocol's.
        assert_eq!(get(&mut k, IPPROTO_TCP), Err(Errno::EOPNOTSUPP));
        assert_eq!(get(&mut k, IPPROTO_UDP), Err(Errno::ENOPROTOOPT));
        assert_eq!(get(&mut k, SOL_IP), Err(Errno::ENOPROTOOPT));
        // SOL_SOCKET is answered as before: SO_DEBUG (1) is unknown here.
        assert_eq!(get(&mut k, SOL_SOCKET), Err(Errno::ENOPROTOOPT));
        assert_eq!(call(&mut k, 365, [3, SOL_SOCKET, SO_TYPE, BASE, BASE + 4, 0]), Ok(0));
        assert_eq!(k.word(BASE), SOCK_DGRAM);
        k.poke(BASE, &1u32.to_le_bytes());
        assert_eq!(call(&mut k, 366, [3, 12345, 1, BASE, 4, 0]), Err(Errno::ENOPROTOOPT));
    }

    #[test]
    fn bind_takes_af_unspec_for_af_inet_with_0_0_0_0_only() {
        let mut unspec = sockaddr([0; 4], 7000);
        unspec[..2].copy_from_slice(&0u16.to_le_bytes());
        let any = SocketAddress { ip: [0; 4], port: 7000 };
        assert_eq!(decode_bind_address(&unspec), Ok(any));
        assert_eq!(decode_sockaddr(&unspec), Err(Errno::EAFNOSUPPORT));
        unspec[4..8].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(decode_bind_address(&unspec), Err(Errno::EAFNOSUPPORT));
        assert_eq!(decode_bind_address(&unspec[..8]), Err(Errno::EINVAL));
        let mut unix = sockaddr([0; 4], 7000);
        unix[0] = AF_UNIX as u8;
        assert_eq!(decode_bind_address(&unix), Err(Errno::EAFNOSUPPORT));
        // Through the call: the fake records what bind was given.
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, [2, 1, 0, 0, 0, 0]), Ok(3));
        let mut unspec = sockaddr([0; 4], 7000);
        unspec[0] = 0;
        k.poke(BASE, &unspec);
        assert_eq!(call(&mut k, 361, [3, BASE, 16, 0, 0, 0]), Ok(0));
        assert_eq!(k.bound, [(4, any)]);
    }

    #[test]
    fn a_connect_not_waited_for_is_einprogress_then_ealready() {
        assert_eq!(Errno::from(NetError::InProgress), Errno::EINPROGRESS);
        assert_eq!(Errno::from(NetError::Already), Errno::EALREADY);
        assert_eq!(to_eax_of(NetError::InProgress), -115i32 as u32);
        assert_eq!(to_eax_of(NetError::Already), -114i32 as u32);
    }

    fn to_eax_of(e: NetError) -> u32 {
        super::super::errno::to_eax(Err(e.into()))
    }

    #[test]
    fn accept_and_recvfrom_write_the_address_back_value_result() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, [2, 1, 0, 0, 0, 0]), Ok(3));
        // accept4(3, &addr, &len = 16, 0)
        k.poke(BASE + 32, &16u32.to_le_bytes());
        assert_eq!(call(&mut k, 364, [3, BASE, BASE + 32, 0, 0, 0]), Ok(4));
        assert_eq!(k.memory[..16], sockaddr([10, 0, 2, 2], 40000));
        assert_eq!(k.word(BASE + 32), 16);
        // A short buffer gets what fits; the length says the whole.
        k.memory[..16].fill(0xAA);
        k.poke(BASE + 32, &4u32.to_le_bytes());
        assert_eq!(call(&mut k, 364, [3, BASE, BASE + 32, 0, 0, 0]), Ok(5));
        assert_eq!(k.memory[..5], [2, 0, 0x9C, 0x40, 0xAA]);
        assert_eq!(k.word(BASE + 32), 16);
        // recvfrom(4, buf, 100, 0, &from, &len)
        k.poke(BASE + 32, &16u32.to_le_bytes());
        assert_eq!(call(&mut k, 371, [4, BASE + 100, 100, 0, BASE, BASE + 32]), Ok(4));
        assert_eq!(&k.memory[100..104], b"pong");
        assert_eq!(k.memory[..16], sockaddr([10, 0, 2, 2], 9));
        // A non-blocking accept with nothing there is EAGAIN.
        assert_eq!(call(&mut k, 359, [2, 1 | SOCK_NONBLOCK, 0, 0, 0, 0]), Ok(6));
        assert_eq!(call(&mut k, 364, [6, 0, 0, 0, 0, 0]), Err(Errno::EAGAIN));
        assert_eq!(call(&mut k, 364, [3, 0, 0, 7, 0, 0]), Err(Errno::EINVAL));
    }

    #[test]
    fn read_and_write_on_a_socket_are_recv_and_send() {
        let mut k = Fake::new();
        assert_eq!(call(&mut k, 359, [2, 2, 0, 0, 0, 0]), Ok(3));
        let eax = |r: SysResult| Outcome::Return(errno::to_eax(r));
        assert_eq!(dispatch(SYS_READ, [3, BASE, 2, 0, 0, 0], &mut k), eax(Ok(2)));
        assert_eq!(&k.memory[..2], b"po");
        k.poke(BASE, b"hey");
        assert_eq!(dispatch(SYS_WRITE, [3, BASE, 3, 0, 0, 0], &mut k), eax(Ok(3)));
        assert_eq!(k.console, b"hey");
        // Closing the last descriptor releases the socket; a dup keeps it.
        assert_eq!(dispatch(41, [3, 0, 0, 0, 0, 0], &mut k), eax(Ok(4)));
        assert_eq!(dispatch(6, [3, 0, 0, 0, 0, 0], &mut k), eax(Ok(0)));
        assert!(k.released.is_empty());
        assert_eq!(dispatch(6, [4, 0, 0, 0, 0, 0], &mut k), eax(Ok(0)));
        assert_eq!(k.released, [4]);
        // The console is not a socket.
        assert_eq!(call(&mut k, 367, [0, BASE, BASE + 16, 0, 0, 0]), Err(Errno::ENOTSOCK));
    }

    #[test]
    fn every_socketcall_has_its_argument_count() {
        assert_eq!(NARGS[SYS_RECVFROM as usize], 6);
        assert_eq!(NARGS[SYS_ACCEPT4 as usize], 4);
        assert_eq!(NARGS[SYS_SHUTDOWN as usize], 2);
        assert_eq!(direct_call(364), Some(SYS_ACCEPT4));
        assert_eq!(direct_call(358), None);
        let linux_numbers: Vec<u32> = DIRECT.iter().map(|(n, _)| *n).collect();
        assert_eq!(linux_numbers, (359..=373).collect::<Vec<_>>());
    }
}
