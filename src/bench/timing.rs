//! The benchmark's measuring machinery, shared by every group: the timed
//! loop and its overhead, the per-iteration median of the device rows,
//! the side-by-side schedule of a group's rows (`interleave`), and the
//! clock around an interrupt's delivery.
//!
//! Every figure is TSC counts: cycles, or instructions under `-icount
//! shift=0` (src/bench/measure.rs explains both).

use super::idt_copy::set_gate;
use super::stats::{self, Figures, Summary};
use crate::cpu::idt::{Gate, GateType, Ring};
use crate::cpu::{self, gdt};
use crate::interrupt::counters::count;

/// Spins before a wait for an interrupt is declared lost.
const WAIT_LIMIT: u32 = 50_000_000;

/// Cycles of `elapsed` RDTSC pairs; EDX:EAX halves to one number.
pub(super) fn tsc(low: u32, high: u32) -> u64 {
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
            core::arch::asm!(
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
        $crate::bench::timing::tsc(end_low, end_high)
            - $crate::bench::timing::tsc(start_low, start_high)
    }};
}

pub(super) use timed_loop;

/// Why a row could not be measured.
pub(super) type Failure = &'static str;

/// One batch of a row: its figure for one iteration.
pub(super) type Batch = Result<u64, Failure>;

/// A loop batch's figure: `elapsed` cycles of `n` iterations, less the
/// same loop without the operation, per iteration.
pub(super) fn minus_overhead(n: u32, elapsed: u64) -> u64 {
    stats::per_iteration(elapsed, overhead(n), n)
}

/// Where the device rows keep one figure per iteration (interrupts are
/// off, or only handlers that never touch it run, while it is held).
static SAMPLES: spin::Mutex<[u64; stats::MAX_SAMPLES]> = spin::Mutex::new([0; stats::MAX_SAMPLES]);

/// A device batch's figure: the median of `n` iterations (at most
/// MAX_SAMPLES), each timed on its own by `sample`. A row that waits for
/// an interrupt per iteration takes a few thousand cycles each time, and
/// one stolen by the host (a preempted QEMU thread: milliseconds) would
/// weigh more than all the others in a mean; in the median it is one of
/// many.
pub(super) fn median_of_iterations(
    n: u32,
    mut sample: impl FnMut() -> Result<u64, Failure>,
) -> Batch {
    let mut samples = SAMPLES.lock();
    let samples = &mut samples[..(n as usize).min(stats::MAX_SAMPLES)];
    for slot in samples.iter_mut() {
        *slot = sample()?;
    }
    Ok(Summary::of(samples).median)
}

/// A row of a group: its iterations per batch, and how to run a batch.
pub(super) struct Row<'a> {
    pub iterations: u32,
    pub batch: &'a mut dyn FnMut(u32) -> Batch,
}

/// Runs the rows of one group in turn: a warm-up batch each, then
/// BATCHES batches each, every batch cut into SLICES slices, and the
/// rows' slices alternate (floor, dispatch, classic, floor, dispatch,
/// ...). Writes every row's figure slice by slice into `figures`, so
/// that figure i of two rows were measured next to each other and a
/// ratio can be taken slice by slice: what the host does to one slice
/// (a slower second, another VM's turn on the CPU) it does to its
/// neighbour too, or the slice is one of the few a median leaves out.
pub(super) fn interleave<const R: usize>(
    mut rows: [Row<'_>; R],
    mut figures: [&mut Figures; R],
) -> Result<(), Failure> {
    for row in rows.iter_mut() {
        (row.batch)(row.iterations)?;
    }
    for slice in 0..stats::FIGURES {
        for (row, figures) in rows.iter_mut().zip(figures.iter_mut()) {
            figures[slice] = (row.batch)(stats::slice_iterations(row.iterations))?;
        }
    }
    Ok(())
}

/// The floor of a hardware IRQ: `raise` makes the device request it
/// (interrupts off), and it is delivered through the 8259 to `handler`, an
/// assembly handler of src/bench/stubs.rs (or nic.rs) that does only what any handler
/// of that device must (take the byte, EOI) and counts in `count`. Its
/// gate replaces the kernel's on `vector` for the batch.
pub(super) fn bare_irq_batch(
    n: u32,
    vector: u8,
    handler: u32,
    count: fn() -> u32,
    raise: impl Fn(),
    lost: Failure,
) -> Batch {
    let kernel_gate =
        set_gate(vector, Gate::new(handler, gdt::KERNEL_CODE, GateType::Interrupt32, Ring::Kernel));
    let figure = median_of_iterations(n, || {
        raise();
        let before = count();
        let start = cpu::rdtsc();
        cpu::enable_interrupts();
        let arrived = wait_until(|| count() != before);
        cpu::disable_interrupts();
        let path = cpu::rdtsc() - start;
        if !arrived {
            return Err(lost);
        }
        let before = count();
        let start = cpu::rdtsc();
        cpu::enable_interrupts();
        let _ = wait_until(|| count() == before);
        cpu::disable_interrupts();
        Ok(path.saturating_sub(cpu::rdtsc() - start))
    });
    set_gate(vector, kernel_gate);
    figure
}

/// The measuring loop alone: what every row subtracts.
pub(super) fn overhead(n: u32) -> u64 {
    timed_loop!(n, "", "")
}

/// Cycles from `sti` until an IRQ pending on `vector` has been delivered
/// and then `then` has run, with interrupts off again (before `then`, so
/// that no interrupt `then` causes, as the looped-back echo of a received
/// byte does, lands in the window); None if the IRQ never arrived.
pub(super) fn timed_delivery(vector: u8, then: impl FnOnce()) -> Option<u64> {
    let before = count(vector);
    let start = cpu::rdtsc();
    cpu::enable_interrupts(); // the IRQ is taken right after the next instruction
    let arrived = wait_until(|| count(vector) != before);
    cpu::disable_interrupts();
    then();
    let cycles = cpu::rdtsc() - start;
    arrived.then_some(cycles)
}

/// The same brackets as `timed_delivery` with nothing pending: what the
/// clock itself costs, subtracted from each delivery.
pub(super) fn timed_nothing(vector: u8) -> u64 {
    let before = count(vector);
    let start = cpu::rdtsc();
    cpu::enable_interrupts();
    let _ = wait_until(|| count(vector) == before);
    cpu::disable_interrupts();
    cpu::rdtsc() - start
}

/// Spins until `done` (true) or WAIT_LIMIT checks (false). When the
/// interrupt waited for has already happened, that is one check.
pub(super) fn wait_until(done: impl Fn() -> bool) -> bool {
    (0..WAIT_LIMIT).any(|_| done())
}
