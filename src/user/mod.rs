//! Ring 3: loading a program into a process, its system calls, its end.
//!
//! `start` reads a program (`elf`), makes it an address space of its own
//! (src/mm/space.rs): its segments at the addresses it was linked for, a
//! stack at the top of user space holding argc, argv, envp and the
//! auxiliary vector (`stack`, `layout`), and hands it to the scheduler,
//! which enters it with `iretd` when its turn comes: user CS and SS
//! (RPL 3), EFLAGS with IF = 1 and IOPL = 0 (IRQs keep arriving; `cli`,
//! `in` and `out` fault). From then on the program can only come back
//! through an interrupt: an IRQ, a system call (`int 0x80`, the one gate
//! with DPL 3), or a fault.
//!
//! The handlers this room gives `kernel_main` to wire: `on_syscall`
//! (vector 0x80) and `RING3_HOOKS` for the dispatcher (a fault the
//! program caused ends it, alone; on the way back to ring 3 after an IRQ
//! a pending Ctrl-C ends it, and the scheduler may switch). Every end is
//! one line: `user: pid N (NAME) exit STATUS` or `... killed by #XX`.
//! STATUS is what Linux would report to a parent, the low 8 bits of what
//! the program passed to exit; when that differs, the line goes on to say
//! what it passed: `exit 44, from exit(300)`.
//!
//! The system calls are in `syscall` (pure, one file per subject), with
//! the Linux structures they copy out in `abi`, set_thread_area's checks
//! in `tls` and the random bytes' generator in `random`. A process's file
//! descriptors are a table in its record (src/fd.rs); `start` gives each
//! program the console on 0, 1 and 2.

pub mod abi;
pub mod elf;
pub mod layout;
pub mod random;
pub mod stack;
pub mod syscall;
pub mod tls;
pub mod umem;

#[cfg(target_os = "none")]
pub mod programs;

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::elf;
    use super::layout::{page_down, page_up, STACK_BOTTOM, STACK_GUARD, STACK_TOP};
    use super::random;
    use super::stack::{self, StartInfo};
    use super::syscall::{self, errno, fcntl, Clock, Errno, Fault, Outcome, Services};
    use super::umem::UserRange;
    use crate::console;
    use crate::cpu::gdt::{self, TlsDescriptors};
    use crate::cpu::paging::{self, PAGE_SIZE};
    use crate::dev::{pit, rtc};
    use crate::fd::{FdTable, MAX_FDS};
    use crate::interrupt::dispatch::Ring3Hooks;
    use crate::interrupt::vectors::exception_name;
    use crate::interrupt::TrapFrame;
    use crate::mm::space::{Access, AddressSpace, Protection};
    use crate::mm::{self, DirectMap};
    use crate::net;
    use crate::net::api::{Address, Kind, NetError, SocketId};
    use crate::net::socket;
    use crate::println;
    use crate::sched::{self, policy, policy::Reason, Exit, SpawnError};
    use crate::terminal;

    /// Why a program could not be made a process.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum LoadError {
        Elf(elf::Error),
        /// The process table is full.
        TableFull,
        /// Physical memory ran out while it was being loaded.
        OutOfMemory,
        /// Its arguments do not fit on the initial stack.
        ArgumentsTooLong,
    }

    impl core::fmt::Display for LoadError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            match self {
                LoadError::Elf(e) => write!(f, "{e}"),
                LoadError::TableFull => {
                    write!(f, "the process table is full ({} processes)", sched::MAX_PROCESSES - 1)
                }
                LoadError::OutOfMemory => {
                    write!(f, "out of memory ({} frames free)", mm::free_frames())
                }
                LoadError::ArgumentsTooLong => f.write_str("the arguments do not fit on its stack"),
            }
        }
    }

    /// Bytes of the initial stack the arguments may take.
    const ARGUMENT_ROOM: usize = 4096;

    /// Makes a ready process of `file` (an ELF32 executable or a flat
    /// binary) with arguments `args` (`args[0]` is its name, as argv[0]);
    /// returns its pid. Nothing is left allocated when it fails.
    pub fn start(file: &[u8], args: &[&str]) -> Result<u32, LoadError> {
        let image = elf::parse(file).map_err(LoadError::Elf)?;
        let memory = &mut DirectMap;
        let mut space =
            AddressSpace::new(memory, mm::kernel_entries()).map_err(|_| LoadError::OutOfMemory)?;
        let esp = match fill(&mut space, file, &image, args) {
            Ok(esp) => esp,
            Err(e) => {
                space.destroy(memory);
                return Err(e);
            }
        };
        let path = args.first().copied().unwrap_or("?");
        let name = path.rsplit('/').next().unwrap_or(path);
        let pages = space.frames();
        let heap = page_up(image.end());
        // Every program starts with the console on stdin, stdout and stderr.
        let files = FdTable::console();
        let pid = sched::spawn(name, path, space, image.entry, esp, heap, files).map_err(
            |(e, space)| {
                space.destroy(memory);
                match e {
                    SpawnError::TableFull => LoadError::TableFull,
                    SpawnError::OutOfMemory => LoadError::OutOfMemory,
                }
            },
        )?;
        println!(
            "user: pid {pid} ({name}) started: {} at {:#010x}, entry {:#010x}, {} pages",
            if image.elf { "ELF32 executable" } else { "flat binary" },
            image.segments.iter().flatten().map(|s| s.address).min().unwrap_or(0),
            image.entry,
            pages
        );
        Ok(pid)
    }

    /// Maps and fills the segments and the stack; returns the initial ESP.
    fn fill(
        space: &mut AddressSpace,
        file: &[u8],
        image: &elf::Image,
        args: &[&str],
    ) -> Result<u32, LoadError> {
        let memory = &mut DirectMap;
        let oom = |_| LoadError::OutOfMemory;
        for segment in image.segments.iter().flatten() {
            let access = if segment.writable { Access::Write } else { Access::Read };
            let mut page = page_down(segment.address);
            while page < segment.end() {
                if !space.is_mapped(memory, page) {
                    space.map_new(memory, page, access).map_err(oom)?;
                } else if segment.writable {
                    space.allow_write(memory, page);
                }
                page += PAGE_SIZE;
            }
            let from = segment.offset as usize;
            let bytes = &file[from..from + segment.file_size as usize];
            space.load(memory, segment.address, bytes).expect("the segment was just mapped");
        }
        let mut page = STACK_BOTTOM;
        while page < STACK_TOP {
            space.map_new(memory, page, Access::Write).map_err(oom)?;
            page += PAGE_SIZE;
        }
        let info = StartInfo {
            args,
            env: &[],
            entry: image.entry,
            phdr: image.phdr,
            phnum: image.phnum,
            phent: image.phent,
            ticks_per_second: pit::hz(),
            random: {
                let mut bytes = [0u8; 16];
                random::fill(&mut bytes);
                bytes
            },
        };
        let mut room = [0u8; ARGUMENT_ROOM];
        let esp =
            stack::build(STACK_TOP, &info, &mut room).map_err(|_| LoadError::ArgumentsTooLong)?;
        let used = (STACK_TOP - esp) as usize;
        space.write(memory, esp, &room[room.len() - used..]).expect("the stack was just mapped");
        Ok(esp)
    }

    /// Ends the current process: its one last line, then the scheduler
    /// takes the CPU away for good. Interrupts must be off.
    fn end(exit: Exit) -> ! {
        // Its output may end without a newline: the kernel's line starts
        // on a line of its own.
        console::start_line();
        sched::with_current(|p| {
            let (pid, name) = (p.pid, p.name());
            match exit {
                // As Linux reports it (8 bits), and what the program
                // passed when that differs: `exit 44, from exit(300)`.
                Exit::Exited(passed) => match syscall::reported_status(passed) {
                    status if i32::from(status) == passed => {
                        print_end(pid, name, format_args!("exit {status}"), p)
                    }
                    status => {
                        print_end(pid, name, format_args!("exit {status}, from exit({passed})"), p)
                    }
                },
                Exit::Killed(vector) => {
                    let mnemonic = exception_name(vector).map_or("#?", |n| n.0);
                    print_end(pid, name, format_args!("killed by {mnemonic}"), p)
                }
                Exit::Interrupted => print_end(pid, name, format_args!("killed by Ctrl-C"), p),
            }
        });
        // Its descriptors close with it, and its sockets with them, as
        // when a Linux process exits.
        for fd in 0..MAX_FDS as u32 {
            let object = sched::with_current(|p| p.files.close(fd).ok().flatten());
            fcntl::release(object, &mut KernelServices);
        }
        // A process reading the console may become the foreground now.
        sched::wakeup(terminal::CONSOLE);
        sched::exit_current(exit)
    }

    fn print_end(pid: u32, name: &str, how: core::fmt::Arguments, p: &sched::Process) {
        println!(
            "user: pid {pid} ({name}) {how} ({} ticks, {} in ring 3, {} switches, {} pages freed)",
            p.ticks,
            p.ring3_ticks,
            p.switches,
            p.frames()
        );
    }

    /// The dispatcher's view of this room (see `Ring3Hooks`).
    pub const RING3_HOOKS: Ring3Hooks = Ring3Hooks { fault: kill, returning };

    /// An exception the program caused: it ends, and no other process
    /// notices.
    fn kill(frame: &mut TrapFrame) -> ! {
        end(Exit::Killed(frame.vector()))
    }

    /// After an IRQ, on the way back to ring 3, with the IRQ acknowledged.
    fn returning(_frame: &mut TrapFrame) {
        back_to_ring3();
    }

    /// What waits for the moment the kernel is about to return to ring 3
    /// (after an IRQ, or a system call), when nothing is half done: a
    /// pending Ctrl-C ends the program, F11/F12 output is printed, and
    /// the timer's request for a switch is carried out. This is where
    /// Unix delivers signals.
    fn back_to_ring3() {
        // Typed input echoes within a tick, even while a busy program
        // (which never calls read) has the CPU.
        terminal::cook();
        // The network's bottom half, as Linux runs its softirqs on the
        // way out of an interrupt: the frames the card's IRQ announced.
        net::work();
        if sched::with_current(|p| p.interrupted) {
            end(Exit::Interrupted);
        }
        terminal::show_requested();
        sched::preempt_point();
    }

    /// What the system calls reach: the current process's memory (through
    /// checked ranges, page by page), the terminal, the scheduler, the
    /// clocks.
    struct KernelServices;

    impl KernelServices {
        fn space<R>(f: impl FnOnce(&AddressSpace) -> Result<R, Fault>) -> Result<R, Fault> {
            sched::with_current(|p| p.space.as_ref().map_or(Err(Fault), f))
        }
    }

    impl Services for KernelServices {
        fn copy_from_user(&mut self, from: UserRange, to: &mut [u8]) -> Result<(), Fault> {
            Self::space(|s| s.read(&mut DirectMap, from.start(), to).map_err(|_| Fault))
        }

        fn copy_to_user(&mut self, from: &[u8], to: UserRange) -> Result<(), Fault> {
            Self::space(|s| s.write(&mut DirectMap, to.start(), from).map_err(|_| Fault))
        }

        /// Blocks until the terminal has input for this process (unless
        /// `nonblocking`). A Ctrl-C while it waits ends the program.
        fn read_console(&mut self, buf: &mut [u8], nonblocking: bool) -> Option<usize> {
            match terminal::read(buf, nonblocking) {
                Ok(n) => n,
                Err(terminal::Interrupted) => end(Exit::Interrupted),
            }
        }

        /// Sleeps while COM1's transmit queue is full (src/terminal/).
        fn write_console(&mut self, bytes: &[u8]) {
            terminal::write(bytes);
        }

        fn pid(&mut self) -> u32 {
            sched::current_pid()
        }

        /// The heap grows a page at a time, each page new and zeroed; it
        /// may reach the stack's guard page and no further. A request it
        /// cannot meet (out of range, out of memory) leaves the break
        /// where it was, and the program sees the old value, as on Linux.
        fn brk(&mut self, address: u32) -> u32 {
            sched::with_current(|p| {
                let memory = &mut DirectMap;
                let Some(space) = p.space.as_mut() else { return 0 };
                if address < p.heap_start || address > STACK_GUARD {
                    return p.brk;
                }
                let (old_top, new_top) = (page_up(p.brk), page_up(address));
                let mut page = old_top;
                while page < new_top {
                    if space.map_new(memory, page, Access::Write).is_err() {
                        // Out of memory: give back what this call took.
                        (old_top..page)
                            .step_by(PAGE_SIZE as usize)
                            .for_each(|q| space.unmap(memory, q));
                        return p.brk;
                    }
                    page += PAGE_SIZE;
                }
                for page in (new_top..old_top).step_by(PAGE_SIZE as usize) {
                    space.unmap(memory, page);
                    // The frame is free now: the TLB must forget it.
                    paging::invalidate_page(page);
                }
                p.brk = address;
                p.brk
            })
        }

        fn yield_cpu(&mut self) {
            sched::schedule(Reason::Yield);
        }

        fn sleep(&mut self, nanoseconds: u64) {
            let until = policy::wake_tick(pit::ticks(), nanoseconds, pit::tick_ns());
            while pit::ticks() < until {
                sched::sleep_until(until);
                if sched::with_current(|p| p.interrupted) {
                    end(Exit::Interrupted);
                }
            }
        }

        fn now(&mut self, clock: Clock) -> u64 {
            match clock {
                Clock::Monotonic => pit::uptime_ns(),
                Clock::Realtime => rtc::boot_epoch_seconds() * 1_000_000_000 + pit::uptime_ns(),
                // Ticks charged to it, at today's tick length (hz= is set
                // once at boot; only the benchmark changes it, and no
                // program runs then).
                Clock::CpuTime => sched::with_current(|p| p.ticks) * pit::tick_ns(),
            }
        }

        /// Logged once per process and number, so that a student sees
        /// what their program wanted.
        fn unknown(&mut self, number: u32) {
            sched::with_current(|p| {
                let seen = &p.unknown_calls[..p.unknown_count];
                if seen.contains(&number) || p.pid == 0 {
                    return;
                }
                if p.unknown_count < p.unknown_calls.len() {
                    p.unknown_calls[p.unknown_count] = number;
                    p.unknown_count += 1;
                }
                println!(
                    "user: pid {} ({}): unknown system call {number}, answered -ENOSYS",
                    p.pid,
                    p.name()
                );
            });
        }

        fn program_path(&mut self, out: &mut [u8]) -> usize {
            sched::with_current(|p| {
                let n = p.path().len().min(out.len());
                out[..n].copy_from_slice(&p.path()[..n]);
                n
            })
        }

        fn tls(&mut self) -> TlsDescriptors {
            sched::with_current(|p| p.tls)
        }

        /// Into the process's record, for every later switch to it; into
        /// the GDT now; and FS or GS reloaded if they use the slot, so the
        /// change holds from the next instruction, as on Linux.
        fn set_tls(&mut self, slot: usize, descriptor: u64) {
            sched::with_current(|p| {
                p.tls[slot] = descriptor;
                gdt::load_tls(&p.tls);
                gdt::reload_tls_users(&p.tls);
            });
        }

        fn random(&mut self, out: &mut [u8]) {
            random::fill(out);
        }

        fn protect(&mut self, start: u32, pages: u32, protection: Protection) -> Result<(), Fault> {
            sched::with_current(|p| {
                let space = p.space.as_mut().ok_or(Fault)?;
                space.protect(&mut DirectMap, start, pages, protection).map_err(|_| Fault)?;
                // This process's directory is the loaded one: drop what
                // the TLB remembers of the old permissions.
                (0..pages).for_each(|i| paging::invalidate_page(start + i * PAGE_SIZE));
                Ok(())
            })
        }

        /// The table is in the process's record (interrupts off while `f`
        /// runs: `f` only looks and changes, it never blocks).
        fn files<R>(&mut self, f: impl FnOnce(&mut FdTable) -> R) -> R {
            sched::with_current(|p| f(&mut p.files))
        }

        // ---- the network: the socket calls reach src/net/socket.rs ----

        fn socket(&mut self, kind: Kind) -> Result<u16, NetError> {
            socket::open(kind).map(|id| id.0)
        }

        fn release_socket(&mut self, id: u16) {
            socket::release(SocketId(id));
        }

        fn kind(&mut self, id: u16) -> Kind {
            socket::kind(SocketId(id)).unwrap_or(Kind::Stream)
        }

        fn bind(&mut self, id: u16, to: Address) -> Result<(), NetError> {
            socket::bind(SocketId(id), to)
        }

        fn listen(&mut self, id: u16, backlog: u32) -> Result<(), NetError> {
            socket::listen(SocketId(id), backlog)
        }

        fn accept(&mut self, id: u16, nonblocking: bool) -> Result<(u16, Address), NetError> {
            socket::accept(SocketId(id), nonblocking).map(|(id, peer)| (id.0, peer))
        }

        fn connect(&mut self, id: u16, to: Address, nonblocking: bool) -> Result<(), NetError> {
            socket::connect(SocketId(id), to, nonblocking)
        }

        fn send(
            &mut self,
            id: u16,
            bytes: &[u8],
            to: Option<Address>,
            nonblocking: bool,
        ) -> Result<usize, NetError> {
            socket::send(SocketId(id), bytes, to, nonblocking)
        }

        fn receive(
            &mut self,
            id: u16,
            buffer: &mut [u8],
            nonblocking: bool,
        ) -> Result<(usize, Option<Address>), NetError> {
            socket::receive(SocketId(id), buffer, nonblocking)
        }

        fn shutdown(&mut self, id: u16, read: bool, write: bool) -> Result<(), NetError> {
            socket::shutdown(SocketId(id), read, write)
        }

        fn local_address(&mut self, id: u16) -> Result<Address, NetError> {
            socket::local_address(SocketId(id))
        }

        fn peer_address(&mut self, id: u16) -> Result<Address, NetError> {
            socket::peer_address(SocketId(id))
        }

        fn set_reuse_address(&mut self, id: u16, on: bool) -> Result<(), NetError> {
            socket::set_reuse_address(SocketId(id), on)
        }
    }

    /// The `int 0x80` handler.
    pub fn on_syscall(frame: &mut TrapFrame) {
        let from_program = frame.ring() == 3;
        let args = [frame.ebx, frame.ecx, frame.edx, frame.esi, frame.edi, frame.ebp];
        match syscall::dispatch(frame.eax, args, &mut KernelServices) {
            Outcome::Return(value) => frame.eax = value,
            Outcome::Exit(status) if from_program => end(Exit::Exited(status)),
            // exit from ring 0 (a test or benchmark) has no program to end.
            Outcome::Exit(_) => frame.eax = errno::to_eax(Err(Errno::ENOSYS)),
        }
        if from_program {
            back_to_ring3();
        }
    }
}
