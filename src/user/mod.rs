//! Ring 3: running a program, and its ways back into the kernel.
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
//!
//! The handlers this room gives `kernel_main` to wire: `on_syscall`
//! (vector 0x80), `on_timer_tick` (IRQ 0: the tick, and whether ring 3
//! was running), and `RING3_HOOKS` for the dispatcher (a fault in ring 3
//! kills the program; a Ctrl-C is acted on when the CPU returns to ring 3).

pub mod elf;
pub mod syscall;
pub mod umem;

#[cfg(target_os = "none")]
pub mod programs;

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::elf;
    use super::syscall::{self, Outcome};
    use super::umem::{self, UserRange};
    use crate::console;
    use crate::cpu::gdt::{KERNEL_DATA, USER_CODE, USER_DATA};
    use crate::cpu::paging::{USER_END, USER_PROGRAM, USER_STACK};
    use crate::dev::pit;
    use crate::interrupt::dispatch::Ring3Hooks;
    use crate::interrupt::TrapFrame;
    use crate::terminal::{self, foreground};

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
    /// stack, for an exit system call, a fault in ring 3 or a Ctrl-C.
    fn leave(exit: Exit) -> ! {
        RUNNING.store(false, Ordering::Relaxed);
        foreground::set_foreground(false);
        // SAFETY: a program is running, so user_kernel_esp holds the kernel
        // stack of `run`'s call to user_enter, which is still live below us.
        unsafe { user_leave(encode(exit)) }
    }

    /// The dispatcher's view of this room (see `Ring3Hooks`).
    pub const RING3_HOOKS: Ring3Hooks = Ring3Hooks { fault: kill, returning };

    /// An exception the program caused: it is stopped, and `run` returns
    /// `Exit::Killed`.
    fn kill(frame: &mut TrapFrame) -> ! {
        leave(Exit::Killed(frame.vector()))
    }

    /// After an IRQ, on the way back to ring 3: a pending Ctrl-C ends the
    /// program here, with the IRQ already acknowledged.
    fn returning(_frame: &mut TrapFrame) {
        if foreground::interrupt_pending() {
            leave(Exit::Interrupted);
        }
    }

    /// Timer ticks that interrupted ring 3 (a user program running).
    static USER_TICKS: AtomicU64 = AtomicU64::new(0);

    /// Ticks counted while ring 3 ran.
    pub fn user_ticks() -> u64 {
        USER_TICKS.load(Ordering::Relaxed)
    }

    /// The IRQ 0 handler: counts the tick, and charges it to the program
    /// if the timer interrupted ring 3.
    pub fn on_timer_tick(frame: &mut TrapFrame) {
        pit::count_tick();
        if frame.ring() == 3 {
            USER_TICKS.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// What the system calls reach: the program's memory (through checked
    /// ranges only), the terminal and the console.
    struct KernelServices;

    impl syscall::Services for KernelServices {
        fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]) {
            umem::copy_from_user(from, to);
        }

        fn copy_to_user(&mut self, from: &[u8], to: UserRange) {
            umem::copy_to_user(from, to);
        }

        /// The program is now the keyboard queue's consumer, instead of
        /// the idle loop. A Ctrl-C while it waits ends the program.
        fn read_console(&mut self, buf: &mut [u8]) -> usize {
            match terminal::read(buf) {
                Ok(n) => n,
                Err(terminal::Interrupted) => leave(Exit::Interrupted),
            }
        }

        fn write_console(&mut self, bytes: &[u8]) {
            console::write_bytes(bytes);
        }
    }

    /// The `int 0x80` handler.
    pub fn on_syscall(frame: &mut TrapFrame) {
        let from_program = frame.ring() == 3 && RUNNING.load(Ordering::Relaxed);
        match syscall::dispatch(frame.eax, frame.ebx, frame.ecx, frame.edx, &mut KernelServices) {
            Outcome::Return(value) => frame.eax = value as u32,
            Outcome::Exit(status) if from_program => leave(Exit::Exited(status)),
            // exit from ring 0 (a test or benchmark) has no program to end.
            Outcome::Exit(_) => frame.eax = (-syscall::ENOSYS) as u32,
        }
    }

    /// Clears the user region and copies `image` from `file` into it.
    fn load(file: &[u8], image: &elf::Image) {
        let whole = |part: core::ops::Range<u32>| {
            UserRange::new(part.start, part.len() as u32).expect("the user region is user memory")
        };
        umem::zero_user(whole(USER_STACK));
        umem::zero_user(whole(USER_PROGRAM));
        for segment in image.segments.iter().flatten() {
            let from = segment.offset as usize;
            let bytes = &file[from..from + segment.file_size as usize];
            // elf::parse checked the placement; UserRange checks it again.
            let to =
                UserRange::new(segment.address, segment.file_size).expect("segment in user memory");
            umem::copy_to_user(bytes, to);
        }
    }

    /// Loads `file` (an ELF32 executable or a flat binary) and runs it in
    /// ring 3 until it exits, faults or is interrupted.
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
        foreground::set_foreground(true);
        // SAFETY: the program is in the user region and the stack at its
        // top; ring 3 can reach nothing else. The kernel state user_enter
        // saves is restored by user_leave, the only way back.
        let word = unsafe { user_enter(image.entry, USER_END) };
        Ok(decode(word))
    }
}
