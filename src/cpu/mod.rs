//! The CPU's own data structures, and the single instructions the rest
//! of the kernel needs.
//!
//! The submodules are the tables the CPU reads by itself (Intel SDM
//! Vol. 3A): the GDT (`gdt`), the task-state segments (`tss`), the IDT
//! (`idt`) and the page tables (`paging`). This file holds one wrapper per
//! instruction the kernel uses outside those tables: the interrupt flag,
//! `hlt`, the time-stamp counter, CR2, CPUID and RDRAND, each with its
//! reason. `fpu` switches the FPU and SSE on for programs and saves their
//! registers. Nothing here knows about devices, vectors or processes.

pub mod fpu;
pub mod gdt;
pub mod idt;
pub mod paging;
pub mod tss;

/// CPUID leaf 1, EDX: FXSAVE/FXRSTOR and CR4.OSFXSR exist.
pub const CPUID_EDX_FXSR: u32 = 1 << 24;
/// CPUID leaf 1, EDX: SSE.
pub const CPUID_EDX_SSE: u32 = 1 << 25;
/// CPUID leaf 1, ECX: the RDRAND instruction.
pub const CPUID_ECX_RDRAND: u32 = 1 << 30;

#[cfg(target_arch = "x86")]
pub use self::instructions::*;

#[cfg(target_arch = "x86")]
mod instructions {
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

    /// CPUID leaf 1's feature flags: (ECX, EDX).
    pub fn cpuid_features() -> (u32, u32) {
        // Every CPU this kernel runs on (i586 and later) has CPUID, and
        // leaf 1 on all of them; it only reads.
        let r = core::arch::x86::__cpuid(1);
        (r.ecx, r.edx)
    }

    /// Tries 10 times, as Intel's guide to RDRAND advises, for a random
    /// word from the CPU's generator; None if it never had one ready. Call
    /// only if `cpuid_features` shows RDRAND (else it is #UD).
    pub fn rdrand() -> Option<u32> {
        for _ in 0..10 {
            let (value, ok): (u32, u8);
            // SAFETY: the caller checked CPUID for RDRAND; it writes only
            // the two output registers and the flags.
            unsafe {
                asm!("rdrand {0:e}", "setc {1}", out(reg) value, out(reg_byte) ok,
                          options(nomem, nostack))
            };
            if ok != 0 {
                return Some(value);
            }
        }
        None
    }

    /// CR2: the linear address of the last page fault.
    pub fn cr2() -> u32 {
        // SAFETY: reading CR2 in ring 0 has no side effects.
        unsafe { x86::controlregs::cr2() as u32 }
    }
}
