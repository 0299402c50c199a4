//! The CMOS real-time clock (Motorola MC146818), read once at boot: the
//! date and time CLOCK_REALTIME starts from.
//!
//! The RTC's registers are read through two ports: write the register's
//! index to 0x70, read its value at 0x71. The clock updates its registers
//! once a second; while register A's update-in-progress bit is set they
//! may be half written, so the reader waits for it to clear and reads
//! twice until two readings agree. Register B says whether the values are
//! BCD (the PC default) or binary, and whether hours run 12 or 24.
//! The conversion to seconds since 1970 is pure and host-tested.

use core::sync::atomic::{AtomicU64, Ordering};

/// Index register (O). Bit 7 also masks NMIs; this driver leaves it clear.
pub const CMOS_INDEX: u16 = 0x70;
/// Data register (I/O) of the register last selected.
pub const CMOS_DATA: u16 = 0x71;

pub const REG_SECONDS: u8 = 0x00;
pub const REG_MINUTES: u8 = 0x02;
pub const REG_HOURS: u8 = 0x04;
pub const REG_DAY: u8 = 0x07;
pub const REG_MONTH: u8 = 0x08;
pub const REG_YEAR: u8 = 0x09;
/// Register A: bit 7, update in progress.
pub const REG_A: u8 = 0x0A;
pub const A_UPDATE_IN_PROGRESS: u8 = 1 << 7;
/// Register B: bit 1, 24-hour mode; bit 2, binary (not BCD).
pub const REG_B: u8 = 0x0B;
const B_24_HOUR: u8 = 1 << 1;
const B_BINARY: u8 = 1 << 2;
/// In 12-hour mode, bit 7 of the hours register marks PM.
const HOUR_PM: u8 = 1 << 7;

/// A reading of the clock, as its registers hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub seconds: u8,
    pub minutes: u8,
    pub hours: u8,
    pub day: u8,
    pub month: u8,
    pub year: u8,
    pub status_b: u8,
}

fn from_bcd(value: u8) -> u8 {
    (value >> 4) * 10 + (value & 0x0F)
}

/// Days from 1970-01-01 to the given date (proleptic Gregorian).
pub fn days_since_epoch(year: i64, month: u32, day: u32) -> i64 {
    // Count years from March, so the leap day is the last of its year.
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * i64::from(m) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Seconds since 1970-01-01 00:00:00 UTC for a reading (years 2000-2099,
/// as a PC's RTC without a century register holds them). None for a
/// reading that is no valid date.
pub fn epoch_seconds(r: Reading) -> Option<u64> {
    let bcd = r.status_b & B_BINARY == 0;
    let value = |v: u8| if bcd { from_bcd(v) } else { v };
    let mut hours = value(r.hours & !HOUR_PM);
    if r.status_b & B_24_HOUR == 0 {
        // 12-hour mode: 12 AM is 0, 12 PM is 12.
        hours %= 12;
        if r.hours & HOUR_PM != 0 {
            hours += 12;
        }
    }
    let (seconds, minutes) = (value(r.seconds), value(r.minutes));
    let (day, month, year) = (value(r.day), value(r.month), value(r.year));
    let valid = seconds < 60
        && minutes < 60
        && hours < 24
        && (1..=31).contains(&day)
        && (1..=12).contains(&month)
        && year < 100;
    if !valid {
        return None;
    }
    let days = days_since_epoch(2000 + i64::from(year), u32::from(month), u32::from(day));
    let seconds =
        days * 86_400 + i64::from(hours) * 3600 + i64::from(minutes) * 60 + i64::from(seconds);
    u64::try_from(seconds).ok()
}

/// The RTC's time at boot, in seconds since the epoch (0 until read, or
/// if the clock gave nonsense).
static BOOT_EPOCH: AtomicU64 = AtomicU64::new(0);

pub fn boot_epoch_seconds() -> u64 {
    BOOT_EPOCH.load(Ordering::Relaxed)
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::*;
    use x86::io::{inb, outb};

    fn register(index: u8) -> u8 {
        // SAFETY: selecting a CMOS register and reading it has no effect
        // but the read; bit 7 of the index stays clear (NMIs unmasked).
        unsafe {
            outb(CMOS_INDEX, index);
            inb(CMOS_DATA)
        }
    }

    fn read_once() -> Reading {
        // Bounded: the bit is set for under 2 ms a second.
        for _ in 0..1_000_000 {
            if register(REG_A) & A_UPDATE_IN_PROGRESS == 0 {
                break;
            }
        }
        Reading {
            seconds: register(REG_SECONDS),
            minutes: register(REG_MINUTES),
            hours: register(REG_HOURS),
            day: register(REG_DAY),
            month: register(REG_MONTH),
            year: register(REG_YEAR),
            status_b: register(REG_B),
        }
    }

    /// Reads the clock (twice, until two readings agree) and keeps the
    /// time for CLOCK_REALTIME. Returns it, or None if it is no date.
    pub fn init() -> Option<u64> {
        let mut reading = read_once();
        for _ in 0..5 {
            let again = read_once();
            if again == reading {
                break;
            }
            reading = again;
        }
        let seconds = epoch_seconds(reading)?;
        BOOT_EPOCH.store(seconds, Ordering::Relaxed);
        Some(seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_the_epoch() {
        assert_eq!(days_since_epoch(1970, 1, 1), 0);
        assert_eq!(days_since_epoch(2000, 3, 1), 11_017);
        assert_eq!(days_since_epoch(2026, 11, 21), 20_778);
    }

    #[test]
    fn bcd_24_hour_reading() {
        // 2026-11-21 18:51:30, BCD, 24-hour (register B = 0x02).
        let r = Reading {
            seconds: 0x30,
            minutes: 0x51,
            hours: 0x18,
            day: 0x21,
            month: 0x11,
            year: 0x26,
            status_b: 0x02,
        };
        assert_eq!(epoch_seconds(r), Some(20_778 * 86_400 + 18 * 3600 + 51 * 60 + 30));
    }

    #[test]
    fn binary_12_hour_reading() {
        // 12:05 AM is 00:05; 12:05 PM is 12:05; 1 PM is 13.
        let base = Reading {
            seconds: 0,
            minutes: 5,
            hours: 12,
            day: 1,
            month: 1,
            year: 0,
            status_b: B_BINARY,
        };
        assert_eq!(epoch_seconds(base), Some(946_684_800 + 5 * 60));
        let pm = Reading { hours: 12 | HOUR_PM, ..base };
        assert_eq!(epoch_seconds(pm), Some(946_684_800 + 12 * 3600 + 5 * 60));
        let one_pm = Reading { hours: 1 | HOUR_PM, ..base };
        assert_eq!(epoch_seconds(one_pm), Some(946_684_800 + 13 * 3600 + 5 * 60));
    }

    #[test]
    fn nonsense_is_refused() {
        let r = Reading {
            seconds: 0x99,
            minutes: 0,
            hours: 0,
            day: 1,
            month: 1,
            year: 0,
            status_b: 0x02,
        };
        assert_eq!(epoch_seconds(r), None);
        let r = Reading {
            seconds: 0,
            minutes: 0,
            hours: 0,
            day: 0,
            month: 13,
            year: 0,
            status_b: 0x06,
        };
        assert_eq!(epoch_seconds(r), None);
    }
}
