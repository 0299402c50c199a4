//! The Global Descriptor Table: the kernel's own flat segments.
//!
//! Intel SDM Vol. 3A, sections 3.4.5 (segment descriptors) and 3.5.1
//! (the GDT). The Multiboot specification leaves the loader's GDT and
//! selectors undefined (GRUB enters with CS = 0x10 and DS = 0x18, QEMU's
//! -kernel loader with 0x08 and 0x10), and the IDT's gates name a code
//! selector, so the kernel loads this table and reloads every segment
//! register before the first interrupt can arrive.
//!
//! Every segment is flat (base 0, limit 4 GiB): protection between the
//! kernel and user programs comes from the descriptor privilege levels
//! and, later, from paging, not from segment limits. Slots for the user
//! segments are here from the start so the selector values never move.
//!
//! This module owns the table; it never touches the IDT or the PIC.

use bitflags::bitflags;

bitflags! {
    /// Access byte of a segment descriptor (bits 40-47).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Access: u8 {
        /// Set by the CPU when the segment is first loaded.
        const ACCESSED    = 1 << 0;
        /// Code: readable. Data: writable.
        const READ_WRITE  = 1 << 1;
        /// Code: conforming. Data: expand-down.
        const CONFORMING  = 1 << 2;
        /// Code segment (1) or data segment (0).
        const EXECUTABLE  = 1 << 3;
        /// S bit: code/data segment (1) or system descriptor (0).
        const CODE_DATA   = 1 << 4;
        /// Descriptor privilege level 3 (bits 5-6 both set).
        const DPL_RING3   = 3 << 5;
        /// Present.
        const PRESENT     = 1 << 7;
        /// System type 0x9: available 32-bit TSS (with CODE_DATA clear).
        const TSS_32      = 0x9;
    }
}

bitflags! {
    /// The flags nibble of a segment descriptor (bits 52-55).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Flags: u8 {
        /// D/B: 32-bit code and stack operations.
        const SIZE_32        = 1 << 2;
        /// G: the limit counts 4 KiB pages, not bytes.
        const GRANULARITY_4K = 1 << 3;
    }
}

/// Encodes one 8-byte segment descriptor (SDM 3A, figure 3-8).
pub const fn descriptor(base: u32, limit: u32, access: Access, flags: Flags) -> u64 {
    let base = base as u64;
    let limit = limit as u64;
    (limit & 0xFFFF)
        | (base & 0xFF_FFFF) << 16
        | (access.bits() as u64) << 40
        | ((limit >> 16) & 0xF) << 48
        | (flags.bits() as u64 & 0xF) << 52
        | ((base >> 24) & 0xFF) << 56
}

const FLAT_LIMIT: u32 = 0xF_FFFF; // 2^20 pages of 4 KiB = 4 GiB
const FLAT: Flags = Flags::SIZE_32.union(Flags::GRANULARITY_4K);
const CODE: Access =
    Access::PRESENT.union(Access::CODE_DATA).union(Access::EXECUTABLE).union(Access::READ_WRITE);
const DATA: Access = Access::PRESENT.union(Access::CODE_DATA).union(Access::READ_WRITE);

/// Requested privilege level 3, for the low bits of a user selector.
pub const RPL_RING3: u16 = 3;

/// Selectors: index * 8, plus the RPL. Fixed for the kernel's lifetime.
pub const KERNEL_CODE: u16 = 1 << 3;
pub const KERNEL_DATA: u16 = 2 << 3;
pub const USER_CODE: u16 = (3 << 3) | RPL_RING3;
pub const USER_DATA: u16 = (4 << 3) | RPL_RING3;
/// First slot free for task-state segments.
pub const FIRST_TSS_INDEX: usize = 5;

/// Descriptor slots: null, kernel code/data, user code/data, two TSSs.
pub const GDT_ENTRIES: usize = 7;

/// The table as built at boot (TSS slots empty until a TSS is installed).
pub const fn flat_table() -> [u64; GDT_ENTRIES] {
    [
        0, // the null descriptor: loading selector 0 is allowed, using it is #GP
        descriptor(0, FLAT_LIMIT, CODE, FLAT),
        descriptor(0, FLAT_LIMIT, DATA, FLAT),
        descriptor(0, FLAT_LIMIT, CODE.union(Access::DPL_RING3), FLAT),
        descriptor(0, FLAT_LIMIT, DATA.union(Access::DPL_RING3), FLAT),
        0,
        0,
    ]
}

#[cfg(target_arch = "x86")]
pub use self::hw::*;

#[cfg(target_arch = "x86")]
mod hw {
    use super::*;
    use core::arch::asm;
    use x86::dtables::{lgdt, DescriptorTablePointer};

    /// The live table. Written only by `init` and `install_tss`, which run
    /// on the boot path before interrupts are enabled; afterwards only the
    /// CPU writes to it (the TSS busy bit), which is why it is not const.
    static mut GDT: [u64; GDT_ENTRIES] = flat_table();

    /// CS and DS as they are now (the loader's, before `init`).
    pub fn selectors() -> (u16, u16) {
        let (cs, ds): (u32, u32);
        // SAFETY: reading segment registers has no side effects.
        unsafe {
            asm!(
                "mov {0:e}, cs",
                "mov {1:e}, ds",
                out(reg) cs,
                out(reg) ds,
                options(nomem, nostack)
            )
        };
        (cs as u16, ds as u16)
    }

    /// Loads the flat GDT, then reloads CS with a far return and every
    /// data segment register (DS, ES, FS, GS, SS) with the kernel data
    /// selector, so no loader selector survives.
    pub fn init() {
        // SAFETY: boot path, single-threaded, interrupts off: nothing else
        // reads or writes GDT. The table has static lifetime as lgdt needs.
        // The selectors name descriptors of this table that are flat like
        // the loader's, so the code and stack in use stay valid across the
        // reload.
        unsafe {
            let table = &*(&raw const GDT);
            lgdt(&DescriptorTablePointer::new_from_slice(table));
            asm!(
                // A far return pops EIP, then CS: the only way besides a
                // far jump/call to load CS.
                "push {code}",
                "lea {tmp}, [3f]",
                "push {tmp}",
                "retf",
                "3:",
                "mov ds, {data:e}",
                "mov es, {data:e}",
                "mov fs, {data:e}",
                "mov gs, {data:e}",
                "mov ss, {data:e}",
                code = const KERNEL_CODE as u32,
                data = in(reg) u32::from(KERNEL_DATA),
                tmp = out(reg) _,
            );
        }
    }

    /// Puts a TSS descriptor into slot `index` and returns its selector.
    ///
    /// # Safety
    /// Boot path only (interrupts off, no other GDT user), and `tss` must
    /// point to a 32-bit TSS of `limit + 1` bytes that lives forever.
    pub unsafe fn install_tss(index: usize, tss: u32, limit: u32) -> u16 {
        assert!((FIRST_TSS_INDEX..GDT_ENTRIES).contains(&index));
        // SAFETY: the caller guarantees exclusive access on the boot path.
        unsafe {
            (*(&raw mut GDT))[index] =
                descriptor(tss, limit, Access::PRESENT.union(Access::TSS_32), Flags::empty())
        };
        (index as u16) << 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_descriptors_match_the_well_known_values() {
        let t = flat_table();
        assert_eq!(t[0], 0);
        assert_eq!(t[1], 0x00CF_9A00_0000_FFFF); // kernel code
        assert_eq!(t[2], 0x00CF_9200_0000_FFFF); // kernel data
        assert_eq!(t[3], 0x00CF_FA00_0000_FFFF); // user code, DPL 3
        assert_eq!(t[4], 0x00CF_F200_0000_FFFF); // user data, DPL 3
    }

    #[test]
    fn selectors_index_the_table() {
        assert_eq!(KERNEL_CODE, 0x08);
        assert_eq!(KERNEL_DATA, 0x10);
        assert_eq!(USER_CODE, 0x1B);
        assert_eq!(USER_DATA, 0x23);
        assert!(usize::from(USER_DATA >> 3) < FIRST_TSS_INDEX);
    }

    #[test]
    fn base_and_limit_are_split_as_the_sdm_draws_them() {
        let d = descriptor(0x1234_5678, 0x6_7890, Access::PRESENT | Access::TSS_32, Flags::empty());
        assert_eq!(d & 0xFFFF, 0x7890);
        assert_eq!((d >> 16) & 0xFF_FFFF, 0x34_5678);
        assert_eq!((d >> 40) & 0xFF, 0x89);
        assert_eq!((d >> 48) & 0xF, 0x6);
        assert_eq!(d >> 56, 0x12);
    }
}
