//! The Interrupt Descriptor Table: 256 gates, one per vector.
//!
//! Intel SDM Vol. 3A, sections 6.10 (the IDT) and 6.11 (gate descriptors,
//! figure 6-2). Each 8-byte gate holds the handler's offset split in two
//! halves, the code selector to run it with, and a type/attribute byte:
//! present, the privilege level needed to reach the gate with `int n`
//! (DPL), and the gate type.
//!
//! This module knows how a gate is encoded, not which vector gets which
//! gate: `interrupt::dispatch::init` decides that (an interrupt gate per
//! vector, DPL 3 on the system-call gate only, a task gate for #DF).
//!
//! The gate encoding is pure and host-tested; `load` is the only part that
//! touches the CPU.

use core::mem::size_of;

/// Gates in the IDT: one per vector an `int n` can name (0-255).
pub const NUM_VECTORS: usize = 256;

/// The gate type, bits 0-3 of the attribute byte (SDM 3A, table 3-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum GateType {
    /// Task gate: switches to the TSS named by the selector.
    Task = 0x5,
    /// 32-bit interrupt gate: IF is cleared on entry.
    Interrupt32 = 0xE,
    /// 32-bit trap gate: IF is left as it was.
    Trap32 = 0xF,
}

/// Privilege level, used here as the gate's DPL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Ring {
    Kernel = 0,
    User = 3,
}

/// Attribute bit: the gate is present (an absent gate raises #NP).
const PRESENT: u8 = 1 << 7;
/// Attribute field: DPL in bits 5-6.
const DPL_SHIFT: u8 = 5;

/// One IDT entry, laid out exactly as the CPU reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    offset_low: u16,
    selector: u16,
    reserved: u8,
    attributes: u8,
    offset_high: u16,
}

const _: () = assert!(size_of::<Gate>() == 8);

impl Gate {
    /// A not-present gate.
    pub const MISSING: Gate =
        Gate { offset_low: 0, selector: 0, reserved: 0, attributes: 0, offset_high: 0 };

    /// A present gate of `kind` to `offset` in segment `selector`,
    /// reachable by `int n` from `dpl` and more privileged rings.
    pub const fn new(offset: u32, selector: u16, kind: GateType, dpl: Ring) -> Gate {
        // LAB 2 BEGIN: encode a gate
        Gate {
            offset_low: offset as u16,
            selector,
            reserved: 0,
            attributes: PRESENT | (dpl as u8) << DPL_SHIFT | kind as u8,
            offset_high: (offset >> 16) as u16,
        }
        //~ // YOUR CODE HERE: split the offset, name the selector, and build the
        //~ // attribute byte from PRESENT, the DPL (DPL_SHIFT) and the gate type.
        //~ let _ = (offset, selector, kind, dpl, PRESENT, DPL_SHIFT);
        //~ Gate::MISSING
        // LAB 2 END
    }

    /// A task gate: delivering this vector switches to the TSS `tss`.
    pub const fn task(tss: u16) -> Gate {
        Gate::new(0, tss, GateType::Task, Ring::Kernel)
    }

    pub const fn offset(&self) -> u32 {
        (self.offset_high as u32) << 16 | self.offset_low as u32
    }

    pub const fn selector(&self) -> u16 {
        self.selector
    }

    pub const fn attributes(&self) -> u8 {
        self.attributes
    }

    pub const fn dpl(&self) -> u8 {
        (self.attributes >> DPL_SHIFT) & 3
    }

    /// The raw 64-bit value, as `xp /2wx` in the QEMU monitor shows it.
    pub const fn to_bits(&self) -> u64 {
        (self.offset_high as u64) << 48
            | (self.attributes as u64) << 40
            | (self.reserved as u64) << 32
            | (self.selector as u64) << 16
            | self.offset_low as u64
    }
}

/// The whole table. 8-byte aligned, as the SDM recommends for speed.
#[repr(C, align(8))]
pub struct Idt(pub [Gate; NUM_VECTORS]);

/// `lidt` limit: size in bytes minus one.
pub const IDT_LIMIT: u16 = (size_of::<Idt>() - 1) as u16;
const _: () = assert!(IDT_LIMIT == 256 * 8 - 1);

impl Idt {
    /// Interrupt gates in `selector` to each vector's stub, all DPL 0.
    pub fn new(stubs: &[u32; NUM_VECTORS], selector: u16) -> Idt {
        Idt(stubs.map(|stub| Gate::new(stub, selector, GateType::Interrupt32, Ring::Kernel)))
    }
}

/// Loads `idt` into IDTR.
///
/// # Safety
/// Every present gate must lead to a handler that is valid for its vector,
/// and `idt` must stay where it is for as long as interrupts can happen.
pub unsafe fn load(idt: &'static Idt) {
    let pointer = x86::dtables::DescriptorTablePointer::new(idt);
    // SAFETY: the caller vouches for the gates; the table is 'static.
    unsafe { x86::dtables::lidt(&pointer) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_gate_bytes() {
        let g = Gate::new(0x0012_3456, 0x08, GateType::Interrupt32, Ring::Kernel);
        assert_eq!(g.to_bits(), 0x0012_8E00_0008_3456);
        assert_eq!(g.attributes(), 0x8E);
        assert_eq!(g.offset(), 0x0012_3456);
        assert_eq!(g.selector(), 0x08);
        assert_eq!(g.dpl(), 0);
    }

    #[test]
    fn user_reachable_and_trap_and_task_gates() {
        assert_eq!(Gate::new(0, 0x08, GateType::Interrupt32, Ring::User).attributes(), 0xEE);
        assert_eq!(Gate::new(0, 0x08, GateType::Trap32, Ring::Kernel).attributes(), 0x8F);
        let t = Gate::task(0x30);
        assert_eq!(t.attributes(), 0x85);
        assert_eq!(t.selector(), 0x30);
        assert_eq!(t.offset(), 0);
        assert_eq!(Gate::MISSING.attributes() & PRESENT, 0);
    }

    #[test]
    fn table_points_every_vector_at_its_stub() {
        let stubs: [u32; 256] = core::array::from_fn(|v| 0x10_0000 + 16 * v as u32);
        let idt = Idt::new(&stubs, 0x08);
        for (v, gate) in idt.0.iter().enumerate() {
            assert_eq!(gate.offset(), stubs[v]);
            assert_eq!(gate.attributes(), 0x8E);
        }
        assert_eq!(size_of::<Idt>(), 2048);
    }
}
