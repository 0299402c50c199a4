//! Minimal paging: the first 8 MiB identity-mapped, with protection.
//!
//! Intel SDM Vol. 3A, section 4.3 (32-bit paging): a page directory of
//! 1024 entries, each pointing to a page table of 1024 entries, each
//! mapping one 4 KiB page. Paging is here for protection, not for address
//! translation (every virtual address equals its physical one):
//!
//! - 0x00000000-0x003FFFFF (kernel, VGA, loader data): supervisor only,
//!   except that page 0 is left unmapped (a null pointer faults) and so
//!   is the lowest page of the boot stack (a kernel stack overflow faults
//!   there instead of silently overwriting what lies below the stack).
//! - 0x00400000-0x007FFFFF: the user region, present and writable from
//!   ring 3. Programs are loaded at its start; the user stack is its top
//!   64 KiB, with an unmapped guard page below it, so a runaway stack
//!   faults instead of growing into the program's own code.
//! - everything above: not mapped.
//!
//! The table arithmetic is pure and host-tested; `init` loads CR3 and
//! turns paging on.

use bitflags::bitflags;

bitflags! {
    /// Flags of a page-directory or page-table entry (SDM 3A, table 4-5/4-6).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PageFlags: u32 {
        const PRESENT  = 1 << 0;
        const WRITABLE = 1 << 1;
        /// User/supervisor: ring 3 may access the page.
        const USER     = 1 << 2;
    }
}

pub const PAGE_SIZE: u32 = 4096;
/// Bytes one page table maps.
pub const TABLE_SPAN: u32 = 1024 * PAGE_SIZE;
/// The user region: one page table's worth, starting at 4 MiB.
pub const USER_START: u32 = 0x0040_0000;
pub const USER_END: u32 = 0x0080_0000;
/// The user stack: ESP starts at USER_END and may grow down 64 KiB.
pub const USER_STACK_SIZE: u32 = 64 * 1024;
/// The unmapped page below the user stack.
pub const USER_STACK_GUARD: u32 = USER_END - USER_STACK_SIZE - PAGE_SIZE;

/// The two mapped parts of the user region: program, then stack.
pub const USER_PROGRAM: core::ops::Range<u32> = USER_START..USER_STACK_GUARD;
pub const USER_STACK: core::ops::Range<u32> = USER_STACK_GUARD + PAGE_SIZE..USER_END;

/// Whether `[start, start + len)` lies inside one mapped part of the user
/// region: what a system call checks before touching a pointer from
/// ring 3 (and the loader before copying a segment).
pub fn user_range_ok(start: u32, len: u32) -> bool {
    let Some(end) = start.checked_add(len) else { return false };
    [USER_PROGRAM, USER_STACK].iter().any(|part| start >= part.start && end <= part.end)
}

/// The page-table entry for identity-mapped address `address`, given the
/// pages that must stay unmapped.
pub fn identity_entry(address: u32, unmapped: &[u32]) -> u32 {
    let page = address & !(PAGE_SIZE - 1);
    if unmapped.contains(&page) {
        return 0;
    }
    let mut flags = PageFlags::PRESENT | PageFlags::WRITABLE;
    if (USER_START..USER_END).contains(&page) {
        flags |= PageFlags::USER;
    }
    page | flags.bits()
}

/// A page directory or page table: 1024 entries on a 4 KiB boundary.
#[repr(C, align(4096))]
pub struct Table(pub [u32; 1024]);

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::*;
    use core::arch::asm;

    /// Page tables for 0-4 MiB (kernel) and 4-8 MiB (user).
    const TABLES: usize = 2;
    static mut DIRECTORY: Table = Table([0; 1024]);
    static mut PAGE_TABLES: [Table; TABLES] = [const { Table([0; 1024]) }; TABLES];

    /// CR0.PG: paging on. CR0.WP: ring 0 also respects read-only pages.
    const CR0_PG: u32 = 1 << 31;
    const CR0_WP: u32 = 1 << 16;

    unsafe extern "C" {
        /// Lowest byte of the boot stack (boot/boot.s), page-aligned.
        static boot_stack_bottom: u8;
    }

    /// The guard page: the boot stack's lowest page, left unmapped.
    pub fn stack_guard() -> u32 {
        // Only the symbol's address is taken, never its contents.
        &raw const boot_stack_bottom as u32
    }

    /// Whether `esp` points into (or just above) the guard page, as it does
    /// when a push overflowed the kernel stack.
    pub fn in_stack_guard(esp: u32) -> bool {
        esp.wrapping_sub(stack_guard()) <= PAGE_SIZE
    }

    /// Builds the tables and enables paging. `guard` is the page left
    /// unmapped below the boot stack (the user stack's guard is fixed).
    /// Returns the directory's address (the CR3 value), which the
    /// double-fault TSS also needs.
    pub fn init(guard: u32) -> u32 {
        let unmapped = [0, guard, USER_STACK_GUARD];
        // SAFETY: boot path, before interrupts: nothing else uses the
        // tables. They are statics, so their addresses stay valid for CR3.
        unsafe {
            let directory = &mut *(&raw mut DIRECTORY);
            let tables = &mut *(&raw mut PAGE_TABLES);
            for (t, table) in tables.iter_mut().enumerate() {
                for (i, entry) in table.0.iter_mut().enumerate() {
                    *entry =
                        identity_entry(t as u32 * TABLE_SPAN + i as u32 * PAGE_SIZE, &unmapped);
                }
                // The directory entry must allow what any page below allows;
                // the page-table entries then narrow it down.
                let mut flags = PageFlags::PRESENT | PageFlags::WRITABLE;
                if t as u32 * TABLE_SPAN >= USER_START {
                    flags |= PageFlags::USER;
                }
                directory.0[t] = table as *const Table as u32 | flags.bits();
            }
            let cr3 = directory as *const Table as u32;
            asm!(
                "mov cr3, {cr3}",
                "mov {tmp}, cr0",
                "or {tmp}, {bits}",
                "mov cr0, {tmp}",
                cr3 = in(reg) cr3,
                bits = const CR0_PG | CR0_WP,
                tmp = out(reg) _,
                options(nostack)
            );
            cr3
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_stack_guard_page_is_no_user_memory() {
        assert_eq!(USER_STACK_GUARD, 0x007E_F000);
        assert!(user_range_ok(USER_STACK_GUARD - 4, 4));
        assert!(!user_range_ok(USER_STACK_GUARD, 1));
        assert!(!user_range_ok(USER_STACK_GUARD - 4, 8));
        assert!(!user_range_ok(USER_START, USER_END - USER_START));
        assert!(user_range_ok(USER_STACK_GUARD + PAGE_SIZE, USER_STACK_SIZE));
        assert_eq!(identity_entry(USER_STACK_GUARD, &[0, USER_STACK_GUARD]), 0);
    }

    #[test]
    fn user_region_bounds() {
        assert!(user_range_ok(USER_START, 1));
        assert!(user_range_ok(USER_END - 4, 4));
        assert!(!user_range_ok(USER_END - 4, 5));
        assert!(!user_range_ok(USER_START - 1, 2));
        assert!(!user_range_ok(0x0010_0000, 16)); // kernel image
        assert!(!user_range_ok(0xFFFF_FFF0, 0x20)); // wraps around
        assert!(user_range_ok(USER_START, 0));
    }

    #[test]
    fn entries() {
        let guard = 0x0011_0000;
        assert_eq!(identity_entry(0, &[0, guard]), 0);
        assert_eq!(identity_entry(guard + 12, &[0, guard]), 0);
        assert_eq!(identity_entry(0x000B_8000, &[0]), 0x000B_8003); // VGA: supervisor
        assert_eq!(identity_entry(0x0010_0000, &[0]), 0x0010_0003);
        assert_eq!(identity_entry(USER_START, &[0]), USER_START | 0x7);
        assert_eq!(identity_entry(USER_END - 1, &[0]), (USER_END - PAGE_SIZE) | 0x7);
    }
}
