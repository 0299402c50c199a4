//! 32-bit paging: the vocabulary of page directories and page tables.
//!
//! Intel SDM Vol. 3A, section 4.3 (32-bit paging): CR3 holds the physical
//! address of a page directory of 1024 entries; each entry points to a
//! page table of 1024 entries (or, with CR4.PSE and the PS bit, maps a
//! 4 MiB page itself); each table entry maps one 4 KiB page. The top ten
//! bits of a virtual address pick the directory entry, the next ten the
//! table entry, the low twelve the byte in the page.
//!
//! The kernel lives in the top quarter of every address space:
//!
//! ```text
//!   0xFFFFFFFF +---------------------------+
//!              | device registers (MMIO),  |  DEVICE_WINDOW: uncached,
//!   0xFFC00000 | a NIC's BAR0 among them   |  mapped by drivers at boot
//!              +---------------------------+
//!              | all RAM, mapped once at   |  supervisor only: the same
//!              | KERNEL_BASE + physical    |  page tables in every
//!   0xC0100000 | (the kernel image at 1MiB)|  process's directory
//!   0xC0000000 +---------------------------+  KERNEL_BASE
//!              | the process: code, data,  |  user pages, each process
//!              | heap, stack               |  its own
//!   0x00001000 +---------------------------+
//!   0x00000000 | page 0, never mapped      |  a null pointer faults
//! ```
//!
//! Because the kernel half is the same in every directory, an interrupt
//! can be handled in whichever process it lands in, without a CR3 load.
//! This module holds the constants and the entry encoding (pure,
//! host-tested) and the few instructions that load CR3; building address
//! spaces is src/mm/'s work.

use bitflags::bitflags;

bitflags! {
    /// Flags of a page-directory or page-table entry (SDM 3A, tables 4-4
    /// to 4-6).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PageFlags: u32 {
        const PRESENT  = 1 << 0;
        const WRITABLE = 1 << 1;
        /// User/supervisor: ring 3 may access the page.
        const USER     = 1 << 2;
        /// PWT: writes go straight to memory (with PCD: a device's
        /// registers, where every access must reach the device).
        const WRITE_THROUGH = 1 << 3;
        /// PCD: never cached. A read of a device register must reach the
        /// device every time (the e1000's ICR clears itself when read).
        const CACHE_DISABLE = 1 << 4;
        /// PS, in a directory entry with CR4.PSE: a 4 MiB page, no table.
        const HUGE     = 1 << 7;
    }
}

pub const PAGE_SIZE: u32 = 4096;
/// Entries in a page directory or a page table.
pub const ENTRIES: usize = 1024;
/// Bytes one page table (one directory entry) maps.
pub const TABLE_SPAN: u32 = ENTRIES as u32 * PAGE_SIZE;

/// Where the kernel half of every address space begins: physical address
/// p is at virtual KERNEL_BASE + p. linker.ld links the kernel there
/// (`KERNEL_BASE` in it must be this value: checked at boot).
pub const KERNEL_BASE: u32 = 0xC000_0000;
/// The first directory entry of the kernel half.
pub const KERNEL_FIRST_ENTRY: usize = (KERNEL_BASE / TABLE_SPAN) as usize;
/// The top 4 MiB of the kernel half, one page table's worth, where
/// drivers map their devices' registers (`mm::map_device`). Physical
/// devices sit far above RAM (QEMU's e1000 at 0xFEBC0000, Bochs's at
/// 0xC0000000), out of reach of the direct map, so they get pages here.
pub const DEVICE_WINDOW: u32 = 0xFFC0_0000;
/// Physical memory the kernel half can map: everything from KERNEL_BASE
/// up to the device window.
pub const KERNEL_SPAN: u64 = DEVICE_WINDOW as u64 - KERNEL_BASE as u64;

/// The kernel-half address of physical address `physical`.
pub const fn physical_to_virtual(physical: u32) -> u32 {
    physical + KERNEL_BASE
}

/// The physical address behind kernel-half address `virt`.
pub const fn virtual_to_physical(virt: u32) -> u32 {
    virt - KERNEL_BASE
}

/// The directory entry that maps `address`.
pub const fn directory_index(address: u32) -> usize {
    (address >> 22) as usize
}

/// The entry in its page table that maps `address`.
pub const fn table_index(address: u32) -> usize {
    ((address >> 12) & 0x3FF) as usize
}

/// An entry: the frame's physical address and the flags.
pub const fn entry(physical: u32, flags: PageFlags) -> u32 {
    (physical & !(PAGE_SIZE - 1)) | flags.bits()
}

/// The physical address an entry points to.
pub const fn entry_address(entry: u32) -> u32 {
    entry & !(PAGE_SIZE - 1)
}

/// The flags of an entry.
pub fn entry_flags(entry: u32) -> PageFlags {
    PageFlags::from_bits_truncate(entry)
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::*;
    use core::arch::asm;

    unsafe extern "C" {
        /// Lowest byte of the boot stack (boot/boot.s), page-aligned.
        static boot_stack_bottom: u8;
        /// linker.ld's KERNEL_BASE, as the address of a symbol.
        static __kernel_base: u8;
    }

    /// The value linker.ld linked the kernel for.
    pub fn linked_kernel_base() -> u32 {
        // Only the symbol's address is taken, never its contents.
        &raw const __kernel_base as u32
    }

    /// The guard page: the boot stack's lowest page, left unmapped, so
    /// that a kernel stack overflow faults instead of overwriting what
    /// lies below the stack.
    pub fn stack_guard() -> u32 {
        // Only the symbol's address is taken, never its contents.
        &raw const boot_stack_bottom as u32
    }

    /// Whether `esp` points into (or just above) the guard page, as it does
    /// when a push overflowed the kernel stack.
    pub fn in_stack_guard(esp: u32) -> bool {
        esp.wrapping_sub(stack_guard()) <= PAGE_SIZE
    }

    /// Makes the page directory at physical address `directory` the
    /// current one: the switch between two processes' address spaces.
    ///
    /// # Safety
    /// The directory must map the kernel half exactly as the current one
    /// does (the code running now, its stack and data must stay where
    /// they are), and must stay allocated while it is loaded.
    pub unsafe fn load_directory(directory: u32) {
        // SAFETY: forwarded from the caller; writing CR3 also flushes the
        // TLB's non-global entries.
        unsafe { asm!("mov cr3, {}", in(reg) directory, options(nostack, preserves_flags)) };
    }

    /// Drops the TLB's cached translation of the page holding `address`
    /// (in the current address space), after its entry changed.
    pub fn invalidate_page(address: u32) {
        // SAFETY: invlpg only drops a cached translation; the next access
        // reads the page tables again.
        unsafe { asm!("invlpg [{}]", in(reg) address, options(nostack, preserves_flags)) };
    }

    /// The physical address of the current page directory (CR3).
    pub fn current_directory() -> u32 {
        let cr3: u32;
        // SAFETY: reading CR3 in ring 0 has no side effects.
        unsafe { asm!("mov {}, cr3", out(reg) cr3, options(nomem, nostack, preserves_flags)) };
        cr3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_as_the_sdm_draws_them() {
        assert_eq!(directory_index(0xC010_2345), 0x300);
        assert_eq!(table_index(0xC010_2345), 0x102);
        assert_eq!(KERNEL_FIRST_ENTRY, 768);
        assert_eq!(directory_index(0x0804_8000), 32);
        assert_eq!(table_index(0x0804_8000), 0x48);
    }

    #[test]
    fn entries() {
        let e = entry(0x0012_3456, PageFlags::PRESENT | PageFlags::WRITABLE | PageFlags::USER);
        assert_eq!(e, 0x0012_3007);
        assert_eq!(entry_address(e), 0x0012_3000);
        assert_eq!(entry_flags(e), PageFlags::PRESENT | PageFlags::WRITABLE | PageFlags::USER);
        assert_eq!(entry(0, PageFlags::PRESENT | PageFlags::WRITABLE | PageFlags::HUGE), 0x83);
    }

    #[test]
    fn the_kernel_half_is_the_physical_memory_shifted() {
        assert_eq!(physical_to_virtual(0x0010_0000), 0xC010_0000);
        assert_eq!(virtual_to_physical(0xC00B_8000), 0x000B_8000);
        assert_eq!(KERNEL_SPAN, (1 << 30) - (4 << 20));
        assert_eq!(directory_index(DEVICE_WINDOW), ENTRIES - 1);
    }
}
