//! Small wrappers around single CPU instructions the rest of the kernel
//! needs: interrupt flag control, halting, the time-stamp counter.
//! Each is one instruction with its reason; nothing else lives here.

use core::arch::asm;

/// EFLAGS.IF, the interrupt-enable flag.
const EFLAGS_IF: u32 = 1 << 9;

/// Whether maskable interrupts are enabled (EFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    let eflags: u32;
    // SAFETY: pushfd/pop only reads EFLAGS through the stack.
    unsafe { asm!("pushfd", "pop {}", out(reg) eflags, options(nomem, preserves_flags)) };
    eflags & EFLAGS_IF != 0
}

/// Enables maskable interrupts.
pub fn enable_interrupts() {
    // SAFETY: the IDT, PIC and handlers are set up before anyone calls this
    // (the boot path in main.rs calls it once they are).
    unsafe { asm!("sti", options(nomem, nostack)) };
}

/// Disables maskable interrupts.
pub fn disable_interrupts() {
    // SAFETY: clearing IF cannot break memory safety.
    unsafe { asm!("cli", options(nomem, nostack)) };
}

/// Runs `f` with maskable interrupts off, then restores IF as it was.
/// This is what keeps a lock taken by both interrupted code and an
/// interrupt handler from deadlocking: the handler cannot run while the
/// interrupted code holds the lock on this (only) CPU.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    let was_enabled = interrupts_enabled();
    if was_enabled {
        disable_interrupts();
    }
    let result = f();
    if was_enabled {
        enable_interrupts();
    }
    result
}

/// Enables interrupts and halts until the next one, atomically: `sti`
/// takes effect only after the following instruction, so no interrupt can
/// slip in between the two and leave the CPU asleep with work pending.
/// Callers check for work with interrupts off, then call this.
pub fn enable_interrupts_and_halt() {
    // SAFETY: see enable_interrupts; hlt just waits for an interrupt.
    unsafe { asm!("sti", "hlt", options(nomem, nostack)) };
}

/// Stops the CPU for good: interrupts off, then halt (NMIs wake a halted
/// CPU, hence the loop).
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: cli; hlt only stops this CPU.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

/// The time-stamp counter, in CPU cycles since reset.
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc is unprivileged here (CR4.TSD clear) and side-effect free.
    unsafe { x86::time::rdtsc() }
}

/// CR2: the linear address of the last page fault.
pub fn cr2() -> u32 {
    // SAFETY: reading CR2 in ring 0 has no side effects.
    unsafe { x86::controlregs::cr2() as u32 }
}
