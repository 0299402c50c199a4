//! The error numbers a system call answers, as a type (Linux
//! include/uapi/asm-generic/errno-base.h and errno.h; zCore's LxError).
//!
//! A handler returns `SysResult`: `Ok(value)` for EAX, or `Err(errno)`.
//! `to_eax` is the one place that turns an errno into the negative number
//! Linux programs test for; a forgotten minus can no longer look like
//! success (glibc reads a positive answer as one). This enum is the
//! kernel's only copy of the numbers: the built-in programs' assembly
//! (src/user/programs.rs) gets them as `const` operands.

use super::services::Fault;
use crate::fd::FdError;

/// A Linux errno. The variants keep Linux's names, the ones a reader
/// finds in the man pages and in strace's output.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Errno {
    /// No such file or directory.
    ENOENT = 2,
    /// No such process: here, no free TLS slot (Linux's answer).
    ESRCH = 3,
    /// Bad file descriptor: not open, or not open for that access.
    EBADF = 9,
    /// Interrupted: a Ctrl-C ended the wait (the program then ends).
    EINTR = 4,
    /// Try again: a non-blocking read with nothing to read.
    EAGAIN = 11,
    /// Out of memory; for mprotect, a range that is not all mapped.
    ENOMEM = 12,
    /// Bad address: a pointer or length the program may not use.
    EFAULT = 14,
    /// Invalid argument.
    EINVAL = 22,
    /// Too many open files: the process's descriptor table is full.
    EMFILE = 24,
    /// Not a terminal: an ioctl the console does not know.
    ENOTTY = 25,
    /// Illegal seek: the console is not a file.
    ESPIPE = 29,
    /// No such system call.
    ENOSYS = 38,
    /// Broken pipe: a send after shutdown(SHUT_WR) or the peer's close.
    EPIPE = 32,
    /// Not a socket: a socket call on the console.
    ENOTSOCK = 88,
    /// A datagram with no address to go to.
    EDESTADDRREQ = 89,
    /// A datagram too long for a buffer.
    EMSGSIZE = 90,
    /// An option the socket level does not know.
    ENOPROTOOPT = 92,
    /// socket() with a protocol that does not fit the type.
    EPROTONOSUPPORT = 93,
    /// socket() with a type this kernel has no sockets of.
    ESOCKTNOSUPPORT = 94,
    /// Not supported: for clock_nanosleep, a clock Linux knows but this
    /// kernel cannot sleep on; a socket call this kind of socket lacks.
    EOPNOTSUPP = 95,
    /// An address family other than AF_INET.
    EAFNOSUPPORT = 97,
    /// The port is taken.
    EADDRINUSE = 98,
    /// Not an address of this host.
    EADDRNOTAVAIL = 99,
    /// There is no network card.
    ENETDOWN = 100,
    /// The peer reset the connection.
    ECONNRESET = 104,
    /// Every socket or socket buffer is in use.
    ENOBUFS = 105,
    /// connect() on a connected socket.
    EISCONN = 106,
    /// Not connected.
    ENOTCONN = 107,
    /// Nothing listens on the port connect() named.
    ECONNREFUSED = 111,
    /// connect() again while the handshake it started goes on.
    EALREADY = 114,
    /// A non-blocking connect(): the handshake has started.
    EINPROGRESS = 115,
}

impl Errno {
    /// The positive number, as in errno.h.
    pub const fn code(self) -> i32 {
        self as i32
    }
}

/// A copy that faulted is -EFAULT, unless the call says otherwise (for
/// mprotect, a page that is not mapped is -ENOMEM): so `?` works on a
/// copy inside a handler.
impl From<Fault> for Errno {
    fn from(_: Fault) -> Errno {
        Errno::EFAULT
    }
}

/// The descriptor table's refusals, as Linux answers them.
impl From<FdError> for Errno {
    fn from(error: FdError) -> Errno {
        match error {
            FdError::BadFd => Errno::EBADF,
            FdError::Full => Errno::EMFILE,
        }
    }
}

/// What a system-call handler returns: the value for EAX, or the error.
pub type SysResult = Result<u32, Errno>;

/// EAX after a call: the value, or the errno negated, as Linux returns it.
pub fn to_eax(result: SysResult) -> u32 {
    match result {
        Ok(value) => value,
        Err(errno) => errno.code().wrapping_neg() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_negated_once_and_values_pass_unchanged() {
        assert_eq!(to_eax(Err(Errno::EBADF)), -9i32 as u32);
        assert_eq!(to_eax(Err(Errno::ENOSYS)), 0xFFFF_FFDA);
        assert_eq!(to_eax(Ok(0)), 0);
        // A break above 2 GiB is a value, not an error.
        assert_eq!(to_eax(Ok(0x9000_0000)), 0x9000_0000);
    }
}
