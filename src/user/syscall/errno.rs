//! The error numbers a system call answers (Linux
//! include/uapi/asm-generic/errno-base.h and errno.h): the kernel's only
//! copy, which the built-in programs' assembly gets as `const` operands.

/// No such file or directory.
pub const ENOENT: i32 = 2;
/// No such process: here, no free TLS slot (Linux's answer).
pub const ESRCH: i32 = 3;
/// Bad file descriptor.
pub const EBADF: i32 = 9;
/// Out of memory; for mprotect, a range that is not all mapped.
pub const ENOMEM: i32 = 12;
/// Bad address: a pointer or length the program may not use.
pub const EFAULT: i32 = 14;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// Not a terminal: an ioctl the console does not know.
pub const ENOTTY: i32 = 25;
/// Illegal seek: the console is not a file.
pub const ESPIPE: i32 = 29;
/// No such system call.
pub const ENOSYS: i32 = 38;
/// Not supported: for clock_nanosleep, a clock Linux knows but this
/// kernel cannot sleep on.
pub const EOPNOTSUPP: i32 = 95;
