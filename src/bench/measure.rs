//! `make bench`: what each step of the interrupt path costs, next to the
//! machine's floor, measured in one run of the real kernel.
//!
//! Selected by `bench=N` (iterations per batch), `bench=quick` or
//! `bench=icount` on the command line; src/main.rs calls `run` right
//! after `kernel: ready`. Every figure is per operation, the overhead of
//! the measuring loop subtracted. The arithmetic is in src/bench/stats.rs,
//! host-tested; the measuring machinery (timed loops, medians, the
//! side-by-side schedule) in src/bench/timing.rs; the benchmark's IDT
//! copy in src/bench/idt_copy.rs; starting and reading the ring-3
//! programs in src/bench/program.rs. This file holds the run, the older
//! groups and the report; the network card's group is src/bench/nic.rs.
//!
//! **Side by side.** The rows are measured in groups, and the rows of a
//! group take turns: one warm-up batch (TCG translates the code), then
//! `stats::BATCHES` batches per row, each cut into `stats::SLICES`
//! slices, the rows' slices alternating. Every ratio is computed slice by
//! slice, from slices measured next to each other, and the table shows
//! the median of those 175 ratios with their spread (the middle 90%). (Rows
//! measured seconds apart do not compare: under TCG the TSC follows host
//! time, and the host's speed drifts.) The groups, and what is compared:
//! - interrupt entry: floor, dispatch, classic stub (and two ports).
//!   - floor: `int` to a gate whose handler is only `iretd`
//!     (src/bench/stubs.rs);
//!   - dispatch: `int` through the kernel's real per-vector stub,
//!     `isr_common` and `trap_dispatch` to an empty registered handler;
//!   - classic stub: the tutorials' stub, which reloads DS, ES, FS, GS
//!     on every entry, to the same dispatcher and handler.
//! - keypress: a scancode is put in the i8042 with command 0xD2 while
//!   interrupts are off; the clock starts, `sti` lets IRQ 1 in (stub,
//!   dispatcher, 0x60 read, decode, queue, EOI), then the idle loop's own
//!   `terminal::echo_pending` prints the character to COM1 (polled: the
//!   benchmark flushes the transmit queue first and leaves COM1 polled)
//!   and the screen; the clock stops. Beside it, its parts: a real IRQ 1
//!   to an assembly handler that only reads 0x60 and sends the EOI (the
//!   PIC's delivery included), one LSR poll, one UART data write, one VGA
//!   cell. Also the kernel's IRQ 1 path without the echo, and the decoder.
//! - ring 3: a program (src/bench/stubs.rs, started as a process like any
//!   other, its memory read by `sched::collect` before it is freed) times
//!   its own loops with RDTSC: `int` to an `iretd`-only DPL 3 gate (the
//!   ring-3 floor), `getpid`, a 1-byte `write`; two copies ping-pong
//!   `sched_yield` (a context switch each), next to a `mov cr3` row.
//! - timer: one real PIT tick (pending at the PIC, then `sti`) taken in
//!   the idle context with 1 and with 8 processes ready in the table.
//! - a UDP datagram (src/bench/nic.rs): the e1000, in PHY loopback, sends
//!   itself a datagram; from IRQ 11 to the return of `recvfrom` in a
//!   ring-3 program blocked in it. Its parts: a bare IRQ 11 (ICR read, EOI
//!   to both 8259s), one copy of the payload, `iretd` to ring 3. Also the
//!   kernel's IRQ 11 path alone and smoltcp's poll alone.
//!
//! **Boot**: TSC at `_start` (boot/boot.s) to TSC when `run` is entered,
//! right after the `kernel: ready` line; converted to guest time with a
//! TSC rate calibrated on the PIT.
//!
//! **Instructions.** `bench=icount` is for QEMU's `-icount shift=0`
//! (`make bench-icount`), under which the TSC counts executed
//! instructions. `run` checks that it does (the empty loop must take
//! exactly two instructions per iteration), then prints the same table in
//! instructions, and the path's steps one by one. Those counts are exact
//! and the same on every machine; the cycle table stays the cost view,
//! because a port access or a ring change costs far more than one
//! instruction.
//!
//! The floor and classic gates live on spare vectors of a *copy* of the
//! live IDT (src/bench/idt_copy.rs), loaded only while the benchmark
//! runs: the kernel's own table is never written, and the copy's other
//! gates are the live ones byte for byte, so the dispatch, keyboard,
//! timer and network rows go through exactly the gates the kernel uses.
//!
//! The UART-write, keypress and write rows really write to COM1 (that is
//! their cost): the rows of '.', 'a' and 's' in the output are those
//! bytes. Under QEMU with isa-debug-exit the kernel powers off when done
//! (status 33 when every row was measured, 35 if one could not be).

use x86::dtables::lidt;

use super::idt_copy::{install_bench_idt, FLOOR_VECTOR};
use super::nic::{self, NicRows};
use super::program::{Block, Program};
use super::stats::{self, Figures, Hundredths, Spread, Summary, BATCHES, FIGURES, SLICES};
use super::stubs::{self, UserBench, CLASSIC_VECTOR};
use super::timing::{
    bare_irq_batch, interleave, median_of_iterations, minus_overhead, overhead, timed_delivery,
    timed_loop, timed_nothing, wait_until, Batch, Failure, Row,
};
use crate::boot::cmdline::Bench;
use crate::cpu::{self, fpu, gdt};
use crate::dev::{debug_exit, i8042, pic, pit, uart, vga};
use crate::interrupt::vectors::irq_vector;
use crate::interrupt::{self, TrapFrame};
use crate::terminal::keys::{set1, Decoder, Key};
use crate::terminal::{Input, INPUT};
use crate::user::syscall::numbers::{SYS_GETPID, SYS_SCHED_YIELD, SYS_WRITE};
use crate::{console, print, println, terminal};

/// Vector the dispatch row raises: the kernel's own stub for it.
const DISPATCH_VECTOR: u8 = 0x42;

/// What the UART data-write row sends.
const FILL_BYTE: u8 = b'.';
/// What the ring-3 `write` row sends.
const SYSCALL_BYTE: u8 = b's';
/// The last cell of the VGA text buffer: the row measures writes to it of
/// the value it already holds, so nothing on the screen changes.
const VGA_LAST_CELL: u32 = (vga::TEXT_BUFFER + (vga::BUFFER_CELLS - 1) * 2) as u32;
/// The key the keypress rows type: its echo is one character.
const KEYPRESS_LETTER: u8 = b'a';
/// PIT ticks the TSC calibration counts (at pit::MAX_HZ: 50 ms).
const CALIBRATION_TICKS: u64 = 500;
/// Processes ready in the table for the timer rows: 1, and this many.
const MANY_READY: usize = 8;
/// The context-switch row runs this many times fewer iterations (each is
/// two switches of several thousand cycles).
const SWITCH_DIVISOR: u32 = 4;
/// The ring-3 rows run this many times more iterations: every slice is a
/// new process, whose first iterations pay for TCG translating its code,
/// and a longer slice makes that share small.
const RING3_FACTOR: u32 = 4;
/// The interrupt-entry rows run this many times more iterations: they
/// are the cheapest rows, and their ratio the most sensitive to the host
/// (five runs of make bench-repeat strayed 5.7% with 1, 2.2% with 4).
const ENTRY_FACTOR: u32 = 4;
/// The received-byte rows keep this many times more samples than the
/// other device rows (5.2% with 1).
const SERIAL_FACTOR: u32 = 2;
/// The timer rows wait for a real tick per iteration (100 us at
/// pit::MAX_HZ): this many times fewer than the device rows.
const TIMER_DIVISOR: u32 = 4;

/// Targets, in hundredths (issue 14 of the project's tracker).
const DISPATCH_TARGET: u64 = 125;
const KEYPRESS_TARGET: u64 = 130;
const SYSCALL_TARGET: u64 = 125;
const SWITCH_TARGET: u64 = 150;
/// The timer tick with 8 processes ready against 1: a few percent.
const TIMER_GROWTH_TARGET: u64 = 105;

unsafe extern "C" {
    /// TSC at the first instruction of `_start`, stored by boot/boot.s.
    static boot_tsc: u64;
}

/// The empty handler of the dispatch and classic rows.
fn empty_handler(_frame: &mut TrapFrame) {}

/// Every row the table shows, slice by slice: some 40 KB, so it lives in
/// a static, not on the 64 KiB boot stack.
static ROWS: spin::Mutex<Rows> = spin::Mutex::new(Rows::EMPTY);

/// Every row the table shows, slice by slice.
struct Rows {
    floor: Figures,
    dispatch: Figures,
    classic: Figures,
    eoi: Figures,
    kbd_data_in: Figures,
    keypress: Figures,
    irq1_path: Figures,
    irq1_floor: Figures,
    uart_lsr_in: Figures,
    uart_data_out: Figures,
    vga_cell: Figures,
    decode: Figures,
    user_floor: Figures,
    getpid: Figures,
    write: Figures,
    switch_floor: Figures,
    switch: Figures,
    cr3: Figures,
    segment_loads: Figures,
    fpu_swap: Figures,
    timer_1: Figures,
    timer_many: Figures,
    serial_echo: Figures,
    irq4_floor: Figures,
    serial_lsr_in: Figures,
    uart_data_loop: Figures,
    serial_vga_cell: Figures,
    nic: NicRows,
}

impl Rows {
    // SAFETY: every field is an array of integers (or a struct of them),
    // for which all zero bytes are a valid value.
    const EMPTY: Rows = unsafe { core::mem::zeroed() };

    /// The keypress path's unavoidable parts, slice by slice: a real IRQ 1
    /// to the least handler (0x60, EOI), one LSR poll and one data write
    /// for the echoed byte, and its VGA cell.
    fn keypress_parts(&self) -> Figures {
        stats::sum_per_slice(&[
            &self.irq1_floor,
            &self.uart_lsr_in,
            &self.uart_data_out,
            &self.vga_cell,
        ])
    }

    /// A received byte's parts: a real IRQ 4 to the least handler (read
    /// the byte, EOI), one LSR poll and one data write (looped back) for
    /// the echo, and its VGA cell.
    fn serial_parts(&self) -> Figures {
        stats::sum_per_slice(&[
            &self.irq4_floor,
            &self.serial_lsr_in,
            &self.uart_data_loop,
            &self.serial_vga_cell,
        ])
    }

    /// A context switch's parts: a ring-3 round trip and a CR3 reload.
    fn switch_parts(&self) -> Figures {
        stats::sum_per_slice(&[&self.switch_floor, &self.cr3])
    }
}

/// Runs the benchmark as `bench` says, prints the table and powers QEMU
/// off. `hz` is the timer rate to restore afterwards.
pub fn run(bench: Bench, hz: u32) {
    // First, before anything else: `kernel: ready` was just written.
    let ready_tsc = cpu::rdtsc();
    // SAFETY: boot/boot.s stores boot_tsc once, at _start, before Rust
    // runs; nothing writes it afterwards.
    let boot_cycles = ready_tsc.wrapping_sub(unsafe { boot_tsc });
    // The rows below time COM1 output by polling: the echo's cost is one
    // LSR poll and one data write per byte, and no THRE interrupt may land
    // in a timed window. flush() empties the transmit queue and leaves
    // COM1 polled for good.
    console::flush();

    let n = bench.iterations;
    let device_n = stats::device_iterations(n);
    let unit = if bench.instructions { "instructions" } else { "cycles" };
    println!(
        "bench: {BATCHES} batches of {n} iterations per row ({device_n} for the device rows; \
         x{ENTRY_FACTOR} for interrupt entry, x{RING3_FACTOR} for ring 3, x{SERIAL_FACTOR} for \
         the received byte), after 1 warm-up batch; each batch in {SLICES} slices, the slices \
         of a group's rows taking turns"
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

    let mut rows = ROWS.lock();
    let result = check_icount(bench).and_then(|()| measure_all(&mut rows, n, device_n));

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
            report(&rows, unit, bench, boot_cycles, tsc_hz, n, device_n);
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

/// Under `bench=icount`, checks that the TSC counts instructions: the
/// measuring loop (`dec ecx; jnz`) must take exactly 2 more for each
/// iteration more. Without `-icount shift=0` it takes a fraction of a
/// cycle or several, never exactly 2 twice.
fn check_icount(bench: Bench) -> Result<(), Failure> {
    if !bench.instructions {
        return Ok(());
    }
    let _ = overhead(1_000); // translated once
    let short = overhead(1_000);
    let long = overhead(2_000);
    let again = overhead(2_000);
    println!(
        "bench: icount check: 1,000 more iterations of the empty loop (dec, jnz) took {} more \
         TSC counts (2,000 if the TSC counts instructions), twice the same: {}",
        long.wrapping_sub(short),
        long == again
    );
    if long.wrapping_sub(short) == 2_000 && long == again {
        Ok(())
    } else {
        Err("icount: the TSC does not count instructions: run QEMU with -icount shift=0 \
             (make bench-icount)")
    }
}

/// Every group in turn. Each writes its rows' figures where it is told
/// (into ROWS: a group's figures are too big to pass back on the stack).
fn measure_all(r: &mut Rows, n: u32, device_n: u32) -> Result<(), Failure> {
    measure_entry(
        n * ENTRY_FACTOR,
        [&mut r.floor, &mut r.dispatch, &mut r.classic, &mut r.eoi, &mut r.kbd_data_in],
    )?;
    measure_keypress(
        n,
        device_n,
        [
            &mut r.keypress,
            &mut r.irq1_path,
            &mut r.irq1_floor,
            &mut r.uart_lsr_in,
            &mut r.uart_data_out,
            &mut r.vga_cell,
            &mut r.decode,
        ],
    )?;
    let switch_n = (n / SWITCH_DIVISOR).max(stats::MIN_DEVICE_ITERATIONS);
    measure_ring3(
        n,
        device_n,
        switch_n,
        [&mut r.user_floor, &mut r.getpid, &mut r.write, &mut r.segment_loads],
        [&mut r.switch_floor, &mut r.switch, &mut r.cr3, &mut r.fpu_swap],
    )?;
    let timer_n = (device_n / TIMER_DIVISOR).max(stats::MIN_DEVICE_ITERATIONS);
    measure_timer(timer_n, [&mut r.timer_1, &mut r.timer_many])?;
    measure_serial(
        n,
        device_n * SERIAL_FACTOR,
        [
            &mut r.serial_echo,
            &mut r.irq4_floor,
            &mut r.serial_lsr_in,
            &mut r.uart_data_loop,
            &mut r.serial_vga_cell,
        ],
    )?;
    nic::measure(n, device_n, &mut r.nic)
}

/// Interrupt entry: floor, dispatch and classic stub in turn, and the two
/// port accesses of the IRQ 1 floor handler. Interrupts are off: `int n`
/// does not need IF, and no timer tick lands in a batch.
fn measure_entry(n: u32, out: [&mut Figures; 5]) -> Result<(), Failure> {
    // SAFETY (timed_loop): FLOOR_VECTOR's gate is `iretd` only.
    let mut floor =
        |n: u32| Ok(minus_overhead(n, timed_loop!(n, "", "int {v}", v = const FLOOR_VECTOR)));
    // SAFETY (timed_loop): the kernel's stub saves and restores every
    // register; the registered handler does nothing.
    let mut dispatch =
        |n: u32| Ok(minus_overhead(n, timed_loop!(n, "", "int {v}", v = const DISPATCH_VECTOR)));
    // SAFETY (timed_loop): the classic stub restores every register and
    // reloads the kernel's own selectors.
    let mut classic =
        |n: u32| Ok(minus_overhead(n, timed_loop!(n, "", "int {v}", v = const CLASSIC_VECTOR)));
    // SAFETY (timed_loop): a non-specific EOI with no IRQ in service (none
    // is: interrupts are off and no handler is running) changes nothing.
    let mut eoi = |n: u32| {
        Ok(minus_overhead(
            n,
            timed_loop!(
                n,
                "mov al, {eoi}",
                "out {port}, al",
                eoi = const pic::OCW2_EOI,
                port = const pic::PIC1_COMMAND
            ),
        ))
    };
    // SAFETY (timed_loop): reading the i8042 data port with no byte waiting
    // returns the last one again; nothing is pending (no key is typed
    // during a benchmark).
    let mut kbd_data_in = |n: u32| {
        Ok(minus_overhead(n, timed_loop!(n, "", "in al, {port}", port = const i8042::KBD_DATA)))
    };
    let rows = [
        Row { iterations: n, batch: &mut floor },
        Row { iterations: n, batch: &mut dispatch },
        Row { iterations: n, batch: &mut classic },
        Row { iterations: n, batch: &mut eoi },
        Row { iterations: n, batch: &mut kbd_data_in },
    ];
    interleave(rows, out)
}

/// The keypress and its parts, in turn (see the module comment).
fn measure_keypress(n: u32, device_n: u32, out: [&mut Figures; 7]) -> Result<(), Failure> {
    let vector = irq_vector(i8042::IRQ);
    let scancode = set1::letter(KEYPRESS_LETTER).expect("a letter");
    // Nothing but IRQ 1 in the interrupt windows below: park the timer.
    pic::mask(pit::IRQ);
    let result = (|| {
        // Check once, outside the clock, that the path does what it should.
        i8042::inject(scancode);
        let arrived = timed_delivery(vector, || {}).is_some();
        let key = match INPUT.pop() {
            Some(Input::Key(key)) => Some(key),
            _ => None,
        };
        if !arrived || key != Some(Key::Char(KEYPRESS_LETTER as char)) {
            return Err("keypress: the injected scancode did not come back as its key");
        }

        let mut keypress = |n: u32| {
            let figure = median_of_iterations(n, || {
                // Interrupts are off: IRQ 1 stays pending at the PIC.
                i8042::inject(scancode);
                let path = timed_delivery(vector, terminal::echo_pending)
                    .ok_or("keypress: IRQ 1 did not arrive")?;
                Ok(path.saturating_sub(timed_nothing(vector)))
            });
            println!();
            figure
        };
        // The kernel's IRQ 1 path alone: the key is queued, not echoed
        // (taken off the queue after the clock stopped).
        let mut irq1_path = |n: u32| {
            median_of_iterations(n, || {
                i8042::inject(scancode);
                let path =
                    timed_delivery(vector, || {}).ok_or("irq1 path: IRQ 1 did not arrive")?;
                let bare = timed_nothing(vector);
                let _ = INPUT.pop();
                Ok(path.saturating_sub(bare))
            })
        };
        let mut irq1_floor = |n: u32| {
            let raise = || i8042::inject(scancode);
            bare_irq_batch(n, vector, stubs::irq1_min(), stubs::irq1_min_count, raise, IRQ1_LOST)
        };
        let mut uart_lsr_in = lsr_batch;
        let mut uart_data_out = |n: u32| {
            // SAFETY (timed_loop): writes FILL_BYTE to COM1 without polling:
            // QEMU's UART sends each byte at once (on real hardware or Bochs
            // bytes could be lost, which only shortens the row of dots).
            let elapsed = timed_loop!(n, "mov dx, {port}\nmov al, {fill}", "out dx, al",
                port = const uart::COM1_DATA, fill = const FILL_BYTE);
            println!();
            Ok(minus_overhead(n, elapsed))
        };
        let mut vga_cell = vga_cell_batch;
        // One make code through the pc-keyboard decoder (a private one:
        // the keyboard's own keeps its state), as IRQ 1 does it.
        let mut decoder = Decoder::new();
        let mut decode = |n: u32| {
            let start = cpu::rdtsc();
            for _ in 0..n {
                core::hint::black_box(decoder.feed(core::hint::black_box(scancode)));
            }
            let elapsed = cpu::rdtsc() - start;
            let start = cpu::rdtsc();
            for _ in 0..n {
                core::hint::black_box(core::hint::black_box(scancode));
            }
            Ok(stats::per_iteration(elapsed, cpu::rdtsc() - start, n))
        };
        let rows = [
            Row { iterations: device_n, batch: &mut keypress },
            Row { iterations: device_n, batch: &mut irq1_path },
            Row { iterations: device_n, batch: &mut irq1_floor },
            Row { iterations: n, batch: &mut uart_lsr_in },
            Row { iterations: device_n, batch: &mut uart_data_out },
            Row { iterations: n, batch: &mut vga_cell },
            Row { iterations: device_n, batch: &mut decode },
        ];
        interleave(rows, out)
    })();
    pic::unmask(pit::IRQ);
    result
}

/// One LSR read per iteration: the poll before each echoed byte.
fn lsr_batch(n: u32) -> Batch {
    // SAFETY (timed_loop): reading the LSR only reports the UART's state.
    let elapsed = timed_loop!(n, "mov dx, {port}", "in al, dx", port = const uart::COM1_LSR);
    Ok(minus_overhead(n, elapsed))
}

/// One VGA text-cell write per iteration: the screen's share of an echo.
fn vga_cell_batch(n: u32) -> Batch {
    // SAFETY (timed_loop): the cell is rewritten with its own value (read
    // once in the setup), which the console cannot change meanwhile:
    // interrupts are off and nothing prints during the loop.
    let elapsed = timed_loop!(
        n,
        "mov edx, {cell}\nmov ax, word ptr [edx]",
        "mov word ptr [edx], ax",
        cell = const VGA_LAST_CELL
    );
    Ok(minus_overhead(n, elapsed))
}

/// Ring 3, in turn: the ring-3 floor, getpid, a 1-byte write, two
/// processes ping-ponging sched_yield (per switch), a CR3 reload; and two
/// things the kernel's side of those paths does, timed in ring 0: the
/// DS and ES loads of an entry from ring 3 and its return, and the swap
/// of the FPU/SSE registers at a switch.
fn measure_ring3(
    n: u32,
    device_n: u32,
    switch_n: u32,
    syscall_out: [&mut Figures; 4],
    switch_out: [&mut Figures; 4],
) -> Result<(), Failure> {
    let program = Program::<UserBench>::new(stubs::user_syscalls());
    // Only system calls and the floor gate in ring 3: park the timer.
    pic::mask(pit::IRQ);
    let call = |number| UserBench { number, byte: u32::from(SYSCALL_BYTE), ..UserBench::default() };
    let mut user_floor =
        |n: u32| program.batch(UserBench { floor: 1, ..call(SYS_GETPID) }, n, 1, |_| true);
    let mut getpid = |n: u32| program.batch(call(SYS_GETPID), n, 1, |r| r as i32 > 0);
    let mut write = |n: u32| {
        let batch = program.batch(call(SYS_WRITE), n, 1, |r| r == 1);
        println!();
        batch
    };
    // Each iteration of one copy is two switches: to the other copy and
    // back. The other copy's empty loop runs inside this one's timed
    // loop, and this one's own empty loop, subtracted, is as long.
    let mut switch =
        |n: u32| Ok(program.batch(call(SYS_SCHED_YIELD), n, 2, |r| r == 0)?.div_ceil(2));
    let mut cr3 = |n: u32| {
        // SAFETY (timed_loop): CR3 is written with the value it holds: the
        // same directory, its TLB entries dropped and refilled.
        Ok(minus_overhead(n, timed_loop!(n, "mov edx, cr3", "mov cr3, edx")))
    };
    let mut segment_loads = |n: u32| {
        // SAFETY (timed_loop): DS and ES are loaded with the selector they
        // hold (the kernel's data segment): four descriptor loads, as
        // isr_common does for an entry from ring 3 and its return.
        Ok(minus_overhead(
            n,
            timed_loop!(
                n,
                "mov edx, {data}",
                "mov ds, edx\nmov es, edx\nmov ds, edx\nmov es, edx",
                data = const gdt::KERNEL_DATA as u32
            ),
        ))
    };
    // What a switch does with the FPU and SSE registers (src/sched).
    let mut area = fpu::FpuState::INITIAL;
    let area_at = (&raw mut area) as u32;
    let mut fpu_swap = |n: u32| {
        // SAFETY (timed_loop): FXSAVE to a 16-byte aligned 512-byte area,
        // then FXRSTOR of what was just saved: the registers do not change.
        Ok(minus_overhead(
            n,
            timed_loop!(
                n,
                "mov edx, {area}",
                "fxsave [edx]\nfxrstor [edx]",
                area = in(reg) area_at
            ),
        ))
    };
    // Two groups: the switch and mov cr3 rows flush QEMU's software TLB
    // thousands of times a slice, and QEMU resizes that TLB by how it was
    // used over the last 100 ms of host time, so they would change the
    // cost of the system-call rows measured between them. Each group has
    // its own ring-3 floor.
    let syscalls = [
        Row { iterations: n * RING3_FACTOR, batch: &mut user_floor },
        Row { iterations: n * RING3_FACTOR, batch: &mut getpid },
        Row { iterations: device_n, batch: &mut write },
        Row { iterations: n, batch: &mut segment_loads },
    ];
    let syscalls = interleave(syscalls, syscall_out);
    let mut switch_floor =
        |n: u32| program.batch(UserBench { floor: 1, ..call(SYS_GETPID) }, n, 1, |_| true);
    let switches = [
        Row { iterations: n * RING3_FACTOR, batch: &mut switch_floor },
        Row { iterations: switch_n, batch: &mut switch },
        Row { iterations: n, batch: &mut cr3 },
        Row { iterations: n, batch: &mut fpu_swap },
    ];
    let switches = syscalls.and_then(|()| interleave(switches, switch_out));
    pic::unmask(pit::IRQ);
    switches
}

// SAFETY: UserBench (src/bench/stubs.rs) is repr(C), integers only.
unsafe impl Block for UserBench {}

impl Program<UserBench> {
    /// Runs `copies` copies of the ring-3 timing program at once, each
    /// `n` iterations of `block`'s loop, as processes; gives the first
    /// copy's timed and empty loop. Every copy must exit(0) and its last
    /// call's result pass `ok`.
    fn batch(&self, block: UserBench, n: u32, copies: usize, ok: fn(u32) -> bool) -> Batch {
        let mut pids = [0u32; 2];
        for pid in pids.iter_mut().take(copies) {
            *pid = self.start(UserBench { iterations: n, ..block }, "bench")?;
        }
        let mut first = None;
        for &pid in pids.iter().take(copies) {
            let out = self.collect(pid, &mut [])?;
            if !ok(out.result) {
                return Err("ring 3: a system call returned the wrong value");
            }
            first.get_or_insert(out);
        }
        let out = first.ok_or("ring 3: no copy ran")?;
        let (timed, empty) = (out.timed_end - out.timed_start, out.empty_end - out.empty_start);
        Ok(stats::per_iteration(timed, empty, n))
    }
}

/// The timer: one real PIT tick, from pending at the PIC to handled,
/// taken in the idle context while 1, then MANY_READY, processes wait in
/// the table (spawned before the batch, run to their end after it). The
/// tick handler looks at every slot for sleepers to wake and for a ready
/// process: its cost must not grow with how many there are.
fn measure_timer(n: u32, out: [&mut Figures; 2]) -> Result<(), Failure> {
    // The fastest rate the kernel allows, so that a batch takes
    // `n` / 10,000 s rather than `n` / 100 s. `run` restores the rate.
    let (divisor, _) = pit::divisor_for(pit::MAX_HZ).expect("MAX_HZ is a valid rate");
    pit::start(divisor);
    let program = Program::<UserBench>::new(stubs::user_syscalls());
    let with_ready = |ready: usize, n: u32| -> Batch {
        let mut pids = [0u32; MANY_READY];
        for pid in pids.iter_mut().take(ready) {
            // One getpid and out, once it gets the CPU after the batch.
            let block = UserBench { number: SYS_GETPID, iterations: 1, ..UserBench::default() };
            *pid = program.start(block, "ready")?;
        }
        let vector = irq_vector(pit::IRQ);
        let figure = median_of_iterations(n, || {
            if !wait_until(irq0_pending) {
                return Err("timer: IRQ 0 never became pending");
            }
            let path = timed_delivery(vector, || {})
                .ok_or("timer: IRQ 0 was pending but not delivered")?;
            Ok(path.saturating_sub(timed_nothing(vector)))
        });
        for &pid in pids.iter().take(ready) {
            program.collect(pid, &mut [])?;
        }
        figure
    };
    let mut one = |n: u32| with_ready(1, n);
    let mut many = |n: u32| with_ready(MANY_READY, n);
    interleave(
        [Row { iterations: n, batch: &mut one }, Row { iterations: n, batch: &mut many }],
        out,
    )
}

/// Why a bare IRQ row stopped.
const IRQ1_LOST: Failure = "irq1 floor: IRQ 1 did not arrive";
const IRQ4_LOST: Failure = "irq4 floor: IRQ 4 did not arrive";

/// What the received-byte rows send to themselves.
const LOOPED_BYTE: u8 = b'r';

/// One byte received on COM1 to its echo, and its parts, in turn. The
/// UART runs in loopback (MCR bit 4), so the kernel sends itself the
/// byte: written to the data register with interrupts off, it is in the
/// receive FIFO at once, and with the trigger level at 1 byte IRQ 4 is
/// pending. The clock starts, `sti` lets IRQ 4 in (the kernel's handler:
/// IIR, LSR, the byte into the input queue), then the idle loop's echo
/// writes it back; the clock stops. The echo, looped back in turn, is
/// taken by IRQ 4 and dropped after the clock stopped. Nothing reaches
/// the host: in loopback the UART sends nothing on the line.
fn measure_serial(n: u32, device_n: u32, out: [&mut Figures; 5]) -> Result<(), Failure> {
    let vector = irq_vector(uart::IRQ);
    pic::mask(pit::IRQ);
    loopback(true);
    let result = serial_rows(vector, n, device_n, out);
    loopback(false);
    pic::unmask(pit::IRQ);
    result
}

/// The rows of `measure_serial`, in loopback.
fn serial_rows(vector: u8, n: u32, device_n: u32, out: [&mut Figures; 5]) -> Result<(), Failure> {
    let mut echo = |n: u32| {
        median_of_iterations(n, || {
            send_to_self(LOOPED_BYTE);
            let path = timed_delivery(vector, terminal::echo_pending)
                .ok_or("serial: IRQ 4 did not arrive")?;
            // The echo came back: take it in, and forget it, before the
            // bare window (where its IRQ 4 would land otherwise).
            cpu::enable_interrupts();
            let _ = wait_until(uart_line_quiet);
            cpu::disable_interrupts();
            while INPUT.pop().is_some() {}
            Ok(path.saturating_sub(timed_nothing(vector)))
        })
    };
    let mut irq4_floor = |n: u32| {
        let raise = || send_to_self(LOOPED_BYTE);
        bare_irq_batch(n, vector, stubs::irq4_min(), stubs::irq4_min_count, raise, IRQ4_LOST)
    };
    let mut lsr = lsr_batch;
    let mut data = |n: u32| {
        // The bytes land in the receive FIFO (and overrun it): with
        // the UART's interrupts off meanwhile, then the FIFO cleared.
        let ier = port_read(uart::COM1_IER);
        port_write(uart::COM1_IER, 0);
        // SAFETY (timed_loop): in loopback a data write only fills the
        // receive FIFO, which is cleared below.
        let elapsed = timed_loop!(n, "mov dx, {port}\nmov al, {byte}", "out dx, al",
            port = const uart::COM1_DATA, byte = const LOOPED_BYTE);
        port_write(uart::COM1_FCR, uart::fcr::ENABLE_FIFOS | uart::fcr::CLEAR_RECEIVE);
        let _ = port_read(uart::COM1_LSR); // clears the overrun it saw
        port_write(uart::COM1_IER, ier);
        Ok(minus_overhead(n, elapsed))
    };
    let mut vga_cell = vga_cell_batch;
    let rows = [
        Row { iterations: device_n, batch: &mut echo },
        Row { iterations: device_n, batch: &mut irq4_floor },
        Row { iterations: n, batch: &mut lsr },
        Row { iterations: device_n, batch: &mut data },
        Row { iterations: n, batch: &mut vga_cell },
    ];
    interleave(rows, out)
}

/// Loopback on (trigger level 1, so one byte raises IRQ 4 at once) or
/// back to how src/dev/uart.rs runs COM1 (trigger level 8, the line up).
fn loopback(on: bool) {
    use uart::{fcr, mcr};
    let line = mcr::DTR | mcr::RTS | mcr::OUT2;
    if on {
        port_write(uart::COM1_FCR, fcr::ENABLE_FIFOS | fcr::CLEAR_RECEIVE);
        port_write(uart::COM1_MCR, line | mcr::LOOPBACK);
    } else {
        port_write(uart::COM1_MCR, line);
        port_write(uart::COM1_FCR, fcr::ENABLE_FIFOS | fcr::CLEAR_RECEIVE | fcr::TRIGGER_8);
    }
}

/// Sends `byte` to COM1, which in loopback receives it.
fn send_to_self(byte: u8) {
    while port_read(uart::COM1_LSR) & uart::lsr::THR_EMPTY == 0 {}
    port_write(uart::COM1_DATA, byte);
}

/// Whether COM1 holds no received byte (LSR data ready clear).
fn uart_line_quiet() -> bool {
    port_read(uart::COM1_LSR) & uart::lsr::DATA_READY == 0
}

fn port_read(port: u16) -> u8 {
    // SAFETY: COM1's registers; reading LSR or IER has no side effect the
    // benchmark does not expect.
    unsafe { x86::io::inb(port) }
}

fn port_write(port: u16, value: u8) {
    // SAFETY: COM1's registers, written as the functions above explain.
    unsafe { x86::io::outb(port, value) }
}

/// Whether IRQ 0 is requested at the master PIC (IRR bit 0).
fn irq0_pending() -> bool {
    pic::is_requested(pit::IRQ)
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

/// A ratio of the table: its name in the machine-readable line, what it
/// compares, and its target in hundredths (None: shown, not judged).
struct Compared {
    name: &'static str,
    spread: Option<Spread>,
    target: Option<u64>,
    /// Against a floor (or the sum of parts): below 1.00 is a failed
    /// measurement. The timer's growth is not: 0.99 is no growth.
    against_floor: bool,
}

impl Compared {
    fn verdict(&self) -> &'static str {
        match (self.spread, self.target) {
            (None, _) => "NOT MEASURED (a row measured nothing)",
            (Some(s), target) if self.against_floor => match target {
                Some(limit) => s.verdict(limit).name(),
                None if s.median < 100 => stats::Verdict::BelowFloor.name(),
                None => "",
            },
            (Some(s), Some(limit)) if s.median > limit => "MISSED",
            (Some(_), Some(_)) => "met",
            (Some(_), None) => "",
        }
    }
}

/// One row of the table: label, median and min of its batches, note.
fn row(label: &str, figures: &Figures, note: impl core::fmt::Display) {
    let mut sorted = *figures;
    let s = Summary::of(&mut sorted);
    println!("{label:<46} {:>9} {:>9}  {note}", s.median, s.min);
}

/// A ratio line of the table, under the rows it compares.
fn ratio_line(c: &Compared) {
    let target = c.target.map(Hundredths);
    match (c.spread, target) {
        (Some(s), Some(t)) => {
            println!("  = {:<20} {s}  target <= {t}: {}", c.name, c.verdict())
        }
        (Some(s), None) => println!("  = {:<20} {s}  {}", c.name, c.verdict()),
        (None, _) => println!("  = {:<20} {}", c.name, c.verdict()),
    }
}

fn median(figures: &Figures) -> u64 {
    let mut sorted = *figures;
    Summary::of(&mut sorted).median
}

fn report(
    rows: &Rows,
    unit: &str,
    bench: Bench,
    boot_cycles: u64,
    tsc_hz: u64,
    n: u32,
    device_n: u32,
) {
    let keypress_parts = rows.keypress_parts();
    let switch_parts = rows.switch_parts();
    // Instruction counts are not costs: the targets judge cycles only.
    let judged = !bench.instructions;
    let ratio = |name, a: &Figures, b: &Figures, target: Option<u64>, against_floor| Compared {
        name,
        spread: Spread::of(a, b),
        target: target.filter(|_| judged),
        against_floor: against_floor && judged,
    };
    let dispatch =
        ratio("dispatch/floor", &rows.dispatch, &rows.floor, Some(DISPATCH_TARGET), true);
    let classic = ratio("classic/floor", &rows.classic, &rows.floor, None, true);
    let keypress =
        ratio("keypress/parts", &rows.keypress, &keypress_parts, Some(KEYPRESS_TARGET), true);
    let syscall =
        ratio("syscall/user_floor", &rows.getpid, &rows.user_floor, Some(SYSCALL_TARGET), true);
    let switch = ratio("switch/parts", &rows.switch, &switch_parts, Some(SWITCH_TARGET), true);
    let serial_parts = rows.serial_parts();
    let serial = ratio("serial/parts", &rows.serial_echo, &serial_parts, None, true);
    let nic_parts = rows.nic.parts();
    let nic = ratio("nic/parts", &rows.nic.path, &nic_parts, None, true);
    let timer =
        ratio("timer_8/timer_1", &rows.timer_many, &rows.timer_1, Some(TIMER_GROWTH_TARGET), false);
    let boot_us = stats::cycles_to_us(boot_cycles, tsc_hz);

    println!("== bench results: TSC {unit} per operation, measuring-loop overhead subtracted ==");
    println!(
        "{FIGURES} slices of {n}/{SLICES} (device rows {device_n}/{SLICES}) iterations per row; \
         TSC {} MHz (calibrated on the PIT); a ratio is the median of its {FIGURES} per-slice \
         ratios, spread = where the middle 90% of them lie",
        tsc_hz / 1_000_000
    );
    if bench.instructions {
        println!("QEMU -icount shift=0: the TSC counts executed instructions (checked)");
    }
    println!("{:<46} {:>9} {:>9}  {}", "row", "median", "min", "note");
    println!("-- interrupt entry, in turn:");
    row("floor: int -> iretd-only gate", &rows.floor, "nothing is cheaper");
    row("dispatch: int -> stub, isr_common, dispatcher", &rows.dispatch, "");
    row("classic stub: reloads DS ES FS GS each time", &rows.classic, "the tutorials' stub");
    row("port: PIC EOI (out 0x20)", &rows.eoi, "");
    row("port: i8042 data (in 0x60)", &rows.kbd_data_in, "");
    ratio_line(&dispatch);
    ratio_line(&classic);
    println!("-- a key press and its parts, in turn:");
    row("keypress: 0xD2 byte -> IRQ 1 -> echo on COM1", &rows.keypress, "");
    row(
        "  irq1 floor: IRQ 1 -> asm: in 0x60, EOI",
        &rows.irq1_floor,
        "part: PIC delivery, no Rust",
    );
    row("  port: UART line status (in 0x3FD)", &rows.uart_lsr_in, "part: one poll");
    row("  port: UART data (out 0x3F8)", &rows.uart_data_out, "part: QEMU writes to the host");
    row("  memory: VGA text cell", &rows.vga_cell, "part: the screen's echo");
    row("  = parts: sum of the four above", &keypress_parts, "the unavoidable minimum");
    row("  irq1 path: IRQ 1 -> kernel handler, no echo", &rows.irq1_path, "");
    row("  decode: one scancode (pc-keyboard)", &rows.decode, "inside the IRQ 1 handler");
    ratio_line(&keypress);
    println!("-- a byte received on COM1 and its parts, in turn (UART in loopback):");
    row("serial: byte in -> IRQ 4 -> echo on COM1", &rows.serial_echo, "");
    row(
        "  irq4 floor: IRQ 4 -> asm: in 0x3F8, EOI",
        &rows.irq4_floor,
        "part: PIC delivery, no Rust",
    );
    row("  port: UART line status (in 0x3FD)", &rows.serial_lsr_in, "part: one poll");
    row("  port: UART data, looped back", &rows.uart_data_loop, "part: the echo's write");
    row("  memory: VGA text cell", &rows.serial_vga_cell, "part: the screen's echo");
    row("  = parts: sum of the four above", &serial_parts, "the unavoidable minimum");
    ratio_line(&serial);
    println!(
        "-- a UDP datagram to a process blocked in recvfrom, and its parts, in turn (e1000 in PHY \
         loopback, {}-byte payload):",
        nic::PAYLOAD
    );
    for (spec, figures) in rows.nic.table(&nic_parts) {
        row(spec.label, figures, spec.note);
    }
    ratio_line(&nic);
    println!("-- system calls from ring 3, in turn:");
    row("ring-3 floor: int -> iretd-only DPL 3 gate", &rows.user_floor, "the ring change alone");
    row("syscall: getpid from ring 3", &rows.getpid, "the null system call");
    row("  write(1, &byte, 1) from ring 3", &rows.write, "COM1 data write and VGA cell");
    row("  DS, ES loaded on entry and on return", &rows.segment_loads, "4 loads, in ring 0");
    ratio_line(&syscall);
    println!("-- context switches, in turn:");
    row("switch: sched_yield between two processes", &rows.switch, "per switch");
    row("  ring-3 floor (again, beside the switch)", &rows.switch_floor, "part: the ring change");
    row("  mov cr3 (same directory)", &rows.cr3, "part: the TLB flushed");
    row("  = parts: ring-3 floor + mov cr3", &switch_parts, "");
    row("  FXSAVE + FXRSTOR", &rows.fpu_swap, "in every switch, in ring 0");
    ratio_line(&switch);
    println!("-- the timer, in turn:");
    row("timer: one PIT tick, 1 process ready", &rows.timer_1, "EOI included");
    row("timer: one PIT tick, 8 processes ready", &rows.timer_many, "");
    ratio_line(&timer);
    println!(
        "{:<46} {:>9} {:>9}  {} us guest time",
        "boot: _start -> kernel: ready", boot_cycles, "-", boot_us
    );
    if bench.instructions {
        steps(rows);
    }

    println!("== machine-readable ==");
    let unit_word = if bench.instructions { "instructions" } else { "cycles" };
    for (name, figures) in [
        ("floor", &rows.floor),
        ("dispatch", &rows.dispatch),
        ("classic_stub", &rows.classic),
        ("pic_eoi", &rows.eoi),
        ("kbd_data_in", &rows.kbd_data_in),
        ("keypress", &rows.keypress),
        ("irq1_floor", &rows.irq1_floor),
        ("uart_lsr_in", &rows.uart_lsr_in),
        ("uart_data_out", &rows.uart_data_out),
        ("vga_cell", &rows.vga_cell),
        ("keypress_parts", &keypress_parts),
        ("irq1_path", &rows.irq1_path),
        ("decode", &rows.decode),
        ("user_floor", &rows.user_floor),
        ("syscall_getpid", &rows.getpid),
        ("syscall_write", &rows.write),
        ("switch_floor", &rows.switch_floor),
        ("switch", &rows.switch),
        ("mov_cr3", &rows.cr3),
        ("switch_parts", &switch_parts),
        ("segment_loads", &rows.segment_loads),
        ("fpu_swap", &rows.fpu_swap),
        ("serial_echo", &rows.serial_echo),
        ("irq4_floor", &rows.irq4_floor),
        ("uart_data_loop", &rows.uart_data_loop),
        ("serial_parts", &serial_parts),
        ("timer_1", &rows.timer_1),
        ("timer_8", &rows.timer_many),
    ] {
        println!("bench: {name} {unit_word}={}", median(figures));
    }
    for (spec, figures) in rows.nic.table(&nic_parts) {
        println!("bench: {} {unit_word}={}", spec.key, median(figures));
    }
    println!("bench: boot {unit_word}={boot_cycles}");
    println!("bench: boot_us={boot_us}");
    println!("bench: tsc_hz={tsc_hz}");
    let all = [&dispatch, &classic, &keypress, &serial, &nic, &syscall, &switch, &timer];
    for c in all {
        match c.spread {
            Some(s) => println!("bench: {}={s}", c.name),
            None => println!("bench: {}=none", c.name),
        }
    }
    breakdowns(rows, &keypress_parts, &switch_parts, &nic_parts);
    if bench.instructions {
        // Instruction counts are not costs: the targets are about cycles.
        println!("bench: targets: judged in cycles only (make bench)");
    } else {
        print!("bench: targets:");
        for (i, c) in all.iter().filter(|c| c.target.is_some()).enumerate() {
            let limit = Hundredths(c.target.unwrap_or(0));
            print!("{} {} <= {limit} {}", if i == 0 { "" } else { "," }, c.name, c.verdict());
        }
        println!();
    }
    println!("bench: done");
}

/// Where each missed ratio's cycles beyond its parts go (medians; `rest`
/// is what no row explains). Not targets: reading aids for the README.
fn breakdowns(rows: &Rows, keypress_parts: &Figures, switch_parts: &Figures, nic_parts: &Figures) {
    let m = median;
    let rest = |total: u64, parts: &[u64]| total.saturating_sub(parts.iter().sum());
    let (parts, decode, keypress) = (m(keypress_parts), m(&rows.decode), m(&rows.keypress));
    println!(
        "bench: keypress breakdown: parts={parts} decode={decode} rest={} (sum {keypress})",
        rest(keypress, &[parts, decode])
    );
    let (floor, segments, getpid) = (m(&rows.user_floor), m(&rows.segment_loads), m(&rows.getpid));
    println!(
        "bench: syscall breakdown: user_floor={floor} segment_loads={segments} rest={} (sum \
         {getpid})",
        rest(getpid, &[floor, segments])
    );
    let (parts, fpu, switch) = (m(switch_parts), m(&rows.fpu_swap), m(&rows.switch));
    let kernel_entry = getpid.saturating_sub(floor);
    println!(
        "bench: switch breakdown: parts={parts} fpu_swap={fpu} syscall_path={kernel_entry} \
         rest={} (sum {switch})",
        rest(switch, &[parts, fpu, kernel_entry])
    );
    // The datagram: its parts, the kernel's top half beyond the floor's
    // (stub, dispatcher, on_irq), smoltcp's poll, and the rest: the
    // switch to the reader and its socket call (copies, the way back).
    let (parts, path, stack) = (m(nic_parts), m(&rows.nic.path), m(&rows.nic.stack));
    let top_half = m(&rows.nic.irq11_path).saturating_sub(m(&rows.nic.irq11_floor));
    println!(
        "bench: nic breakdown: parts={parts} top_half={top_half} stack={stack} rest={} (sum \
         {path})",
        rest(path, &[parts, top_half, stack])
    );
}

/// Under `bench=icount`: the path, step by step, in instructions, each
/// step the difference of two rows (exact: every slice counts the same).
fn steps(rows: &Rows) {
    let m = |f: &Figures| median(f) as i64;
    println!("== the path step by step: instructions executed (exact under -icount) ==");
    let step = |label: &str, count: i64, how: &str| println!("{label:<52} {count:>7}  {how}");
    step("int + iretd: the floor", m(&rows.floor), "floor");
    step(
        "stub, isr_common, trap_dispatch, an empty handler",
        m(&rows.dispatch) - m(&rows.floor),
        "dispatch - floor",
    );
    // A hardware IRQ has no `int` instruction: add it back.
    step(
        "IRQ 1: the keyboard handler beyond an empty one",
        m(&rows.irq1_path) + 1 - m(&rows.dispatch),
        "irq1 path + 1 - dispatch",
    );
    step("  of which: decoding one scancode", m(&rows.decode), "decode");
    step("  the least IRQ 1 handler (in, EOI, count, iretd)", m(&rows.irq1_floor), "irq1 floor");
    step(
        "echo: console lock, LSR poll, data write, VGA cell",
        m(&rows.keypress) - m(&rows.irq1_path),
        "keypress - irq1 path",
    );
    step("a whole key press", m(&rows.keypress), "keypress");
    step("a byte received on COM1, IRQ 4 to its echo", m(&rows.serial_echo), "serial");
    let nic = &rows.nic;
    step("a UDP datagram, IRQ 11 to recvfrom's return", m(&nic.path), "udp");
    step("  the least IRQ 11 handler (ICR, EOI x2, iretd)", m(&nic.irq11_floor), "irq11 floor");
    step(
        "  the kernel's top half beyond that",
        m(&nic.irq11_path) - m(&nic.irq11_floor),
        "irq11 path - irq11 floor",
    );
    step("  copying the payload once", m(&nic.copy), "payload copy");
    step("  iretd to ring 3", m(&nic.ring3_return), "ring-3 return");
    step("  smoltcp's poll: the datagram into its socket", m(&nic.stack), "stack");
    step(
        "  the rest: switch to the reader, its socket call",
        m(&nic.path) - m(&nic.irq11_path) - m(&nic.stack) - m(&nic.copy) - m(&nic.ring3_return),
        "udp - irq11 path - stack - copy - return",
    );
    step("ring 3: int + iretd through a DPL 3 gate", m(&rows.user_floor), "ring-3 floor");
    step(
        "getpid beyond the ring change",
        m(&rows.getpid) - m(&rows.user_floor),
        "syscall - ring-3 floor",
    );
    step(
        "a context switch beyond the ring change",
        m(&rows.switch) - m(&rows.switch_floor),
        "switch - ring-3 floor",
    );
    step("a timer tick (1 process ready)", m(&rows.timer_1), "timer 1");
    step(
        "  more with 8 processes ready",
        m(&rows.timer_many) - m(&rows.timer_1),
        "timer 8 - timer 1",
    );
}
