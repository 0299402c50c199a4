//! What a program may learn about a file or a path: fstat64, statx and
//! readlink (Linux fs/stat.c, which holds readlinkat too). There is no
//! file system: the console is the one file, /proc/self/exe the one link.

use super::errno::{Errno, SysResult};
use super::services::Services;
use super::uaccess::{copy_out, read_c_string};
use crate::fd::Object;
use crate::user::abi::{self, FileStatus, CONSOLE_STATUS};

/// statx's and the *at calls' flags (fcntl.h): the path is relative to
/// the fd (empty: the fd itself); don't follow a final symlink; don't
/// mount; how to sync with a network file system (two bits, 3 invalid).
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
pub const AT_EMPTY_PATH: u32 = 0x1000;
pub const AT_STATX_SYNC_TYPE: u32 = 0x6000;
/// statx's mask bit that no kernel may be asked for.
pub const STATX_RESERVED: u32 = 0x8000_0000;

/// The one link readlink knows.
pub const PROC_SELF_EXE: &[u8] = b"/proc/self/exe";
/// Bytes of a path the kernel reads before deciding it is not a path it
/// knows (no file system: every other path is -ENOENT).
const PATH_LOOKUP_BYTES: usize = 64;

/// readlink: only "/proc/self/exe", the program's own file, which glibc's
/// static start-up reads to know its directory ($ORIGIN, for dlopen
/// paths). glibc copes when the call fails, but asserts that an answer
/// is an absolute path, as Linux's always is. The answer is the path the
/// program was started from, its argv[0] as the loader gave it, made
/// absolute: the modules this kernel runs have no directory of their
/// own, so a relative path is taken from the root ("build/hello_c" is
/// "/build/hello_c"). Like Linux, cut to the buffer's size and not NUL-
/// terminated. Any other path: -ENOENT, for there are no files.
pub(super) fn readlink(path: u32, buf: u32, size: u32, kernel: &mut impl Services) -> SysResult {
    let mut name = [0u8; PATH_LOOKUP_BYTES];
    let length = read_c_string(path, &mut name, kernel)?;
    if length.map(|n| &name[..n]) != Some(PROC_SELF_EXE) {
        return Err(Errno::ENOENT);
    }
    if size as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    let mut started = [0u8; 256];
    let n = kernel.program_path(&mut started);
    let mut target = [0u8; 257];
    let n = absolute_path(&started[..n], &mut target).min(size as usize);
    copy_out(&target[..n], buf, kernel)?;
    Ok(n as u32)
}

/// `path` as an absolute path, into `out` (one byte longer than `path`):
/// unchanged if it starts with '/', else from the root, without a
/// leading "./". Returns its length.
pub fn absolute_path(path: &[u8], out: &mut [u8]) -> usize {
    if path.first() == Some(&b'/') {
        out[..path.len()].copy_from_slice(path);
        return path.len();
    }
    let path = path.strip_prefix(b"./").unwrap_or(path);
    out[0] = b'/';
    out[1..=path.len()].copy_from_slice(path);
    path.len() + 1
}

/// What fstat64 and statx say about an open descriptor's object, or
/// EBADF if `fd` is not open.
fn status(fd: u32, kernel: &mut impl Services) -> Result<FileStatus, Errno> {
    match kernel.file(fd).ok_or(Errno::EBADF)?.object {
        Object::Console => Ok(CONSOLE_STATUS),
        Object::Socket(_) => Ok(abi::SOCKET_STATUS),
    }
}

/// fstat64 on the console: a character device (see abi::CONSOLE_STATUS
/// for what glibc makes of that).
pub(super) fn fstat64(fd: u32, out: u32, kernel: &mut impl Services) -> SysResult {
    let status = status(fd, kernel)?;
    copy_out(&abi::stat64(&status), out, kernel)?;
    Ok(0)
}

/// statx: glibc 2.33 and later implement fstat with
/// `statx(fd, "", AT_EMPTY_PATH, ...)` on i386, and stdio calls it on
/// stdout before the first write, and on stdin before the first read.
/// The console is a character device; an empty path without
/// AT_EMPTY_PATH, and every path (there are no files), are -ENOENT.
pub(super) fn statx(
    fd: u32,
    path: u32,
    flags: u32,
    mask: u32,
    out: u32,
    kernel: &mut impl Services,
) -> SysResult {
    let known = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE;
    let sync_both = flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE;
    if flags & !known != 0 || sync_both || mask & STATX_RESERVED != 0 {
        return Err(Errno::EINVAL);
    }
    let mut name = [0u8; 1];
    match read_c_string(path, &mut name, kernel)? {
        Some(0) if flags & AT_EMPTY_PATH != 0 => {}
        _ => return Err(Errno::ENOENT),
    }
    let status = status(fd, kernel)?;
    copy_out(&abi::statx(&status), out, kernel)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::syscall::fake::{Fake, BASE, SIZE};
    use Errno::*;

    #[test]
    fn the_console_is_a_character_device_for_fstat64_and_statx() {
        let mut k = Fake::new();
        assert_eq!(fstat64(1, BASE + 512, &mut k), Ok(0));
        assert_eq!(k.memory[512..608], abi::stat64(&CONSOLE_STATUS));
        assert_eq!(fstat64(5, BASE + 512, &mut k), Err(EBADF));
        assert_eq!(fstat64(0, 0xBFFF_FFF0, &mut k), Err(EFAULT));
        // Any open descriptor of the console, a dup too; a closed one is EBADF.
        assert_eq!(k.files.dup(0, 5, false), Ok(5));
        assert_eq!(fstat64(5, BASE + 512, &mut k), Ok(0));
        k.files.close(2).unwrap();
        assert_eq!(fstat64(2, BASE + 512, &mut k), Err(EBADF));
        // glibc's fstat(1): statx(1, "", AT_NO_AUTOMOUNT | AT_EMPTY_PATH, 0x7ff, buf).
        let empty = BASE + SIZE - 1; // "" in the last byte of the mapping
        let flags = AT_NO_AUTOMOUNT | AT_EMPTY_PATH;
        assert_eq!(statx(1, empty, flags, 0x7ff, BASE + 1024, &mut k), Ok(0));
        assert_eq!(k.memory[1024..1280], abi::statx(&CONSOLE_STATUS));
        assert_eq!(statx(4, empty, flags, 0x7ff, BASE, &mut k), Err(EBADF));
        assert_eq!(statx(1, empty, AT_NO_AUTOMOUNT, 0x7ff, BASE, &mut k), Err(ENOENT));
        k.poke(BASE + 2048, b"/dev/tty\0");
        assert_eq!(statx(1, BASE + 2048, flags, 0x7ff, BASE, &mut k), Err(ENOENT));
        assert_eq!(statx(1, 0xC000_0000, flags, 0x7ff, BASE, &mut k), Err(EFAULT));
        assert_eq!(statx(1, empty, flags | 0x6000, 0x7ff, BASE, &mut k), Err(EINVAL));
        assert_eq!(statx(1, empty, flags | 1, 0x7ff, BASE, &mut k), Err(EINVAL));
        assert_eq!(statx(1, empty, flags, STATX_RESERVED, BASE, &mut k), Err(EINVAL));
        assert_eq!(statx(1, empty, flags, 0x7ff, BASE + SIZE - 8, &mut k), Err(EFAULT));
    }

    #[test]
    fn readlink_proc_self_exe_gives_the_program_path() {
        let mut k = Fake::new();
        k.poke(BASE, b"/proc/self/exe\0");
        assert_eq!(readlink(BASE, BASE + 64, 4096, &mut k), Ok(14));
        assert_eq!(&k.memory[64..78], b"/build/hello_c");
        // Cut to the buffer, not terminated, as on Linux.
        k.memory[64..80].fill(b'.');
        assert_eq!(readlink(BASE, BASE + 64, 5, &mut k), Ok(5));
        assert_eq!(&k.memory[64..70], b"/buil.");
        assert_eq!(readlink(BASE, BASE + 64, 0, &mut k), Err(EINVAL));
        assert_eq!(readlink(BASE, 0xC000_0000, 16, &mut k), Err(EFAULT));
        // The path string ends exactly at the end of the mapping: fine.
        let at = BASE + SIZE - 15;
        k.poke(at, b"/proc/self/exe\0");
        assert_eq!(readlink(at, BASE + 64, 100, &mut k), Ok(14));
        // One byte short of its NUL: the string runs off the mapping.
        let at = BASE + SIZE - 14;
        k.poke(at, b"/proc/self/exe");
        assert_eq!(readlink(at, BASE + 64, 100, &mut k), Err(EFAULT));
        k.poke(BASE, b"/proc/self/ex\0");
        assert_eq!(readlink(BASE, BASE + 64, 100, &mut k), Err(ENOENT));
        k.poke(BASE, &[b'x'; 100]);
        assert_eq!(readlink(BASE, BASE + 64, 100, &mut k), Err(ENOENT));
        assert_eq!(readlink(0xFFFF_FFF0, BASE, 100, &mut k), Err(EFAULT));
    }

    #[test]
    fn program_paths_are_made_absolute_from_the_root() {
        let absolute = |path: &[u8]| {
            let mut out = [0u8; 32];
            let n = absolute_path(path, &mut out);
            out[..n].to_vec()
        };
        assert_eq!(absolute(b"/work/build/hello_c"), b"/work/build/hello_c");
        assert_eq!(absolute(b"build/hello_c"), b"/build/hello_c");
        assert_eq!(absolute(b"./hello_c"), b"/hello_c");
        assert_eq!(absolute(b"hello_c"), b"/hello_c");
        assert_eq!(absolute(b""), b"/");
    }
}
