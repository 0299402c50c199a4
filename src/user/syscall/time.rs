//! Clocks and sleeps: clock_gettime, nanosleep, clock_nanosleep, and
//! their 64-bit-time twins (Linux kernel/time/posix-timers.c,
//! hrtimer.c, time.c for the timespec checks).

use super::errno::{Errno, SysResult};
use super::services::{Clock, Services};
use crate::user::abi::{self, NANOS};
use crate::user::umem::UserRange;

/// clock_gettime's clocks (Linux include/uapi/linux/time.h).
pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
pub const CLOCK_MONOTONIC_RAW: u32 = 4;
/// REALTIME and MONOTONIC as of the last tick: cheaper on Linux, and
/// what glibc's time() reads.
pub const CLOCK_REALTIME_COARSE: u32 = 5;
pub const CLOCK_MONOTONIC_COARSE: u32 = 6;
/// MONOTONIC plus the time spent suspended.
pub const CLOCK_BOOTTIME: u32 = 7;
pub const CLOCK_REALTIME_ALARM: u32 = 8;
pub const CLOCK_BOOTTIME_ALARM: u32 = 9;
/// 10 is unused (CLOCK_SGI_CYCLE, removed); 11 is the last clock Linux has.
pub const CLOCK_TAI: u32 = 11;
/// clock_nanosleep's flag: the time is the clock's reading to wake at,
/// not a length.
pub const TIMER_ABSTIME: u32 = 1;

/// The timespec a program passed at `at` (64-bit fields if `wide`), in
/// nanoseconds: Err(EFAULT) if it cannot be read, Err(EINVAL) if it is
/// not a time (see `timespec_nanoseconds`).
fn read_timespec(at: u32, wide: bool, kernel: &mut impl Services) -> Result<u64, Errno> {
    let mut raw = [0u8; 16];
    let size = if wide { 16 } else { 8 };
    let user = UserRange::new(at, size).ok_or(Errno::EFAULT)?;
    kernel.copy_from_user(user, &mut raw[..size as usize])?;
    let (seconds, nanoseconds) = if wide {
        abi::timespec64_in(&raw)
    } else {
        abi::timespec_in(raw[..8].try_into().expect("8 bytes"))
    };
    timespec_nanoseconds(seconds, nanoseconds).ok_or(Errno::EINVAL)
}

/// (tv_sec, tv_nsec) as nanoseconds, if they make a time Linux accepts
/// (timespec64_valid): seconds not negative, nanoseconds in 0..10^9.
/// A time too far off for 64 bits of nanoseconds (585 years) is clamped,
/// as Linux clamps it: such a sleep never ends either way.
fn timespec_nanoseconds(seconds: i64, nanoseconds: i64) -> Option<u64> {
    if seconds < 0 || !(0..NANOS as i64).contains(&nanoseconds) {
        return None;
    }
    Some((seconds as u64).saturating_mul(NANOS).saturating_add(nanoseconds as u64))
}

pub(super) fn nanosleep(request: u32, remaining: u32, kernel: &mut impl Services) -> SysResult {
    let length = read_timespec(request, false, kernel)?;
    kernel.sleep(length);
    // Linux writes `remaining` only when a signal cuts the sleep short
    // (-EINTR); here nothing does (a Ctrl-C ends the process instead), so
    // it is left alone, as Linux leaves it after a full sleep.
    let _ = remaining;
    Ok(0)
}

/// The clock clock_nanosleep sleeps on for a clock id, or the errno
/// Linux gives: -EINVAL for an id that names no clock, -EOPNOTSUPP for
/// one that cannot be slept on. Linux sleeps on CPU-time clocks (2, and
/// the negative ids that name another process's or thread's CPU time;
/// glibc passes CLOCK_PROCESS_CPUTIME_ID as one of those) and on
/// CLOCK_TAI too. This kernel keeps no TAI, and can read a process's CPU
/// time but not wake it when that reaches a value (its sleep is a wait
/// for ticks, which a sleeper does not use up), so those are
/// -EOPNOTSUPP here, as the raw, coarse and alarm clocks are on Linux
/// (checked with int 0x80 from a 32-bit program on Linux 6.18).
fn sleep_clock(id: u32) -> Result<Clock, Errno> {
    match id {
        CLOCK_REALTIME => Ok(Clock::Realtime),
        // No suspend, so boot time is monotonic time (as in readable_clock).
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => Ok(Clock::Monotonic),
        CLOCK_PROCESS_CPUTIME_ID
        | CLOCK_THREAD_CPUTIME_ID
        | CLOCK_MONOTONIC_RAW
        | CLOCK_REALTIME_COARSE
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_REALTIME_ALARM
        | CLOCK_BOOTTIME_ALARM
        | CLOCK_TAI => Err(Errno::EOPNOTSUPP),
        _ if (id as i32) < 0 => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EINVAL),
    }
}

/// clock_nanosleep (267), and clock_nanosleep_time64 (407), the same with
/// a 64-bit timespec. glibc's sleep(), usleep() and nanosleep() are
/// clock_nanosleep on CLOCK_REALTIME (glibc 2.36 uses 267 while the
/// seconds fit in 32 bits, 407 beyond). Refused, they return at once:
/// sleep(1) gave 1, "a second not slept", without waiting. The raw call
/// answers -errno like every other; glibc's clock_nanosleep() returns it
/// as a positive number, nanosleep() as -1 and errno. Checks in Linux's
/// order: the clock, then the timespec's page, then its value.
///
/// TIMER_ABSTIME: sleep until the clock reads the time given. Both
/// clocks here are the tick count plus a constant, so that is a sleep of
/// (time - now), which the tick rounding only lengthens; a time already
/// past returns at once. Other flag bits are ignored, as Linux ignores
/// them. `remaining`, as for nanosleep, is never written.
pub(super) fn clock_nanosleep(
    clock: u32,
    flags: u32,
    request: u32,
    remaining: u32,
    wide: bool,
    kernel: &mut impl Services,
) -> SysResult {
    let clock = sleep_clock(clock)?;
    let time = read_timespec(request, wide, kernel)?;
    if flags & TIMER_ABSTIME == 0 {
        kernel.sleep(time);
    } else {
        let now = kernel.now(clock);
        if time > now {
            kernel.sleep(time - now);
        }
    }
    let _ = remaining;
    Ok(0)
}

/// The clock behind a clock id that clock_gettime reads, or None for one
/// it does not know. Every clock here is as fine as the timer tick, so a
/// coarse clock is its precise twin. glibc's time() is clock_gettime64 on
/// CLOCK_REALTIME_COARSE when there is no vDSO (there is none here), and
/// without an answer it returns -1 or stack garbage, so that
/// srand(time(NULL)) gets no real seed. The machine never suspends, so
/// boot time is monotonic time; nothing slews the clock (no NTP), so the
/// raw clock is monotonic time too. A process has one thread, so its
/// thread's CPU time is its own: glibc's clock() reads
/// CLOCK_PROCESS_CPUTIME_ID, and without an answer returns -1, which a
/// student's `(end - start) / CLOCKS_PER_SEC` turns into nonsense.
fn readable_clock(id: u32) -> Option<Clock> {
    match id {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Some(Clock::Realtime),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_COARSE | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME => {
            Some(Clock::Monotonic)
        }
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => Some(Clock::CpuTime),
        _ => None,
    }
}

/// clock_gettime, and clock_gettime64, its 64-bit-time twin, which glibc
/// 2.34 and later try first on i386 (falling back on -ENOSYS).
pub(super) fn clock_gettime(
    clock: u32,
    out: u32,
    wide: bool,
    kernel: &mut impl Services,
) -> SysResult {
    let clock = readable_clock(clock).ok_or(Errno::EINVAL)?;
    let size = if wide { 16 } else { 8 };
    let user = UserRange::new(out, size).ok_or(Errno::EFAULT)?;
    let now = kernel.now(clock);
    if wide {
        kernel.copy_to_user(&abi::timespec64(now), user)?;
    } else {
        kernel.copy_to_user(&abi::timespec(now), user)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::syscall::fake::{Fake, BASE, SIZE};
    use std::vec::Vec;
    use Errno::*;

    #[test]
    fn nanosleep_and_clock_gettime_use_two_word_timespecs() {
        let mut k = Fake::new();
        k.memory[..8].copy_from_slice(&[0, 0, 0, 0, 0x00, 0x65, 0xcd, 0x1d]); // 0 s, 500,000,000 ns
        k.memory[8..16].copy_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
        let before = k.clock;
        assert_eq!(nanosleep(BASE, BASE + 8, &mut k), Ok(0));
        assert_eq!(k.clock - before, 500_000_000);
        // As on Linux: the remaining time is written only for an interrupted sleep.
        assert_eq!((k.word(BASE + 8), k.word(BASE + 12)), (1, 1));
        assert_eq!(clock_gettime(CLOCK_MONOTONIC, BASE + 16, false, &mut k), Ok(0));
        assert_eq!((k.word(BASE + 16), k.word(BASE + 20)), (5, 500_000_000));
        assert_eq!(clock_gettime(CLOCK_REALTIME, BASE + 16, false, &mut k), Ok(0));
        assert_eq!(k.word(BASE + 16), 1_700_000_005);
    }

    #[test]
    fn bad_timespecs_and_clocks() {
        let mut k = Fake::new();
        k.memory[..8].copy_from_slice(&[0, 0, 0, 0, 0x00, 0xca, 0x9a, 0x3b]); // tv_nsec = 1e9
        assert_eq!(nanosleep(BASE, 0, &mut k), Err(EINVAL));
        k.memory[..8].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]); // tv_sec = -1
        assert_eq!(nanosleep(BASE, 0, &mut k), Err(EINVAL));
        assert_eq!(nanosleep(0xC000_0000, 0, &mut k), Err(EFAULT));
        assert_eq!(clock_gettime(CLOCK_TAI, BASE, false, &mut k), Err(EINVAL));
        // The process's CPU time, as glibc's clock() asks for it.
        assert_eq!(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, BASE, false, &mut k), Ok(0));
        assert_eq!((k.word(BASE), k.word(BASE + 4)), (1, 0)); // 5 s / 5
        assert_eq!(clock_gettime(CLOCK_MONOTONIC, 0x10, false, &mut k), Err(EFAULT));
    }

    /// A 32-bit and a 64-bit timespec (seconds, nanoseconds) as a program
    /// lays them out.
    fn ts32(seconds: i32, nanoseconds: i32) -> Vec<u8> {
        [seconds.to_le_bytes(), nanoseconds.to_le_bytes()].concat()
    }
    fn ts64(seconds: i64, nanoseconds: i64) -> Vec<u8> {
        [seconds.to_le_bytes(), nanoseconds.to_le_bytes()].concat()
    }

    /// clock_nanosleep with its timespec at `at` and `remaining` at BASE + 64.
    fn sleep(k: &mut Fake, wide: bool, clock: u32, flags: u32, at: u32) -> SysResult {
        clock_nanosleep(clock, flags, at, BASE + 64, wide, k)
    }

    #[test]
    fn timespecs_are_times_only_in_linux_s_range() {
        assert_eq!(timespec_nanoseconds(2, 5), Some(2 * NANOS + 5));
        assert_eq!(timespec_nanoseconds(0, 999_999_999), Some(999_999_999));
        assert_eq!(timespec_nanoseconds(0, 1_000_000_000), None);
        assert_eq!(timespec_nanoseconds(0, -1), None);
        assert_eq!(timespec_nanoseconds(-1, 0), None);
        assert_eq!(timespec_nanoseconds(i64::MAX, 999_999_999), Some(u64::MAX), "clamped");
    }

    #[test]
    fn clock_nanosleep_sleeps_for_a_length_in_either_layout() {
        let mut k = Fake::new();
        // glibc's usleep(200000): clock_nanosleep(CLOCK_REALTIME, 0, {0, 2e8}).
        k.poke(BASE, &ts32(0, 200_000_000));
        k.poke(BASE + 64, &[0xaa; 16]);
        let before = k.clock;
        assert_eq!(sleep(&mut k, false, CLOCK_REALTIME, 0, BASE), Ok(0));
        assert_eq!(k.clock - before, 200_000_000);
        assert_eq!(k.memory[64..80], [0xaa; 16], "the remaining time is not written");
        // The 64-bit layout; the high half of tv_nsec is padding.
        k.poke(BASE, &ts64(1, 0x1_0000_0000 + 7));
        let before = k.clock;
        assert_eq!(sleep(&mut k, true, CLOCK_MONOTONIC, 0, BASE), Ok(0));
        assert_eq!(k.clock - before, NANOS + 7);
        // CLOCK_BOOTTIME is monotonic time here; flag bits but
        // TIMER_ABSTIME are ignored, as on Linux.
        k.poke(BASE, &ts32(3, 0));
        let before = k.clock;
        assert_eq!(sleep(&mut k, false, CLOCK_BOOTTIME, 2, BASE), Ok(0));
        assert_eq!(k.clock - before, 3 * NANOS);
    }

    #[test]
    fn clock_nanosleep_with_timer_abstime_sleeps_until_the_clock_reads_the_time() {
        let mut k = Fake::new(); // monotonic 5 s, realtime 1,700,000,005 s
        k.poke(BASE, &ts32(7, 250_000_000));
        let abs = TIMER_ABSTIME;
        assert_eq!(sleep(&mut k, false, CLOCK_MONOTONIC, abs, BASE), Ok(0));
        assert_eq!(k.now(Clock::Monotonic), 7_250_000_000);
        k.poke(BASE, &ts64(1_700_000_010, 0));
        assert_eq!(sleep(&mut k, true, CLOCK_REALTIME, abs, BASE), Ok(0));
        assert_eq!(k.now(Clock::Realtime), 1_700_000_010 * NANOS);
        // A time already past: back at once, without sleeping.
        let before = k.clock;
        k.poke(BASE, &ts32(1, 0));
        assert_eq!(sleep(&mut k, false, CLOCK_REALTIME, abs, BASE), Ok(0));
        assert_eq!(sleep(&mut k, false, CLOCK_MONOTONIC, abs, BASE), Ok(0));
        assert_eq!(k.clock, before);
    }

    #[test]
    fn clock_nanosleep_refuses_as_linux_in_linux_s_order() {
        let mut k = Fake::new();
        k.poke(BASE, &ts32(0, 1000));
        let before = k.clock;
        // Clocks Linux knows but this kernel cannot sleep on, and glibc's
        // CLOCK_PROCESS_CPUTIME_ID as it passes it (a CPU clock, -6).
        let unsupported = [2, 3, 4, 5, 6, 8, 9, 11, (-6i32) as u32];
        for clock in unsupported {
            assert_eq!(sleep(&mut k, false, clock, 0, BASE), Err(EOPNOTSUPP), "clock {clock}");
        }
        for clock in [10, 12, 1000] {
            assert_eq!(sleep(&mut k, true, clock, 0, BASE), Err(EINVAL), "clock {clock}");
        }
        // The clock is checked before the pointer, the pointer before the value.
        assert_eq!(sleep(&mut k, false, 12, 0, 0x10), Err(EINVAL));
        assert_eq!(sleep(&mut k, false, 0, 0, 0x10), Err(EFAULT));
        let last8 = BASE + SIZE - 8; // a 32-bit timespec fits, a 64-bit one does not
        assert_eq!(sleep(&mut k, true, 0, 0, last8), Err(EFAULT));
        k.poke(BASE, &ts32(0, 1_000_000_000));
        assert_eq!(sleep(&mut k, false, 1, 0, BASE), Err(EINVAL));
        k.poke(BASE, &ts32(-1, 0));
        assert_eq!(sleep(&mut k, false, 1, TIMER_ABSTIME, BASE), Err(EINVAL));
        k.poke(BASE, &ts64(-1, 0));
        assert_eq!(sleep(&mut k, true, 1, 0, BASE), Err(EINVAL));
        k.poke(BASE, &ts64(0, -1)); // the low half -1 too
        assert_eq!(sleep(&mut k, true, 1, 0, BASE), Err(EINVAL));
        assert_eq!(k.clock, before, "no refused call slept");
    }

    #[test]
    fn coarse_and_boot_clocks_read_their_precise_twins() {
        assert_eq!(readable_clock(CLOCK_REALTIME_COARSE), Some(Clock::Realtime));
        assert_eq!(readable_clock(CLOCK_MONOTONIC_COARSE), Some(Clock::Monotonic));
        assert_eq!(readable_clock(CLOCK_BOOTTIME), Some(Clock::Monotonic));
        // One thread per process: both CPU-time clocks are the process's.
        assert_eq!(readable_clock(CLOCK_PROCESS_CPUTIME_ID), Some(Clock::CpuTime));
        assert_eq!(readable_clock(CLOCK_THREAD_CPUTIME_ID), Some(Clock::CpuTime));
        let unread = [CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI, 10, 12];
        for id in unread {
            assert_eq!(readable_clock(id), None, "clock {id}");
        }
        // glibc's time(NULL): clock_gettime64(CLOCK_REALTIME_COARSE), or the
        // 32-bit call when that one is -ENOSYS.
        let mut k = Fake::new();
        let coarse = CLOCK_REALTIME_COARSE;
        assert_eq!(clock_gettime(coarse, BASE, true, &mut k), Ok(0));
        assert_eq!(k.memory[..16], abi::timespec64(1_700_000_005 * NANOS));
        assert_eq!(clock_gettime(coarse, BASE, false, &mut k), Ok(0));
        assert_eq!(k.word(BASE), 1_700_000_005);
        assert_eq!(clock_gettime(CLOCK_MONOTONIC_COARSE, BASE, false, &mut k), Ok(0));
        assert_eq!(k.word(BASE), 5);
    }

    #[test]
    fn clock_gettime64_uses_two_64_bit_words() {
        let mut k = Fake::new();
        assert_eq!(clock_gettime(CLOCK_REALTIME, BASE, true, &mut k), Ok(0));
        assert_eq!(k.memory[..16], abi::timespec64(1_700_000_005 * NANOS));
        assert_eq!(clock_gettime(99, BASE, true, &mut k), Err(EINVAL));
        assert_eq!(clock_gettime(CLOCK_MONOTONIC, BASE + SIZE - 8, true, &mut k), Err(EFAULT));
    }
}
