//! The system-call numbers of Linux i386 (arch/x86/entry/syscalls/
//! syscall_32.tbl), the kernel's only copy: `dispatch` matches on them,
//! and the built-in programs' assembly (src/user/programs.rs) and the
//! benchmark's ring-3 loop (src/bench/stubs.rs) get them as `const`
//! operands. tests/user/linux.h repeats the few its programs use, for
//! gcc: the same numbers, from the same table.

pub const SYS_EXIT: u32 = 1;
pub const SYS_READ: u32 = 3;
pub const SYS_WRITE: u32 = 4;
pub const SYS_CLOSE: u32 = 6;
pub const SYS_LSEEK: u32 = 19;
pub const SYS_GETPID: u32 = 20;
pub const SYS_DUP: u32 = 41;
pub const SYS_BRK: u32 = 45;
pub const SYS_IOCTL: u32 = 54;
pub const SYS_FCNTL: u32 = 55;
pub const SYS_DUP2: u32 = 63;
pub const SYS_READLINK: u32 = 85;
pub const SYS_MPROTECT: u32 = 125;
pub const SYS_LLSEEK: u32 = 140;
pub const SYS_WRITEV: u32 = 146;
pub const SYS_SCHED_YIELD: u32 = 158;
pub const SYS_NANOSLEEP: u32 = 162;
pub const SYS_UGETRLIMIT: u32 = 191;
pub const SYS_FSTAT64: u32 = 197;
pub const SYS_FCNTL64: u32 = 221;
pub const SYS_SET_THREAD_AREA: u32 = 243;
pub const SYS_EXIT_GROUP: u32 = 252;
pub const SYS_SET_TID_ADDRESS: u32 = 258;
pub const SYS_CLOCK_GETTIME: u32 = 265;
pub const SYS_CLOCK_NANOSLEEP: u32 = 267;
pub const SYS_SET_ROBUST_LIST: u32 = 311;
pub const SYS_GETRANDOM: u32 = 355;
pub const SYS_STATX: u32 = 383;
pub const SYS_RSEQ: u32 = 386;
pub const SYS_CLOCK_GETTIME64: u32 = 403;
pub const SYS_CLOCK_NANOSLEEP_TIME64: u32 = 407;

/// Every socket call of Debian's glibc (net.rs); the direct ones,
/// 359-373, are in net.rs's DIRECT table.
pub const SYS_SOCKETCALL: u32 = 102;
