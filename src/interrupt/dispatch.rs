//! The dispatcher: the one Rust function every interrupt reaches.
//!
//! `isr_common` (src/interrupt/stubs.rs) calls `trap_dispatch` with a
//! pointer to the saved `TrapFrame`. From there:
//!
//! - IRQ vectors (0x20-0x2F): the PIC decides whether the IRQ is spurious;
//!   a real one runs its registered handler, and then this module, and
//!   only this module, sends the EOI. Handlers never send EOIs. Then, if
//!   the CPU is about to return to ring 3, the user room's `returning`
//!   hook runs (a pending Ctrl-C is acted on there).
//! - Any other vector with a registered handler (the system call 0x80, a
//!   test's #GP probe, the benchmark's vector) runs that handler.
//! - CPU exceptions without a handler get the default report by name. An
//!   exception the program in ring 3 caused goes to the user room's
//!   `fault` hook, which stops the program; NMI, which no program causes,
//!   is reported and survived from either ring; in ring 0, #BP and #OF
//!   resume, and every other exception is fatal: the report is the last
//!   thing on the console.
//! - Anything else (`int 0x99`, an IRQ nobody handles) is logged and the
//!   interrupted code continues.
//!
//! Every handler is registered from one place, `kernel_main`
//! (src/main.rs). The hooks are how this room reaches the user room above
//! it without importing it: the user room installs them at boot.

use core::sync::atomic::{AtomicPtr, Ordering};

use super::counters;
use super::frame::TrapFrame;
use super::report::{self, halt_after_fatal};
use super::stubs;
use super::vectors::{self, NUM_VECTORS};
use crate::cpu::{gdt, idt};
use crate::dev::pic::{self, Delivery};
use crate::println;

/// An interrupt handler. It may read and change the interrupted state
/// (the frame is restored from memory on the way out).
pub type Handler = fn(&mut TrapFrame);

/// Handler per vector; null = none registered. Function pointers stored
/// as raw pointers so that lookup in the interrupt path needs no lock.
static HANDLERS: [AtomicPtr<()>; NUM_VECTORS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; NUM_VECTORS];

/// Makes `handler` the handler of `vector`, replacing any earlier one.
pub fn register(vector: u8, handler: Handler) {
    HANDLERS[usize::from(vector)].store(handler as *mut (), Ordering::Release);
}

/// Removes the handler of `vector`: it is reported as unexpected again.
pub fn unregister(vector: u8) {
    HANDLERS[usize::from(vector)].store(core::ptr::null_mut(), Ordering::Release);
}

fn handler(vector: u8) -> Option<Handler> {
    let raw = HANDLERS[usize::from(vector)].load(Ordering::Acquire);
    // SAFETY: the only non-null values ever stored are `Handler`s cast to
    // raw pointers by `register`; fn pointers and data pointers have the
    // same size and representation on this target.
    (!raw.is_null()).then(|| unsafe { core::mem::transmute::<*mut (), Handler>(raw) })
}

/// What the dispatcher asks of the room that runs programs (src/user/).
/// That room sits above this one, so it hands these in at boot
/// (`set_ring3_hooks`) instead of being called by name.
#[derive(Clone, Copy)]
pub struct Ring3Hooks {
    /// An exception caused by the code running in ring 3, with no
    /// registered handler: the program did what it may not. Never returns
    /// to the faulting instruction.
    pub fault: fn(&mut TrapFrame) -> !,
    /// Runs after an IRQ's handler and EOI, when the CPU is about to
    /// return to ring 3: where work that waits for that moment is done
    /// (a pending Ctrl-C), as Unix delivers signals there.
    pub returning: fn(&mut TrapFrame),
}

static RING3_HOOKS: spin::Once<Ring3Hooks> = spin::Once::new();

/// Installs the user room's hooks; once, at boot.
pub fn set_ring3_hooks(hooks: Ring3Hooks) {
    RING3_HOOKS.call_once(|| hooks);
}

/// The IDT, built once by `init`.
static IDT: spin::Once<idt::Idt> = spin::Once::new();

/// Builds and loads the IDT: an interrupt gate to every vector's stub,
/// except #DF, which is a task gate to `double_fault_tss` so that it runs
/// on a stack of its own. Only the system-call gate (0x80) has DPL 3:
/// `int n` from ring 3 on any other vector raises #GP. Call after
/// `gdt::init` and `tss::init` (the gates name their selectors), with
/// interrupts off.
pub fn init(double_fault_tss: u16) -> &'static idt::Idt {
    let table = IDT.call_once(|| {
        let mut table = idt::Idt::new(stubs::stub_table(), gdt::KERNEL_CODE);
        // LAB 5 BEGIN: #DF through a task gate, onto a stack of its own
        table.0[usize::from(vectors::DOUBLE_FAULT)] = idt::Gate::task(double_fault_tss);
        //~ // YOUR CODE HERE: make vector 8 a task gate to double_fault_tss.
        //~ let _ = double_fault_tss;
        // LAB 5 END
        let syscall_stub = table.0[usize::from(vectors::SYSCALL)].offset();
        table.0[usize::from(vectors::SYSCALL)] = idt::Gate::new(
            syscall_stub,
            gdt::KERNEL_CODE,
            idt::GateType::Interrupt32,
            idt::Ring::User,
        );
        table
    });
    // SAFETY: every gate leads to its vector's stub (which hands the frame
    // to `trap_dispatch`) or to the double-fault task; the table lives in
    // a static, so it never moves.
    unsafe { idt::load(table) };
    table
}

/// The common handler, called by `isr_common` with interrupts off.
///
/// The paths every IRQ, system call and registered vector take are kept
/// here; everything rare (spurious IRQs, unhandled vectors, exception
/// reports) is in `#[cold]` functions, so that this function's own
/// prologue and epilogue save only the registers the hot path needs.
#[unsafe(no_mangle)]
#[link_section = ".text.hot.trap_dispatch"] // beside isr_common: see linker.ld
pub extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector();
    counters::count_delivery(vector);

    match (vectors::vector_irq(vector), handler(vector)) {
        (Some(irq), handler) => dispatch_irq(irq, handler, frame),
        (None, Some(handler)) => handler(frame),
        (None, None) => unhandled(frame),
    }
}

/// Not inlined: so that `trap_dispatch` needs no callee-saved register
/// and reaches both this and a registered handler by a tail jump.
#[inline(never)]
#[link_section = ".text.hot.dispatch_irq"]
fn dispatch_irq(irq: u8, handler: Option<Handler>, frame: &mut TrapFrame) {
    match pic::classify(irq, pic::read_isr) {
        Delivery::Real { slave } => {
            match handler {
                Some(handler) => handler(frame),
                None => unhandled_irq(irq),
            }
            // After the handler: the device has been serviced (the keyboard
            // byte read), so a new request from it is a new edge.
            pic::end_of_interrupt(slave);
            // On the way back to ring 3, and only there, the user room
            // gets its turn: the EOI is sent, so nothing is left half done.
            if frame.ring() == 3 {
                if let Some(hooks) = RING3_HOOKS.get() {
                    (hooks.returning)(frame);
                }
            }
        }
        spurious => spurious_irq(spurious),
    }
}

/// A vector outside the IRQ range with no handler.
#[cold]
#[inline(never)]
fn unhandled(frame: &mut TrapFrame) {
    let vector = frame.vector();
    if vector < vectors::NUM_EXCEPTIONS {
        default_exception(frame);
    } else {
        println!(
            "trap: unexpected interrupt vector {:#04x} (no handler registered) \
             at eip={:#010x}, ignored",
            vector, frame.eip
        );
    }
}

#[cold]
#[inline(never)]
fn unhandled_irq(irq: u8) {
    println!("trap: IRQ {irq} has no handler, acknowledged and ignored");
}

/// A spurious IRQ 7 or 15: counted; only a spurious IRQ 15 is
/// acknowledged, and at the master only (its IR2 really was raised).
#[cold]
#[inline(never)]
fn spurious_irq(delivery: Delivery) {
    match delivery {
        Delivery::SpuriousMaster => counters::count_spurious(false),
        Delivery::SpuriousSlave => {
            counters::count_spurious(true);
            pic::end_of_interrupt_master_only();
        }
        Delivery::Real { .. } => {}
    }
}

fn default_exception(frame: &mut TrapFrame) {
    let vector = frame.vector();
    // An NMI comes from outside the CPU (a hardware error line, a
    // watchdog, the QEMU monitor's `nmi`): whatever was running did not
    // cause it, so it is never a reason to stop a program or the kernel.
    if vector == vectors::NMI || (vectors::resumes(vector) && frame.ring() == 0) {
        report::report(frame);
        println!("trap: resumed at eip={:#010x}", frame.eip);
        return;
    }
    if frame.ring() == 3 && vectors::caused_by_instruction(vector) {
        // A user program faulted: report it, stop it, keep the kernel up.
        report::report(frame);
        if let Some(hooks) = RING3_HOOKS.get() {
            (hooks.fault)(frame);
        }
    }
    report::report_fatal(frame);
    halt_after_fatal(vector, frame.eip);
}
