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
//! and from paging, not from segment limits. Slots for the user segments
//! are here from the start so the selector values never move.
//!
//! ## Thread-local storage: why a 1980s table still matters
//!
//! Segmentation is all but switched off on 32-bit x86 (every segment
//! above is flat), yet one use of it survived: a segment's *base*. An
//! access through GS goes to GS.base + offset, with no register spent on
//! the address. A C library keeps each thread's own data (errno, its
//! stdio locks, the stack-protector canary, malloc's per-thread cache)
//! in a block, its "thread control block", and on i386 it points GS at
//! that block, so `mov eax, gs:[0x18]` reads a thread-local variable in
//! one instruction. (x86-64 kept the idea, as the FS.base and GS.base
//! registers; i386 has only descriptors.) A user program cannot write a
//! descriptor, so it asks the kernel: `set_thread_area`, which Linux i386
//! answers by writing a descriptor into one of three GDT slots,
//! GDT_ENTRY_TLS_MIN = 6 to 8, that belong to the running thread. The
//! program then loads the selector (0x33 for slot 6) into GS itself.
//!
//! Three slots, but every process has its own three: the scheduler writes
//! the next process's descriptors here on every switch (`load_tls`),
//! before the switch reloads its GS, because a segment register caches
//! the descriptor it was loaded with and only a reload reads the table
//! again. Slots a process never set are written empty, so no process can
//! reach another's block through a stale slot (loading one is a #GP).
//!
//! ```text
//!   0 null   1 kernel code 0x08   2 kernel data 0x10   3 user code 0x1b
//!   4 user data 0x23   5 main TSS 0x28   6-8 TLS 0x33 0x3b 0x43   9 #DF TSS 0x48
//! ```
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
        /// AVL: free for software (Linux's user_desc calls it `useable`).
        const AVAILABLE      = 1 << 0;
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
/// The main TSS's slot (its selector is 0x28).
pub const MAIN_TSS_INDEX: usize = 5;
/// The first of the running process's thread-local-storage slots, as on
/// Linux i386 (GDT_ENTRY_TLS_MIN); its selector, 0x33, is what glibc
/// loads into GS there.
pub const TLS_FIRST_INDEX: usize = 6;
/// How many TLS slots a process has (GDT_ENTRY_TLS_ENTRIES).
pub const TLS_ENTRIES: usize = 3;
/// The double-fault task's TSS, after the TLS slots.
pub const DOUBLE_FAULT_TSS_INDEX: usize = TLS_FIRST_INDEX + TLS_ENTRIES;

/// Descriptor slots: null, kernel code/data, user code/data, the main
/// TSS, three TLS slots, the double-fault TSS.
pub const GDT_ENTRIES: usize = DOUBLE_FAULT_TSS_INDEX + 1;

/// A process's TLS descriptors, as `set_thread_area` made them; 0 is an
/// empty slot (not present: loading its selector faults).
pub type TlsDescriptors = [u64; TLS_ENTRIES];

/// The TLS slot (0 to TLS_ENTRIES - 1) that `selector` names, if any.
pub const fn tls_slot(selector: u16) -> Option<usize> {
    let index = (selector >> 3) as usize;
    // The table indicator (bit 2) set means the LDT, which this kernel
    // does not have.
    if selector & 4 == 0 && index >= TLS_FIRST_INDEX && index < TLS_FIRST_INDEX + TLS_ENTRIES {
        Some(index - TLS_FIRST_INDEX)
    } else {
        None
    }
}

/// What a data-segment register holding `selector` should hold after the
/// TLS slots became `tls`: the same selector, or the null selector if it
/// names a slot that is now empty (reloading it would fault, in ring 0).
/// Linux does the same when a thread clears the slot its GS uses.
pub const fn after_tls_change(selector: u16, tls: &TlsDescriptors) -> u16 {
    match tls_slot(selector) {
        Some(slot) if tls[slot] & PRESENT_BIT == 0 => 0,
        _ => selector,
    }
}

/// The P bit of a descriptor (bit 47).
const PRESENT_BIT: u64 = 1 << 47;

/// The table as built at boot (TSS slots empty until a TSS is installed).
pub const fn flat_table() -> [u64; GDT_ENTRIES] {
    [
        0, // the null descriptor: loading selector 0 is allowed, using it is #GP
        descriptor(0, FLAT_LIMIT, CODE, FLAT),
        descriptor(0, FLAT_LIMIT, DATA, FLAT),
        // LAB 1 BEGIN: the user code and data segments (ring 3)
        descriptor(0, FLAT_LIMIT, CODE.union(Access::DPL_RING3), FLAT),
        descriptor(0, FLAT_LIMIT, DATA.union(Access::DPL_RING3), FLAT),
        //~ // YOUR CODE HERE: the user code segment (selector 0x1b), then the user
        //~ // data segment (0x23): flat like the kernel's, for ring 3.
        //~ 0,
        //~ 0,
        // LAB 1 END
        0, // main TSS
        0, // TLS, slot 6
        0, // TLS, slot 7
        0, // TLS, slot 8
        0, // double-fault TSS
    ]
}

#[cfg(target_arch = "x86")]
pub use self::hw::*;

#[cfg(target_arch = "x86")]
mod hw {
    use super::*;
    use core::arch::asm;
    use x86::dtables::{lgdt, DescriptorTablePointer};

    /// The live table. Written by `init` and `install_tss` on the boot
    /// path before interrupts are enabled, by `load_tls` with interrupts
    /// off, and by the CPU (the TSS busy bit), which is why it is not const.
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
            // LAB 1 BEGIN: reload CS, then DS, ES, FS, GS and SS
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
            //~ // YOUR CODE HERE: the loader's selectors are still in every segment
            //~ // register. Load KERNEL_CODE into CS (a far return) and KERNEL_DATA
            //~ // into DS, ES, FS, GS and SS, in one asm! block.
            // LAB 1 END
        }
    }

    /// Puts a TSS descriptor into slot `index` and returns its selector.
    ///
    /// # Safety
    /// Boot path only (interrupts off, no other GDT user), and `tss` must
    /// point to a 32-bit TSS of `limit + 1` bytes that lives forever.
    pub unsafe fn install_tss(index: usize, tss: u32, limit: u32) -> u16 {
        assert!(index == MAIN_TSS_INDEX || index == DOUBLE_FAULT_TSS_INDEX);
        // SAFETY: the caller guarantees exclusive access on the boot path.
        unsafe {
            (*(&raw mut GDT))[index] =
                descriptor(tss, limit, Access::PRESENT.union(Access::TSS_32), Flags::empty())
        };
        (index as u16) << 3
    }

    /// Writes a process's TLS descriptors into slots 6-8: on every switch
    /// to it, and when it changes them. Interrupts must be off. A segment
    /// register that already holds one of these selectors keeps the
    /// descriptor it cached until it is reloaded (`reload_tls_users`, or
    /// the switch's own reload of FS and GS).
    pub fn load_tls(tls: &TlsDescriptors) {
        debug_assert!(!crate::cpu::interrupts_enabled());
        // SAFETY: one CPU, interrupts off: nothing else writes the table
        // now. The CPU reads a slot only when a selector is loaded, and
        // only the TLS slots change, which no kernel selector names.
        unsafe {
            let table = &mut *(&raw mut GDT);
            table[TLS_FIRST_INDEX..TLS_FIRST_INDEX + TLS_ENTRIES].copy_from_slice(tls);
        }
    }

    /// Reloads FS and GS if they name a TLS slot, so that a change the
    /// running process just made to its slots takes effect at once, as on
    /// Linux; a slot it emptied gives the null selector instead of a fault.
    /// Call after `load_tls(tls)`; the kernel never uses FS or GS itself,
    /// so the values stay for the program's return to ring 3.
    pub fn reload_tls_users(tls: &TlsDescriptors) {
        let (fs, gs): (u32, u32);
        // SAFETY: reading segment registers has no side effects.
        unsafe {
            asm!("mov {0:e}, fs", "mov {1:e}, gs", out(reg) fs, out(reg) gs,
                 options(nomem, nostack, preserves_flags))
        };
        let (fs, gs) = (fs as u16, gs as u16);
        if tls_slot(fs).is_some() {
            let fs = u32::from(after_tls_change(fs, tls));
            // SAFETY: `after_tls_change` leaves a selector whose slot holds
            // a present DPL-3 data descriptor (set_thread_area makes no
            // other kind), or null: the load cannot fault in ring 0.
            unsafe { asm!("mov fs, {0:e}", in(reg) fs, options(nostack, preserves_flags)) };
        }
        if tls_slot(gs).is_some() {
            let gs = u32::from(after_tls_change(gs, tls));
            // SAFETY: as for FS above.
            unsafe { asm!("mov gs, {0:e}", in(reg) gs, options(nostack, preserves_flags)) };
        }
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

        // LAB 1 BEGIN: the user segments' values
        // The user code and data segments, DPL 3.
        assert_eq!(t[3], 0x00CF_FA00_0000_FFFF);
        assert_eq!(t[4], 0x00CF_F200_0000_FFFF);
        //~ // Your user segments: present, DPL 3, code and data.
        //~ let access = |d: u64| (d >> 40) as u8;
        //~ assert_eq!(access(t[3]) & 0xF8, 0xF8, "user code: present, DPL 3, code");
        //~ assert_eq!(access(t[4]) & 0xF8, 0xF0, "user data: present, DPL 3, data");
        // LAB 1 END
    }

    #[test]
    fn selectors_index_the_table() {
        assert_eq!(KERNEL_CODE, 0x08);
        assert_eq!(KERNEL_DATA, 0x10);
        assert_eq!(USER_CODE, 0x1B);
        assert_eq!(USER_DATA, 0x23);
        assert!(usize::from(USER_DATA >> 3) < MAIN_TSS_INDEX);
        // Linux i386's numbers: glibc finds 6 and loads GS with 0x33.
        assert_eq!(TLS_FIRST_INDEX, 6);
        assert_eq!((TLS_FIRST_INDEX << 3) | 3, 0x33);
        assert_eq!((DOUBLE_FAULT_TSS_INDEX, GDT_ENTRIES), (9, 10));
        assert!(flat_table()[TLS_FIRST_INDEX..DOUBLE_FAULT_TSS_INDEX].iter().all(|&d| d == 0));
    }

    #[test]
    fn tls_selectors_and_emptied_slots() {
        assert_eq!(tls_slot(0x33), Some(0));
        assert_eq!(tls_slot(0x30), Some(0)); // RPL does not matter
        assert_eq!(tls_slot(0x43), Some(2));
        assert_eq!(tls_slot(0x37), None); // the LDT's slot 6
        assert_eq!(tls_slot(0x2b), None);
        assert_eq!(tls_slot(0x4b), None);
        assert_eq!(tls_slot(0), None);
        let data = descriptor(0x1000, 0xF_FFFF, DATA.union(Access::DPL_RING3), FLAT);
        let tls = [data, 0, 0];
        assert_eq!(after_tls_change(0x33, &tls), 0x33);
        assert_eq!(after_tls_change(0x3b, &tls), 0, "an empty slot gives the null selector");
        assert_eq!(after_tls_change(USER_DATA, &tls), USER_DATA);
        assert_eq!(after_tls_change(0, &tls), 0);
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
