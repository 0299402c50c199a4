//! The 32-bit Task-State Segment (Intel SDM Vol. 3A, section 8.2.1).
//!
//! This kernel does not switch tasks to schedule. It uses TSSs for two
//! things only: `esp0`/`ss0` of the main TSS give the CPU the kernel stack
//! to switch to when an interrupt arrives in ring 3, and a second TSS
//! behind a task gate runs the double-fault handler on a stack of its own
//! (32-bit x86 has no interrupt stack table: a task switch is the only way
//! to get a known-good stack for #DF after the kernel stack overflowed).
//! The layout is pure data, so the host tests pin it.

use core::mem::{offset_of, size_of};

/// A 32-bit TSS, field for field as figure 8-2 of the SDM draws it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Tss {
    /// Selector of the previous task (set by the CPU on a nested switch).
    pub link: u16,
    _reserved0: u16,
    /// Stack for entries into ring 0 from an outer ring.
    pub esp0: u32,
    pub ss0: u16,
    _reserved1: u16,
    pub esp1: u32,
    pub ss1: u16,
    _reserved2: u16,
    pub esp2: u32,
    pub ss2: u16,
    _reserved3: u16,
    /// Registers loaded when switching to this task, and saved into the
    /// current task's TSS when switching away from it.
    pub cr3: u32,
    pub eip: u32,
    pub eflags: u32,
    pub eax: u32,
    pub ecx: u32,
    pub edx: u32,
    pub ebx: u32,
    pub esp: u32,
    pub ebp: u32,
    pub esi: u32,
    pub edi: u32,
    pub es: u16,
    _reserved4: u16,
    pub cs: u16,
    _reserved5: u16,
    pub ss: u16,
    _reserved6: u16,
    pub ds: u16,
    _reserved7: u16,
    pub fs: u16,
    _reserved8: u16,
    pub gs: u16,
    _reserved9: u16,
    pub ldt: u16,
    _reserved10: u16,
    /// Bit 0: raise #DB on a switch to this task.
    pub trap: u16,
    /// Offset of the I/O permission bitmap. Set beyond the segment limit
    /// there is no bitmap, so ring 3 (IOPL 0) may use no I/O port at all.
    pub iomap_base: u16,
}

/// Bytes in a TSS without an I/O bitmap; the descriptor limit is this - 1.
pub const TSS_SIZE: usize = 104;

const _: () = assert!(size_of::<Tss>() == TSS_SIZE);
const _: () = assert!(offset_of!(Tss, esp0) == 4);
const _: () = assert!(offset_of!(Tss, cr3) == 28);
const _: () = assert!(offset_of!(Tss, eip) == 32);
const _: () = assert!(offset_of!(Tss, esp) == 56);
const _: () = assert!(offset_of!(Tss, cs) == 76);
const _: () = assert!(offset_of!(Tss, iomap_base) == 102);

impl Tss {
    /// A TSS with every field zero and no I/O permission bitmap. (Written
    /// out field by field because `Default::default` is not `const`.)
    pub const fn new() -> Tss {
        Tss {
            link: 0,
            _reserved0: 0,
            esp0: 0,
            ss0: 0,
            _reserved1: 0,
            esp1: 0,
            ss1: 0,
            _reserved2: 0,
            esp2: 0,
            ss2: 0,
            _reserved3: 0,
            cr3: 0,
            eip: 0,
            eflags: 0,
            eax: 0,
            ecx: 0,
            edx: 0,
            ebx: 0,
            esp: 0,
            ebp: 0,
            esi: 0,
            edi: 0,
            es: 0,
            _reserved4: 0,
            cs: 0,
            _reserved5: 0,
            ss: 0,
            _reserved6: 0,
            ds: 0,
            _reserved7: 0,
            fs: 0,
            _reserved8: 0,
            gs: 0,
            _reserved9: 0,
            ldt: 0,
            _reserved10: 0,
            trap: 0,
            iomap_base: TSS_SIZE as u16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_io_bitmap_by_default() {
        let t = Tss::new();
        assert_eq!(usize::from(t.iomap_base), TSS_SIZE);
        assert_eq!(t.esp0, 0);
    }
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::*;
    use crate::cpu::gdt::{self, DOUBLE_FAULT_TSS_INDEX, KERNEL_CODE, KERNEL_DATA, MAIN_TSS_INDEX};

    const STACK_SIZE: usize = 16 * 1024;

    #[repr(C, align(16))]
    struct Stack([u8; STACK_SIZE]);

    /// The main TSS: its ESP0 is the stack for entries from ring 3, and a
    /// task switch to the double-fault task saves the faulting state here.
    static mut MAIN: Tss = Tss::new();
    /// The double-fault task: its own registers, stack and page directory.
    static mut DOUBLE_FAULT: Tss = Tss::new();
    /// Stack of the ring-3 entry path (MAIN.esp0).
    static mut RING0_STACK: Stack = Stack([0; STACK_SIZE]);
    /// Stack of the double-fault task.
    static mut DOUBLE_FAULT_STACK: Stack = Stack([0; STACK_SIZE]);

    /// Selectors of the two TSSs in the GDT.
    pub const MAIN_TSS: u16 = (MAIN_TSS_INDEX as u16) << 3;
    pub const DOUBLE_FAULT_TSS: u16 = (DOUBLE_FAULT_TSS_INDEX as u16) << 3;

    /// EFLAGS bit 1 is reserved and always 1; IF and everything else 0.
    const EFLAGS_RESERVED: u32 = 1 << 1;

    unsafe extern "C" {
        /// Entry of the double-fault task (src/interrupt/stubs.rs).
        fn double_fault_entry();
    }

    fn stack_top(stack: *mut Stack) -> u32 {
        stack as u32 + STACK_SIZE as u32
    }

    /// Fills in both TSSs, puts their descriptors in the GDT and loads the
    /// task register with the main one. `cr3` is the page directory the
    /// double-fault task runs with. Returns (ring-0 stack top, #DF stack top).
    pub fn init(cr3: u32) -> (u32, u32) {
        // SAFETY: boot path, interrupts off: nothing else touches the TSSs.
        // Their memory is static, as the CPU requires of a TSS.
        unsafe {
            let main = &mut *(&raw mut MAIN);
            main.ss0 = KERNEL_DATA;
            main.esp0 = stack_top(&raw mut RING0_STACK);

            let df = &mut *(&raw mut DOUBLE_FAULT);
            df.cr3 = cr3;
            df.eip = double_fault_entry as *const () as u32;
            df.esp = stack_top(&raw mut DOUBLE_FAULT_STACK);
            df.eflags = EFLAGS_RESERVED;
            df.cs = KERNEL_CODE;
            (df.ss, df.ds, df.es, df.fs, df.gs) =
                (KERNEL_DATA, KERNEL_DATA, KERNEL_DATA, KERNEL_DATA, KERNEL_DATA);

            let limit = TSS_SIZE as u32 - 1;
            let main_selector = gdt::install_tss(MAIN_TSS_INDEX, &raw const MAIN as u32, limit);
            let df_selector =
                gdt::install_tss(DOUBLE_FAULT_TSS_INDEX, &raw const DOUBLE_FAULT as u32, limit);
            debug_assert_eq!((main_selector, df_selector), (MAIN_TSS, DOUBLE_FAULT_TSS));
            // ltr marks the main TSS busy: this code is now "task MAIN_TSS".
            x86::task::load_tr(x86::segmentation::SegmentSelector::from_raw(MAIN_TSS));
            (main.esp0, df.esp)
        }
    }

    /// The register state the CPU saved into the main TSS when it switched
    /// to the double-fault task: the state at the moment of the fault.
    pub fn faulted_state() -> Tss {
        // SAFETY: read after the task switch, on the double-fault task,
        // which is the only code still running.
        unsafe { *(&raw const MAIN) }
    }

    /// Sets the stack the CPU switches to on an interrupt from ring 3.
    pub fn set_ring0_stack(esp0: u32) {
        // SAFETY: a single aligned 32-bit store; the CPU reads esp0 only
        // on an entry from ring 3, which cannot happen while ring 0 runs.
        unsafe { (*(&raw mut MAIN)).esp0 = esp0 };
    }
}
