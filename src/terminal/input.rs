//! The top half's end of the terminal: the queue both input IRQs fill,
//! and the one decision that cannot wait for the bottom half.
//!
//! IRQ 1 (src/terminal/keyboard.rs) and IRQ 4 (src/terminal/serial.rs)
//! each hand what they received to `arrived`. The bottom half
//! (src/terminal/mod.rs) takes it from `INPUT` later.

use super::keys::Key;

/// One piece of input, as queued between an IRQ and the bottom half.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// A key from the PS/2 keyboard (IRQ 1).
    Key(Key),
    /// A byte received on COM1 (IRQ 4).
    Byte(u8),
}

/// Input queued between the IRQs and the bottom half.
pub const QUEUE_SIZE: usize = 256;

/// The byte that stops the foreground program (Ctrl-C, ETX), from either
/// input.
pub const INTERRUPT_BYTE: u8 = 0x03;

impl Input {
    /// Whether this is Ctrl-C.
    pub fn is_interrupt(self) -> bool {
        matches!(self, Input::Key(Key::Char('\u{3}')) | Input::Byte(INTERRUPT_BYTE))
    }

    /// The key the kernel's own echo shows for this input. A byte from
    /// COM1 is shown as the key that would have typed it: `\r` (what a
    /// terminal sends for Enter) as Enter, DEL (what it sends for
    /// Backspace) as Backspace. None for a byte of a multi-byte UTF-8
    /// character, which the echo passes through as it is.
    pub fn echo_key(self) -> Option<Key> {
        match self {
            Input::Key(key) => Some(key),
            Input::Byte(b'\r') => Some(Key::Char('\n')),
            Input::Byte(0x7F) => Some(Key::Char('\u{8}')),
            Input::Byte(byte) if byte.is_ascii() => Some(Key::Char(char::from(byte))),
            Input::Byte(_) => None,
        }
    }
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use super::{Input, QUEUE_SIZE};
    use crate::console;
    use crate::ring::Ring;
    use crate::sched::{self, Channel};

    /// The channel a process waiting for input sleeps on; the input IRQs
    /// wake it.
    pub const CONSOLE: Channel = Channel(1);
    /// The channel a process waiting for room in COM1's transmit queue
    /// sleeps on; IRQ 4 wakes it when the queue is half empty.
    pub const OUTPUT: Channel = Channel(2);

    /// Input from both IRQs, waiting for the bottom half. Two producers,
    /// IRQ 1 and IRQ 4, share this single-producer ring safely: both run
    /// with interrupts off (interrupt gates), on one CPU, so one never
    /// interrupts the other. The one consumer is whichever bottom half
    /// runs (idle loop, way back to ring 3, `read`); kernel code is never
    /// preempted, so two of them never overlap.
    pub static INPUT: Ring<Input, QUEUE_SIZE> = Ring::new();
    /// Keys that found `INPUT` full. (COM1 bytes never do: IRQ 4 asks
    /// `has_room` before it takes a byte from the UART.)
    static DROPPED_KEYS: AtomicU32 = AtomicU32::new(0);
    /// IRQ 4 paused COM1's receiving for want of room.
    static SERIAL_PAUSED: AtomicBool = AtomicBool::new(false);

    /// The top half's one entry, from IRQ 1 and IRQ 4: Ctrl-C stops the
    /// foreground program at once; everything (Ctrl-C too, so that the
    /// line discipline can echo it and throw the line away) is queued, and
    /// a reader is woken. Input that finds the queue full is counted and
    /// dropped: nothing already queued is overwritten or reordered.
    pub fn arrived(input: Input) {
        if input.is_interrupt() {
            let foreground = sched::foreground_pid();
            if foreground != 0 {
                sched::interrupt(foreground);
            }
        }
        if INPUT.push(input).is_err() {
            DROPPED_KEYS.fetch_add(1, Ordering::Relaxed);
        }
        sched::wakeup(CONSOLE);
    }

    /// Whether `INPUT` can take one more input (for IRQ 4).
    pub fn has_room() -> bool {
        INPUT.len() < QUEUE_SIZE
    }

    /// Records that IRQ 4 paused COM1's receiving (flow control).
    pub fn pause_serial() {
        SERIAL_PAUSED.store(true, Ordering::Relaxed);
    }

    /// The bottom half, after taking input: lets COM1 receive again once
    /// the queue is at most half full, so that the bytes waiting in the
    /// UART's FIFO (and behind it, the sender's) come in.
    pub fn resume_serial_if_room() {
        crate::cpu::without_interrupts(|| {
            if SERIAL_PAUSED.load(Ordering::Relaxed) && INPUT.len() <= QUEUE_SIZE / 2 {
                SERIAL_PAUSED.store(false, Ordering::Relaxed);
                console::serial_resume_receiving();
            }
        });
    }

    /// Keys lost to a full queue since boot.
    pub fn dropped_keys() -> u32 {
        DROPPED_KEYS.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_inputs_know_ctrl_c() {
        assert!(Input::Key(Key::Char('\u{3}')).is_interrupt());
        assert!(Input::Byte(INTERRUPT_BYTE).is_interrupt());
        assert!(!Input::Byte(b'c').is_interrupt());
    }

    #[test]
    fn serial_bytes_echo_as_the_keys_that_typed_them() {
        assert_eq!(Input::Byte(b'\r').echo_key(), Some(Key::Char('\n')));
        assert_eq!(Input::Byte(0x7F).echo_key(), Some(Key::Char('\u{8}')));
        assert_eq!(Input::Byte(b'a').echo_key(), Some(Key::Char('a')));
        assert_eq!(Input::Byte(0x01).echo_key(), Some(Key::Char('\u{1}')));
        // Part of a UTF-8 character: passed through as it is.
        assert_eq!(Input::Byte(0xC3).echo_key(), None);
    }
}
