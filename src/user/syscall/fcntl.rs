//! The descriptor table's own calls: close, dup, dup2, fcntl and fcntl64
//! (Linux fs/open.c, fs/file.c, fs/fcntl.c; xv6 sysfile.c). The table
//! and its rules are src/fd.rs; here are Linux's numbers, its order of
//! checks, and what becomes of an object whose last descriptor goes.

use super::errno::{Errno, SysResult};
use super::services::Services;
use crate::fd::{Object, MAX_FDS, O_APPEND, O_NONBLOCK};

/// fcntl's commands (asm-generic/fcntl.h): a new descriptor from the
/// argument up; the descriptor's flags; the open file's status flags;
/// F_DUPFD with close-on-exec set on the new descriptor.
pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const F_DUPFD_CLOEXEC: u32 = 1030;
/// The one descriptor flag: close on exec.
pub const FD_CLOEXEC: u32 = 1;
/// Direct I/O, which F_SETFL refuses on a terminal (-EINVAL, as Linux).
pub const O_DIRECT: u32 = 0o40000;
/// The status flags F_SETFL changes; it ignores the access mode and the
/// open-time flags, as Linux does. Linux's other settable flags are
/// O_DIRECT (refused above), O_NOATIME (files only) and FASYNC (SIGIO on
/// input, and there are no signals yet): ignored here.
const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK;

/// What becomes of an object once no descriptor names it. The console
/// stays; a socket closes (a connection sends FIN and finishes on its
/// own, src/net/). A new kind of object is released here, and the match
/// will not compile until it is.
pub fn release(object: Option<Object>, kernel: &mut impl Services) {
    match object {
        None | Some(Object::Console) => {}
        Some(Object::Socket(id)) => kernel.release_socket(id),
    }
}

/// close: the descriptor is free again (the lowest free one is what dup
/// and the next socket get). Linux frees the number even when the last
/// flush fails; here nothing can fail after EBADF.
pub(super) fn close(fd: u32, kernel: &mut impl Services) -> SysResult {
    let object = kernel.files(|table| table.close(fd))?;
    release(object, kernel);
    Ok(0)
}

/// dup: the lowest free descriptor names the same open file; -EMFILE
/// when the table is full.
pub(super) fn dup(fd: u32, kernel: &mut impl Services) -> SysResult {
    Ok(kernel.files(|table| table.dup(fd, 0, false))?)
}

/// dup2: `to` names `fd`'s open file, whatever it named before (closed
/// silently), its close-on-exec flag off. As Linux checks: `fd` must be
/// open, and `to` below RLIMIT_NOFILE (MAX_FDS), else -EBADF; when they
/// are equal, nothing changes and the answer is `to`.
pub(super) fn dup2(fd: u32, to: u32, kernel: &mut impl Services) -> SysResult {
    let object = kernel.files(|table| table.dup_to(fd, to))?;
    release(object, kernel);
    Ok(to)
}

/// fcntl (55) and fcntl64 (221): the same for these commands (fcntl64
/// differs only in the record locks, which a file system would need);
/// glibc calls 221. The descriptor first (-EBADF), then the command
/// (-EINVAL for one not here).
pub(super) fn fcntl(fd: u32, command: u32, argument: u32, kernel: &mut impl Services) -> SysResult {
    kernel.files(|table| {
        let file = table.get(fd).ok_or(Errno::EBADF)?;
        match command {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                if argument as usize >= MAX_FDS {
                    return Err(Errno::EINVAL);
                }
                Ok(table.dup(fd, argument, command == F_DUPFD_CLOEXEC)?)
            }
            F_GETFD => Ok(if table.close_on_exec(fd)? { FD_CLOEXEC } else { 0 }),
            F_SETFD => {
                table.set_close_on_exec(fd, argument & FD_CLOEXEC != 0)?;
                Ok(0)
            }
            F_GETFL => Ok(file.flags),
            F_SETFL => {
                if argument & O_DIRECT != 0 {
                    return Err(Errno::EINVAL);
                }
                table.set_flags(fd, argument & SETFL_MASK | file.flags & !SETFL_MASK)?;
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::{FdTable, O_ACCMODE, O_LARGEFILE, O_RDONLY, O_WRONLY};
    use crate::user::syscall::fake::Fake;
    use Errno::*;

    #[test]
    fn close_frees_the_lowest_descriptor_for_dup() {
        let mut k = Fake::new();
        assert_eq!(close(0, &mut k), Ok(0));
        assert_eq!(close(0, &mut k), Err(EBADF));
        assert_eq!(close(40, &mut k), Err(EBADF));
        assert_eq!(dup(1, &mut k), Ok(0));
        assert_eq!(dup(1, &mut k), Ok(3));
        assert_eq!(dup(7, &mut k), Err(EBADF));
        assert_eq!(k.files.get(0), k.files.get(1));
    }

    #[test]
    fn dup_of_a_full_table_is_emfile() {
        let mut k = Fake::new();
        for fd in 3..MAX_FDS as u32 {
            assert_eq!(dup(2, &mut k), Ok(fd));
        }
        assert_eq!(dup(2, &mut k), Err(EMFILE));
        assert_eq!(fcntl(2, F_DUPFD, 0, &mut k), Err(EMFILE));
        assert_eq!(dup2(2, 31, &mut k), Ok(31), "dup2 needs no free descriptor");
    }

    #[test]
    fn dup2_replaces_and_checks_as_linux() {
        let mut k = Fake::new();
        assert_eq!(dup2(1, 10, &mut k), Ok(10));
        assert_eq!(fcntl(10, F_SETFD, FD_CLOEXEC, &mut k), Ok(0));
        assert_eq!(dup2(10, 10, &mut k), Ok(10));
        assert_eq!(fcntl(10, F_GETFD, 0, &mut k), Ok(FD_CLOEXEC), "the same fd: unchanged");
        assert_eq!(dup2(1, 10, &mut k), Ok(10));
        assert_eq!(fcntl(10, F_GETFD, 0, &mut k), Ok(0), "replaced: close-on-exec off");
        assert_eq!(dup2(0, 1, &mut k), Ok(1));
        assert_eq!(k.files.get(1), k.files.get(0));
        assert_eq!(dup2(1, MAX_FDS as u32, &mut k), Err(EBADF));
        assert_eq!(dup2(5, 6, &mut k), Err(EBADF));
        assert_eq!(dup2(5, 5, &mut k), Err(EBADF));
    }

    #[test]
    fn fcntl_reads_and_sets_the_flags_linux_lets_it() {
        let mut k = Fake::new();
        assert_eq!(fcntl(0, F_GETFL, 0, &mut k), Ok(O_RDONLY | O_LARGEFILE));
        assert_eq!(fcntl(1, F_GETFL, 0, &mut k), Ok(O_WRONLY | O_LARGEFILE));
        assert_eq!(fcntl(1, F_GETFD, 0, &mut k), Ok(0));
        // The access mode and unknown bits are ignored; O_NONBLOCK and
        // O_APPEND are kept, for every descriptor of the open file.
        assert_eq!(fcntl(2, F_SETFL, O_NONBLOCK | O_APPEND | O_ACCMODE, &mut k), Ok(0));
        assert_eq!(
            fcntl(1, F_GETFL, 0, &mut k),
            Ok(O_WRONLY | O_LARGEFILE | O_NONBLOCK | O_APPEND)
        );
        assert_eq!(fcntl(0, F_GETFL, 0, &mut k), Ok(O_RDONLY | O_LARGEFILE));
        assert_eq!(fcntl(2, F_SETFL, 0, &mut k), Ok(0));
        assert_eq!(fcntl(1, F_GETFL, 0, &mut k), Ok(O_WRONLY | O_LARGEFILE));
        assert_eq!(fcntl(1, F_SETFL, O_DIRECT, &mut k), Err(EINVAL));
        // F_SETFD keeps only FD_CLOEXEC, on that descriptor alone.
        assert_eq!(fcntl(2, F_SETFD, 0xFF, &mut k), Ok(0));
        assert_eq!((fcntl(2, F_GETFD, 0, &mut k), fcntl(1, F_GETFD, 0, &mut k)), (Ok(1), Ok(0)));
        // F_DUPFD from the argument up; F_DUPFD_CLOEXEC sets the flag.
        assert_eq!(fcntl(1, F_DUPFD, 20, &mut k), Ok(20));
        assert_eq!(fcntl(1, F_DUPFD, 20, &mut k), Ok(21));
        assert_eq!(fcntl(1, F_DUPFD_CLOEXEC, 0, &mut k), Ok(3));
        assert_eq!(fcntl(3, F_GETFD, 0, &mut k), Ok(FD_CLOEXEC));
        assert_eq!(fcntl(20, F_GETFD, 0, &mut k), Ok(0));
        assert_eq!(fcntl(1, F_DUPFD, MAX_FDS as u32, &mut k), Err(EINVAL));
        // The descriptor is checked before the command.
        assert_eq!(fcntl(9, 999, 0, &mut k), Err(EBADF));
        assert_eq!(fcntl(1, 999, 0, &mut k), Err(EINVAL));
        assert_eq!(fcntl(9, F_GETFD, 0, &mut k), Err(EBADF));
        assert_eq!(fcntl(9, F_DUPFD, MAX_FDS as u32, &mut k), Err(EBADF));
    }

    #[test]
    fn a_process_that_closes_everything_has_an_empty_table() {
        let mut k = Fake::new();
        for fd in [0, 1, 2] {
            assert_eq!(close(fd, &mut k), Ok(0));
        }
        assert_eq!(k.files, FdTable::EMPTY);
    }
}
