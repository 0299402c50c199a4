//! Which program the terminal's Ctrl-C is for.
//!
//! A terminal sends SIGINT to its foreground program when Ctrl-C is
//! typed. Here the user room says when a program runs in the foreground
//! (`set_foreground`); while one does, the keyboard handler turns Ctrl-C
//! into a pending request instead of a key, and the user room acts on it
//! at a safe moment (`take_interrupt`): on the way back to ring 3, or in
//! a blocked `read`. Without a foreground program Ctrl-C is an ordinary
//! key and is echoed as `<Ctrl-C>`.

use core::sync::atomic::{AtomicBool, Ordering};

/// A program runs in the foreground.
static FOREGROUND: AtomicBool = AtomicBool::new(false);
/// Ctrl-C was typed while it ran, and nobody acted on it yet.
static INTERRUPT: AtomicBool = AtomicBool::new(false);

/// Says whether a program now runs in the foreground. Clearing it also
/// drops a request nobody acted on.
pub fn set_foreground(running: bool) {
    FOREGROUND.store(running, Ordering::Relaxed);
    if !running {
        INTERRUPT.store(false, Ordering::Relaxed);
    }
}

/// Records a Ctrl-C for the foreground program. Returns false (and
/// records nothing) when there is none: then Ctrl-C is an ordinary key.
pub fn request_interrupt() -> bool {
    let running = FOREGROUND.load(Ordering::Relaxed);
    if running {
        INTERRUPT.store(true, Ordering::Relaxed);
    }
    running
}

/// Whether a Ctrl-C waits to be acted on.
pub fn interrupt_pending() -> bool {
    INTERRUPT.load(Ordering::Relaxed)
}
