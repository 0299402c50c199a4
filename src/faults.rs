//! Fault demonstrations: `fault=NAME` on the command line raises one
//! exception right after `kernel: ready`, so a student can watch each
//! report with `make run ARGS="fault=gpf"` and the tests can check it.
//! Every demonstration is a real instruction that really faults.

use core::arch::asm;
use core::hint::black_box;

/// The demonstrations, with what each raises. `cmdline` accepts only these.
pub use crate::cmdline::FAULTS;

/// Raises the named fault. Resumable ones return; fatal ones never do.
pub fn raise(name: &str) {
    crate::println!("fault: raising {name}");
    match name {
        "stackoverflow" => {
            recurse(0);
        }
        "panic" => panic_holding_console(),
        // SAFETY: each arm executes one faulting instruction on purpose; the
        // kernel's handler either resumes after it (#BP, #OF, int 0x99) or
        // reports and halts. None of them writes memory.
        _ => unsafe {
            match name {
                "divide" => asm!("xor edx, edx", "mov eax, 1", "xor ecx, ecx", "div ecx", out("eax") _, out("ecx") _, out("edx") _),
                "breakpoint" => asm!("int3"),
                "overflow" => asm!("mov al, 0x7f", "add al, 1", "into", out("eax") _),
                "opcode" => asm!("ud2"),
                // A selector far beyond the GDT's limit: #GP with that selector.
                "gpf" => asm!("mov ds, {0:e}", in(reg) 0x1238u32),
                // An address above everything paging maps.
                "pagefault" => asm!("mov {0}, dword ptr [{1}]", out(reg) _, in(reg) 0xDEAD_B000u32),
                "vector99" => asm!("int 0x99"),
                _ => crate::println!("fault: unknown demonstration '{name}'"),
            }
        },
    }
}

/// Recursion without end, 1 KiB of stack a level, until the guard page.
#[allow(unconditional_recursion)]
fn recurse(depth: u32) -> u32 {
    let frame = black_box([depth; 256]);
    black_box(recurse(depth + 1)).wrapping_add(frame[depth as usize % 256])
}

/// Panics while holding the console lock, as a bug inside a print would:
/// the panic handler must still get its message out.
fn panic_holding_console() -> ! {
    crate::console::hold_lock_and(|| panic!("deliberate panic with the console lock held (fault=panic)"))
}
