//! The dispatcher: the one Rust function every interrupt reaches.
//!
//! `isr_common` (src/stubs.rs) calls `trap_dispatch` with a pointer to the
//! saved `TrapFrame`. From there:
//!
//! - IRQ vectors (0x20-0x2F): the PIC decides whether the IRQ is spurious;
//!   a real one runs its registered handler, and then this module, and
//!   only this module, sends the EOI. Handlers never send EOIs.
//! - Any other vector with a registered handler (a test's #GP probe, the
//!   benchmark's vector) runs that handler.
//! - CPU exceptions without a handler get the default report by name;
//!   #BP and #OF then resume, NMI is survived, every other exception is
//!   fatal: the report is the last thing on the console.
//! - Anything else (`int 0x99`, an IRQ nobody handles) is logged and the
//!   interrupted code continues.
//!
//! Every vector is counted, like Linux's /proc/interrupts.

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::pic::{self, Delivery};
use crate::trapframe::TrapFrame;
use crate::vectors::{self, NUM_VECTORS};
use crate::{console, cpu, gdt, idt, println, stubs};

/// An interrupt handler. It may read and change the interrupted state
/// (the frame is restored from memory on the way out).
pub type Handler = fn(&mut TrapFrame);

/// Handler per vector; null = none registered. Function pointers stored
/// as raw pointers so that lookup in the interrupt path needs no lock.
static HANDLERS: [AtomicPtr<()>; NUM_VECTORS] = [const { AtomicPtr::new(core::ptr::null_mut()) }; NUM_VECTORS];

/// Deliveries per vector since boot.
static COUNTS: [AtomicU32; NUM_VECTORS] = [const { AtomicU32::new(0) }; NUM_VECTORS];

/// Spurious IRQs seen, [master IRQ 7, slave IRQ 15].
static SPURIOUS: [AtomicU32; 2] = [const { AtomicU32::new(0) }; 2];

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

/// How many times `vector` was delivered since boot.
pub fn count(vector: u8) -> u32 {
    COUNTS[usize::from(vector)].load(Ordering::Relaxed)
}

/// Spurious IRQs seen: (IRQ 7 on the master, IRQ 15 on the slave).
pub fn spurious_counts() -> (u32, u32) {
    (SPURIOUS[0].load(Ordering::Relaxed), SPURIOUS[1].load(Ordering::Relaxed))
}

lazy_static::lazy_static! {
    /// The IDT: an interrupt gate to every vector's stub.
    static ref IDT: idt::Idt = idt::Idt::new(stubs::stub_table(), gdt::KERNEL_CODE);
}

/// Builds and loads the IDT. Call after `gdt::init` (the gates name
/// KERNEL_CODE) and with interrupts off.
pub fn init() -> &'static idt::Idt {
    // SAFETY: every gate leads to its vector's stub, which hands the frame
    // to `trap_dispatch`; IDT is a static, so it never moves.
    unsafe { idt::load(&IDT) };
    &IDT
}

/// The common handler, called by `isr_common` with interrupts off.
#[unsafe(no_mangle)]
pub extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    COUNTS[usize::from(vector)].fetch_add(1, Ordering::Relaxed);

    if let Some(irq) = vectors::vector_irq(vector) {
        dispatch_irq(irq, frame);
    } else if let Some(handler) = handler(vector) {
        handler(frame);
    } else if vector < vectors::NUM_EXCEPTIONS {
        default_exception(frame);
    } else {
        println!(
            "trap: unexpected interrupt vector {:#04x} (no handler registered) at eip={:#010x}, ignored",
            vector, frame.eip
        );
    }
}

fn dispatch_irq(irq: u8, frame: &mut TrapFrame) {
    match pic::classify(irq, pic::read_isr) {
        Delivery::SpuriousMaster => {
            SPURIOUS[0].fetch_add(1, Ordering::Relaxed);
        }
        Delivery::SpuriousSlave => {
            SPURIOUS[1].fetch_add(1, Ordering::Relaxed);
            pic::end_of_interrupt_master_only();
        }
        Delivery::Real { slave } => {
            match handler(frame.vector as u8) {
                Some(handler) => handler(frame),
                None => println!("trap: IRQ {irq} has no handler, acknowledged and ignored"),
            }
            // After the handler: the device has been serviced (the keyboard
            // byte read), so a new request from it is a new edge.
            pic::end_of_interrupt(slave);
        }
    }
}

fn default_exception(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    if vectors::resumes(vector) || vector == vectors::NMI {
        report(frame, false);
        println!("trap: resumed at eip={:#010x}", frame.eip);
        return;
    }
    report(frame, true);
    console::emergency(format_args!(
        "kernel: halted: fatal {} at eip={:#010x}\n",
        vectors::exception_name(vector).map_or("exception", |n| n.0),
        frame.eip
    ));
    cpu::halt_forever();
}

/// Prints everything a student needs to find the cause of an exception.
/// `fatal` reports bypass the console lock (the failing code may hold it).
pub fn report(frame: &TrapFrame, fatal: bool) {
    let out = |args: core::fmt::Arguments| {
        if fatal { console::emergency(args) } else { console::_print(args) }
    };
    let vector = frame.vector as u8;
    let (mnemonic, name) = vectors::exception_name(vector).unwrap_or(("#?", "Unknown"));
    out(format_args!("trap: {mnemonic} {name} (vector {vector})"));
    if vectors::has_error_code(vector) {
        out(format_args!(" error code {:#x}", frame.error_code));
    }
    out(format_args!(
        "\n  eip={:#010x} cs={:#06x} eflags={:#010x} ring {}\n",
        frame.eip, frame.cs & 0xFFFF, frame.eflags, frame.ring()
    ));
    out(format_args!(
        "  eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}\n",
        frame.eax, frame.ebx, frame.ecx, frame.edx
    ));
    out(format_args!(
        "  esi={:#010x} edi={:#010x} ebp={:#010x} esp={:#010x}\n",
        frame.esi, frame.edi, frame.ebp, frame.interrupted_esp()
    ));
    out(format_args!("  ds={:#06x} es={:#06x}", frame.ds & 0xFFFF, frame.es & 0xFFFF));
    if let Some((ss, esp)) = frame.user_stack() {
        out(format_args!(" user ss={ss:#06x} esp={esp:#010x}"));
    }
    if vector == vectors::PAGE_FAULT {
        out(format_args!(" cr2={:#010x}", cpu::cr2()));
    }
    out(format_args!("\n"));
}
