//! The network's vocabulary for the layers above: a socket's name, an
//! IPv4 address and port, the kinds of socket, what can go wrong. Pure:
//! the system-call layer (src/user/sockcall.rs) decodes Linux's structures
//! into these, on the host too, and maps `NetError` to Linux's errnos.

/// A socket's name in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketId(pub u16);

/// An IPv4 address and port (struct sockaddr_in's contents).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Address {
    pub ip: [u8; 4],
    pub port: u16,
}

/// What went wrong, in the network's words; the system-call layer turns
/// each into Linux's errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetError {
    /// Nothing yet, and the caller will not wait (EAGAIN).
    WouldBlock,
    /// No network card (ENETDOWN).
    NoNetwork,
    /// Every socket or buffer is in use (ENOBUFS).
    NoBuffers,
    /// The port is taken (EADDRINUSE).
    AddressInUse,
    /// Not an address of this host (EADDRNOTAVAIL).
    AddressNotAvailable,
    /// The call does not fit the socket's state (EINVAL).
    Invalid,
    /// Not connected (ENOTCONN).
    NotConnected,
    /// Already connected (EISCONN).
    IsConnected,
    /// The peer refused (ECONNREFUSED).
    Refused,
    /// The peer reset the connection (ECONNRESET).
    Reset,
    /// Writing after shutdown or the peer's reset (EPIPE).
    BrokenPipe,
    /// The datagram is larger than a buffer (EMSGSIZE).
    TooLong,
    /// A datagram with nowhere to go (EDESTADDRREQ).
    NoDestination,
    /// The call is not one this kind of socket has (EOPNOTSUPP).
    NotSupported,
    /// Ctrl-C for the waiting process.
    Interrupted,
    /// A connect() started and not waited for (EINPROGRESS).
    InProgress,
    /// A connect() still under way, asked again (EALREADY).
    Already,
}

/// Which kind of socket `socket()` asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Stream,
    Datagram,
}
