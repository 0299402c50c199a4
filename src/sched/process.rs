//! The process table, and the mechanism that moves the CPU between its
//! processes: create, schedule, sleep and wake, tick, exit and reap.
//!
//! Slot 0 is the idle context: `kernel_main`'s own thread on the boot
//! stack, with the kernel's page directory. It never enters ring 3; it
//! runs the idle loop (src/main.rs), which hands the CPU to any ready
//! process and otherwise halts with interrupts on. Every other slot is a
//! process: a pid, a page directory (src/mm/space.rs), a kernel stack of
//! its own, and the ESP saved by its last `switch_context`.
//!
//! The table is only touched with interrupts off on this one CPU, so
//! nothing else can run while it is read or changed; and no reference to
//! it is kept across `switch_context`, since another process will use the
//! table before this one continues.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use super::policy::{self, Mode, Reason};
use super::switch::{first_run_stack, switch_context};
use crate::cpu::fpu::{self, FpuState};
use crate::cpu::gdt::{self, TlsDescriptors, TLS_ENTRIES};
use crate::cpu::paging::{self, PAGE_SIZE};
use crate::cpu::{self, tss};
use crate::dev::pit;
use crate::fd::FdTable;
use crate::interrupt::TrapFrame;
use crate::mm::frames::Frame;
use crate::mm::space::AddressSpace;
use crate::mm::{self, DirectMap};
use crate::println;

/// Slots in the table, the idle context's included.
pub const MAX_PROCESSES: usize = 16;
/// The idle context's slot (and pid).
const IDLE: usize = 0;
/// Pages of each process's kernel stack.
pub const KERNEL_STACK_PAGES: usize = 4;
/// Longest name kept (the program's file name, or a built-in's).
const NAME_BYTES: usize = 16;
/// Longest program path kept (argv[0] as it was started, for
/// readlink("/proc/self/exe")).
pub const PATH_BYTES: usize = 128;

/// Something a blocked process waits for; `wakeup` with the same value
/// makes every process waiting for it ready (xv6's sleep channels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Free,
    Ready,
    Running,
    /// Waiting until something `wakeup`s its channel.
    Blocked(Channel),
    /// Waiting for the timer to reach this tick (nanosleep).
    Sleeping {
        until: u64,
    },
    /// Ended; its memory is given back by the next `reap`.
    Dead,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Free => "free",
            State::Ready => "ready",
            State::Running => "running",
            State::Blocked(_) => "blocked",
            State::Sleeping { .. } => "sleeping",
            State::Dead => "dead",
        }
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It called exit or exit_group with this status.
    Exited(i32),
    /// The CPU raised this exception while it ran, and it caused it.
    Killed(u8),
    /// Ctrl-C, while it was the foreground process.
    Interrupted,
}

pub struct Process {
    pub pid: u32,
    name: [u8; NAME_BYTES],
    name_len: usize,
    pub state: State,
    /// Its page directory and user pages (None only for the idle context).
    pub space: Option<AddressSpace>,
    /// Its kernel stack's first frame (KERNEL_STACK_PAGES of them).
    kernel_stack: Option<Frame>,
    /// ESP saved by `switch_context` while it does not run.
    saved_esp: u32,
    /// Timer ticks that landed while it ran, and how many in ring 3.
    pub ticks: u64,
    pub ring3_ticks: u64,
    /// Times it was given the CPU.
    pub switches: u32,
    /// Ticks since it last got the CPU (for the quantum).
    slice_ticks: u32,
    /// Ctrl-C was typed for it and it has not acted on it yet.
    pub interrupted: bool,
    /// The heap: its first page, and the current break (brk).
    pub heap_start: u32,
    pub brk: u32,
    /// System-call numbers it was told are unknown (logged once each).
    pub unknown_calls: [u32; 8],
    pub unknown_count: usize,
    /// The kernel waits for it (`wait`): not reaped until collected.
    keep: bool,
    pub exit: Option<Exit>,
    /// Its thread-local-storage descriptors (set_thread_area), written
    /// into the GDT whenever it runs; 0 for a slot it never set.
    pub tls: TlsDescriptors,
    /// Its FPU and SSE registers while it does not run.
    fpu: FpuState,
    /// The path it was started from (argv[0]), `path_len` bytes.
    path: [u8; PATH_BYTES],
    path_len: usize,
    /// Its open files: what each descriptor names (src/fd.rs).
    pub files: FdTable,
}

impl Process {
    const FREE: Process = Process {
        pid: 0,
        name: [0; NAME_BYTES],
        name_len: 0,
        state: State::Free,
        space: None,
        kernel_stack: None,
        saved_esp: 0,
        ticks: 0,
        ring3_ticks: 0,
        switches: 0,
        slice_ticks: 0,
        interrupted: false,
        heap_start: 0,
        brk: 0,
        unknown_calls: [0; 8],
        unknown_count: 0,
        keep: false,
        exit: None,
        tls: [0; TLS_ENTRIES],
        fpu: FpuState::INITIAL,
        path: [0; PATH_BYTES],
        path_len: 0,
        files: FdTable::EMPTY,
    };

    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?")
    }

    /// The path it was started from, as its argv[0] was (at most
    /// PATH_BYTES bytes of it).
    pub fn path(&self) -> &[u8] {
        &self.path[..self.path_len]
    }

    /// Frames it holds: its address space and its kernel stack.
    pub fn frames(&self) -> usize {
        self.space.as_ref().map_or(0, AddressSpace::frames)
            + self.kernel_stack.map_or(0, |_| KERNEL_STACK_PAGES)
    }

    fn alive(&self) -> bool {
        !matches!(self.state, State::Free | State::Dead)
    }
}

struct Table {
    slots: [Process; MAX_PROCESSES],
    current: usize,
}

static mut TABLE: Table = Table { slots: [Process::FREE; MAX_PROCESSES], current: IDLE };

/// The table. Interrupts must be off, and the reference must not be kept
/// across a `switch_context` (see the module comment).
fn table() -> &'static mut Table {
    debug_assert!(!cpu::interrupts_enabled(), "process table touched with interrupts on");
    // SAFETY: one CPU; every caller runs with interrupts off and drops the
    // reference before anything else can use the table (no nesting: the
    // interrupt handlers that use it run with interrupts off too).
    unsafe { &mut *(&raw mut TABLE) }
}

static NEXT_PID: AtomicU32 = AtomicU32::new(1);
/// The timer asked for a switch at the next safe point.
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);

/// The scheduler's settings: `sched=` and `quantum=` on the command line.
pub struct Settings {
    pub mode: Mode,
    pub quantum: u32,
    /// Print a line per switch (`sched=trace`).
    pub trace: bool,
}

static SETTINGS: spin::Once<Settings> = spin::Once::new();

fn settings() -> &'static Settings {
    SETTINGS.get().expect("sched::init has run")
}

/// Makes the running code (kernel_main on the boot stack) the idle
/// context, slot 0, and takes the settings.
pub fn init(settings: Settings) {
    SETTINGS.call_once(|| settings);
    cpu::without_interrupts(|| {
        let idle = &mut table().slots[IDLE];
        idle.state = State::Running;
        idle.name[..4].copy_from_slice(b"idle");
        idle.name_len = 4;
    });
}

/// Why a process could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// Every slot of the table is taken.
    TableFull,
    /// No frames left for its kernel stack.
    OutOfMemory,
}

/// Makes a ready process of `space`: it will enter ring 3 at `entry`
/// with ESP = `user_esp`, its heap starting at `heap_start`, with the
/// open files `files`. `path` is where it came from (its argv[0]),
/// `name` what the kernel calls it. Returns its pid. On an error,
/// `space` is handed back so the caller can free it.
pub fn spawn(
    name: &str,
    path: &str,
    space: AddressSpace,
    entry: u32,
    user_esp: u32,
    heap_start: u32,
    files: FdTable,
) -> Result<u32, (SpawnError, AddressSpace)> {
    cpu::without_interrupts(|| {
        let t = table();
        let Some(slot) = (1..MAX_PROCESSES).find(|&i| t.slots[i].state == State::Free) else {
            return Err((SpawnError::TableFull, space));
        };
        let Some(stack) = mm::allocate_run(KERNEL_STACK_PAGES) else {
            return Err((SpawnError::OutOfMemory, space));
        };
        let top = stack_top(stack);
        // SAFETY: the run of frames was just allocated for this stack,
        // and the kernel half maps it at `top - KERNEL_STACK_PAGES pages`.
        let saved_esp = unsafe { first_run_stack(top, entry, user_esp) };
        let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
        let p = &mut t.slots[slot];
        *p = Process::FREE;
        p.pid = pid;
        p.name_len = name.len().min(NAME_BYTES);
        p.name[..p.name_len].copy_from_slice(&name.as_bytes()[..p.name_len]);
        p.path_len = path.len().min(PATH_BYTES);
        p.path[..p.path_len].copy_from_slice(&path.as_bytes()[..p.path_len]);
        p.state = State::Ready;
        p.space = Some(space);
        p.kernel_stack = Some(stack);
        p.saved_esp = saved_esp;
        p.heap_start = heap_start;
        p.brk = heap_start;
        p.files = files;
        Ok(pid)
    })
}

/// The top of a kernel stack that starts at `first`, in the kernel half.
fn stack_top(first: Frame) -> u32 {
    paging::physical_to_virtual(first.address()) + KERNEL_STACK_PAGES as u32 * PAGE_SIZE
}

/// Gives the CPU to the next process that may run, or keeps it if none
/// other may and the current one still can, or goes to the idle context.
/// Interrupts must be off. Returns when this context runs again.
pub fn schedule(reason: Reason) {
    let (save, next_esp) = {
        let t = table();
        let current = t.current;
        let runnable = t.slots[current].state == State::Running;
        let next = policy::next_ready(MAX_PROCESSES, current, |i| {
            i != IDLE && t.slots[i].state == State::Ready
        })
        .or(runnable.then_some(current))
        .unwrap_or(IDLE);
        if next == current {
            return;
        }
        if runnable {
            t.slots[current].state = State::Ready;
        }
        if settings().trace {
            let (from, to) = (&t.slots[current], &t.slots[next]);
            println!(
                "sched: tick {}: pid {} ({}) -> pid {} ({}), {}",
                pit::ticks(),
                from.pid,
                from.name(),
                to.pid,
                to.name(),
                reason.name()
            );
        }
        let to = &mut t.slots[next];
        to.state = State::Running;
        to.switches += 1;
        to.slice_ticks = 0;
        if let Some(stack) = to.kernel_stack {
            // The stack the CPU switches to on this process's next entry
            // from ring 3.
            tss::set_ring0_stack(stack_top(stack));
        }
        let directory = to.space.as_ref().map_or(mm::kernel_directory(), |s| s.directory());
        if directory.address() != paging::current_directory() {
            // SAFETY: every directory maps the kernel half identically
            // (src/mm/space.rs), and this one stays allocated while the
            // process exists.
            unsafe { paging::load_directory(directory.address()) };
        }
        // Its TLS descriptors go into the GDT now, before switch_context
        // pops its FS and GS: a segment register reads the table only
        // when loaded. The popped values are loadable: each was loaded
        // (in ring 3, or by reload_tls_users) from these same descriptors,
        // which change only through its own set_thread_area, and that
        // reloads FS and GS at once. Slots it never set are written empty,
        // so nothing of the previous process's TLS stays reachable.
        gdt::load_tls(&to.tls);
        // The FPU and SSE registers belong to the process too. The kernel
        // never uses them, so they can be swapped here, before the stack.
        fpu::save(&mut t.slots[current].fpu);
        fpu::restore(&t.slots[next].fpu);
        t.current = next;
        (&raw mut t.slots[current].saved_esp, t.slots[next].saved_esp)
    };
    // SAFETY: `save` is this context's slot, `next_esp` the stack saved by
    // the next context's own switch_context (or built by first_run_stack).
    // No reference to the table lives across the switch.
    unsafe { switch_context(save, next_esp) };
    reap();
}

/// Frees the memory of every process that ended (except one the kernel
/// waits for): its address space and its kernel stack. Never the
/// current context's, whose stack is in use.
pub fn reap() {
    cpu::without_interrupts(|| {
        let t = table();
        for i in 1..MAX_PROCESSES {
            let p = &mut t.slots[i];
            if p.state == State::Dead && !p.keep && i != t.current {
                release(p);
            }
        }
    });
}

fn release(p: &mut Process) {
    if let Some(space) = p.space.take() {
        space.destroy(&mut DirectMap);
    }
    if let Some(stack) = p.kernel_stack.take() {
        mm::free_run(stack, KERNEL_STACK_PAGES);
    }
    *p = Process::FREE;
}

/// Runs `f` on the current process (interrupts off meanwhile).
pub fn with_current<R>(f: impl FnOnce(&mut Process) -> R) -> R {
    cpu::without_interrupts(|| {
        let t = table();
        f(&mut t.slots[t.current])
    })
}

/// The running process's pid (0: the idle context).
pub fn current_pid() -> u32 {
    with_current(|p| p.pid)
}

/// Ends the current process: it is never scheduled again, and its memory
/// is given back once another context runs. Interrupts must be off.
pub fn exit_current(exit: Exit) -> ! {
    {
        let t = table();
        let p = &mut t.slots[t.current];
        assert!(t.current != IDLE, "the idle context cannot exit");
        p.state = State::Dead;
        p.exit = Some(exit);
    }
    schedule(Reason::Exit);
    unreachable!("a dead process was scheduled");
}

/// Blocks the current process until `wakeup(channel)`. Interrupts must
/// be off. The caller checks its condition again after this returns:
/// another process may have taken what it waited for.
pub fn sleep_on(channel: Channel) {
    {
        let t = table();
        t.slots[t.current].state = State::Blocked(channel);
    }
    schedule(Reason::Block);
}

/// Makes every process blocked on `channel` ready.
pub fn wakeup(channel: Channel) {
    // LAB 7 BEGIN: wake the processes blocked on a channel
    cpu::without_interrupts(|| {
        for p in table().slots.iter_mut() {
            if p.state == State::Blocked(channel) {
                p.state = State::Ready;
            }
        }
    });
    //~ // YOUR CODE HERE: with interrupts off, every process Blocked on this
    //~ // channel becomes Ready (sleep_on, above, is the other half).
    //~ let _ = channel;
    // LAB 7 END
}

/// Sleeps until the timer reaches tick `until`, or until the process is
/// interrupted (Ctrl-C). Interrupts must be off.
pub fn sleep_until(until: u64) {
    {
        let t = table();
        t.slots[t.current].state = State::Sleeping { until };
    }
    schedule(Reason::Block);
}

/// Ctrl-C for process `pid`: marked, and woken if it waits, so that it
/// acts on it at once.
pub fn interrupt(pid: u32) {
    cpu::without_interrupts(|| {
        for p in table().slots.iter_mut().filter(|p| p.pid == pid && p.alive()) {
            p.interrupted = true;
            if matches!(p.state, State::Blocked(_) | State::Sleeping { .. }) {
                p.state = State::Ready;
            }
        }
    });
}

/// The foreground process: the oldest one alive (lowest pid), the one
/// that gets typed keys and Ctrl-C. 0 when no program runs.
pub fn foreground_pid() -> u32 {
    cpu::without_interrupts(|| {
        table().slots[1..].iter().filter(|p| p.alive()).map(|p| p.pid).min().unwrap_or(0)
    })
}

/// How many processes are alive (the idle context not counted).
pub fn processes_alive() -> usize {
    cpu::without_interrupts(|| table().slots[1..].iter().filter(|p| p.alive()).count())
}

/// Whether a process waits for the CPU.
pub fn any_ready() -> bool {
    cpu::without_interrupts(|| table().slots[1..].iter().any(|p| p.state == State::Ready))
}

/// The IRQ 0 handler: counts the tick, charges it to whoever ran, wakes
/// the sleepers whose time has come, and asks for a switch when the
/// running process has used its quantum and another is ready. The switch
/// itself happens at `preempt_point`, after the EOI.
pub fn on_timer_tick(frame: &mut TrapFrame) {
    pit::count_tick();
    let now = pit::ticks();
    let t = table();
    for p in t.slots.iter_mut() {
        if matches!(p.state, State::Sleeping { until } if until <= now) {
            p.state = State::Ready;
        }
    }
    let current = t.current;
    let others_ready =
        t.slots.iter().enumerate().any(|(i, p)| i != current && p.state == State::Ready);
    let p = &mut t.slots[current];
    p.ticks += 1;
    p.slice_ticks += 1;
    if frame.ring() == 3 {
        p.ring3_ticks += 1;
    }
    let s = settings();
    if current != IDLE && policy::preempt(s.mode, p.slice_ticks, s.quantum, others_ready) {
        NEED_RESCHED.store(true, Ordering::Relaxed);
    }
}

/// Switches if the timer asked for it: called on the way back to ring 3,
/// with the IRQ acknowledged, when nothing is half done.
pub fn preempt_point() {
    if NEED_RESCHED.swap(false, Ordering::Relaxed) {
        schedule(Reason::Quantum);
    }
}

/// Keeps process `pid`'s memory after it ends, for `collect`.
pub fn keep(pid: u32) {
    cpu::without_interrupts(|| {
        for p in table().slots.iter_mut().filter(|p| p.pid == pid) {
            p.keep = true;
        }
    });
}

/// Runs processes (from the idle context) until `pid` has ended, then
/// calls `f` with its record and memory, and frees it. For the kernel's
/// own programs (the benchmark's ring-3 timer), whose results are read
/// from their memory.
pub fn collect<R>(pid: u32, f: impl FnOnce(&Process) -> R) -> R {
    loop {
        cpu::disable_interrupts();
        let t = table();
        if let Some(p) = t.slots.iter_mut().find(|p| p.pid == pid && p.state == State::Dead) {
            let result = f(p);
            release(p);
            cpu::enable_interrupts();
            return result;
        }
        if t.slots.iter().any(|p| p.state == State::Ready) {
            schedule(Reason::Wake);
            cpu::enable_interrupts();
        } else {
            cpu::enable_interrupts_and_halt();
        }
    }
}

/// Prints the table, like `ps`: pid, name, state, ticks in ring 3,
/// times scheduled, frames held.
pub fn print_table(out: &dyn Fn(core::fmt::Arguments)) {
    out(format_args!("ps:  pid name             state     ring3-ticks  switches  pages\n"));
    cpu::without_interrupts(|| {
        for p in table().slots.iter().filter(|p| p.state != State::Free) {
            out(format_args!(
                "ps: {:>4} {:<16} {:<9} {:>11} {:>9} {:>6}\n",
                p.pid,
                p.name(),
                p.state.name(),
                p.ring3_ticks,
                p.switches,
                p.frames()
            ));
        }
    });
}
