//! The two extra interrupt handlers `make bench` compares the kernel's
//! real entry path with (src/stubs.rs): the machine's floor and the
//! classic tutorial stub. Nothing else in the kernel uses them; src/bench.rs
//! points two spare vectors of its own copy of the IDT at them.
//!
//! - `bench_iret_gate` is only `iretd`: what `int n` + `iretd` cost on
//!   this CPU with no work at all. No real handler can be cheaper.
//! - `bench_irq1_min` is the least an IRQ 1 handler can do: read the
//!   byte from port 0x60, send the EOI, count, `iretd`. Delivered by a real
//!   IRQ, it shows what the PIC's delivery costs beyond `int n`.
//! - `bench_classic_stub` is the common stub of the classic tutorials
//!   (Bran's kernel development tutorial, JamesM's, and this project's
//!   seeds): push a dummy error code and the vector, `pushad`, save DS, ES,
//!   FS, GS and load the kernel data selector into all four on every
//!   entry, call the dispatcher, reload all four on the way out. To
//!   compare like with like, everything else is done exactly as in
//!   `isr_common` (the same `mov eax, ds; push eax` idiom, `cld`, the same
//!   stack alignment, the same `trap_dispatch` and handler): the
//!   difference between the two rows is the segment-register traffic.
//!
//! Its frame: it pushes DS, ES, FS, GS in the tutorials' order, so GS and
//! FS end up below ES; the pointer it hands to `trap_dispatch` is ESP + 8,
//! where ES and DS sit exactly where `TrapFrame` expects them:
//!
//! ```text
//!   +56 ... +16   EFLAGS ... EDI   as in isr_common, 8 bytes higher
//!   +12  DS   \
//!   +8   ES    |  <- ESP + 8 = &TrapFrame
//!   +4   FS    |
//!   +0   GS   /   <- ESP
//! ```

use core::sync::atomic::{AtomicU32, Ordering};

use crate::gdt::KERNEL_DATA;

/// The vector src/bench.rs gives the classic stub (it pushes it itself).
pub const CLASSIC_VECTOR: u8 = 0x41;

core::arch::global_asm!(
    r#"
    .section .text.bench_stubs, "ax"

    .global bench_iret_gate
    .balign 16
bench_iret_gate:
    iretd

    .global bench_irq1_min
    .balign 16
bench_irq1_min:
    push eax
    in al, {kbd_data}       /* take the byte: the i8042 may interrupt again */
    mov al, {eoi}
    out {pic1}, al          /* non-specific EOI to the master PIC */
    add dword ptr [bench_irq1_min_count], 1
    pop eax
    iretd

    .global bench_classic_stub
    .balign 16
bench_classic_stub:
    push 0                  /* dummy error code */
    push {vector}
    pushad
    mov eax, ds
    push eax
    mov eax, es
    push eax
    mov eax, fs
    push eax
    mov eax, gs
    push eax
    mov eax, {kernel_data}  /* reload all four, needed or not */
    mov ds, eax
    mov es, eax
    mov fs, eax
    mov gs, eax
    cld
    mov esi, esp
    and esp, -16
    sub esp, 12
    lea eax, [esi + 8]      /* &TrapFrame, see the map above */
    push eax
    call trap_dispatch
    mov esp, esi
    pop eax
    mov gs, eax
    pop eax
    mov fs, eax
    pop eax
    mov es, eax
    pop eax
    mov ds, eax
    popad
    add esp, 8              /* vector and error code */
    iretd

    .section .bss.bench_irq1_min_count, "aw", @nobits
    .balign 4
bench_irq1_min_count:
    .skip 4
"#,
    vector = const CLASSIC_VECTOR as u32,
    kbd_data = const crate::keyboard::KBD_DATA,
    eoi = const crate::pic::OCW2_EOI,
    pic1 = const crate::pic::PIC1_COMMAND,
    kernel_data = const KERNEL_DATA as u32,
);

unsafe extern "C" {
    fn bench_iret_gate();
    fn bench_classic_stub();
    fn bench_irq1_min();
    /// IRQs `bench_irq1_min` has handled.
    static bench_irq1_min_count: AtomicU32;
}

/// Entry address of the minimal IRQ 1 handler.
pub fn irq1_min() -> u32 {
    bench_irq1_min as *const () as usize as u32
}

/// How many IRQs the minimal IRQ 1 handler has handled.
pub fn irq1_min_count() -> u32 {
    // SAFETY: a 4-byte aligned .bss word that only the handler writes.
    unsafe { bench_irq1_min_count.load(Ordering::Relaxed) }
}

/// Entry address of the `iretd`-only handler.
pub fn iret_gate() -> u32 {
    bench_iret_gate as *const () as usize as u32
}

/// Entry address of the classic stub.
pub fn classic_stub() -> u32 {
    bench_classic_stub as *const () as usize as u32
}
