//! Fault demonstrations: `fault=NAME` on the command line raises one
//! exception right after `kernel: ready`, so a student can watch each
//! report with `make run ARGS="fault=gpf"` and the tests can check it.
//! Every demonstration is a real instruction that really faults.
//!
//! `DEMONSTRATIONS` is the only list of names: the command line takes any
//! name, and `raise` answers an unknown one with this list.

use core::arch::asm;
use core::hint::black_box;

use crate::{console, print, println};

/// Each demonstration: its name, what it does, and the code that does it.
pub const DEMONSTRATIONS: &[(&str, &str, fn())] = &[
    ("divide", "div by zero: #DE, fatal", divide),
    ("breakpoint", "int3: #BP, resumed", breakpoint),
    ("overflow", "into with OF set: #OF, resumed", overflow),
    ("opcode", "ud2: #UD, fatal", opcode),
    ("gpf", "mov ds, 0x1238 (beyond the GDT): #GP, fatal", gpf),
    ("pagefault", "read of unmapped 0xDEADB000: #PF, fatal", pagefault),
    ("stackoverflow", "endless recursion: #DF on its own stack", stackoverflow),
    ("vector99", "int 0x99 (no handler): logged, survived", vector99),
    ("panic", "a Rust panic with the console lock held", panic_holding_console),
];

/// Raises the named fault. Resumable ones return; fatal ones never do.
/// An unknown name (or `help`) gets the list, and the kernel goes on.
pub fn raise(name: &str) {
    match DEMONSTRATIONS.iter().find(|(n, _, _)| *n == name) {
        Some((_, _, demonstrate)) => {
            println!("fault: raising {name}");
            demonstrate();
        }
        None => {
            if name != "help" {
                print!("fault: no demonstration '{name}'; ");
            }
            println!("fault demonstrations:");
            for (name, what, _) in DEMONSTRATIONS {
                println!("fault:   {name:<14} {what}");
            }
        }
    }
}

fn divide() {
    // SAFETY: faults on purpose (#DE, fatal: the kernel reports and halts).
    unsafe {
        asm!(
            "xor edx, edx",
            "mov eax, 1",
            "xor ecx, ecx",
            "div ecx",
            out("eax") _,
            out("ecx") _,
            out("edx") _
        )
    }
}

fn breakpoint() {
    // SAFETY: #BP is a trap: the handler reports and resumes after it.
    unsafe { asm!("int3") }
}

fn overflow() {
    // SAFETY: 0x7F + 1 sets OF, so `into` raises #OF, a trap that resumes.
    unsafe { asm!("mov al, 0x7f", "add al, 1", "into", out("eax") _) }
}

fn opcode() {
    // SAFETY: faults on purpose (#UD, fatal).
    unsafe { asm!("ud2") }
}

fn gpf() {
    // SAFETY: a selector far beyond the GDT's limit: #GP before DS
    // changes (fatal).
    unsafe { asm!("mov ds, {0:e}", in(reg) 0x1238u32) }
}

fn pagefault() {
    // SAFETY: an address above everything paging maps: #PF, fatal. It is
    // only read.
    unsafe { asm!("mov {0}, dword ptr [{1}]", out(reg) _, in(reg) 0xDEAD_B000u32) }
}

fn vector99() {
    // SAFETY: vector 0x99 has a gate to its stub and no handler: the
    // dispatcher logs it and returns.
    unsafe { asm!("int 0x99") }
}

fn stackoverflow() {
    recurse(0);
}

/// Recursion without end, 1 KiB of stack a level, until the guard page.
#[allow(unconditional_recursion)]
fn recurse(depth: u32) -> u32 {
    let frame = black_box([depth; 256]);
    black_box(recurse(depth + 1)).wrapping_add(frame[depth as usize % 256])
}

/// Panics while holding the console lock, as a bug inside a print would:
/// the panic handler must still get its message out.
fn panic_holding_console() {
    console::hold_lock_and(|| panic!("deliberate panic with the console lock held (fault=panic)"))
}
