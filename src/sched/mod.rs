//! Processes and the scheduler: the timer decides who runs.
//!
//! `process` owns the process table and the mechanism: making a process,
//! `schedule` (give the CPU to the next ready one), sleeping on a channel
//! and waking up, the timer tick, exit and reaping. `switch` is the
//! context switch itself, in assembly, with the picture of a kernel stack
//! at rest. `policy` is the decisions, pure and host-tested: round robin,
//! when the quantum is up, when a sleep ends.
//!
//! The life of one tick that switches (the README numbers it):
//! IRQ 0 -> `on_timer_tick` counts it, charges it to the running process,
//! wakes sleepers, and, if the quantum is used up and someone else is
//! ready, asks for a switch -> the dispatcher sends the EOI -> on the way
//! back to ring 3 the user room calls `preempt_point` -> `schedule` picks
//! the next process, loads its page directory and its ESP0, and
//! `switch_context` moves to its kernel stack -> that process returns
//! through its own interrupt path and `iretd`s into its own ring 3.
//!
//! This room uses the memory and interrupt rooms below it; the terminal
//! and the user room above use it (`sleep_on`, `wakeup`, `spawn`).

pub mod policy;

#[cfg(target_os = "none")]
pub mod process;
#[cfg(target_os = "none")]
pub mod switch;

#[cfg(target_os = "none")]
pub use self::process::*;
