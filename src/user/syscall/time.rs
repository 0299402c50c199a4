//! Clocks and sleeps: clock_gettime, nanosleep, clock_nanosleep, and
//! their 64-bit-time twins (Linux kernel/time/posix-timers.c,
//! hrtimer.c, time.c for the timespec checks).

use super::errno::{EFAULT, EINVAL, EOPNOTSUPP};
use super::services::{Clock, Fault, Services};
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
pub(super) fn read_timespec(at: u32, wide: bool, kernel: &mut impl Services) -> Result<u64, i32> {
    let mut raw = [0u8; 16];
    let size = if wide { 16 } else { 8 };
    let user = UserRange::new(at, size).ok_or(EFAULT)?;
    kernel.copy_from_user(user, &mut raw[..size as usize]).map_err(|Fault| EFAULT)?;
    let (seconds, nanoseconds) = if wide {
        abi::timespec64_in(&raw)
    } else {
        abi::timespec_in(raw[..8].try_into().expect("8 bytes"))
    };
    timespec_nanoseconds(seconds, nanoseconds).ok_or(EINVAL)
}

/// (tv_sec, tv_nsec) as nanoseconds, if they make a time Linux accepts
/// (timespec64_valid): seconds not negative, nanoseconds in 0..10^9.
/// A time too far off for 64 bits of nanoseconds (585 years) is clamped,
/// as Linux clamps it: such a sleep never ends either way.
pub(super) fn timespec_nanoseconds(seconds: i64, nanoseconds: i64) -> Option<u64> {
    if seconds < 0 || !(0..NANOS as i64).contains(&nanoseconds) {
        return None;
    }
    Some((seconds as u64).saturating_mul(NANOS).saturating_add(nanoseconds as u64))
}

pub(super) fn nanosleep(request: u32, remaining: u32, kernel: &mut impl Services) -> i32 {
    match read_timespec(request, false, kernel) {
        Ok(length) => kernel.sleep(length),
        Err(errno) => return -errno,
    }
    // Linux writes `remaining` only when a signal cuts the sleep short
    // (-EINTR); here nothing does (a Ctrl-C ends the process instead), so
    // it is left alone, as Linux leaves it after a full sleep.
    let _ = remaining;
    0
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
pub(super) fn sleep_clock(id: u32) -> Result<Clock, i32> {
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
        | CLOCK_TAI => Err(EOPNOTSUPP),
        _ if (id as i32) < 0 => Err(EOPNOTSUPP),
        _ => Err(EINVAL),
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
) -> i32 {
    let clock = match sleep_clock(clock) {
        Ok(clock) => clock,
        Err(errno) => return -errno,
    };
    let time = match read_timespec(request, wide, kernel) {
        Ok(time) => time,
        Err(errno) => return -errno,
    };
    if flags & TIMER_ABSTIME == 0 {
        kernel.sleep(time);
    } else {
        let now = kernel.now(clock);
        if time > now {
            kernel.sleep(time - now);
        }
    }
    let _ = remaining;
    0
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
pub(super) fn readable_clock(id: u32) -> Option<Clock> {
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
pub(super) fn clock_gettime(clock: u32, out: u32, wide: bool, kernel: &mut impl Services) -> i32 {
    let Some(clock) = readable_clock(clock) else { return -EINVAL };
    let size = if wide { 16 } else { 8 };
    let Some(user) = UserRange::new(out, size) else { return -EFAULT };
    let now = kernel.now(clock);
    let result = if wide {
        kernel.copy_to_user(&abi::timespec64(now), user)
    } else {
        kernel.copy_to_user(&abi::timespec(now), user)
    };
    result.map_or(-EFAULT, |()| 0)
}
