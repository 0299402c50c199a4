//! The context switch: from one process's kernel stack to another's.
//!
//! Every process has a kernel stack of its own. A process gives up the
//! CPU inside the kernel (in `schedule`, reached from the timer's IRQ, a
//! system call that waits or yields, or an exit), so all of its user state
//! is already saved on that stack as a `TrapFrame` by the interrupt path.
//! What is left to save is what a C function must preserve across a call:
//! EBP, EBX, ESI, EDI, and the two segment registers the kernel never
//! touches, FS and GS (they belong to the process: its thread-local
//! storage lives behind one of them). `switch_context` pushes those,
//! stores ESP in the old process's slot, loads the new process's saved
//! ESP, pops the same registers and returns: to wherever the new process
//! was when it last called `switch_context`.
//!
//! ```text
//!   a process's kernel stack, while it is not running:
//!
//!   top   TrapFrame of its last entry into the kernel (user EIP, ESP...)
//!         ... the kernel's frames: dispatcher, handler, schedule ...
//!         return address into schedule
//!         EBP, EBX, ESI, EDI
//!         FS, GS
//!   saved ESP ->
//! ```
//!
//! A process that never ran has a stack built to look the same
//! (`first_run_stack`): its "return address" is `process_first_run`,
//! which pops the TrapFrame above it exactly as `isr_common`'s exit does
//! and `iretd`s into ring 3 at the program's entry point.

use core::mem::size_of;

use crate::cpu::gdt::{USER_CODE, USER_DATA};
use crate::interrupt::frame::{TrapFrame, OFFSET_DS, OFFSET_ES};

core::arch::global_asm!(
    r#"
    .section .text.switch_context, "ax"
    /* void switch_context(u32 *save_esp, u32 next_esp) */
    .global switch_context
switch_context:
    mov eax, [esp + 4]
    mov edx, [esp + 8]
    push ebp
    push ebx
    push esi
    push edi
    mov ecx, fs          /* through a register: a 32-bit push, never pushw */
    push ecx
    mov ecx, gs
    push ecx
    mov [eax], esp
    mov esp, edx
    pop ecx
    mov gs, ecx
    pop ecx
    mov fs, ecx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

    /* A new process's first switch_context returns here, with ESP at the
     * TrapFrame `first_run_stack` built: the same exit as isr_common's. */
    .global process_first_run
process_first_run:
    pop ecx              /* ES */
    pop eax              /* DS */
    mov es, ecx
    mov ds, eax
    popad
    add esp, 8           /* vector and error code */
    iretd
"#
);

// process_first_run pops ES, then DS: the frame's first two words.
const _: () = assert!(OFFSET_ES == 0 && OFFSET_DS == 4);

unsafe extern "C" {
    /// Saves the current context in `*save_esp` and resumes the one saved
    /// at `next_esp`.
    pub fn switch_context(save_esp: *mut u32, next_esp: u32);
    fn process_first_run();
}

/// EFLAGS a process starts with: IF set (IRQs arrive in ring 3), the
/// reserved bit 1, IOPL 0 (no `cli`, no port I/O).
pub const USER_EFLAGS: u32 = (1 << 9) | (1 << 1);

/// Words `switch_context` pops before its `ret`: GS, FS, EDI, ESI, EBX, EBP.
const SAVED_WORDS: usize = 6;

/// Writes, at the top of the kernel stack `[stack_top - len, stack_top)`,
/// what makes a first `switch_context` to it enter ring 3 at `entry` with
/// ESP = `user_esp`; returns the saved ESP to switch to.
///
/// # Safety
/// `stack_top` must be the top of a writable kernel stack of at least
/// 256 bytes that nothing else uses.
pub unsafe fn first_run_stack(stack_top: u32, entry: u32, user_esp: u32) -> u32 {
    let frame = TrapFrame {
        es: u32::from(USER_DATA),
        ds: u32::from(USER_DATA),
        eip: entry,
        cs: u32::from(USER_CODE),
        eflags: USER_EFLAGS,
        user_esp,
        user_ss: u32::from(USER_DATA),
        ..TrapFrame::default()
    };
    let frame_at = stack_top - size_of::<TrapFrame>() as u32;
    let return_at = frame_at - 4;
    let saved_esp = return_at - 4 * SAVED_WORDS as u32;
    // SAFETY: all three writes lie in the top 256 bytes of the stack the
    // caller vouches for. FS and GS start null, as on Linux; the other
    // saved registers start at zero.
    unsafe {
        (frame_at as *mut TrapFrame).write(frame);
        (return_at as *mut u32).write(process_first_run as *const () as u32);
        core::ptr::write_bytes(saved_esp as *mut u32, 0, SAVED_WORDS);
    }
    saved_esp
}
