//! The terminal: input from the keyboard, and what each key means.
//!
//! Mechanism below, policy here, as in xv6's console: the keyboard
//! handler (`keyboard`) only decodes (`keys`) and queues (`ring`); this
//! module decides what a queued key does. When no program reads, the
//! kernel echoes it (`echo_pending`, called from the idle loop): a
//! character as itself, F12 as the interrupt counters, anything else by
//! name. When a program reads (`read`, for the `read` system call), it
//! gets the key's bytes instead. Ctrl-C for a running program is handled
//! by `foreground`.

pub mod keys;
pub mod ring;

#[cfg(target_os = "none")]
pub mod foreground;
#[cfg(target_os = "none")]
pub mod keyboard;

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::foreground;
    use super::keyboard::{dropped, KEYS};
    use super::keys::{self, Echo, Key};
    use crate::interrupt::report;
    use crate::{console, cpu, print, println};

    /// The key that prints the interrupt counters instead of being echoed.
    pub const COUNTERS_KEY: Key = Key::Named(pc_keyboard::KeyCode::F12);

    /// Echoes every queued key, then reports keys dropped since the last
    /// call. Runs in the idle loop with interrupts enabled.
    pub fn echo_pending(reported_drops: &mut u32) {
        while let Some(key) = KEYS.pop() {
            if let Some((bytes, len)) = keys::plain_echo(key) {
                // The common case, a character: its bytes, no formatting.
                console::write_bytes(&bytes[..len]);
            } else if key == COUNTERS_KEY {
                println!();
                report::print_counts(&|args| console::_print(args));
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

    /// Blocks with interrupts enabled until a key is queued, then fills
    /// `buf` with the bytes of as many whole keys as fit (a key that does
    /// not fit is left for the next read); returns how many bytes. A
    /// pending Ctrl-C ends the wait instead. Called from the `read`
    /// system call, with interrupts off (an interrupt gate led there).
    pub fn read(buf: &mut [u8]) -> Result<usize, Interrupted> {
        loop {
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
            // Sleep until an IRQ (the keyboard's, or the timer's) and look
            // again: `sti; hlt` cannot miss an IRQ that comes in between.
            cpu::enable_interrupts_and_halt();
            cpu::disable_interrupts();
            if foreground::interrupt_pending() {
                return Err(Interrupted);
            }
        }
    }
}
