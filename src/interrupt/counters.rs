//! How often each vector was delivered, like Linux's /proc/interrupts.
//!
//! A leaf: the dispatcher counts here, and anything may read the counts
//! (the F12 table, fatal reports, the tests), but this module uses nothing
//! of the kernel's own, so that counting can never call back into the
//! code being counted.

use core::sync::atomic::{AtomicU32, Ordering};

use super::vectors::NUM_VECTORS;

/// Deliveries per vector since boot.
static COUNTS: [AtomicU32; NUM_VECTORS] = [const { AtomicU32::new(0) }; NUM_VECTORS];

/// Spurious IRQs seen, [master IRQ 7, slave IRQ 15].
static SPURIOUS: [AtomicU32; 2] = [const { AtomicU32::new(0) }; 2];

/// How many times `vector` was delivered since boot.
pub fn count(vector: u8) -> u32 {
    COUNTS[usize::from(vector)].load(Ordering::Relaxed)
}

/// Counts one delivery of `vector`: a plain load and store, not a
/// `fetch_add` (which compiles to `lock inc`). On this one-CPU kernel no
/// one else can update the counter between the two: the dispatcher runs
/// with IF = 0 (every gate that reaches it is an interrupt gate, and the
/// count comes before any handler could enable interrupts), so the only
/// things that can interrupt it are an NMI and a fault. An NMI counts
/// vector 2 and cannot nest in itself (the CPU blocks NMIs until its
/// `iretd`); a fault in this code would be the kernel's end (and the
/// double-fault task never returns to it).
#[inline]
pub fn count_delivery(vector: u8) {
    let counter = &COUNTS[usize::from(vector)];
    counter.store(counter.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

/// Counts a spurious IRQ: on the master (IRQ 7) or the slave (IRQ 15).
pub fn count_spurious(slave: bool) {
    SPURIOUS[usize::from(slave)].fetch_add(1, Ordering::Relaxed);
}

/// Spurious IRQs seen: (IRQ 7 on the master, IRQ 15 on the slave).
pub fn spurious_counts() -> (u32, u32) {
    (SPURIOUS[0].load(Ordering::Relaxed), SPURIOUS[1].load(Ordering::Relaxed))
}
