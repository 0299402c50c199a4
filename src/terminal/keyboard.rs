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
//! at its next safe point; F12 and F11 are recorded as requests to print
//! the interrupt counters and the process table at the next safe point.

use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use spin::Mutex;

use super::keys::{Decoder, Key};
use super::ring::Ring;
use crate::dev::i8042;
use crate::interrupt::TrapFrame;
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
    // F12 and F11 ask the kernel, not a program, to show something. They
    // are not queued (the queue may belong to a program that never reads
    // it); the request is recorded here, and the printing, which is slow,
    // is done at the next safe point: the idle loop, or the way back to
    // ring 3 (`terminal::show_requested`), like Ctrl-C.
    if key == COUNTERS_KEY {
        REQUESTS.fetch_or(SHOW_COUNTERS, Ordering::Relaxed);
        return;
    }
    if key == PROCESSES_KEY {
        REQUESTS.fetch_or(SHOW_PROCESSES, Ordering::Relaxed);
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

/// What F12 and F11 asked to be shown, not shown yet (bits below).
static REQUESTS: AtomicU8 = AtomicU8::new(0);
pub const SHOW_COUNTERS: u8 = 1 << 0;
pub const SHOW_PROCESSES: u8 = 1 << 1;

/// Takes the pending show requests (SHOW_* bits), clearing them.
pub fn take_requests() -> u8 {
    REQUESTS.swap(0, Ordering::Relaxed)
}

/// Keys lost to a full queue since boot.
pub fn dropped() -> u32 {
    DROPPED.load(Ordering::Relaxed)
}
