//! The scheduler's decisions, as pure functions: which process runs next,
//! and whether the timer takes the CPU away from the one running.
//! Host-tested; src/sched/mod.rs applies them to the process table.

/// How the timer treats a running process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Round robin: after `quantum` ticks, a process that still runs
    /// makes way for the next ready one (`sched=rr`, the default).
    Preemptive,
    /// Cooperative: a process runs until it exits, yields, sleeps or
    /// blocks; the timer only counts (`sched=coop`).
    Cooperative,
}

/// Why the CPU went from one process to another: the last word of a
/// `sched=trace` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The timer: the running process used up its quantum.
    Quantum,
    /// It called sched_yield.
    Yield,
    /// It waits: for input, or in nanosleep.
    Block,
    /// It ended.
    Exit,
    /// The CPU was idle and a process became ready.
    Wake,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Quantum => "quantum",
            Reason::Yield => "yield",
            Reason::Block => "block",
            Reason::Exit => "exit",
            Reason::Wake => "wake",
        }
    }
}

/// The next process to run, round robin: the first ready slot after
/// `current`, wrapping around, `current` itself last. `ready(i)` says
/// whether slot i may run. None if no slot may.
pub fn next_ready(slots: usize, current: usize, ready: impl Fn(usize) -> bool) -> Option<usize> {
    (1..=slots).map(|step| (current + step) % slots).find(|&i| ready(i))
}

/// Whether a tick takes the CPU from a process that has run
/// `ticks_in_slice` ticks since it got the CPU, when `others_ready` says
/// another process could have it. The idle loop is never preempted this
/// way: it gives the CPU up by itself as soon as a process is ready.
pub fn preempt(mode: Mode, ticks_in_slice: u32, quantum: u32, others_ready: bool) -> bool {
    // LAB 7 BEGIN: when the timer takes the CPU away
    mode == Mode::Preemptive && others_ready && ticks_in_slice >= quantum
    //~ // YOUR CODE HERE: under round robin (Mode::Preemptive), a process that
    //~ // has used its quantum makes way, if another process is ready.
    //~ let _ = (mode, ticks_in_slice, quantum, others_ready);
    //~ false
    // LAB 7 END
}

/// The tick at which a sleep of `nanoseconds` started at tick `now` ends,
/// at `tick_ns` nanoseconds a tick: never earlier than asked (rounded up
/// to whole ticks), and at least the next tick for any sleep at all, so
/// that a sleeper always gives the CPU up.
pub fn wake_tick(now: u64, nanoseconds: u64, tick_ns: u64) -> u64 {
    // LAB 7 BEGIN: the tick a sleep ends at
    now + nanoseconds.div_ceil(tick_ns).max(1)
    //~ // YOUR CODE HERE: never earlier than asked, and at least the next tick.
    //~ let _ = (nanoseconds, tick_ns);
    //~ now
    // LAB 7 END
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_starts_after_the_current_slot_and_wraps() {
        let ready = [false, true, false, true];
        assert_eq!(next_ready(4, 1, |i| ready[i]), Some(3));
        assert_eq!(next_ready(4, 3, |i| ready[i]), Some(1));
        // The current slot comes last: it keeps the CPU only if alone.
        assert_eq!(next_ready(4, 1, |i| i == 1), Some(1));
        assert_eq!(next_ready(4, 0, |_| false), None);
    }

    #[test]
    fn every_ready_process_gets_a_turn() {
        let ready = [true, true, true];
        let mut current = 0;
        let mut order = std::vec::Vec::new();
        for _ in 0..6 {
            current = next_ready(3, current, |i| ready[i]).unwrap();
            order.push(current);
        }
        assert_eq!(order, [1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn only_a_preemptive_scheduler_with_someone_waiting_preempts() {
        assert!(preempt(Mode::Preemptive, 5, 5, true));
        assert!(!preempt(Mode::Preemptive, 4, 5, true));
        assert!(!preempt(Mode::Preemptive, 50, 5, false));
        assert!(!preempt(Mode::Cooperative, 50, 5, true));
    }

    #[test]
    fn sleeps_round_up_to_whole_ticks() {
        let tick = 10_000_000; // 100 Hz
        assert_eq!(wake_tick(1000, 500_000_000, tick), 1050);
        assert_eq!(wake_tick(1000, 500_000_001, tick), 1051);
        assert_eq!(wake_tick(1000, 1, tick), 1001);
        assert_eq!(wake_tick(1000, 0, tick), 1001);
    }
}
