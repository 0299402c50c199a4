//! A process's open files: the table its file descriptors index.
//!
//! A leaf, like ring.rs: it uses nothing of the kernel's, so the process
//! table (src/sched/) can hold one per process and the system calls
//! (src/user/) can read it, without either importing the other's room.
//! What an fd can name is a closed list, `File`: the console, or a
//! socket of the network layer (by its id there). Each open file has its
//! status flag O_NONBLOCK, as Linux keeps it per open file.
//!
//! Pure, host-tested. The lowest free fd is always the one handed out,
//! as POSIX requires (a shell's `2>&1` and glibc rely on it).

/// What a file descriptor names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    /// The terminal: keyboard and COM1 in, screen and COM1 out.
    Console,
    /// A socket: its id in the network layer's table (src/net/).
    Socket(u16),
}

/// An open file: what it is, and its O_NONBLOCK flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Open {
    pub file: File,
    pub nonblocking: bool,
}

/// Descriptors a process may have open at once (Linux's RLIMIT_NOFILE
/// is 1024; a teaching kernel's programs need a handful).
pub const MAX_FDS: usize = 32;

/// One process's table.
#[derive(Clone, Copy, Debug)]
pub struct Files {
    slots: [Option<Open>; MAX_FDS],
}

/// Every slot is taken (EMFILE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// A descriptor that is not open, or out of the table's range (EBADF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadFd;

impl Files {
    /// A new process's table: the console at 0, 1 and 2, as a shell
    /// leaves it.
    pub const fn console() -> Files {
        let console = Some(Open { file: File::Console, nonblocking: false });
        let mut slots = [None; MAX_FDS];
        slots[0] = console;
        slots[1] = console;
        slots[2] = console;
        Files { slots }
    }

    /// A table with nothing open.
    pub const fn none() -> Files {
        Files { slots: [None; MAX_FDS] }
    }

    /// What `fd` names, if it is open.
    pub fn get(&self, fd: u32) -> Option<Open> {
        *self.slots.get(fd as usize)?
    }

    /// Opens `open` at the lowest free descriptor.
    pub fn open(&mut self, open: Open) -> Result<u32, Full> {
        let fd = self.slots.iter().position(Option::is_none).ok_or(Full)?;
        self.slots[fd] = Some(open);
        Ok(fd as u32)
    }

    /// Closes `fd`; what it named, for the caller to release (a socket
    /// counts the descriptors naming it, src/net/).
    pub fn close(&mut self, fd: u32) -> Option<Open> {
        self.slots.get_mut(fd as usize)?.take()
    }

    /// dup2: makes `new` name what `old` names, closing what `new` named
    /// first (returned, for the caller to release). BadFd if `old` is not
    /// open or `new` is out of range.
    pub fn duplicate_to(&mut self, old: u32, new: u32) -> Result<Option<Open>, BadFd> {
        let open = self.get(old).ok_or(BadFd)?;
        let slot = self.slots.get_mut(new as usize).ok_or(BadFd)?;
        if old == new {
            return Ok(None);
        }
        Ok(slot.replace(open))
    }

    /// Sets O_NONBLOCK on the open file at `fd`. Note: a dup shares the
    /// open file on Linux, and so its flag; here each descriptor keeps
    /// its own copy (no program this kernel runs relies on the sharing).
    pub fn set_nonblocking(&mut self, fd: u32, on: bool) -> Option<()> {
        self.slots.get_mut(fd as usize)?.as_mut().map(|open| open.nonblocking = on)
    }

    /// Every open file, closing them all: what a process leaves at exit.
    pub fn take_all(&mut self) -> impl Iterator<Item = Open> + '_ {
        self.slots.iter_mut().filter_map(Option::take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOCKET: Open = Open { file: File::Socket(4), nonblocking: false };

    #[test]
    fn a_process_starts_with_the_console_on_0_1_2() {
        let files = Files::console();
        for fd in 0..3 {
            assert_eq!(files.get(fd).map(|o| o.file), Some(File::Console));
        }
        assert_eq!(files.get(3), None);
        assert_eq!(files.get(1000), None);
    }

    #[test]
    fn the_lowest_free_descriptor_is_used() {
        let mut files = Files::console();
        assert_eq!(files.open(SOCKET), Ok(3));
        assert_eq!(files.close(1), Some(Open { file: File::Console, nonblocking: false }));
        assert_eq!(files.open(SOCKET), Ok(1));
        assert_eq!(files.close(1), Some(SOCKET));
        assert_eq!(files.close(1), None);
        for fd in 1..MAX_FDS as u32 {
            if files.get(fd).is_none() {
                assert_eq!(files.open(SOCKET), Ok(fd));
            }
        }
        assert_eq!(files.open(SOCKET), Err(Full));
    }

    #[test]
    fn dup2_replaces_and_hands_back_what_it_replaced() {
        let mut files = Files::console();
        let fd = files.open(SOCKET).unwrap();
        // dup2(3, 1): stdout becomes the socket; the console it was is
        // given back, still named by 0 and 2.
        assert_eq!(
            files.duplicate_to(fd, 1),
            Ok(Some(Open { file: File::Console, nonblocking: false }))
        );
        assert_eq!(files.duplicate_to(fd, fd), Ok(None));
        assert_eq!(files.duplicate_to(9, 1), Err(BadFd));
        assert_eq!(files.duplicate_to(fd, MAX_FDS as u32), Err(BadFd));
        assert_eq!(files.take_all().count(), 4);
        assert_eq!(files.get(0), None);
    }

    #[test]
    fn nonblocking_is_per_descriptor() {
        let mut files = Files::console();
        let fd = files.open(SOCKET).unwrap();
        assert_eq!(files.set_nonblocking(fd, true), Some(()));
        assert!(files.get(fd).unwrap().nonblocking);
        assert_eq!(files.set_nonblocking(20, true), None);
    }
}
