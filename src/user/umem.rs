//! User memory as the kernel may touch it: only through a checked range.
//!
//! A system call hands the kernel addresses chosen by the program. The
//! kernel must never read or write one before checking that the whole
//! range lies in memory the program itself may use, or a program could
//! make the kernel copy kernel memory out, or overwrite it, on its behalf.
//! The check has two parts:
//!
//! 1. Here, on the numbers alone: the range lies in the user half, below
//!    KERNEL_BASE, and does not wrap around. Only `UserRange::new` makes a
//!    `UserRange`, so a function that takes one cannot be handed a kernel
//!    address (Hubris's `USlice` is the model).
//! 2. In the copy (src/mm/space.rs, `AddressSpace::read` and `write`):
//!    every page of the range is present in the process's page tables,
//!    user-accessible, and writable for a write; nothing is copied unless
//!    all of them are.
//!
//! Pure and host-tested.

use crate::cpu::paging::KERNEL_BASE;

/// `[start, start + len)`, checked to lie wholly in the user half of the
/// address space, without wrapping around.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRange {
    start: u32,
    len: u32,
}

impl UserRange {
    /// The range `[start, start + len)`, or None if any of it is not in
    /// the user half.
    pub fn new(start: u32, len: u32) -> Option<UserRange> {
        let end = start.checked_add(len)?;
        (end <= KERNEL_BASE).then_some(UserRange { start, len })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_user_half_passes_the_check() {
        assert!(UserRange::new(0x0804_8000, 16).is_some());
        assert!(UserRange::new(KERNEL_BASE - 4, 4).is_some());
        assert!(UserRange::new(KERNEL_BASE - 4, 5).is_none()); // runs into the kernel
        assert!(UserRange::new(0xC010_0000, 16).is_none()); // the kernel
        assert!(UserRange::new(0xFFFF_FFF0, 0x20).is_none()); // wraps around
        assert!(UserRange::new(0x1000, u32::MAX).is_none());
    }

    #[test]
    fn parts_stay_inside_their_range() {
        let range = UserRange::new(0x0804_8000, 100).unwrap();
        let part = range.part(90, 10).unwrap();
        assert_eq!((part.start(), part.len()), (0x0804_8000 + 90, 10));
        assert!(range.part(90, 11).is_none());
        assert!(range.part(u32::MAX, 2).is_none());
    }
}
