//! A process's open files: its file-descriptor table, and the closed set
//! of objects a descriptor can name (Linux include/linux/fdtable.h and
//! struct file; xv6 file.c; MOROS's `handles` array).
//!
//! Two levels, as on Linux. A descriptor (the number a program passes) is
//! a slot of a fixed table: it names an open file and carries its own
//! close-on-exec flag. An open file (Linux's "open file description") is
//! what the descriptor leads to: the object and its access mode and
//! status flags (O_NONBLOCK...). `dup` makes a second descriptor for the
//! same open file, so the two share its status flags, as on Linux, while
//! each keeps its own close-on-exec flag.
//!
//! `Object` is closed on purpose: every system call that uses a
//! descriptor matches on it, so a new kind of object (a socket, for the
//! network) is one more variant, and the compiler names every place that
//! must learn about it. A variant holds only plain numbers (an index
//! into the room that owns the thing), so this file uses nothing and
//! every room may use it: the scheduler keeps a table in each process
//! (src/sched/process.rs), the system calls change it (src/user/syscall/).
//!
//! Pure: the numbers are Linux i386's (asm-generic/fcntl.h), and the
//! host tests pin the rules.

/// Descriptors a process may have: 0 to MAX_FDS - 1. This is also its
/// RLIMIT_NOFILE, the bound Linux checks dup2's and F_DUPFD's numbers
/// against.
pub const MAX_FDS: usize = 32;

/// The descriptors a process starts with: the console on all three.
pub const STDIN: u32 = 0;
pub const STDOUT: u32 = 1;
pub const STDERR: u32 = 2;

/// An open file's access mode (the low two bits of its flags).
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_ACCMODE: u32 = 3;
/// Status flags: every write goes to the end; a read or write that would
/// wait fails with EAGAIN instead.
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
/// The file may pass 2 GiB. Linux sets it on every file the kernel
/// itself opens (its console among them) and on every open by a 64-bit
/// or large-file program: what a program's inherited descriptors show.
pub const O_LARGEFILE: u32 = 0o100000;

/// What an open file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// The terminal: typed lines in (src/terminal/), the screen and COM1
    /// out.
    Console,
    /// A socket: its number in the network layer's table (src/net/).
    Socket(u16),
}

/// An open file: what it is, and its flags as open() and fcntl's F_GETFL
/// name them (access mode and status flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFile {
    pub object: Object,
    pub flags: u32,
}

impl OpenFile {
    pub fn readable(&self) -> bool {
        matches!(self.flags & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    pub fn writable(&self) -> bool {
        matches!(self.flags & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    pub fn nonblocking(&self) -> bool {
        self.flags & O_NONBLOCK != 0
    }
}

/// Why the table refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdError {
    /// The descriptor is not open, or beyond the table (Linux: EBADF).
    BadFd,
    /// No descriptor is free, from the lowest one asked for (EMFILE).
    Full,
}

/// A descriptor: which open file (an index into `FdTable::files`), and
/// whether exec would close it (FD_CLOEXEC; there is no exec yet, but a
/// program may set and read it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Descriptor {
    file: u8,
    close_on_exec: bool,
}

/// An open file and how many descriptors name it: it is closed with the
/// last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shared {
    open: OpenFile,
    references: u8,
}

/// One process's descriptors. Every open file has at least one
/// descriptor, so MAX_FDS open files are enough.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdTable {
    descriptors: [Option<Descriptor>; MAX_FDS],
    files: [Option<Shared>; MAX_FDS],
}

impl FdTable {
    /// No descriptor at all (the idle context's, and a free slot's).
    pub const EMPTY: FdTable = FdTable { descriptors: [None; MAX_FDS], files: [None; MAX_FDS] };

    /// What a process starts with: the console on 0, 1 and 2. stdin is
    /// open for reading, and stdout and stderr share one open file for
    /// writing, as after a shell's `prog </dev/console >/dev/console
    /// 2>&1`: so a read from 1 or a write to 0 is EBADF, as it is on
    /// Linux for a file not open for that.
    pub const fn console() -> FdTable {
        let mut table = FdTable::EMPTY;
        let input = OpenFile { object: Object::Console, flags: O_RDONLY | O_LARGEFILE };
        let output = OpenFile { object: Object::Console, flags: O_WRONLY | O_LARGEFILE };
        table.files[0] = Some(Shared { open: input, references: 1 });
        table.files[1] = Some(Shared { open: output, references: 2 });
        table.descriptors[STDIN as usize] = Some(Descriptor { file: 0, close_on_exec: false });
        table.descriptors[STDOUT as usize] = Some(Descriptor { file: 1, close_on_exec: false });
        table.descriptors[STDERR as usize] = Some(Descriptor { file: 1, close_on_exec: false });
        table
    }

    fn descriptor(&self, fd: u32) -> Result<Descriptor, FdError> {
        let slot = self.descriptors.get(fd as usize).ok_or(FdError::BadFd)?;
        slot.ok_or(FdError::BadFd)
    }

    fn shared(&mut self, file: u8) -> &mut Shared {
        self.files[file as usize].as_mut().expect("a descriptor names an open file")
    }

    /// The open file behind `fd`, if it is open.
    pub fn get(&self, fd: u32) -> Option<OpenFile> {
        let file = self.descriptor(fd).ok()?.file;
        self.files[file as usize].map(|shared| shared.open)
    }

    /// Whether a descriptor is free (for a call that must know before it
    /// makes its object).
    pub fn has_room(&self) -> bool {
        self.descriptors.iter().any(Option::is_none)
    }

    /// The lowest free descriptor from `lowest` on.
    fn free_from(&self, lowest: u32) -> Result<u32, FdError> {
        let from = (lowest as usize).min(MAX_FDS);
        let free = self.descriptors[from..].iter().position(Option::is_none);
        free.map(|i| (from + i) as u32).ok_or(FdError::Full)
    }

    /// Opens `open` on the lowest free descriptor, and returns it.
    pub fn open(&mut self, open: OpenFile) -> Result<u32, FdError> {
        let fd = self.free_from(0)?;
        let file = self.files.iter().position(Option::is_none).expect("fewer files than fds");
        self.files[file] = Some(Shared { open, references: 1 });
        let descriptor = Descriptor { file: file as u8, close_on_exec: false };
        self.descriptors[fd as usize] = Some(descriptor);
        Ok(fd)
    }

    /// A new descriptor for `fd`'s open file, the lowest free one from
    /// `lowest` on (dup: 0; fcntl's F_DUPFD: its argument), with its own
    /// close-on-exec flag.
    pub fn dup(&mut self, fd: u32, lowest: u32, close_on_exec: bool) -> Result<u32, FdError> {
        let file = self.descriptor(fd)?.file;
        let new = self.free_from(lowest)?;
        self.shared(file).references += 1;
        self.descriptors[new as usize] = Some(Descriptor { file, close_on_exec });
        Ok(new)
    }

    /// dup2: `to` names `fd`'s open file from now on, closing what it
    /// named before, close-on-exec off. Nothing happens when they are
    /// the same descriptor. Returns the object whose last descriptor was
    /// closed on the way, for its owner to release.
    pub fn dup_to(&mut self, fd: u32, to: u32) -> Result<Option<Object>, FdError> {
        let file = self.descriptor(fd)?.file;
        if to as usize >= MAX_FDS {
            return Err(FdError::BadFd);
        }
        if fd == to {
            return Ok(None);
        }
        // Count the new reference first: `to` may already name this file.
        self.shared(file).references += 1;
        let released = if self.descriptors[to as usize].is_some() { self.close(to)? } else { None };
        self.descriptors[to as usize] = Some(Descriptor { file, close_on_exec: false });
        Ok(released)
    }

    /// Closes `fd`. Returns its object if that was the open file's last
    /// descriptor, for its owner to release (a socket's connection).
    pub fn close(&mut self, fd: u32) -> Result<Option<Object>, FdError> {
        let file = self.descriptor(fd)?.file;
        self.descriptors[fd as usize] = None;
        let shared = self.shared(file);
        shared.references -= 1;
        if shared.references > 0 {
            return Ok(None);
        }
        let object = shared.open.object;
        self.files[file as usize] = None;
        Ok(Some(object))
    }

    /// fd's close-on-exec flag (F_GETFD).
    pub fn close_on_exec(&self, fd: u32) -> Result<bool, FdError> {
        Ok(self.descriptor(fd)?.close_on_exec)
    }

    /// Sets fd's close-on-exec flag (F_SETFD): fd's alone.
    pub fn set_close_on_exec(&mut self, fd: u32, on: bool) -> Result<(), FdError> {
        let slot = self.descriptors.get_mut(fd as usize).and_then(Option::as_mut);
        slot.ok_or(FdError::BadFd)?.close_on_exec = on;
        Ok(())
    }

    /// Replaces the flags of fd's open file (F_SETFL): every descriptor
    /// of that open file sees them.
    pub fn set_flags(&mut self, fd: u32, flags: u32) -> Result<(), FdError> {
        let file = self.descriptor(fd)?.file;
        self.shared(file).open.flags = flags;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSOLE_OUT: OpenFile =
        OpenFile { object: Object::Console, flags: O_WRONLY | O_LARGEFILE };

    #[test]
    fn a_process_starts_with_the_console_on_0_1_and_2() {
        let t = FdTable::console();
        let stdin = t.get(STDIN).unwrap();
        assert!(stdin.readable() && !stdin.writable() && !stdin.nonblocking());
        for fd in [STDOUT, STDERR] {
            assert_eq!(t.get(fd), Some(CONSOLE_OUT));
            assert!(!t.get(fd).unwrap().readable());
        }
        assert_eq!(t.get(3), None);
        assert_eq!(t.get(u32::MAX), None);
        assert_eq!(FdTable::EMPTY.get(0), None);
    }

    #[test]
    fn dup_takes_the_lowest_free_descriptor_and_shares_the_status_flags() {
        let mut t = FdTable::console();
        assert_eq!(t.dup(1, 0, false), Ok(3));
        assert_eq!(t.dup(1, 10, true), Ok(10));
        assert_eq!(t.dup(1, 10, false), Ok(11));
        assert_eq!(t.close_on_exec(10), Ok(true));
        assert_eq!(t.close_on_exec(3), Ok(false));
        // O_NONBLOCK set through 3 shows on 1 and 2, not on stdin.
        t.set_flags(3, O_WRONLY | O_NONBLOCK).unwrap();
        assert!(t.get(2).unwrap().nonblocking());
        assert!(!t.get(0).unwrap().nonblocking());
        // close-on-exec is the descriptor's own.
        t.set_close_on_exec(3, true).unwrap();
        assert_eq!((t.close_on_exec(3), t.close_on_exec(1)), (Ok(true), Ok(false)));
        assert_eq!(t.dup(5, 0, false), Err(FdError::BadFd));
        assert_eq!(t.dup(1, MAX_FDS as u32, false), Err(FdError::Full));
    }

    #[test]
    fn close_releases_the_object_with_its_last_descriptor() {
        let mut t = FdTable::console();
        assert_eq!(t.close(1), Ok(None), "stderr still names it");
        assert_eq!(t.close(1), Err(FdError::BadFd));
        assert_eq!(t.close(2), Ok(Some(Object::Console)));
        assert_eq!(t.close(0), Ok(Some(Object::Console)));
        assert_eq!(t, FdTable::EMPTY);
        assert_eq!(t.close(40), Err(FdError::BadFd));
        // The lowest free descriptor again.
        let open = OpenFile { object: Object::Console, flags: O_RDWR };
        assert_eq!(t.open(open), Ok(0));
        assert_eq!(t.dup(0, 0, false), Ok(1));
    }

    #[test]
    fn dup_to_replaces_a_descriptor_and_clears_close_on_exec() {
        let mut t = FdTable::console();
        assert_eq!(t.dup_to(1, 7), Ok(None));
        assert_eq!(t.get(7), Some(CONSOLE_OUT));
        t.set_close_on_exec(7, true).unwrap();
        assert_eq!(t.dup_to(7, 7), Ok(None), "the same descriptor: nothing changes");
        assert_eq!(t.close_on_exec(7), Ok(true));
        assert_eq!(t.dup_to(1, 7), Ok(None), "already stdout's file: not released");
        assert_eq!(t.close_on_exec(7), Ok(false));
        // stdin's open file goes with its only descriptor.
        assert_eq!(t.dup_to(1, 0), Ok(Some(Object::Console)));
        assert!(t.get(0).unwrap().writable());
        assert_eq!(t.dup_to(1, MAX_FDS as u32), Err(FdError::BadFd));
        assert_eq!(t.dup_to(9, 1), Err(FdError::BadFd));
        assert_eq!(t.dup_to(9, 9), Err(FdError::BadFd));
        // Four descriptors, one open file: closing all releases it once.
        let released: Vec<_> = [0, 1, 2, 7].iter().map(|&fd| t.close(fd).unwrap()).collect();
        assert_eq!(released, [None, None, None, Some(Object::Console)]);
    }

    #[test]
    fn a_full_table_refuses_new_descriptors() {
        let mut t = FdTable::console();
        for fd in 3..MAX_FDS as u32 {
            assert!(t.has_room());
            assert_eq!(t.dup(0, 0, false), Ok(fd));
        }
        assert!(!t.has_room());
        assert_eq!(t.dup(0, 0, false), Err(FdError::Full));
        let open = OpenFile { object: Object::Console, flags: O_RDONLY };
        assert_eq!(t.open(open), Err(FdError::Full));
        assert_eq!(t.dup_to(1, 31), Ok(None));
        assert_eq!(t.close(5), Ok(None));
        assert_eq!(t.open(open), Ok(5));
        assert_eq!(t.get(5), Some(open));
    }
}
