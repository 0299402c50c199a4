//! What the kernel prints about an interrupt: the exception report, the
//! per-vector counters, the double-fault report, and the fatal halt.
//!
//! A report must come out even when the code that faulted held the
//! console lock, so a fatal report writes through `console::emergency`,
//! which does not wait for the lock; a report after which the kernel goes
//! on uses the lock like any other print.

use super::counters::{self, count, spurious_counts};
use super::errcode::Decoded;
use super::frame::TrapFrame;
use super::vectors::{self, NUM_VECTORS};
use crate::console;
use crate::cpu::{self, paging, tss};
use crate::dev::{i8042, pit, uart};

/// Where a report goes: `print`-style formatting arguments to a sink.
pub type Out<'a> = &'a dyn Fn(core::fmt::Arguments);

/// Reports an exception the kernel survives: through the console lock.
pub fn report(frame: &TrapFrame) {
    write_report(frame, &|args| console::_print(args));
}

/// Reports an exception the kernel will not survive: without waiting for
/// the console lock (the failing code may hold it).
pub fn report_fatal(frame: &TrapFrame) {
    write_report(frame, &|args| console::emergency(args));
}

/// Prints everything a student needs to find the cause of an exception.
fn write_report(frame: &TrapFrame, out: Out) {
    let vector = frame.vector();
    let (mnemonic, name) = vectors::exception_name(vector).unwrap_or(("#?", "Unknown"));
    out(format_args!("trap: {mnemonic} {name} (vector {vector})"));
    if vectors::has_error_code(vector) {
        let decoded = Decoded { vector, code: frame.error_code };
        out(format_args!(" error code {:#x} {decoded}", frame.error_code));
    }
    out(format_args!(
        "\n  eip={:#010x} cs={:#06x} eflags={:#010x} ring {}\n",
        frame.eip,
        frame.cs & 0xFFFF,
        frame.eflags,
        frame.ring()
    ));
    out(format_args!(
        "  eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}\n",
        frame.eax, frame.ebx, frame.ecx, frame.edx
    ));
    out(format_args!(
        "  esi={:#010x} edi={:#010x} ebp={:#010x} esp={:#010x}\n",
        frame.esi,
        frame.edi,
        frame.ebp,
        frame.interrupted_esp()
    ));
    out(format_args!("  ds={:#06x} es={:#06x}", frame.ds & 0xFFFF, frame.es & 0xFFFF));
    if vector == vectors::PAGE_FAULT {
        let cr2 = cpu::cr2();
        out(format_args!(" cr2={cr2:#010x}"));
        if cr2 == frame.eip {
            // 32-bit paging cannot say "fetch" in the error code (see
            // errcode.rs), but CR2 = EIP can only mean one.
            out(format_args!(
                " (= eip: an instruction fetch, which 32-bit paging reports as a read)"
            ));
        }
    }
    match frame.user_stack() {
        Some((ss, esp)) => out(format_args!(
            "\n  stack: from ring 3, the CPU pushed user ss={ss:#06x} esp={esp:#010x}\n"
        )),
        None => out(format_args!(
            "\n  stack: from ring 0, no stack switch (the CPU pushed no SS:ESP)\n"
        )),
    }
}

/// Prints the delivery count of every vector that was used, like Linux's
/// /proc/interrupts: at every fatal report, and on F12.
pub fn print_counts(out: Out) {
    // The header's columns line up with the rows': a 4-character vector
    // and two spaces, then the count right-aligned in ten.
    out(format_args!("interrupts: vector{:>10}  source\n", "count"));
    for vector in (0..NUM_VECTORS).map(|v| v as u8) {
        let count = count(vector);
        if count == 0 {
            continue;
        }
        out(format_args!("interrupts: {vector:#04x}  {count:>10}  "));
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
        pit::IRQ => "(PIT timer)",
        i8042::IRQ => "(i8042 keyboard)",
        uart::IRQ => "(COM1 serial)",
        7 | 15 => "(real or spurious)",
        _ => "",
    }
}

/// Ends a fatal report: the interrupt counters, then one last line that
/// names the cause, then a halt with interrupts off.
pub fn halt_after_fatal(vector: u8, eip: u32) -> ! {
    print_counts(&|args| console::emergency(args));
    let mnemonic = vectors::exception_name(vector).map_or("exception", |n| n.0);
    console::emergency(format_args!("kernel: halted: fatal {mnemonic} at eip={eip:#010x}\n"));
    cpu::halt_forever();
}

/// Runs as the double-fault task (entered through the task gate on vector
/// 8, on its own stack, see src/cpu/tss.rs): the faulting code's state is
/// in the main TSS, where the task switch saved it. Reports it and halts.
#[unsafe(no_mangle)]
pub extern "C" fn double_fault_task() -> ! {
    let at = tss::faulted_state();
    counters::count_delivery(vectors::DOUBLE_FAULT);
    let out = |args: core::fmt::Arguments| console::emergency(args);
    out(format_args!(
        "\ntrap: #DF Double Fault (vector 8), handled by a task switch to TSS {:#04x} \
         with its own stack\n",
        tss::DOUBLE_FAULT_TSS
    ));
    out(format_args!(
        "  eip={:#010x} cs={:#06x} eflags={:#010x} (state saved in the main TSS)\n",
        at.eip, at.cs, at.eflags
    ));
    out(format_args!(
        "  eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}\n",
        at.eax, at.ebx, at.ecx, at.edx
    ));
    out(format_args!(
        "  esi={:#010x} edi={:#010x} ebp={:#010x} esp={:#010x}\n",
        at.esi, at.edi, at.ebp, at.esp
    ));
    if paging::in_stack_guard(at.esp) {
        out(format_args!(
            "  esp is in the guard page below the kernel stack: the kernel stack overflowed\n"
        ));
    }
    halt_after_fatal(vectors::DOUBLE_FAULT, at.eip);
}
