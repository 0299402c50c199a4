//! The benchmark's own IDT: a copy of the live one with the benchmark's
//! extra gates (src/bench/stubs.rs), loaded only while it runs. The
//! kernel's own table is never written, and the copy's other gates are
//! the live ones byte for byte, so the kernel's rows go through exactly
//! the gates the kernel uses. A group may swap one gate for a batch
//! (`set_gate`) and must put the kernel's back.

use core::cell::UnsafeCell;
use x86::dtables::{sidt, DescriptorTablePointer};

use super::stubs::{self, CLASSIC_VECTOR, USER_FLOOR_VECTOR};
use crate::cpu::idt::{self, Gate, GateType, Idt, Ring, NUM_VECTORS};
use crate::cpu::{self, gdt};

/// Vector of the `iretd`-only gate (in the benchmark's IDT copy only).
pub(super) const FLOOR_VECTOR: u8 = 0x40;

/// The copy. Written only by this module with interrupts off: filled
/// before it is loaded, and later single gates with `set_gate`. The CPU
/// reads a gate only when it delivers through it, which cannot happen
/// while interrupts are off and no `int` is executing.
struct BenchIdt(UnsafeCell<Idt>);
// SAFETY: see above: one writer, never concurrent with a reader.
unsafe impl Sync for BenchIdt {}

/// Replaces one gate of the benchmark's IDT (loaded or not); returns the
/// old one. Interrupts must be off.
pub(super) fn set_gate(vector: u8, gate: Gate) -> Gate {
    assert!(!cpu::interrupts_enabled());
    // SAFETY: in bounds; no reference into BENCH_IDT is held across this
    // call, and the CPU cannot be reading the gate (see BenchIdt).
    unsafe {
        let slot = (*BENCH_IDT.0.get()).0.as_mut_ptr().add(usize::from(vector));
        core::ptr::replace(slot, gate)
    }
}
static BENCH_IDT: BenchIdt = BenchIdt(UnsafeCell::new(Idt([Gate::MISSING; NUM_VECTORS])));

/// Loads a copy of the live IDT whose FLOOR_VECTOR, CLASSIC_VECTOR and
/// USER_FLOOR_VECTOR gates lead to src/bench/stubs.rs. Returns the live table's pointer,
/// for putting it back. Interrupts must be off.
pub(super) fn install_bench_idt() -> DescriptorTablePointer<Gate> {
    let mut live = DescriptorTablePointer::<Gate> { limit: 0, base: core::ptr::null() };
    // SAFETY: sidt only stores IDTR into `live`.
    unsafe { sidt(&mut live) };
    let (base, limit) = (live.base, live.limit);
    assert_eq!(limit, idt::IDT_LIMIT, "the live IDT has 256 gates");
    // SAFETY: IDTR points at the kernel's 'static 256-gate table (checked
    // above), which nothing writes while this reads it.
    let live_gates = unsafe { core::slice::from_raw_parts(base, NUM_VECTORS) };
    // SAFETY: nobody else holds a reference into BENCH_IDT: it is not
    // loaded yet, and `run` (the only caller) runs once per boot.
    let copy = unsafe { &mut *BENCH_IDT.0.get() };
    copy.0.copy_from_slice(live_gates);
    copy.0[usize::from(FLOOR_VECTOR)] =
        Gate::new(stubs::iret_gate(), gdt::KERNEL_CODE, GateType::Interrupt32, Ring::Kernel);
    copy.0[usize::from(CLASSIC_VECTOR)] =
        Gate::new(stubs::classic_stub(), gdt::KERNEL_CODE, GateType::Interrupt32, Ring::Kernel);
    // DPL 3, like the system-call gate: ring 3 may name this vector.
    copy.0[usize::from(USER_FLOOR_VECTOR)] =
        Gate::new(stubs::iret_gate(), gdt::KERNEL_CODE, GateType::Interrupt32, Ring::User);
    // SAFETY: every gate of the copy leads where the live one does, except
    // the three above, which lead to complete handlers; the copy is a static
    // that is no longer written.
    unsafe { idt::load(&*BENCH_IDT.0.get()) };
    live
}
