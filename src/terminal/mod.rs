//! The terminal: input from the keyboard, and what each key means.
//!
//! Mechanism below, policy here, as in xv6's console: the keyboard
//! handler (`keyboard`) only decodes (`keys`) and queues (`ring`); this
//! module decides what a queued key does. When no program runs, the
//! kernel echoes it (`echo_pending`, called from the idle loop): a
//! character as itself, anything else by name. (F12, the interrupt
//! counters, and F11, the process table, never reach the queue: the
//! keyboard handler records them and `show_requested` prints them at the
//! next safe point.) When programs run, the keys go to the
//! foreground process, the oldest one alive (lowest pid): its `read`
//! takes them. Any other process that reads waits, blocked, until it is
//! the foreground one (until the older ones have ended). Ctrl-C ends the
//! foreground process.
//!
//! Input is stored by the interrupt handler and delivered later to the
//! program waiting for it: `read` sleeps on the `CONSOLE` channel, and
//! the keyboard IRQ wakes it (src/sched/process.rs: `sleep_on`,
//! `wakeup`). A blocked reader takes no CPU time at all.

pub mod keys;
pub mod ring;

#[cfg(target_os = "none")]
pub mod keyboard;

#[cfg(target_os = "none")]
pub use self::keyboard::CONSOLE;

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::keyboard::{self, dropped, CONSOLE, KEYS};
    use super::keys::{self, Echo};
    use crate::interrupt::report;
    use crate::{console, print, println, sched};

    /// Prints what F12 (the interrupt counters) and F11 (the process
    /// table) asked for since the last call. Called at the safe points:
    /// the idle loop, and on the way back to ring 3 (src/user/mod.rs), so
    /// that they work while a busy program has the CPU.
    pub fn show_requested() {
        let requests = keyboard::take_requests();
        if requests == 0 {
            return;
        }
        let out = |args: core::fmt::Arguments| console::_print(args);
        console::start_line();
        if requests & keyboard::SHOW_COUNTERS != 0 {
            report::print_counts(&out);
        }
        if requests & keyboard::SHOW_PROCESSES != 0 {
            sched::print_table(&out);
        }
    }

    /// Echoes every queued key, then reports keys dropped since the last
    /// call. Runs in the idle loop with interrupts enabled.
    pub fn echo_pending(reported_drops: &mut u32) {
        while let Some(key) = KEYS.pop() {
            if let Some((bytes, len)) = keys::plain_echo(key) {
                // The common case, a character: its bytes, no formatting.
                console::write_bytes(&bytes[..len]);
            } else {
                print!("{}", Echo(key));
            }
        }
        let drops = dropped();
        if drops != *reported_drops {
            println!(
                "\nkeyboard: queue full, {} key(s) dropped ({} since boot)",
                drops - *reported_drops,
                drops
            );
            *reported_drops = drops;
        }
    }

    /// Whether the idle loop has something to echo.
    pub fn echo_waiting(reported_drops: u32) -> bool {
        !KEYS.is_empty() || dropped() != reported_drops
    }

    /// A `read` ended by Ctrl-C before any key came.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Interrupted;

    /// Waits, blocked, until the calling process is the foreground one
    /// and a key is queued, then fills `buf` with the bytes of as many
    /// whole keys as fit (a key that does not fit is left for the next
    /// read); returns how many bytes. A Ctrl-C for the process ends the
    /// wait instead. Called from the `read` system call, with interrupts
    /// off (an interrupt gate led there).
    pub fn read(buf: &mut [u8]) -> Result<usize, Interrupted> {
        loop {
            if sched::with_current(|p| p.interrupted) {
                return Err(Interrupted);
            }
            if sched::current_pid() == sched::foreground_pid() {
                let mut filled = 0;
                while let Some(key) = KEYS.peek() {
                    let (bytes, len) = keys::bytes(key);
                    let room = buf.len() - filled;
                    if len > room && filled > 0 {
                        break; // the next read gets it
                    }
                    let len = len.min(room);
                    buf[filled..filled + len].copy_from_slice(&bytes[..len]);
                    filled += len;
                    KEYS.pop();
                }
                if filled > 0 {
                    return Ok(filled);
                }
            }
            // The keyboard IRQ (or the end of an older process, or a
            // Ctrl-C) wakes us; then look again.
            sched::sleep_on(CONSOLE);
        }
    }
}
