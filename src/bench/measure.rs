//! `make bench`: what each step of the interrupt path costs, next to the
//! machine's floor, measured in one run of the real kernel.
//!
//! Selected by `bench=N` (iterations per batch) or `bench=quick` on the
//! command line; src/main.rs calls `run` right after `kernel: ready`.
//! Every figure is in TSC cycles per operation, the overhead of the
//! measuring loop subtracted, the median (and minimum) of
//! `stats::BATCHES` batches after one warm-up batch (the warm-up
//! lets TCG translate the code first). The arithmetic is in
//! src/bench/stats.rs, host-tested.
//!
//! Rows, and how each is measured:
//! - floor: `int` to a gate whose handler is only `iretd`
//!   (src/bench/stubs.rs);
//! - dispatch: `int` through the kernel's real per-vector stub,
//!   `isr_common` and `trap_dispatch` to an empty registered handler;
//! - classic stub: the tutorials' stub, which reloads DS, ES, FS, GS on
//!   every entry, to the same dispatcher and handler;
//! - the port accesses the keyboard path cannot avoid, one per loop
//!   iteration: PIC EOI, i8042 data read, UART line status, UART data
//!   write; and one VGA text-cell write (the screen mirror's share);
//! - irq1 floor and decode, two parts of the keypress row on their own:
//!   a real IRQ 1 to an assembly handler that only reads 0x60 and sends
//!   the EOI (what delivery through the PIC costs beyond `int n`), and one
//!   scancode through the pc-keyboard decoder;
//! - keypress: a scancode is put in the i8042 with command 0xD2 while
//!   interrupts are off; the clock starts, `sti` lets IRQ 1 in (stub,
//!   dispatcher, 0x60 read, decode, queue, EOI), then the idle loop's own
//!   `keyboard::echo_pending` prints the decoded character to COM1 (and
//!   the screen); the clock stops. It is shown next to the sum of its
//!   unavoidable parts: floor + in 0x60 + EOI + one LSR poll + one UART
//!   data write;
//! - syscall: a ring-3 program (src/bench/stubs.rs, started as a process
//!   like any program, its memory read by `sched::collect` before it is
//!   freed) times its own loops with RDTSC: `int 0x80` with an
//!   unknown number (-ENOSYS back) and a 1-byte `write` to stdout, next
//!   to the ring-3 floor, `int` from ring 3 to an `iretd`-only gate with
//!   DPL 3, which shows what the ring change alone costs;
//! - timer: with interrupts off, wait until the PIT's IRQ 0 is pending at
//!   the PIC, start the clock, `sti`, stop it once the tick was counted;
//! - boot: TSC at `_start` (boot/boot.s) to TSC when `run` is entered,
//!   i.e. right after the `kernel: ready` line was written; converted to
//!   guest time with a TSC rate calibrated on the PIT.
//!
//! The floor and classic gates live on two spare vectors of a *copy* of
//! the live IDT, loaded only while the benchmark runs: the kernel's own
//! table is never written, and the copy's other 254 gates are the live
//! ones byte for byte, so the dispatch, keyboard and timer rows go through
//! exactly the gates the kernel uses.
//!
//! The UART-write and keypress rows really write to COM1 (that is their
//! cost): the rows of '.' and 'a' in the output are those bytes. Under
//! QEMU with isa-debug-exit the kernel powers off when done (status 33
//! when every row was measured, 35 if one could not be).

use core::arch::asm;
use core::cell::UnsafeCell;
use x86::dtables::{lidt, sidt, DescriptorTablePointer};

use super::stats::{self, Ratio, Summary, BATCHES};
use super::stubs::{self, UserBench, CLASSIC_VECTOR, USER_FLOOR_VECTOR};
use crate::cpu::idt::{self, Gate, GateType, Idt, Ring, NUM_VECTORS};
use crate::cpu::{self, gdt};
use crate::dev::{debug_exit, i8042, pic, pit, uart, vga};
use crate::interrupt::counters::count;
use crate::interrupt::vectors::irq_vector;
use crate::interrupt::{self, TrapFrame};
use crate::mm::DirectMap;
use crate::terminal::keys::{set1, Decoder, Key};
use crate::terminal::{Input, INPUT};
use crate::user::layout::FLAT_BASE;
use crate::user::syscall::{ENOSYS, SYS_WRITE};
use crate::{console, println, sched, terminal, user};
use core::mem::size_of;

/// Vector of the `iretd`-only gate (in the benchmark's IDT copy only).
const FLOOR_VECTOR: u8 = 0x40;
/// Vector the dispatch row raises: the kernel's own stub for it.
const DISPATCH_VECTOR: u8 = 0x42;

/// What the UART data-write row sends.
const FILL_BYTE: u8 = b'.';
/// What the ring-3 `write` row sends.
const SYSCALL_BYTE: u8 = b's';
/// A system-call number the kernel does not know (Linux's 999 is unused
/// too): the call returns -ENOSYS.
const UNKNOWN_SYSCALL: u32 = 999;
/// The last cell of the VGA text buffer: the row measures writes to it of
/// the value it already holds, so nothing on the screen changes.
const VGA_LAST_CELL: u32 = (vga::TEXT_BUFFER + (vga::BUFFER_CELLS - 1) * 2) as u32;
/// The key the keypress row types: its echo is one character.
const KEYPRESS_LETTER: u8 = b'a';
/// PIT ticks the TSC calibration counts (at pit::MAX_HZ: 50 ms).
const CALIBRATION_TICKS: u64 = 500;
/// Spins before a wait for an interrupt is declared lost.
const WAIT_LIMIT: u32 = 50_000_000;

unsafe extern "C" {
    /// TSC at the first instruction of `_start`, stored by boot/boot.s.
    static boot_tsc: u64;
}

/// Cycles of `elapsed` RDTSC pairs; EDX:EAX halves to one number.
fn tsc(low: u32, high: u32) -> u64 {
    u64::from(high) << 32 | u64::from(low)
}

/// Runs the instruction(s) `$body` `$n` times (`$n` >= 1) in a
/// `dec ecx; jnz` loop between two RDTSCs and gives the elapsed cycles.
/// `$setup` runs once after the first RDTSC; extra operands follow.
/// Only EAX, ECX, EDX and two scratch registers are touched by the loop
/// itself; `$body` may use EAX and EDX freely (both are outputs).
macro_rules! timed_loop {
    ($n:expr, $setup:literal, $body:literal $(, $($operands:tt)*)?) => {{
        let (start_low, start_high, end_low, end_high): (u32, u32, u32, u32);
        // SAFETY: every call site names what its `$body` does and why that
        // is harmless (an `int` to a gate that returns with all registers
        // intact, a port access with no lasting effect, a store to an
        // off-screen VGA cell); the loop's own registers are declared.
        unsafe {
            asm!(
                "rdtsc",
                "mov {start_low}, eax",
                "mov {start_high}, edx",
                $setup,
                "2:",
                $body,
                "dec ecx",
                "jnz 2b",
                "rdtsc",
                $($($operands)*,)?
                start_low = out(reg) start_low,
                start_high = out(reg) start_high,
                inout("ecx") $n => _,
                out("eax") end_low,
                out("edx") end_high,
            )
        };
        tsc(end_low, end_high) - tsc(start_low, start_high)
    }};
}

/// Why a row could not be measured.
type Failure = &'static str;

/// Measures one row: a warm-up batch, then BATCHES batches, each giving
/// (cycles with the operation, cycles of the same loop without it).
fn measure(
    iterations: u32,
    mut batch: impl FnMut(u32) -> Result<(u64, u64), Failure>,
) -> Result<Summary, Failure> {
    batch(iterations.min(100))?;
    let mut figures = [0u64; BATCHES];
    for figure in figures.iter_mut() {
        let (elapsed, overhead) = batch(iterations)?;
        *figure = stats::per_iteration(elapsed, overhead, iterations);
    }
    Ok(Summary::of(&mut figures))
}

/// The empty handler of the dispatch and classic rows.
fn empty_handler(_frame: &mut TrapFrame) {}

/// Every row the table shows.
#[derive(Default)]
struct Rows {
    floor: Summary,
    dispatch: Summary,
    classic: Summary,
    eoi: Summary,
    kbd_data_in: Summary,
    uart_lsr_in: Summary,
    uart_data_out: Summary,
    vga_cell: Summary,
    irq1_floor: Summary,
    decode: Summary,
    keypress: Summary,
    timer: Summary,
    user_floor: Summary,
    syscall_enosys: Summary,
    syscall_write: Summary,
}

impl Rows {
    /// The keypress path's unavoidable parts: one interrupt (the floor),
    /// one `in 0x60`, one EOI, one LSR poll and one data write for the
    /// one echoed byte.
    fn keypress_parts(&self) -> Summary {
        Summary::sum(&[
            self.floor,
            self.kbd_data_in,
            self.eoi,
            self.uart_lsr_in,
            self.uart_data_out,
        ])
    }
}

/// Runs the benchmark with `iterations` per batch, prints the table and
/// powers QEMU off. `hz` is the timer rate to restore afterwards.
pub fn run(iterations: u32, hz: u32) {
    // First, before anything else: `kernel: ready` was just written.
    let ready_tsc = cpu::rdtsc();
    // SAFETY: boot/boot.s stores boot_tsc once, at _start, before Rust
    // runs; nothing writes it afterwards.
    let boot_cycles = ready_tsc.wrapping_sub(unsafe { boot_tsc });
    // The rows below time COM1 output by polling, as the echo worked
    // before transmit went by interrupt: THRE interrupts must not land in
    // the timed windows. The THRE path needs rows of its own (issue 14).
    console::flush();

    let device_iterations = stats::device_iterations(iterations);
    println!(
        "bench: {BATCHES} batches of {iterations} iterations ({device_iterations} for the UART \
         write, keypress and timer rows), 1 warm-up batch each"
    );
    println!(
        "bench: the rows of '{}', 'a' and '{}' below are the bytes the UART-write, keypress \
         and write-syscall rows send",
        FILL_BYTE as char, SYSCALL_BYTE as char
    );

    cpu::disable_interrupts();
    let live_idt = install_bench_idt();
    interrupt::register(DISPATCH_VECTOR, empty_handler);
    interrupt::register(CLASSIC_VECTOR, empty_handler);

    let mut rows = Rows::default();
    let result = measure_all(&mut rows, iterations, device_iterations);

    interrupt::unregister(DISPATCH_VECTOR);
    interrupt::unregister(CLASSIC_VECTOR);
    // SAFETY: `live_idt` is what IDTR held on entry: the kernel's own
    // table, which is 'static and unchanged.
    unsafe { lidt(&live_idt) };

    let pit_max = pit::divisor_for(pit::MAX_HZ).expect("MAX_HZ is a valid rate");
    let tsc_hz = calibrate_tsc(pit_max);
    let pit_restored = pit::divisor_for(hz).expect("cmdline checked hz");
    pit::start(pit_restored.0);
    cpu::enable_interrupts();

    let code = match result {
        Ok(()) => {
            report(&rows, boot_cycles, tsc_hz, iterations, device_iterations);
            debug_exit::PASSED
        }
        Err(why) => {
            println!("bench: FAILED: {why}");
            debug_exit::FAILED
        }
    };
    // Ends `make bench`'s QEMU; elsewhere the kernel goes on to the idle loop.
    console::flush();
    debug_exit::exit(code);
}

/// The copy. Written only by this module with interrupts off: filled
/// before it is loaded, and later single gates with `set_gate`. The CPU
/// reads a gate only when it delivers through it, which cannot happen
/// while interrupts are off and no `int` is executing.
struct BenchIdt(UnsafeCell<Idt>);
// SAFETY: see above: one writer, never concurrent with a reader.
unsafe impl Sync for BenchIdt {}

/// Replaces one gate of the benchmark's IDT (loaded or not); returns the
/// old one. Interrupts must be off.
fn set_gate(vector: u8, gate: Gate) -> Gate {
    assert!(!cpu::interrupts_enabled());
    // SAFETY: in bounds; no reference into BENCH_IDT is held across this
    // call, and the CPU cannot be reading the gate (see BenchIdt).
    unsafe {
        let slot = (*BENCH_IDT.0.get()).0.as_mut_ptr().add(usize::from(vector));
        core::ptr::replace(slot, gate)
    }
}
static BENCH_IDT: BenchIdt = BenchIdt(UnsafeCell::new(Idt([Gate::MISSING; NUM_VECTORS])));

/// Loads a copy of the live IDT whose FLOOR_VECTOR and CLASSIC_VECTOR
/// gates lead to src/bench/stubs.rs. Returns the live table's pointer,
/// for putting it back. Interrupts must be off.
fn install_bench_idt() -> DescriptorTablePointer<Gate> {
    let mut live = DescriptorTablePointer::<Gate> { limit: 0, base: core::ptr::null() };
    // SAFETY: sidt only stores IDTR into `live`.
    unsafe { sidt(&mut live) };
    let (base, limit) = (live.base, live.limit);
    assert_eq!(limit, idt::IDT_LIMIT, "the live IDT has 256 gates");
    // SAFETY: IDTR points at the kernel's 'static 256-gate table (checked
    // above), which nothing writes while this reads it.
    let live_gates = unsafe { core::slice::from_raw_parts(base, NUM_VECTORS) };
    // SAFETY: nobody else holds a reference into BENCH_IDT: it is not
    // loaded yet, and `run` (the only caller) runs once per boot.
    let copy = unsafe { &mut *BENCH_IDT.0.get() };
    copy.0.copy_from_slice(live_gates);
    copy.0[usize::from(FLOOR_VECTOR)] =
        Gate::new(stubs::iret_gate(), gdt::KERNEL_CODE, GateType::Interrupt32, Ring::Kernel);
    copy.0[usize::from(CLASSIC_VECTOR)] =
        Gate::new(stubs::classic_stub(), gdt::KERNEL_CODE, GateType::Interrupt32, Ring::Kernel);
    // DPL 3, like the system-call gate: ring 3 may name this vector.
    copy.0[usize::from(USER_FLOOR_VECTOR)] =
        Gate::new(stubs::iret_gate(), gdt::KERNEL_CODE, GateType::Interrupt32, Ring::User);
    // SAFETY: every gate of the copy leads where the live one does, except
    // the two above, which lead to complete handlers; the copy is a static
    // that is no longer written.
    unsafe { idt::load(&*BENCH_IDT.0.get()) };
    live
}

fn measure_all(rows: &mut Rows, n: u32, device_n: u32) -> Result<(), Failure> {
    // The CPU-only rows run with interrupts off: `int n` does not need
    // IF, and no timer tick lands in a batch.

    // SAFETY (timed_loop): FLOOR_VECTOR's gate is `iretd` only.
    rows.floor =
        measure(n, |n| Ok((timed_loop!(n, "", "int {v}", v = const FLOOR_VECTOR), overhead(n))))?;
    // SAFETY (timed_loop): the kernel's stub saves and restores every
    // register; the registered handler does nothing.
    rows.dispatch = measure(n, |n| {
        Ok((timed_loop!(n, "", "int {v}", v = const DISPATCH_VECTOR), overhead(n)))
    })?;
    // SAFETY (timed_loop): the classic stub restores every register and
    // reloads the kernel's own selectors.
    rows.classic =
        measure(n, |n| Ok((timed_loop!(n, "", "int {v}", v = const CLASSIC_VECTOR), overhead(n))))?;

    // SAFETY (timed_loop): a non-specific EOI with no IRQ in service (none
    // is: interrupts are off and no handler is running) changes nothing.
    rows.eoi = measure(n, |n| {
        Ok((
            timed_loop!(
                n,
                "mov al, {eoi}",
                "out {port}, al",
                eoi = const pic::OCW2_EOI,
                port = const pic::PIC1_COMMAND
            ),
            overhead(n),
        ))
    })?;
    // SAFETY (timed_loop): reading the i8042 data port with no byte waiting
    // returns the last one again; nothing is pending (no key is typed
    // during a benchmark).
    rows.kbd_data_in = measure(n, |n| {
        Ok((timed_loop!(n, "", "in al, {port}", port = const i8042::KBD_DATA), overhead(n)))
    })?;
    // SAFETY (timed_loop): reading the LSR only reports the UART's state.
    rows.uart_lsr_in = measure(n, |n| {
        Ok((
            timed_loop!(n, "mov dx, {port}", "in al, dx", port = const uart::COM1_LSR),
            overhead(n),
        ))
    })?;
    rows.vga_cell = measure(n, |n| {
        // SAFETY (timed_loop): the cell is rewritten with its own value
        // (read once in the setup), which the console cannot change
        // meanwhile: interrupts are off and nothing prints during the loop.
        Ok((
            timed_loop!(
                n,
                "mov edx, {cell}\nmov ax, word ptr [edx]",
                "mov word ptr [edx], ax",
                cell = const VGA_LAST_CELL
            ),
            overhead(n),
        ))
    })?;
    rows.uart_data_out = measure(device_n, |n| {
        // SAFETY (timed_loop): writes FILL_BYTE to COM1 without polling:
        // QEMU's UART sends each byte at once (on real hardware or Bochs
        // bytes could be lost, which only shortens the row of dots).
        let elapsed = timed_loop!(n, "mov dx, {port}\nmov al, {fill}", "out dx, al",
            port = const uart::COM1_DATA, fill = const FILL_BYTE);
        println!();
        Ok((elapsed, overhead(n)))
    })?;

    rows.decode = measure_decode(device_n);
    rows.irq1_floor = measure_irq1_floor(device_n)?;
    rows.keypress = measure_keypress(device_n)?;
    rows.timer = measure_timer(device_n)?;
    rows.user_floor = measure_from_ring3(n, UserRow::Floor)?;
    rows.syscall_enosys = measure_from_ring3(n, UserRow::Unknown)?;
    rows.syscall_write = measure_from_ring3(device_n, UserRow::Write)?;
    Ok(())
}

/// What the ring-3 program's timed loop does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UserRow {
    /// `int USER_FLOOR_VECTOR`: to an `iretd`-only gate with DPL 3.
    Floor,
    /// `int 0x80` with UNKNOWN_SYSCALL: -ENOSYS.
    Unknown,
    /// `int 0x80`: write(1, &SYSCALL_BYTE, 1).
    Write,
}

/// A row measured in ring 3: every batch runs the program of
/// src/bench/stubs.rs once, as a process of its own, and reads the TSC
/// readings it left in its data block before its memory is freed.
fn measure_from_ring3(n: u32, what: UserRow) -> Result<Summary, Failure> {
    let (code, data_at) = stubs::user_syscalls();
    let mut copy = [0u8; 512];
    let copy = &mut copy[..code.len()];
    copy.copy_from_slice(code);
    let params = UserBench {
        number: if what == UserRow::Write { SYS_WRITE } else { UNKNOWN_SYSCALL },
        floor: u32::from(what == UserRow::Floor),
        byte: u32::from(SYSCALL_BYTE),
        ..UserBench::default()
    };
    // Only system calls and the floor gate in ring 3: park the timer.
    pic::mask(pit::IRQ);
    let result = measure(n, |n| {
        let block = UserBench { iterations: n, ..params };
        // SAFETY: data_at + size_of::<UserBench>() <= copy.len(): the
        // block is the program's last bytes (src/bench/stubs.rs).
        unsafe { copy.as_mut_ptr().add(data_at).cast::<UserBench>().write_unaligned(block) };
        let pid = user::start(copy, &["bench"])
            .map_err(|_| "syscall: cannot start the ring-3 program")?;
        sched::keep(pid);
        let out = sched::collect(pid, |p| {
            let mut block = [0u8; size_of::<UserBench>()];
            let space = p.space.as_ref().ok_or("syscall: the program has no memory")?;
            space
                .read(&mut DirectMap, FLAT_BASE + data_at as u32, &mut block)
                .map_err(|_| "syscall: the program's data block is gone")?;
            match p.exit {
                Some(sched::Exit::Exited(0)) => {}
                _ => return Err("syscall: the ring-3 benchmark program did not exit(0)"),
            }
            // SAFETY: UserBench is plain u32 fields, any bytes are valid.
            Ok(unsafe { block.as_ptr().cast::<UserBench>().read_unaligned() })
        })?;
        let expected = match what {
            UserRow::Floor => out.result, // the gate returns EAX unchanged
            UserRow::Unknown => (-ENOSYS) as u32,
            UserRow::Write => 1,
        };
        if out.result != expected {
            return Err("syscall: a system call from ring 3 returned the wrong value");
        }
        if what == UserRow::Write {
            println!();
        }
        Ok((out.timed_end - out.timed_start, out.empty_end - out.empty_start))
    });
    pic::unmask(pit::IRQ);
    result
}

/// The measuring loop alone: what every row subtracts.
fn overhead(n: u32) -> u64 {
    timed_loop!(n, "", "")
}

/// Cycles from `sti` until an IRQ pending on `vector` has been delivered
/// and `then` has run, with interrupts off again at the end; None if the
/// IRQ never arrived.
fn timed_delivery(vector: u8, then: impl FnOnce()) -> Option<u64> {
    let before = count(vector);
    let start = cpu::rdtsc();
    cpu::enable_interrupts(); // the IRQ is taken right after the next instruction
    let arrived = wait_until(|| count(vector) != before);
    then();
    cpu::disable_interrupts();
    let cycles = cpu::rdtsc() - start;
    arrived.then_some(cycles)
}

/// The same brackets as `timed_delivery` with nothing pending: what the
/// clock itself costs, subtracted from each delivery.
fn timed_nothing(vector: u8) -> u64 {
    let before = count(vector);
    let start = cpu::rdtsc();
    cpu::enable_interrupts();
    let _ = wait_until(|| count(vector) == before);
    cpu::disable_interrupts();
    cpu::rdtsc() - start
}

/// Keypress: scancode injected, IRQ 1 handled, the key echoed on COM1.
fn measure_keypress(n: u32) -> Result<Summary, Failure> {
    let vector = irq_vector(i8042::IRQ);
    let scancode = set1::letter(KEYPRESS_LETTER).expect("a letter");
    // Nothing but IRQ 1 in the interrupt windows below: park the timer.
    pic::mask(pit::IRQ);

    // Check once, outside the clock, that the path does what it should.
    i8042::inject(scancode);
    let before = count(vector);
    cpu::enable_interrupts();
    let arrived = wait_until(|| count(vector) != before);
    cpu::disable_interrupts();
    let key = match INPUT.pop() {
        Some(Input::Key(key)) => Some(key),
        _ => None,
    };
    if !arrived || key != Some(Key::Char(KEYPRESS_LETTER as char)) {
        pic::unmask(pit::IRQ);
        return Err("keypress: the injected scancode did not come back as its key");
    }

    let result = measure(n, |n| {
        let (mut path, mut bare) = (0, 0);
        for _ in 0..n {
            // Interrupts are off: IRQ 1 stays pending at the PIC.
            i8042::inject(scancode);
            path += timed_delivery(vector, terminal::echo_pending)
                .ok_or("keypress: IRQ 1 did not arrive")?;
            bare += timed_nothing(vector);
        }
        println!();
        Ok((path, bare))
    });
    pic::unmask(pit::IRQ);
    result
}

/// Decode: one make code through the pc-keyboard decoder (a private one:
/// the keyboard's own keeps its state), as IRQ 1 does it.
fn measure_decode(n: u32) -> Summary {
    let scancode = set1::letter(KEYPRESS_LETTER).expect("a letter");
    let mut decoder = Decoder::new();
    let batch = |n: u32| {
        let start = cpu::rdtsc();
        for _ in 0..n {
            core::hint::black_box(decoder.feed(core::hint::black_box(scancode)));
        }
        let elapsed = cpu::rdtsc() - start;
        let start = cpu::rdtsc();
        for _ in 0..n {
            core::hint::black_box(core::hint::black_box(scancode));
        }
        Ok((elapsed, cpu::rdtsc() - start))
    };
    measure(n, batch).unwrap_or_default()
}

/// IRQ 1 floor: a real keyboard interrupt to an assembly handler that does
/// only what any IRQ 1 handler must (read 0x60, EOI) and counts. Compared
/// with the floor row, it shows what hardware delivery through the PIC
/// costs beyond `int n`.
fn measure_irq1_floor(n: u32) -> Result<Summary, Failure> {
    let vector = irq_vector(i8042::IRQ);
    let scancode = set1::letter(KEYPRESS_LETTER).expect("a letter");
    pic::mask(pit::IRQ);
    let kernel_gate = set_gate(
        vector,
        Gate::new(stubs::irq1_min(), gdt::KERNEL_CODE, GateType::Interrupt32, Ring::Kernel),
    );
    let count = stubs::irq1_min_count;
    let result = measure(n, |n| {
        let (mut path, mut bare) = (0, 0);
        for _ in 0..n {
            i8042::inject(scancode);
            let before = count();
            let start = cpu::rdtsc();
            cpu::enable_interrupts();
            let arrived = wait_until(|| count() != before);
            cpu::disable_interrupts();
            path += cpu::rdtsc() - start;
            if !arrived {
                return Err("irq1 floor: IRQ 1 did not arrive");
            }
            let before = count();
            let start = cpu::rdtsc();
            cpu::enable_interrupts();
            let _ = wait_until(|| count() == before);
            cpu::disable_interrupts();
            bare += cpu::rdtsc() - start;
        }
        Ok((path, bare))
    });
    set_gate(vector, kernel_gate);
    pic::unmask(pit::IRQ);
    result
}

/// Timer: one real PIT tick, from pending at the PIC to handled.
fn measure_timer(n: u32) -> Result<Summary, Failure> {
    let vector = irq_vector(pit::IRQ);
    // The fastest rate the kernel allows, so that a batch takes
    // `n` / 10,000 s rather than `n` / 100 s. `run` restores the rate.
    let (divisor, _) = pit::divisor_for(pit::MAX_HZ).expect("MAX_HZ is a valid rate");
    pit::start(divisor);
    measure(n, |n| {
        let (mut path, mut bare) = (0, 0);
        for _ in 0..n {
            if !wait_until(irq0_pending) {
                return Err("timer: IRQ 0 never became pending");
            }
            path += timed_delivery(vector, || {})
                .ok_or("timer: IRQ 0 was pending but not delivered")?;
            bare += timed_nothing(vector);
        }
        Ok((path, bare))
    })
}

/// Spins until `done` (true) or WAIT_LIMIT checks (false). When the
/// interrupt waited for has already happened, that is one check.
fn wait_until(done: impl Fn() -> bool) -> bool {
    (0..WAIT_LIMIT).any(|_| done())
}

/// Whether IRQ 0 is requested at the master PIC (IRR bit 0).
fn irq0_pending() -> bool {
    pic::read_master_irr() & (1 << pit::IRQ) != 0
}

/// TSC cycles per second, counted over CALIBRATION_TICKS ticks of the PIT
/// programmed with `(divisor, millihertz)`. Interrupts are off on entry
/// and on return.
fn calibrate_tsc((divisor, millihertz): (u16, u32)) -> u64 {
    pit::start(divisor);
    cpu::enable_interrupts();
    let first = pit::ticks();
    // Start on a tick edge, so both ends have the same wake-up latency.
    while pit::ticks() == first {
        cpu::enable_interrupts_and_halt();
    }
    let (start_ticks, start) = (pit::ticks(), cpu::rdtsc());
    while pit::ticks() < start_ticks + CALIBRATION_TICKS {
        cpu::enable_interrupts_and_halt();
    }
    let (end_ticks, end) = (pit::ticks(), cpu::rdtsc());
    cpu::disable_interrupts();
    stats::tsc_hz(end - start, end_ticks - start_ticks, millihertz)
}

/// One table row: label, median, min, note.
fn row(label: &str, s: Summary, note: impl core::fmt::Display) {
    println!("{label:<44} {:>10} {:>10}  {note}", s.median, s.min);
}

fn report(rows: &Rows, boot_cycles: u64, tsc_hz: u64, iterations: u32, device_iterations: u32) {
    let parts = rows.keypress_parts();
    let dispatch_floor = Ratio::new(rows.dispatch.median, rows.floor.median);
    let classic_floor = Ratio::new(rows.classic.median, rows.floor.median);
    let keypress_parts = Ratio::new(rows.keypress.median, parts.median);
    let boot_us = stats::cycles_to_us(boot_cycles, tsc_hz);

    println!("== bench results: TSC cycles per operation, measuring-loop overhead subtracted ==");
    println!(
        "{BATCHES} batches of {iterations} (device rows {device_iterations}) iterations; \
         TSC {} MHz (calibrated on the PIT)",
        tsc_hz / 1_000_000
    );
    println!("{:<44} {:>10} {:>10}  {}", "row", "median", "min", "note");
    row("floor: int -> iretd-only gate", rows.floor, "nothing is cheaper");
    row(
        "dispatch: int -> stub, isr_common, dispatcher",
        rows.dispatch,
        format_args!("{dispatch_floor}x floor"),
    );
    row(
        "classic stub: reloads DS ES FS GS each time",
        rows.classic,
        format_args!("{classic_floor}x floor"),
    );
    row("port: PIC EOI (out 0x20)", rows.eoi, "");
    row("port: i8042 data (in 0x60)", rows.kbd_data_in, "");
    row("port: UART line status (in 0x3FD)", rows.uart_lsr_in, "");
    row("port: UART data (out 0x3F8)", rows.uart_data_out, "QEMU writes each byte to the host");
    row("memory: VGA text cell (screen mirror)", rows.vga_cell, "not in parts: the mirror's share");
    row(
        "keypress: 0xD2 byte -> IRQ 1 -> echo on COM1",
        rows.keypress,
        format_args!("{keypress_parts}x parts"),
    );
    row("  parts: floor + 0x60 + EOI + LSR + data", parts, "the unavoidable minimum");
    row("  irq1 floor: IRQ 1 -> asm: in 0x60, EOI", rows.irq1_floor, "hardware delivery, no Rust");
    row("  decode: one scancode (pc-keyboard)", rows.decode, "inside the IRQ 1 handler");
    row("timer: one PIT tick, EOI included", rows.timer, "");
    let enosys_floor = Ratio::new(rows.syscall_enosys.median, rows.user_floor.median);
    row(
        "syscall: int 0x80 from ring 3, -ENOSYS",
        rows.syscall_enosys,
        format_args!("{enosys_floor}x ring-3 floor"),
    );
    row(
        "  write(1, &byte, 1) from ring 3",
        rows.syscall_write,
        "COM1 data write and VGA cell included",
    );
    row("  ring-3 floor: int -> iretd-only DPL 3 gate", rows.user_floor, "the ring change alone");
    println!(
        "{:<44} {:>10} {:>10}  {} us guest time (target < 5000)",
        "boot: _start -> kernel: ready", boot_cycles, "-", boot_us
    );
    println!("== machine-readable ==");
    for (name, s) in [
        ("floor", rows.floor),
        ("dispatch", rows.dispatch),
        ("classic_stub", rows.classic),
        ("pic_eoi", rows.eoi),
        ("kbd_data_in", rows.kbd_data_in),
        ("uart_lsr_in", rows.uart_lsr_in),
        ("uart_data_out", rows.uart_data_out),
        ("vga_cell", rows.vga_cell),
        ("keypress", rows.keypress),
        ("keypress_parts", parts),
        ("irq1_floor", rows.irq1_floor),
        ("decode", rows.decode),
        ("timer_irq", rows.timer),
        ("syscall_enosys", rows.syscall_enosys),
        ("syscall_write", rows.syscall_write),
        ("user_floor", rows.user_floor),
    ] {
        println!("bench: {name} cycles={}", s.median);
    }
    println!("bench: boot cycles={boot_cycles}");
    println!("bench: boot_us={boot_us}");
    println!("bench: tsc_hz={tsc_hz}");
    println!("bench: classic/floor={classic_floor}");
    println!("bench: syscall/user_floor={enosys_floor}");
    println!("bench: dispatch/floor={dispatch_floor}");
    println!("bench: keypress/parts={keypress_parts}");
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "bench: targets: dispatch/floor <= 1.25 {}, keypress/parts <= 1.20 {}, boot < 5 ms {}",
        verdict(dispatch_floor.at_most(125)),
        verdict(keypress_parts.at_most(120)),
        verdict(tsc_hz != 0 && boot_us < 5_000)
    );
    // Where the keypress's cycles beyond its parts go (medians; `rest` is
    // what is left: dispatcher, decoder lock and queue, console lock and
    // the echo's software path). Not a target: a reading aid.
    let pic_delivery = rows
        .irq1_floor
        .median
        .saturating_sub(rows.floor.median + rows.kbd_data_in.median + rows.eoi.median);
    let explained = parts.median + pic_delivery + rows.decode.median + rows.vga_cell.median;
    println!(
        "bench: keypress breakdown: parts={} pic_delivery={} decode={} vga_cell={} rest={} \
         (sum {})",
        parts.median,
        pic_delivery,
        rows.decode.median,
        rows.vga_cell.median,
        rows.keypress.median.saturating_sub(explained),
        rows.keypress.median
    );
    println!("bench: done");
}
