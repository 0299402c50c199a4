//! The 8253/8254 Programmable Interval Timer, channel 0 (IRQ 0).
//!
//! Intel 82C54 datasheet: a 1.193182 MHz input clock divided by a 16-bit
//! reload value. Channel 0 in mode 2 (rate generator) pulses its output
//! once per reload, which the PIC turns into IRQ 0. This module owns the
//! divisor arithmetic (pure, host-tested), the programming sequence and
//! the tick counter; it never sends an EOI (the dispatcher does), and
//! what a tick means for the running program is the user room's business.

use core::sync::atomic::{AtomicU64, Ordering};

/// Input clock of the PIT, in Hz (from the PC's 14.31818 MHz / 12).
pub const PIT_INPUT_HZ: u32 = 1_193_182;
/// Default interrupt rate.
pub const DEFAULT_HZ: u32 = 100;
/// Slowest rate: the largest reload value, 65536, written as 0.
pub const MIN_HZ: u32 = PIT_INPUT_HZ.div_ceil(65536);
/// Fastest rate this kernel accepts (a 1 kHz timer is plenty to watch,
/// and much faster makes the emulated machine spend its time in IRQ 0).
pub const MAX_HZ: u32 = 10_000;

/// Channel 0 data port (reload value, low byte then high byte).
pub const PIT_CHANNEL0: u16 = 0x40;
/// Mode/command register (write only).
pub const PIT_COMMAND: u16 = 0x43;

/// Command byte: select channel 0 (bits 6-7).
pub const CMD_CHANNEL0: u8 = 0 << 6;
/// Command byte: access mode lobyte/hibyte (bits 4-5).
pub const CMD_ACCESS_LOHI: u8 = 3 << 4;
/// Command byte: operating mode 2, rate generator (bits 1-3).
pub const CMD_MODE_RATE_GENERATOR: u8 = 2 << 1;
/// Command byte: binary counting, not BCD (bit 0).
pub const CMD_BINARY: u8 = 0;

/// A rate outside MIN_HZ..=MAX_HZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange;

/// The reload value for `hz` interrupts per second, rounded to nearest,
/// and the rate it really gives in millihertz. Errors outside
/// MIN_HZ..=MAX_HZ.
pub fn divisor_for(hz: u32) -> Result<(u16, u32), OutOfRange> {
    if !(MIN_HZ..=MAX_HZ).contains(&hz) {
        return Err(OutOfRange);
    }
    // LAB 5 BEGIN: the reload value for hz, and the rate it really gives
    let divisor = (PIT_INPUT_HZ + hz / 2) / hz;
    let actual_mhz = (u64::from(PIT_INPUT_HZ) * 1000 / u64::from(divisor)) as u32;
    //~ // YOUR CODE HERE: the divisor of the PIT's input clock (PIT_INPUT_HZ)
    //~ // nearest to hz, and the rate that divisor really gives, in mHz.
    //~ // (0 programs the slowest rate the PIT has: 65536, about 18.2 Hz.)
    //~ let divisor = 0;
    //~ let actual_mhz = 18_206;
    // LAB 5 END
    // A reload value of 65536 is programmed as 0.
    Ok((divisor as u16, actual_mhz))
}

/// The PIT's channel 0 is wired to IRQ 0.
pub const IRQ: u8 = 0;

/// Ticks since the timer started.
static TICKS: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds since the timer started: each tick adds the period the
/// timer was programmed with when it came (the benchmark changes it).
static UPTIME_NS: AtomicU64 = AtomicU64::new(0);
/// The period of one tick now, in nanoseconds, and the rate in Hz.
static TICK_NS: AtomicU64 = AtomicU64::new(0);
static HZ: AtomicU64 = AtomicU64::new(DEFAULT_HZ as u64);

/// Ticks counted so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Nanoseconds of timer time since it started: CLOCK_MONOTONIC.
pub fn uptime_ns() -> u64 {
    UPTIME_NS.load(Ordering::Relaxed)
}

/// The length of one tick now, in nanoseconds.
pub fn tick_ns() -> u64 {
    TICK_NS.load(Ordering::Relaxed)
}

/// Ticks per second now (rounded).
pub fn hz() -> u32 {
    HZ.load(Ordering::Relaxed) as u32
}

/// Counts one tick: called by the IRQ 0 handler, once per interrupt.
pub fn count_tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
    UPTIME_NS.fetch_add(TICK_NS.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The length of a tick with reload value `divisor` (0 stands for 65536),
/// in nanoseconds.
pub fn period_ns(divisor: u16) -> u64 {
    let reload = if divisor == 0 { 65536 } else { u64::from(divisor) };
    reload * 1_000_000_000 / u64::from(PIT_INPUT_HZ)
}

/// Programs channel 0 to fire IRQ 0 every `divisor` input clocks.
#[cfg(target_os = "none")]
pub fn start(divisor: u16) {
    use x86::io::outb;
    TICK_NS.store(period_ns(divisor), Ordering::Relaxed);
    HZ.store(1_000_000_000 / period_ns(divisor).max(1), Ordering::Relaxed);
    // SAFETY: the PIT ports exist on every PC; this sequence (command byte
    // then low and high reload byte) only reprograms channel 0.
    unsafe {
        outb(PIT_COMMAND, CMD_CHANNEL0 | CMD_ACCESS_LOHI | CMD_MODE_RATE_GENERATOR | CMD_BINARY);
        outb(PIT_CHANNEL0, divisor as u8);
        outb(PIT_CHANNEL0, (divisor >> 8) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hundred_hertz() {
        assert_eq!(divisor_for(100), Ok((11932, 99_998)));
        assert_eq!(CMD_CHANNEL0 | CMD_ACCESS_LOHI | CMD_MODE_RATE_GENERATOR | CMD_BINARY, 0x34);
    }

    #[test]
    fn tick_periods() {
        assert_eq!(period_ns(11932), 10_000_150); // 100 Hz is really 99.998 Hz
        assert_eq!(period_ns(1193), 999_847);
        assert_eq!(period_ns(0), 54_925_401); // the slowest: 65536 clocks
    }

    #[test]
    fn limits() {
        assert_eq!(MIN_HZ, 19);
        assert!(divisor_for(18).is_err());
        assert!(divisor_for(0).is_err());
        assert!(divisor_for(MAX_HZ + 1).is_err());
        assert_eq!(divisor_for(19).unwrap().0, 62799);
        assert_eq!(divisor_for(1000), Ok((1193, 1_000_152)));
    }
}
