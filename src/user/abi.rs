//! The Linux i386 structures of the system calls, as bytes.
//!
//! Each function either returns exactly what Linux i386 would copy out,
//! laid out as the kernel's own headers declare it (`struct timespec`,
//! `struct __kernel_timespec`, `struct stat64`, `struct statx`, `struct
//! termios`, `struct winsize`, `struct rlimit`), or reads what a program
//! passes in as Linux reads it (`struct iovec`, the timespecs of the
//! sleeps). The offsets were checked against the headers with `offsetof`
//! under `gcc -m32`; the host tests pin them. Pure: no memory of the
//! program is touched here.

/// Nanoseconds in a second.
pub const NANOS: u64 = 1_000_000_000;

/// Writes `value` at `at` in `out`, little-endian.
fn put(out: &mut [u8], at: usize, value: &[u8]) {
    out[at..at + value.len()].copy_from_slice(value);
}

/// `struct timespec` of Linux i386: two 32-bit words (seconds, nanoseconds).
pub fn timespec(nanoseconds: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    put(&mut out, 0, &((nanoseconds / NANOS) as u32).to_le_bytes());
    put(&mut out, 4, &((nanoseconds % NANOS) as u32).to_le_bytes());
    out
}

/// `struct __kernel_timespec` (clock_gettime64): two 64-bit words.
pub fn timespec64(nanoseconds: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    put(&mut out, 0, &(nanoseconds / NANOS).to_le_bytes());
    put(&mut out, 8, &(nanoseconds % NANOS).to_le_bytes());
    out
}

/// A `struct timespec` a program passes in (nanosleep, clock_nanosleep):
/// (tv_sec, tv_nsec), each a signed 32-bit word on i386. Unchecked.
pub fn timespec_in(bytes: &[u8; 8]) -> (i64, i64) {
    let word = |at: usize| i32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (word(0).into(), word(4).into())
}

/// A `struct __kernel_timespec` a program passes in (the *_time64 calls):
/// a 64-bit tv_sec, and a tv_nsec of which Linux i386 reads only the low
/// 32 bits, signed. A 32-bit program's 64-bit timespec has a 32-bit long
/// tv_nsec and padding after it, which Linux drops (get_timespec64), so
/// whatever the padding holds is not an error. Unchecked.
pub fn timespec64_in(bytes: &[u8; 16]) -> (i64, i64) {
    let seconds = i64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let nanoseconds = i32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    (seconds, nanoseconds.into())
}

/// What `fstat64` and `statx` say about a file: here only ever the
/// console, so only what a character device has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStatus {
    /// File type and permissions (`st_mode`).
    pub mode: u32,
    /// The device it is (`st_rdev`), major and minor.
    pub rdev: (u32, u32),
    /// The I/O size the C library should buffer (`st_blksize`).
    pub block_size: u32,
}

/// `S_IFCHR`: a character device (`S_IFMT` 0o170000 picks the type);
/// `S_IFSOCK`: a socket.
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFMT: u32 = 0o170000;

/// The console, as Linux describes /dev/console: a character device,
/// major 5 minor 1, read and written by its owner and written by its
/// group, as a terminal is (crw--w----). glibc's stdio sees S_IFCHR, asks
/// TCGETS whether it is a terminal (a major of 136-143, a pseudo-terminal,
/// would spare it the question) and then buffers stdout by lines;
/// st_blksize, 1024 as for a Linux terminal, sizes its buffers.
pub const CONSOLE_STATUS: FileStatus =
    FileStatus { mode: S_IFCHR | 0o620, rdev: (5, 1), block_size: 1024 };

/// A socket, as Linux's sockfs describes one: S_IFSOCK, read and
/// written by its owner (srwxrwxrwx on Linux; the permissions of a
/// socket mean nothing), no device, buffered by the page.
pub const SOCKET_STATUS: FileStatus =
    FileStatus { mode: S_IFSOCK | 0o777, rdev: (0, 0), block_size: 4096 };

/// Linux's encoding of a device number in `stat64.st_rdev`
/// (new_encode_dev): minor's low byte, major, then minor's high bits.
pub fn encode_device(major: u32, minor: u32) -> u64 {
    u64::from((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12))
}

/// `struct stat64` of Linux i386: 96 bytes, with the padding around its
/// dev_t fields kept for glibc 2.1's sake. Times, sizes, owners: 0.
pub fn stat64(status: &FileStatus) -> [u8; 96] {
    let mut out = [0u8; 96];
    put(&mut out, 16, &status.mode.to_le_bytes()); // st_mode
    put(&mut out, 20, &1u32.to_le_bytes()); // st_nlink
    put(&mut out, 32, &encode_device(status.rdev.0, status.rdev.1).to_le_bytes()); // st_rdev
    put(&mut out, 52, &status.block_size.to_le_bytes()); // st_blksize
    out
}

/// statx's mask bits (which fields are filled in).
pub const STATX_TYPE: u32 = 0x1;
pub const STATX_MODE: u32 = 0x2;
pub const STATX_NLINK: u32 = 0x4;
pub const STATX_UID: u32 = 0x8;
pub const STATX_GID: u32 = 0x10;
pub const STATX_INO: u32 = 0x100;
pub const STATX_SIZE: u32 = 0x200;
pub const STATX_BLOCKS: u32 = 0x400;
/// What `statx` fills in: everything of STATX_BASIC_STATS but the times,
/// which a console does not keep here.
pub const STATX_FILLED: u32 = STATX_TYPE
    | STATX_MODE
    | STATX_NLINK
    | STATX_UID
    | STATX_GID
    | STATX_INO
    | STATX_SIZE
    | STATX_BLOCKS;

/// `struct statx`: 256 bytes, the same on every architecture.
pub fn statx(status: &FileStatus) -> [u8; 256] {
    let mut out = [0u8; 256];
    put(&mut out, 0, &STATX_FILLED.to_le_bytes()); // stx_mask
    put(&mut out, 4, &status.block_size.to_le_bytes()); // stx_blksize
    put(&mut out, 16, &1u32.to_le_bytes()); // stx_nlink
    put(&mut out, 28, &(status.mode as u16).to_le_bytes()); // stx_mode
    put(&mut out, 128, &status.rdev.0.to_le_bytes()); // stx_rdev_major
    put(&mut out, 132, &status.rdev.1.to_le_bytes()); // stx_rdev_minor
    out
}

/// termios flags this terminal has (Linux's include/uapi/asm-generic/termbits.h).
/// c_iflag: Enter's carriage return arrives as a newline.
pub const ICRNL: u32 = 0o000400;
/// c_oflag: output is processed, and a newline goes out as CR LF.
pub const OPOST: u32 = 0o000001;
pub const ONLCR: u32 = 0o000004;
/// c_cflag: 38400 baud, 8-bit characters, the receiver on.
pub const B38400: u32 = 0o000017;
pub const CS8: u32 = 0o000060;
pub const CREAD: u32 = 0o000200;
/// c_lflag: Ctrl-C is a signal, input comes in lines, typed keys echo,
/// and erasing echoes as erasing.
pub const ISIG: u32 = 0o000001;
pub const ICANON: u32 = 0o000002;
pub const ECHO: u32 = 0o000010;
pub const ECHOE: u32 = 0o000020;
/// c_cc's special characters, by index; 0 in a slot disables it.
pub const VINTR: usize = 0;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VMIN: usize = 6;
pub const NCCS: usize = 19;

/// `struct termios` for TCGETS (36 bytes): the terminal behind fds 0-2
/// as a program should picture it: a line-by-line terminal where Ctrl-C
/// interrupts, Backspace (DEL) erases, Ctrl-U erases the line and Ctrl-D at the start of a line
/// is the end of the input (src/terminal/line.rs).
pub fn termios() -> [u8; 36] {
    let mut out = [0u8; 36];
    put(&mut out, 0, &ICRNL.to_le_bytes());
    put(&mut out, 4, &(OPOST | ONLCR).to_le_bytes());
    put(&mut out, 8, &(B38400 | CS8 | CREAD).to_le_bytes());
    put(&mut out, 12, &(ISIG | ICANON | ECHO | ECHOE).to_le_bytes());
    // out[16] is c_line, the line discipline: 0, N_TTY.
    let cc = &mut out[17..17 + NCCS];
    cc[VINTR] = 0x03; // Ctrl-C
    cc[VERASE] = 0x7f; // DEL, what Backspace sends
    cc[VKILL] = 0x15; // Ctrl-U erases the line
    cc[VEOF] = 0x04; // Ctrl-D
    cc[VMIN] = 1;
    out
}

/// The console's size: the VGA text screen, 80 columns by 25 rows.
pub const CONSOLE_ROWS: u16 = 25;
pub const CONSOLE_COLUMNS: u16 = 80;

/// `struct winsize` for TIOCGWINSZ: rows, columns, and the size in pixels
/// (0: unknown).
pub fn winsize() -> [u8; 8] {
    let mut out = [0u8; 8];
    put(&mut out, 0, &CONSOLE_ROWS.to_le_bytes());
    put(&mut out, 2, &CONSOLE_COLUMNS.to_le_bytes());
    out
}

/// `struct rlimit` of Linux i386: the soft and the hard limit, 32 bits.
pub fn rlimit(soft: u32, hard: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    put(&mut out, 0, &soft.to_le_bytes());
    put(&mut out, 4, &hard.to_le_bytes());
    out
}

/// One `struct iovec` of Linux i386: (base, length).
pub fn iovec(bytes: &[u8; 8]) -> (u32, u32) {
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(0), word(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn timespecs_split_seconds_and_nanoseconds() {
        let t = timespec(5 * NANOS + 250);
        assert_eq!((u32_at(&t, 0), u32_at(&t, 4)), (5, 250));
        let t = timespec64(1_800_000_000 * NANOS + 7);
        assert_eq!(u64::from_le_bytes(t[..8].try_into().unwrap()), 1_800_000_000);
        assert_eq!(u64::from_le_bytes(t[8..].try_into().unwrap()), 7);
    }

    #[test]
    fn timespecs_passed_in_are_read_signed_and_the_padding_ignored() {
        let mut t = [0u8; 8];
        t[..4].copy_from_slice(&(-1i32).to_le_bytes());
        t[4..].copy_from_slice(&999_999_999i32.to_le_bytes());
        assert_eq!(timespec_in(&t), (-1, 999_999_999));
        let mut t = [0u8; 16];
        t[..8].copy_from_slice(&0x1_0000_0002i64.to_le_bytes());
        // tv_nsec 2^32 + 5: the high half is padding to Linux i386.
        t[8..].copy_from_slice(&0x1_0000_0005i64.to_le_bytes());
        assert_eq!(timespec64_in(&t), (0x1_0000_0002, 5));
        // -1 in all 64 bits: -1 in the low 32, which is invalid.
        t[8..].copy_from_slice(&(-1i64).to_le_bytes());
        assert_eq!(timespec64_in(&t).1, -1);
        assert_eq!(timespec64_in(&timespec64(7 * NANOS + 3)), (7, 3));
    }

    #[test]
    fn the_console_is_a_character_device_in_both_stat_layouts() {
        // struct stat64 (i386): st_mode at 16, st_rdev at 32, st_blksize at 52.
        let s = stat64(&CONSOLE_STATUS);
        assert_eq!(u32_at(&s, 16) & S_IFMT, S_IFCHR);
        assert_eq!(u32_at(&s, 16) & 0o777, 0o620);
        assert_eq!(u64::from_le_bytes(s[32..40].try_into().unwrap()), 0x501); // 5:1
        assert_eq!(u32_at(&s, 52), 1024);
        // struct statx: stx_mode (16 bits) at 28, stx_rdev_* at 128 and 132.
        let x = statx(&CONSOLE_STATUS);
        assert_eq!(u32_at(&x, 0), 0x71f);
        assert_eq!(u32::from(u16::from_le_bytes([x[28], x[29]])) & S_IFMT, S_IFCHR);
        assert_eq!((u32_at(&x, 128), u32_at(&x, 132)), (5, 1));
        assert_eq!(u32_at(&x, 4), 1024);
    }

    #[test]
    fn device_numbers_are_encoded_as_linux_does() {
        assert_eq!(encode_device(5, 1), 0x501);
        assert_eq!(encode_device(136, 0x1234), 0x0120_8834);
    }

    #[test]
    fn termios_and_winsize_layouts() {
        let t = termios();
        assert_eq!(u32_at(&t, 12) & ICANON, ICANON);
        assert_eq!(u32_at(&t, 12) & ISIG, ISIG);
        assert_eq!(u32_at(&t, 0), 0o400);
        assert_eq!(t[16], 0, "c_line is N_TTY");
        // c_cc starts at 17: VINTR, VQUIT, VERASE, VKILL, VEOF ...
        assert_eq!((t[17], t[19], t[21], t[23]), (3, 0x7f, 4, 1));
        let w = winsize();
        assert_eq!(w, [25, 0, 80, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn rlimit_and_iovec() {
        assert_eq!(rlimit(0x2_0000, u32::MAX), [0, 0, 2, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(iovec(&[0, 0x80, 0x04, 0x08, 5, 0, 0, 0]), (0x0804_8000, 5));
    }
}
