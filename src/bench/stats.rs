//! The arithmetic of `make bench`: from raw TSC readings to the figures
//! in the table.
//!
//! Every row of the benchmark (src/bench/measure.rs) is measured the same
//! way: a batch runs the operation `iterations` times between two RDTSCs,
//! and the same loop without the operation (the overhead) right next to
//! it; the batch's figure is the difference per iteration.
//!
//! Rows that are compared are measured *side by side*: their slices take
//! turns (floor, dispatch, classic, floor, dispatch, classic, ...), and a
//! ratio is computed slice by slice, from figures taken a few
//! milliseconds apart. Under TCG the TSC follows host time, and the
//! host's speed drifts over seconds; a ratio of two rows measured seconds
//! apart carries that drift, a ratio of neighbours does not. The table
//! shows the median of the per-slice ratios and their spread (the middle
//! 90% of them).
//!
//! Pure logic, host-tested: no RDTSC and no port here.

use core::fmt;

/// Batches per row, after one warm-up batch. Each batch is cut into
/// SLICES slices, and every slice is a figure of its own: 175 per row.
/// In three sets of five runs on this shared VM, the median of 175
/// paired-slice ratios strayed at most 4.3%, 6.2% and 8.5% from the
/// five's median; the median of 25 ratios of per-batch medians (each
/// the median of 7 slices) strayed up to 11.5% (make bench-repeat;
/// README: Five runs in a row).
pub const BATCHES: usize = 25;

/// Slices per batch. The rows of a group take turns slice by slice.
pub const SLICES: usize = 7;

/// Iterations per slice of a batch of `iterations` (at least 1).
pub fn slice_iterations(iterations: u32) -> u32 {
    (iterations / SLICES as u32).max(1)
}

/// Slices per row in a run: every one a figure of its own.
pub const FIGURES: usize = BATCHES * SLICES;

/// The per-iteration figures of one row, slice by slice, in the order
/// they were measured. The slices of the rows of a group alternate, so
/// figure i of one row and figure i of another were measured next to
/// each other, microseconds apart.
pub type Figures = [u64; FIGURES];

/// Iterations per batch of `make bench` unless BENCH=N says otherwise.
pub const DEFAULT_ITERATIONS: u32 = 40_000;
/// Rows whose every iteration touches a slow device or waits for one
/// (the UART data write, a whole key press, a PIT tick) run this many
/// times fewer iterations per batch, so that a run writes a few thousand
/// bytes to COM1 rather than a few hundred thousand.
pub const DEVICE_DIVISOR: u32 = 50;
/// ... but never fewer than this many.
pub const MIN_DEVICE_ITERATIONS: u32 = 10;
/// ... nor more than this many: a device row keeps one figure per
/// iteration and reports their median (src/bench/measure.rs).
pub const MAX_SAMPLES: usize = 4096;

/// Iterations per batch of the device rows, for `iterations` of the rest.
pub fn device_iterations(iterations: u32) -> u32 {
    (iterations / DEVICE_DIVISOR).clamp(MIN_DEVICE_ITERATIONS, MAX_SAMPLES as u32)
}

/// Cycles per iteration of one batch: the loop with the operation took
/// `elapsed` cycles, the same loop without it `overhead` cycles, both over
/// `iterations` iterations. Rounded to the nearest cycle; 0 if the
/// overhead loop happened to be slower (noise on a near-free operation).
pub fn per_iteration(elapsed: u64, overhead: u64, iterations: u32) -> u64 {
    let iterations = u64::from(iterations.max(1));
    (elapsed.saturating_sub(overhead) + iterations / 2) / iterations
}

/// What a row reports: the median and the minimum of its batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub median: u64,
    pub min: u64,
}

impl Summary {
    /// Summarizes the per-iteration figures of a row's batches (sorts them
    /// in place). An even count takes the mean of the two middle ones.
    pub fn of(batches: &mut [u64]) -> Summary {
        if batches.is_empty() {
            return Summary::default();
        }
        batches.sort_unstable();
        let mid = batches.len() / 2;
        let median = if batches.len() % 2 == 1 {
            batches[mid]
        } else {
            (batches[mid - 1] + batches[mid]).div_ceil(2)
        };
        Summary { median, min: batches[0] }
    }

    /// The sum of several rows, median with median and min with min: the
    /// cost of doing each of them once.
    pub fn sum(parts: &[Summary]) -> Summary {
        parts.iter().fold(Summary::default(), |a, b| Summary {
            median: a.median + b.median,
            min: a.min + b.min,
        })
    }
}

/// `numerator / denominator`, shown with two decimals (rounded), as in
/// `bench: dispatch/floor=1.08`. A zero denominator shows as `inf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
}

impl Ratio {
    pub fn new(numerator: u64, denominator: u64) -> Ratio {
        Ratio { numerator, denominator }
    }

    /// The ratio in hundredths, rounded to nearest; None when undefined.
    pub fn hundredths(&self) -> Option<u64> {
        (self.denominator != 0)
            .then(|| (self.numerator * 100 + self.denominator / 2) / self.denominator)
    }

    /// Whether the ratio is at most `limit_hundredths` / 100, judged on the
    /// rounded figure that is printed (so the verdict matches the line).
    pub fn at_most(&self, limit_hundredths: u64) -> bool {
        self.hundredths().is_some_and(|h| h <= limit_hundredths)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hundredths() {
            Some(h) => write!(f, "{}.{:02}", h / 100, h % 100),
            None => f.write_str("inf"),
        }
    }
}

/// Several rows' figures added slice by slice: the cost of doing each of
/// them once, as measured side by side.
pub fn sum_per_slice(rows: &[&Figures]) -> Figures {
    let mut sum = [0; FIGURES];
    for row in rows {
        for (total, figure) in sum.iter_mut().zip(row.iter()) {
            *total += figure;
        }
    }
    sum
}

/// Paired slices at either end of a spread that it leaves out: 5% each
/// (8 of 175). A single slice is a few milliseconds; one that the host
/// interrupted (another VM's turn on the CPU) can read 5x too slow, and
/// would make every spread "0.2..9" and say nothing.
pub const TAIL_PERCENT: usize = 5;

/// A ratio measured slice by slice: the median of the per-slice ratios,
/// and where the middle 90% of them lie (the 5th and 95th percentiles),
/// all in hundredths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spread {
    pub median: u64,
    pub low: u64,
    pub high: u64,
}

impl Spread {
    /// `numerators[i] / denominators[i]` for every slice i: figures of
    /// two rows measured next to each other. A slice whose denominator
    /// is 0 measured nothing (a near-free operation, its loop overhead
    /// the larger that time) and is left out; None if every one is.
    pub fn of(numerators: &Figures, denominators: &Figures) -> Option<Spread> {
        let mut ratios = [0u64; FIGURES];
        let mut count = 0;
        for (&n, &d) in numerators.iter().zip(denominators) {
            if let Some(ratio) = Ratio::new(n, d).hundredths() {
                ratios[count] = ratio;
                count += 1;
            }
        }
        let ratios = &mut ratios[..count];
        let Summary { median, .. } = Summary::of(ratios);
        let tail = count * TAIL_PERCENT / 100;
        (count > 0).then(|| Spread { median, low: ratios[tail], high: ratios[count - 1 - tail] })
    }

    /// The verdict on a ratio against its floor (or the sum of its parts),
    /// with a target of `limit` hundredths. The operation includes its
    /// floor, so a median below 1.00 cannot be a cost: it is the
    /// measurement that failed.
    pub fn verdict(&self, limit: u64) -> Verdict {
        if self.median < 100 {
            Verdict::BelowFloor
        } else if self.median <= limit {
            Verdict::Met
        } else {
            Verdict::Missed
        }
    }
}

/// Hundredths shown with two decimals: 108 as `1.08`.
pub struct Hundredths(pub u64);

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Spread {
    /// As in the machine-readable line: `1.08 spread=1.05..1.12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} spread={}..{}",
            Hundredths(self.median),
            Hundredths(self.low),
            Hundredths(self.high)
        )
    }
}

/// What the table says about a ratio with a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    /// Below 1.00 against a floor: never "met".
    BelowFloor,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "MISSED",
            Verdict::BelowFloor => "MEASUREMENT FAILED (below its floor)",
        }
    }
}

/// TSC cycles per second from a calibration: `cycles` counted over
/// `ticks` timer ticks of a timer running at `timer_mhz` millihertz.
pub fn tsc_hz(cycles: u64, ticks: u64, timer_mhz: u32) -> u64 {
    if ticks == 0 {
        return 0;
    }
    (u128::from(cycles) * u128::from(timer_mhz) / (u128::from(ticks) * 1000)) as u64
}

/// `cycles` of a TSC running at `tsc_hz`, in microseconds (0 if unknown).
pub fn cycles_to_us(cycles: u64, tsc_hz: u64) -> u64 {
    if tsc_hz == 0 {
        return 0;
    }
    (u128::from(cycles) * 1_000_000 / u128::from(tsc_hz)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn device_rows_run_fewer_iterations_but_never_too_few() {
        assert_eq!(device_iterations(DEFAULT_ITERATIONS), 800);
        assert_eq!(device_iterations(crate::boot::cmdline::QUICK_ITERATIONS), 20);
        assert_eq!(device_iterations(1), MIN_DEVICE_ITERATIONS);
        assert_eq!(device_iterations(10_000_000), MAX_SAMPLES as u32);
        assert_eq!(slice_iterations(DEFAULT_ITERATIONS), 5_714);
        assert_eq!(slice_iterations(3), 1);
    }

    #[test]
    fn overhead_is_subtracted_per_iteration_and_rounded() {
        assert_eq!(per_iteration(60_000, 6_000, 100), 540);
        assert_eq!(per_iteration(1_049, 0, 10), 105);
        assert_eq!(per_iteration(1_044, 0, 10), 104);
        // A noisy overhead loop slower than the real one gives 0, not a wrap.
        assert_eq!(per_iteration(900, 1_000, 10), 0);
        assert_eq!(per_iteration(500, 0, 0), 500);
    }

    #[test]
    fn median_and_min_of_batches() {
        let mut odd = [540, 530, 9_000, 536, 538, 535, 600];
        assert_eq!(Summary::of(&mut odd), Summary { median: 538, min: 530 });
        let mut even = [10, 40, 20, 30];
        assert_eq!(Summary::of(&mut even), Summary { median: 25, min: 10 });
        assert_eq!(Summary::of(&mut []), Summary { median: 0, min: 0 });
        let parts = [Summary { median: 500, min: 490 }, Summary { median: 100, min: 95 }];
        assert_eq!(Summary::sum(&parts), Summary { median: 600, min: 585 });
    }

    #[test]
    fn ratios_print_two_rounded_decimals() {
        assert_eq!(Ratio::new(592, 536).to_string(), "1.10");
        assert_eq!(Ratio::new(1364, 536).to_string(), "2.54");
        assert_eq!(Ratio::new(1, 3).to_string(), "0.33");
        assert_eq!(Ratio::new(2, 3).to_string(), "0.67");
        assert_eq!(Ratio::new(125, 100).to_string(), "1.25");
        assert_eq!(Ratio::new(7, 0).to_string(), "inf");
    }

    #[test]
    fn targets_are_judged_on_the_printed_figure() {
        assert!(Ratio::new(1249, 1000).at_most(125)); // prints 1.25
        assert!(!Ratio::new(1255, 1000).at_most(125)); // prints 1.26
        assert!(!Ratio::new(1, 0).at_most(125));
    }

    #[test]
    fn parts_are_added_slice_by_slice() {
        let a: Figures = core::array::from_fn(|i| i as u64);
        let b: Figures = [10; FIGURES];
        let sum = sum_per_slice(&[&a, &b]);
        assert!(sum.iter().enumerate().all(|(i, &s)| s == i as u64 + 10));
        assert_eq!(sum_per_slice(&[]), [0; FIGURES]);
    }

    #[test]
    fn a_spread_is_the_median_of_per_slice_ratios() {
        // The host slowed down in slice 4: both rows' slices there are
        // slower, and their ratio is not disturbed. Ratios of the two
        // rows' medians would be 1.10 here too, but their slices need not
        // be neighbours: per slice, drift between slices cancels.
        let floor: Figures =
            core::array::from_fn(|i| if i == 3 { 2000 } else { 500 + i as u64 % 7 * 10 });
        let dispatch: Figures = core::array::from_fn(|i| floor[i] * 11 / 10);
        let s = Spread::of(&dispatch, &floor).unwrap();
        assert_eq!(s, Spread { median: 110, low: 110, high: 110 });
        assert_eq!(s.to_string(), "1.10 spread=1.10..1.10");
        // Two rows measured far apart: each slice a different ratio.
        // 500, 505, ..., 620: ratios 1.00, 1.01, ..., 1.24, 7 slices each.
        // The spread leaves out 8 slices at either end: 1.01..1.23.
        let drifted: Figures = core::array::from_fn(|i| 500 + (i as u64 * 7 % 25) * 5);
        let s = Spread::of(&drifted, &[500; FIGURES]).unwrap();
        assert_eq!((s.median, s.low, s.high), (112, 101, 123));
        assert_eq!(Spread::of(&drifted, &[0; FIGURES]), None);
        // A slice that measured nothing is left out, not the whole ratio.
        let mut floor = [500; FIGURES];
        floor[7] = 0;
        assert_eq!(Spread::of(&[600; FIGURES], &floor).unwrap().median, 120);
    }

    #[test]
    fn a_slice_the_host_interrupted_stays_out_of_the_spread() {
        // 8 slices at each end (5% of 175) are left out: 8 disturbed
        // slices, however far off, change neither end of the spread.
        let floor: Figures = [500; FIGURES];
        let path: Figures = core::array::from_fn(|i| match i {
            10..=17 => 5000,
            20..=27 => 50,
            _ => 600,
        });
        let s = Spread::of(&path, &floor).unwrap();
        assert_eq!(s, Spread { median: 120, low: 120, high: 120 });
        // A ninth is seen.
        let mut path = path;
        path[30] = 5000;
        assert_eq!(Spread::of(&path, &floor).unwrap().high, 1000);
    }

    #[test]
    fn below_its_floor_is_a_failed_measurement_never_met() {
        let s = |median| Spread { median, low: median, high: median };
        assert_eq!(s(76).verdict(125), Verdict::BelowFloor);
        assert_eq!(s(99).verdict(125), Verdict::BelowFloor);
        assert_eq!(s(100).verdict(125), Verdict::Met);
        assert_eq!(s(125).verdict(125), Verdict::Met);
        assert_eq!(s(126).verdict(125), Verdict::Missed);
        assert_eq!(Hundredths(5).to_string(), "0.05");
    }

    #[test]
    fn tsc_calibration_and_conversion() {
        // 1,000 ticks of a 1 kHz timer = 1 s.
        assert_eq!(tsc_hz(2_600_000_000, 1_000, 1_000_000), 2_600_000_000);
        // 100 ticks at 10,026.739 Hz (divisor 119) are 9.973 ms.
        assert_eq!(tsc_hz(25_930_800, 100, 10_026_739), 2_600_013_636);
        assert_eq!(tsc_hz(1, 0, 1), 0);
        assert_eq!(cycles_to_us(13_000_000, 2_600_000_000), 5_000);
        assert_eq!(cycles_to_us(13_000_000, 0), 0);
    }
}
