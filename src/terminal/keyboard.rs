//! IRQ 1: a byte from the keyboard controller becomes a queued key.
//!
//! The dispatcher calls `on_irq` for vector 0x21. It reads the byte
//! (src/dev/i8042.rs), feeds it to the scancode decoder (`keys`), and
//! queues the key for whoever consumes keys: the kernel's echo
//! (`terminal::echo_pending`) or a program's `read` (`terminal::read`),
//! which it wakes. That is all it does: the slow part, printing, happens
//! later with interrupts enabled. One decision is made here, because it
//! cannot wait in the queue: Ctrl-C while a program runs is not queued
//! but sent to the foreground process (the oldest one alive), which ends
//! at its next safe point; F12 and F11 print the interrupt counters and
//! the process table at once, whoever runs.

use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

use super::keys::{Decoder, Key};
use super::ring::Ring;
use crate::dev::i8042;
use crate::interrupt::{report, TrapFrame};
use crate::sched::{self, Channel};

/// The channel a process waiting for keys sleeps on; IRQ 1 wakes it.
pub const CONSOLE: Channel = Channel(1);

/// Keys queued between IRQ 1 and the consumer.
pub const QUEUE_SIZE: usize = 256;

/// Decoded keys waiting for the consumer.
pub static KEYS: Ring<Key, QUEUE_SIZE> = Ring::new();
/// Keys that arrived while the queue was full.
static DROPPED: AtomicU32 = AtomicU32::new(0);
/// Only IRQ 1 uses the decoder; the lock is never contended.
static DECODER: Mutex<Decoder> = Mutex::new(Decoder::new());

/// The key that stops the foreground program.
pub const INTERRUPT_KEY: Key = Key::Char('\u{3}');

/// The key that prints the interrupt counters instead of being queued.
pub const COUNTERS_KEY: Key = Key::Named(pc_keyboard::KeyCode::F12);
/// The key that prints the process table.
pub const PROCESSES_KEY: Key = Key::Named(pc_keyboard::KeyCode::F11);

/// The IRQ 1 handler.
pub fn on_irq(_frame: &mut TrapFrame) {
    let scancode = i8042::read_data();
    let Some(key) = DECODER.lock().feed(scancode) else { return };
    // F12 and F11 ask the kernel, not a program, to show something; like
    // Linux's SysRq keys they are acted on here, at once, so that they
    // work while a busy program has the CPU.
    if key == COUNTERS_KEY || key == PROCESSES_KEY {
        let out = |args: core::fmt::Arguments| crate::console::_print(args);
        crate::console::start_line();
        if key == COUNTERS_KEY {
            report::print_counts(&out);
        } else {
            sched::print_table(&out);
        }
        return;
    }
    if key == INTERRUPT_KEY {
        let foreground = sched::foreground_pid();
        if foreground != 0 {
            sched::interrupt(foreground);
            return;
        }
    }
    if KEYS.push(key).is_err() {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
    // A process waiting in `read` can take it now.
    sched::wakeup(CONSOLE);
}

/// Keys lost to a full queue since boot.
pub fn dropped() -> u32 {
    DROPPED.load(Ordering::Relaxed)
}
