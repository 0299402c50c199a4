//! The dispatcher: the one Rust function every interrupt reaches.
//!
//! `isr_common` (src/stubs.rs) calls `trap_dispatch` with a pointer to the
//! saved `TrapFrame`. From there:
//!
//! - IRQ vectors (0x20-0x2F): the PIC decides whether the IRQ is spurious;
//!   a real one runs its registered handler, and then this module, and
//!   only this module, sends the EOI. Handlers never send EOIs.
//!   Returning to ring 3 with a Ctrl-C pending stops the user program.
//! - Any other vector with a registered handler (the system call 0x80, a
//!   test's #GP probe, the benchmark's vector) runs that handler.
//! - CPU exceptions without a handler get the default report by name. In
//!   ring 3 the report is followed by killing the program (src/user.rs);
//!   in ring 0, #BP and #OF resume, NMI is survived, and every other
//!   exception is fatal: the report is the last thing on the console.
//! - Anything else (`int 0x99`, an IRQ nobody handles) is logged and the
//!   interrupted code continues.
//!
//! Every vector is counted, like Linux's /proc/interrupts.

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::errcode::Decoded;
use crate::pic::{self, Delivery};
use crate::trapframe::TrapFrame;
use crate::vectors::{self, NUM_VECTORS};
use crate::{console, cpu, gdt, idt, println, stubs, tss, user};

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

/// The IDT, built once by `init`.
static IDT: spin::Once<idt::Idt> = spin::Once::new();

/// Builds and loads the IDT: an interrupt gate to every vector's stub,
/// except #DF, which is a task gate to `double_fault_tss` so that it runs
/// on a stack of its own. Only the system-call gate (0x80) has DPL 3:
/// `int n` from ring 3 on any other vector raises #GP. Call after `gdt::init` and `tss::init` (the
/// gates name their selectors), with interrupts off.
pub fn init(double_fault_tss: u16) -> &'static idt::Idt {
    let table = IDT.call_once(|| {
        let mut table = idt::Idt::new(stubs::stub_table(), gdt::KERNEL_CODE);
        table.0[usize::from(vectors::DOUBLE_FAULT)] = idt::Gate::task(double_fault_tss);
        let syscall_stub = table.0[usize::from(vectors::SYSCALL)].offset();
        table.0[usize::from(vectors::SYSCALL)] =
            idt::Gate::new(syscall_stub, gdt::KERNEL_CODE, idt::GateType::Interrupt32, idt::Ring::User);
        table
    });
    // SAFETY: every gate leads to its vector's stub (which hands the frame
    // to `trap_dispatch`) or to the double-fault task; the table lives in
    // a static, so it never moves.
    unsafe { idt::load(table) };
    table
}

/// Counts one delivery of `vector`: a plain load and store, not a
/// `fetch_add` (which compiles to `lock inc`). On this one-CPU kernel no
/// one else can update the counter between the two: the dispatcher runs
/// with IF = 0 (every gate that reaches it is an interrupt gate, and the
/// count comes before any handler could enable interrupts), so the only
/// things that can interrupt it are an NMI and a fault. An NMI counts
/// vector 2 and cannot nest in itself (the CPU blocks NMIs until its
/// `iretd`); a fault in this code would be the kernel's end (and the
/// double-fault task never returns to it).
fn count_delivery(vector: u8) {
    let counter = &COUNTS[usize::from(vector)];
    counter.store(counter.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
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
    let vector = frame.vector as u8;
    count_delivery(vector);

    match (vectors::vector_irq(vector), handler(vector)) {
        (Some(irq), handler) => dispatch_irq(irq, handler, frame),
        (None, Some(handler)) => handler(frame),
        (None, None) => unhandled(frame),
    }
}

/// A vector outside the IRQ range with no handler.
#[cold]
#[inline(never)]
fn unhandled(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    if vector < vectors::NUM_EXCEPTIONS {
        default_exception(frame);
    } else {
        println!(
            "trap: unexpected interrupt vector {:#04x} (no handler registered) at eip={:#010x}, ignored",
            vector, frame.eip
        );
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
            // On the way back to ring 3, and only there, a pending Ctrl-C
            // ends the program: the EOI is sent, so nothing is left half
            // done (this is where Unix delivers signals too).
            if frame.ring() == 3 && user::interrupt_requested() {
                user::stop_interrupted();
            }
        }
        spurious => count_spurious(spurious),
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
fn count_spurious(delivery: Delivery) {
    match delivery {
        Delivery::SpuriousMaster => {
            SPURIOUS[0].fetch_add(1, Ordering::Relaxed);
        }
        Delivery::SpuriousSlave => {
            SPURIOUS[1].fetch_add(1, Ordering::Relaxed);
            pic::end_of_interrupt_master_only();
        }
        Delivery::Real { .. } => {}
    }
}

fn default_exception(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    if frame.ring() == 3 {
        // A user program faulted: report it, stop it, keep the kernel up.
        report(frame, false);
        user::kill(frame);
    }
    if vectors::resumes(vector) || vector == vectors::NMI {
        report(frame, false);
        println!("trap: resumed at eip={:#010x}", frame.eip);
        return;
    }
    report(frame, true);
    halt_after_fatal(vector, frame.eip);
}

/// Ends a fatal report: the interrupt counters, then one last line that
/// names the cause, then a halt with interrupts off.
fn halt_after_fatal(vector: u8, eip: u32) -> ! {
    print_counts(&|args| console::emergency(args));
    let mnemonic = vectors::exception_name(vector).map_or("exception", |n| n.0);
    console::emergency(format_args!("kernel: halted: fatal {mnemonic} at eip={eip:#010x}\n"));
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
        let decoded = Decoded { vector, code: frame.error_code };
        out(format_args!(" error code {:#x} {decoded}", frame.error_code));
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
    if vector == vectors::PAGE_FAULT {
        out(format_args!(" cr2={:#010x}", cpu::cr2()));
    }
    match frame.user_stack() {
        Some((ss, esp)) => out(format_args!("\n  stack: from ring 3, the CPU pushed user ss={ss:#06x} esp={esp:#010x}\n")),
        None => out(format_args!("\n  stack: from ring 0, no stack switch (the CPU pushed no SS:ESP)\n")),
    }
}

/// What `print_counts` writes through: the console, locked or not.
type Out<'a> = &'a dyn Fn(core::fmt::Arguments);

/// Prints the delivery count of every vector that was used, like Linux's
/// /proc/interrupts: at every fatal report, and on F12.
pub fn print_counts(out: Out) {
    out(format_args!("interrupts: vector  count  source\n"));
    for vector in 0..=255u8 {
        let count = count(vector);
        if count == 0 {
            continue;
        }
        out(format_args!("interrupts: {vector:#04x} {count:>10}  "));
        if let Some((mnemonic, name)) = vectors::exception_name(vector) {
            out(format_args!("{mnemonic} {name}\n"));
        } else if let Some(irq) = vectors::vector_irq(vector) {
            out(format_args!("IRQ {irq} {}\n", irq_source(irq)));
        } else if vector == vectors::SYSCALL {
            out(format_args!("system call\n"));
        } else {
            out(format_args!("software int\n"));
        }
    }
    let (master, slave) = spurious_counts();
    out(format_args!("interrupts: spurious IRQ 7: {master}, spurious IRQ 15: {slave}\n"));
}

fn irq_source(irq: u8) -> &'static str {
    match irq {
        vectors::IRQ_TIMER => "(PIT timer)",
        vectors::IRQ_KEYBOARD => "(i8042 keyboard)",
        7 | 15 => "(real or spurious)",
        _ => "",
    }
}

/// Runs as the double-fault task (entered through the task gate on vector
/// 8, on its own stack, see src/tss.rs): the faulting code's state is in
/// the main TSS, where the task switch saved it. Reports it and halts.
#[unsafe(no_mangle)]
pub extern "C" fn double_fault_task() -> ! {
    let at = tss::faulted_state();
    COUNTS[usize::from(vectors::DOUBLE_FAULT)].fetch_add(1, Ordering::Relaxed);
    let out = |args: core::fmt::Arguments| console::emergency(args);
    out(format_args!("\ntrap: #DF Double Fault (vector 8), handled by a task switch to TSS {:#04x} with its own stack\n", tss::DOUBLE_FAULT_TSS));
    out(format_args!("  eip={:#010x} cs={:#06x} eflags={:#010x} (state saved in the main TSS)\n", at.eip, at.cs, at.eflags));
    out(format_args!("  eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}\n", at.eax, at.ebx, at.ecx, at.edx));
    out(format_args!("  esi={:#010x} edi={:#010x} ebp={:#010x} esp={:#010x}\n", at.esi, at.edi, at.ebp, at.esp));
    if crate::paging::in_stack_guard(at.esp) {
        out(format_args!("  esp is in the guard page below the kernel stack: the kernel stack overflowed\n"));
    }
    halt_after_fatal(vectors::DOUBLE_FAULT, at.eip);
}
