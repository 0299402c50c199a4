//! Running a program in ring 3, and its way back into the kernel.
//!
//! `run` copies a program into the user region (0x00400000-0x007FFFFF,
//! the only memory paging lets ring 3 touch), then enters it with `iretd`
//! from a frame it built by hand: user CS and SS (RPL 3), ESP at the top
//! of the user region, and EFLAGS with IF = 1 and IOPL = 0 (IRQs keep
//! arriving; `cli`, `in` and `out` fault). From then on the program can
//! only come back through an interrupt: an IRQ (which returns to it), a
//! system call (`int 0x80`, the one gate with DPL 3), or a fault.
//!
//! Each entry from ring 3 lands on the stack in the main TSS's ESP0, not
//! on the kernel stack `run` was called on. When the program exits or is
//! killed, `leave` abandons that stack and resumes `run`'s caller on the
//! kernel stack, as if `run` had returned: the kernel then goes back to
//! its own keyboard echo.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::gdt::{KERNEL_DATA, USER_CODE, USER_DATA};
use crate::keyboard::KEYS;
use crate::paging::{USER_END, USER_PROGRAM, USER_STACK};
use crate::syscall::{self, Outcome};
use crate::trapframe::TrapFrame;
use crate::{console, cpu, elf, keys, trap, vectors};

/// How a program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It called exit(status).
    Exited(i32),
    /// The CPU raised this exception while it ran.
    Killed(u8),
    /// Ctrl-C was pressed while it ran.
    Interrupted,
}

/// EFLAGS for ring 3: IF set, reserved bit 1 set, IOPL 0.
const USER_EFLAGS: u32 = (1 << 9) | (1 << 1);

core::arch::global_asm!(
    r#"
    .section .text.user_enter, "ax"
    /* u32 user_enter(u32 entry, u32 stack): saves the kernel's callee-saved
     * registers and EFLAGS, records ESP, and irets to ring 3. Returns only
     * through user_leave, with the value user_leave was given. */
    .global user_enter
user_enter:
    push ebp
    push ebx
    push esi
    push edi
    pushfd
    mov [user_kernel_esp], esp
    mov eax, [esp + 24]
    mov ecx, [esp + 28]
    push {user_data}            /* SS */
    push ecx                    /* ESP */
    push {user_eflags}          /* EFLAGS */
    push {user_code}            /* CS */
    push eax                    /* EIP */
    mov eax, {user_data}
    mov ds, eax
    mov es, eax
    mov fs, eax
    mov gs, eax
    /* No kernel values leak into ring 3. */
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    iretd

    /* void user_leave(u32 value): back to user_enter's caller, on the
     * kernel stack, returning `value`. */
    .global user_leave
user_leave:
    mov eax, [esp + 4]
    mov esp, [user_kernel_esp]
    mov ecx, {kernel_data}
    mov ds, ecx
    mov es, ecx
    mov fs, ecx
    mov gs, ecx
    popfd
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

    .section .bss.user_kernel_esp, "aw", @nobits
    .balign 4
user_kernel_esp:
    .long 0
"#,
    user_data = const USER_DATA as u32,
    user_code = const USER_CODE as u32,
    kernel_data = const KERNEL_DATA as u32,
    user_eflags = const USER_EFLAGS,
);

unsafe extern "C" {
    fn user_enter(entry: u32, stack: u32) -> u32;
    fn user_leave(value: u32) -> !;
}

/// Whether a program is running (between `user_enter` and `user_leave`).
static RUNNING: AtomicBool = AtomicBool::new(false);
/// Ctrl-C was pressed while a program ran; acted on when the CPU is about
/// to return to ring 3 (or while the program waits in `read`).
static INTERRUPT: AtomicBool = AtomicBool::new(false);

/// Records a Ctrl-C for the running program. Returns false (and records
/// nothing) when no program runs: then Ctrl-C is an ordinary key.
pub fn request_interrupt() -> bool {
    let running = RUNNING.load(Ordering::Relaxed);
    if running {
        INTERRUPT.store(true, Ordering::Relaxed);
    }
    running
}

/// Whether a Ctrl-C waits to stop the program.
pub fn interrupt_requested() -> bool {
    INTERRUPT.load(Ordering::Relaxed)
}

/// Stops the program for a pending Ctrl-C. Called from the dispatcher
/// with the IRQ already acknowledged, or from a blocked `read`.
pub fn stop_interrupted() -> ! {
    leave(Exit::Interrupted)
}

/// Encodes an `Exit` into the one word `user_leave` carries.
/// Low byte 0: exited, status in the upper 24 bits; 0x80 | vector:
/// killed by that exception; 0x40: interrupted.
fn encode(exit: Exit) -> u32 {
    match exit {
        Exit::Exited(status) => (status as u32) << 8,
        Exit::Killed(vector) => 0x80 | u32::from(vector),
        Exit::Interrupted => 0x40,
    }
}

fn decode(word: u32) -> Exit {
    match word & 0xFF {
        0 => Exit::Exited((word as i32) >> 8),
        0x40 => Exit::Interrupted,
        low => Exit::Killed((low & 0x7F) as u8),
    }
}

/// Returns to `run`'s caller. Called from the dispatcher, on the ESP0
/// stack, for an exit system call or a fault in ring 3.
fn leave(exit: Exit) -> ! {
    RUNNING.store(false, Ordering::Relaxed);
    INTERRUPT.store(false, Ordering::Relaxed);
    // SAFETY: a program is running, so user_kernel_esp holds the kernel
    // stack of `run`'s call to user_enter, which is still live below us.
    unsafe { user_leave(encode(exit)) }
}

/// Called by the dispatcher for an exception raised in ring 3: the
/// program is stopped and `run` returns `Exit::Killed`.
pub fn kill(frame: &TrapFrame) -> ! {
    debug_assert_eq!(frame.ring(), 3);
    leave(Exit::Killed(frame.vector as u8))
}

/// The system calls' view of the machine (see src/syscall.rs).
struct Machine;

impl syscall::Kernel for Machine {
    fn user_memory(&mut self, start: u32, len: u32) -> &mut [u8] {
        // SAFETY: syscall::dispatch checked start..start+len against the
        // user region, which is identity-mapped, present and writable.
        unsafe { core::slice::from_raw_parts_mut(start as usize as *mut u8, len as usize) }
    }

    /// Blocks with interrupts enabled until a key is queued: the program is
    /// now the keyboard queue's consumer, instead of the idle loop.
    fn read_keys(&mut self, buf: &mut [u8]) -> usize {
        loop {
            let mut filled = 0;
            while let Some(key) = KEYS.peek() {
                let (bytes, len) = keys::bytes(key);
                let room = buf.len() - filled;
                if len > room && filled > 0 {
                    break; // the next read gets it
                }
                let len = len.min(room);
                buf[filled..filled + len].copy_from_slice(&bytes[..len]);
                filled += len;
                KEYS.pop();
            }
            if filled > 0 {
                return filled;
            }
            // IF is clear (interrupt gate): sleep until IRQ 1 queues more.
            cpu::enable_interrupts_and_halt();
            cpu::disable_interrupts();
            if interrupt_requested() {
                stop_interrupted();
            }
        }
    }

    fn write_console(&mut self, bytes: &[u8]) {
        console::write_bytes(bytes);
    }
}

/// The `int 0x80` handler.
fn on_syscall(frame: &mut TrapFrame) {
    match syscall::dispatch(frame.eax, frame.ebx, frame.ecx, frame.edx, &mut Machine) {
        Outcome::Return(value) => frame.eax = value as u32,
        Outcome::Exit(status) if frame.ring() == 3 && RUNNING.load(Ordering::Relaxed) => leave(Exit::Exited(status)),
        // exit from ring 0 (a test or benchmark) has no program to end.
        Outcome::Exit(_) => frame.eax = (-syscall::ENOSYS) as u32,
    }
}

/// Opens the system-call gate: `int 0x80` is the only vector ring 3 may
/// name (`trap::init` gave its gate DPL 3).
pub fn init() {
    trap::register(vectors::SYSCALL, on_syscall);
}

/// The mapped part `range` of the user region, as kernel-writable bytes.
fn user_part(range: core::ops::Range<u32>) -> &'static mut [u8] {
    // SAFETY: both parts are identity-mapped and writable from ring 0, and
    // no program is running while the loader uses them.
    unsafe { core::slice::from_raw_parts_mut(range.start as usize as *mut u8, range.len()) }
}

/// Clears the user region and copies `image` from `file` into it.
fn load(file: &[u8], image: &elf::Image) {
    user_part(USER_STACK).fill(0);
    let program = user_part(USER_PROGRAM);
    program.fill(0);
    for segment in image.segments.iter().flatten() {
        let at = (segment.address - USER_PROGRAM.start) as usize;
        let from = segment.offset as usize;
        let len = segment.file_size as usize;
        program[at..at + len].copy_from_slice(&file[from..from + len]);
    }
}

/// Loads `file` (an ELF32 executable or a flat binary) and runs it in
/// ring 3 until it exits or faults.
pub fn run(file: &[u8]) -> Result<Exit, elf::Error> {
    let image = elf::parse(file)?;
    load(file, &image);
    crate::println!(
        "user: {} loaded, entry {:#010x}, stack top {:#010x}, ring 3 with IF=1 IOPL=0",
        if image.elf { "ELF32 executable" } else { "flat binary" },
        image.entry,
        USER_END
    );
    RUNNING.store(true, Ordering::Relaxed);
    // SAFETY: the program is in the user region and the stack at its top;
    // ring 3 can reach nothing else. The kernel state user_enter saves is
    // restored by user_leave, the only way back.
    let word = unsafe { user_enter(image.entry, USER_END) };
    Ok(decode(word))
}
