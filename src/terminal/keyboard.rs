//! IRQ 1: a byte from the keyboard controller becomes a queued key.
//!
//! The dispatcher calls `on_irq` for vector 0x21. It reads the byte
//! (src/dev/i8042.rs), feeds it to the scancode decoder (`keys`), and hands
//! the key to `input::arrived`, which queues it and wakes a reader.
//! That is all it does: the slow part, echoing, happens later with
//! interrupts enabled (src/terminal/mod.rs). Two keys are the kernel's, not
//! a program's: F12 and F11 are recorded as requests to print the
//! interrupt counters and the process table at the next safe point.

use core::sync::atomic::{AtomicU8, Ordering};
use spin::Mutex;

use super::keys::{Decoder, Key};
use crate::dev::i8042;
use crate::interrupt::TrapFrame;

/// Only IRQ 1 uses the decoder; the lock is never contended.
static DECODER: Mutex<Decoder> = Mutex::new(Decoder::new());

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
    // ring 3 (`terminal::show_requested`).
    if key == COUNTERS_KEY {
        REQUESTS.fetch_or(SHOW_COUNTERS, Ordering::Relaxed);
        return;
    }
    if key == PROCESSES_KEY {
        REQUESTS.fetch_or(SHOW_PROCESSES, Ordering::Relaxed);
        return;
    }
    // LAB 4 BEGIN: hand the key to the top half's queue
    super::input::arrived(super::input::Input::Key(key));
    //~ // YOUR CODE HERE: queue the key for the bottom half, which wakes a
    //~ // reader too (src/terminal/input.rs). Nothing slow here: no printing.
    //~ let _ = key;
    // LAB 4 END
}

/// What F12 and F11 asked to be shown, not shown yet (bits below).
static REQUESTS: AtomicU8 = AtomicU8::new(0);
pub const SHOW_COUNTERS: u8 = 1 << 0;
pub const SHOW_PROCESSES: u8 = 1 << 1;

/// Takes the pending show requests (SHOW_* bits), clearing them.
pub fn take_requests() -> u8 {
    REQUESTS.swap(0, Ordering::Relaxed)
}
