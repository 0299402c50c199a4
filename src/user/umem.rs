//! User memory as the kernel may touch it: only through a checked range.
//!
//! A system call hands the kernel addresses chosen by the program. The
//! kernel must never read or write one before checking that the whole
//! range lies in memory the program itself may use, or a program could
//! make the kernel copy kernel memory out, or overwrite it, on its behalf.
//! So a range that passed the check has a type of its own, `UserRange`,
//! which only the check (`UserRange::new`) can make: a function that
//! takes a `UserRange` cannot be handed an unchecked address, and the
//! copies below take nothing else. (Hubris's `USlice` is the model.)
//!
//! The check is pure and host-tested; the copies exist only in the kernel.

use crate::cpu::paging::user_range_ok;

/// `[start, start + len)`, checked to lie wholly inside one mapped part of
/// the user region, without wrapping around the top of the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRange {
    start: u32,
    len: u32,
}

impl UserRange {
    /// The range `[start, start + len)`, or None if the program may not
    /// use all of it.
    pub fn new(start: u32, len: u32) -> Option<UserRange> {
        user_range_ok(start, len).then_some(UserRange { start, len })
    }

    pub fn start(&self) -> u32 {
        self.start
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The part `[offset, offset + len)` of this range: checked too, since
    /// it lies inside a checked range. None if it does not.
    pub fn part(&self, offset: u32, len: u32) -> Option<UserRange> {
        let end = offset.checked_add(len)?;
        (end <= self.len).then_some(UserRange { start: self.start + offset, len })
    }
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::UserRange;

    /// Copies the program's bytes in `from` into `to` (`to.len()` must be
    /// `from.len()`).
    pub fn copy_from_user(from: UserRange, to: &mut [u8]) {
        assert_eq!(to.len(), from.len() as usize);
        // SAFETY: a UserRange lies in the user region (UserRange::new),
        // which is identity-mapped, present and readable from ring 0; the
        // kernel's buffer `to` cannot overlap it (kernel memory is below).
        unsafe {
            core::ptr::copy_nonoverlapping(
                from.start as usize as *const u8,
                to.as_mut_ptr(),
                to.len(),
            )
        };
    }

    /// Copies `from` into the program's memory at `to` (`from.len()` must
    /// be `to.len()`).
    pub fn copy_to_user(from: &[u8], to: UserRange) {
        assert_eq!(from.len(), to.len() as usize);
        // SAFETY: as in copy_from_user; the user region is also writable
        // from ring 0.
        unsafe {
            core::ptr::copy_nonoverlapping(from.as_ptr(), to.start as usize as *mut u8, from.len())
        };
    }

    /// Sets every byte of the program's memory in `range` to zero.
    pub fn zero_user(range: UserRange) {
        // SAFETY: as in copy_to_user.
        unsafe { core::ptr::write_bytes(range.start as usize as *mut u8, 0, range.len as usize) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::paging::{USER_END, USER_STACK_GUARD, USER_START};

    #[test]
    fn only_user_memory_passes_the_check() {
        assert!(UserRange::new(USER_START, 16).is_some());
        assert!(UserRange::new(0x0010_0000, 16).is_none()); // the kernel
        assert!(UserRange::new(USER_END - 4, 8).is_none()); // runs past the end
        assert!(UserRange::new(USER_STACK_GUARD, 1).is_none()); // the guard page
        assert!(UserRange::new(0xFFFF_FFF0, 0x20).is_none()); // wraps around
    }

    #[test]
    fn parts_stay_inside_their_range() {
        let range = UserRange::new(USER_START, 100).unwrap();
        let part = range.part(90, 10).unwrap();
        assert_eq!((part.start(), part.len()), (USER_START + 90, 10));
        assert!(range.part(90, 11).is_none());
        assert!(range.part(u32::MAX, 2).is_none());
    }
}
