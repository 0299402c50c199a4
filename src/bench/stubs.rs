//! The two extra interrupt handlers `make bench` compares the kernel's
//! real entry path with (src/interrupt/stubs.rs): the machine's floor and the
//! classic tutorial stub. Nothing else in the kernel uses them;
//! src/bench/idt_copy.rs points spare vectors of its own copy of the IDT
//! at them.
//!
//! - `bench_iret_gate` is only `iretd`: what `int n` + `iretd` cost on
//!   this CPU with no work at all. No real handler can be cheaper.
//! - `bench_irq1_min` is the least an IRQ 1 handler can do: read the
//!   byte from port 0x60, send the EOI, count, `iretd`. Delivered by a real
//!   IRQ, it shows what the PIC's delivery costs beyond `int n`.
//!   `bench_irq4_min` is the same for IRQ 4: read the received byte from
//!   COM1's data register, EOI, count.
//! - `bench_user_syscalls` is a ring-3 program (a flat binary started as
//!   a process by `user::start`, like the built-in programs of
//!   src/user/programs.rs): it times, with its own RDTSCs, the empty loop and
//!   then the same loop around `int 0x80` (or `int` to the ring-3 floor
//!   gate), the parameters and the four TSC readings in a data block at
//!   its end (see `UserBench`).
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

use crate::cpu::gdt::KERNEL_DATA;
use crate::dev::{i8042, pic, uart};
use crate::user::layout::FLAT_BASE;
use crate::user::syscall::numbers::SYS_EXIT;

/// The vector src/bench/measure.rs gives the classic stub (it pushes it itself).
pub const CLASSIC_VECTOR: u8 = 0x41;
/// The vector of the ring-3 floor: an `iretd`-only gate with DPL 3 (in
/// the benchmark's IDT copy only).
pub const USER_FLOOR_VECTOR: u8 = 0x43;

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

    .global bench_irq4_min
    .balign 16
bench_irq4_min:
    push eax
    push edx
    mov dx, {com1_data}
    in al, dx               /* take the byte: the UART lowers its IRQ */
    mov al, {eoi}
    out {pic1}, al
    add dword ptr [bench_irq4_min_count], 1
    pop edx
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
bench_irq4_min_count:
    .skip 4
"#,
    com1_data = const uart::COM1_DATA,
    vector = const CLASSIC_VECTOR as u32,
    kbd_data = const i8042::KBD_DATA,
    eoi = const pic::OCW2_EOI,
    pic1 = const pic::PIC1_COMMAND,
    kernel_data = const KERNEL_DATA as u32,
);

/// The data block at the end of `bench_user_syscalls`: parameters the
/// kernel writes into its copy of the program before running it, results
/// the program leaves there. The assembly below takes its offsets from
/// this struct (`core::mem::offset_of!`): change both or neither.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct UserBench {
    /// EAX for every `int 0x80`: the system-call number.
    pub number: u32,
    /// Iterations of each loop (>= 1).
    pub iterations: u32,
    /// 0: the timed loop does `int 0x80`; else `int USER_FLOOR_VECTOR`.
    pub floor: u32,
    /// The byte a `write` sends (EBX = 1, ECX = &byte, EDX = 1 are set for
    /// every call; unknown numbers ignore them).
    pub byte: u32,
    /// TSC before and after the empty loop.
    pub empty_start: u64,
    pub empty_end: u64,
    /// TSC before and after the loop with the `int`.
    pub timed_start: u64,
    pub timed_end: u64,
    /// EAX after the last `int`: the system call's result.
    pub result: u32,
}

core::arch::global_asm!(
    r#"
    /* A ring-3 program, position-dependent like src/user/programs.rs: loaded at
     * USER_BASE, so its data block is at the label's offset from there. */
    .section .rodata.bench_user_syscalls, "a"
    .global bench_user_syscalls
bench_user_syscalls:
    movl $(bench_user_data - bench_user_syscalls + {user_base}), %ebp
    /* the empty loop: only its own decl/jnz */
    movl {iterations}(%ebp), %esi
    rdtsc
    movl %eax, {empty_start}(%ebp)
    movl %edx, {empty_start}+4(%ebp)
1:  decl %esi
    jnz 1b
    rdtsc
    movl %eax, {empty_end}(%ebp)
    movl %edx, {empty_end}+4(%ebp)
    /* write(1, &byte, 1)'s arguments; the kernel keeps EBX, ECX, EDX */
    movl {number}(%ebp), %edi
    movl {iterations}(%ebp), %esi
    movl $1, %ebx
    leal {byte}(%ebp), %ecx
    cmpl $0, {floor}(%ebp)
    jne 4f
    rdtsc
    movl %eax, {timed_start}(%ebp)
    movl %edx, {timed_start}+4(%ebp)
    movl $1, %edx
2:  movl %edi, %eax
    int $0x80
    decl %esi
    jnz 2b
    jmp 5f
4:  rdtsc
    movl %eax, {timed_start}(%ebp)
    movl %edx, {timed_start}+4(%ebp)
    movl $1, %edx
3:  movl %edi, %eax
    int ${user_floor}
    decl %esi
    jnz 3b
5:  movl %eax, {result}(%ebp)
    rdtsc
    movl %eax, {timed_end}(%ebp)
    movl %edx, {timed_end}+4(%ebp)
    movl ${sys_exit}, %eax
    xorl %ebx, %ebx
    int $0x80
    .balign 8
    .global bench_user_data
bench_user_data:
    .skip {data_size}
    .global bench_user_syscalls_end
bench_user_syscalls_end:
"#,
    user_base = const FLAT_BASE,
    number = const core::mem::offset_of!(UserBench, number),
    iterations = const core::mem::offset_of!(UserBench, iterations),
    floor = const core::mem::offset_of!(UserBench, floor),
    byte = const core::mem::offset_of!(UserBench, byte),
    empty_start = const core::mem::offset_of!(UserBench, empty_start),
    empty_end = const core::mem::offset_of!(UserBench, empty_end),
    timed_start = const core::mem::offset_of!(UserBench, timed_start),
    timed_end = const core::mem::offset_of!(UserBench, timed_end),
    result = const core::mem::offset_of!(UserBench, result),
    data_size = const core::mem::size_of::<UserBench>(),
    user_floor = const USER_FLOOR_VECTOR,
    sys_exit = const SYS_EXIT,
    options(att_syntax)
);

unsafe extern "C" {
    static bench_user_syscalls: u8;
    static bench_user_data: u8;
    static bench_user_syscalls_end: u8;
}

/// The ring-3 program's bytes, and the offset of its `UserBench` block.
pub fn user_syscalls() -> (&'static [u8], usize) {
    let (start, data, end) = (
        &raw const bench_user_syscalls,
        &raw const bench_user_data,
        &raw const bench_user_syscalls_end,
    );
    // SAFETY: start..end is the program assembled above, in .rodata.
    let code = unsafe { core::slice::from_raw_parts(start, end as usize - start as usize) };
    (code, data as usize - start as usize)
}

unsafe extern "C" {
    fn bench_iret_gate();
    fn bench_classic_stub();
    fn bench_irq1_min();
    /// IRQs `bench_irq1_min` has handled.
    static bench_irq1_min_count: AtomicU32;
    fn bench_irq4_min();
    /// IRQs `bench_irq4_min` has handled.
    static bench_irq4_min_count: AtomicU32;
}

/// Entry address of the minimal IRQ 4 handler: it reads the received
/// byte and sends the EOI.
pub fn irq4_min() -> u32 {
    bench_irq4_min as *const () as usize as u32
}

/// How many IRQs the minimal IRQ 4 handler has handled.
pub fn irq4_min_count() -> u32 {
    // SAFETY: a 4-byte aligned .bss word that only the handler writes.
    unsafe { bench_irq4_min_count.load(Ordering::Relaxed) }
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
