//! A fixed-size ring buffer between one interrupt handler (the producer)
//! and the code it interrupts (the consumer).
//!
//! Single producer, single consumer, no lock: the producer only writes
//! `head`, the consumer only writes `tail`, and each publishes its index
//! with Release after touching the slot, so the other side, reading the
//! index with Acquire, always sees a complete slot. That is what makes it
//! safe between an IRQ handler and the idle loop without disabling
//! interrupts: a lock here would deadlock when the IRQ arrives while the
//! consumer holds it.
//!
//! When the buffer is full, `push` refuses the new item and hands it back;
//! nothing already queued is overwritten. Counting what was refused is the
//! caller's job (the terminal counts dropped input).
//!
//! The same ring serves where a lock already makes the two sides take
//! turns: COM1's transmit queue (src/dev/uart.rs), behind the console's
//! lock.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};

pub struct Ring<T: Copy, const N: usize> {
    slots: UnsafeCell<[MaybeUninit<T>; N]>,
    /// Count of items ever pushed (wraps); only the producer writes it.
    head: AtomicUsize,
    /// Count of items ever popped (wraps); only the consumer writes it.
    tail: AtomicUsize,
}

// SAFETY: the head/tail protocol above gives each slot exactly one owner at
// a time, provided there is one producer and one consumer (documented on
// `push` and `pop`); T is Copy, so no drop runs on either side.
unsafe impl<T: Copy + Send, const N: usize> Sync for Ring<T, N> {}

impl<T: Copy, const N: usize> Ring<T, N> {
    const CAPACITY_OK: () = assert!(N.is_power_of_two(), "capacity must be a power of two");

    pub const fn new() -> Self {
        let () = Self::CAPACITY_OK;
        Ring {
            slots: UnsafeCell::new([MaybeUninit::uninit(); N]),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
        }
    }

    pub const fn capacity(&self) -> usize {
        N
    }

    pub fn len(&self) -> usize {
        self.head.load(Ordering::Acquire).wrapping_sub(self.tail.load(Ordering::Acquire))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `item`, or gives it back if the ring is full.
    /// Only one producer (one IRQ handler) may call this.
    pub fn push(&self, item: T) -> Result<(), T> {
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Acquire);
        if head.wrapping_sub(tail) == N {
            return Err(item);
        }
        // SAFETY: slot head % N is outside tail..head, so the consumer is
        // not reading it, and only this producer writes slots.
        unsafe { (*self.slots.get())[head % N] = MaybeUninit::new(item) };
        self.head.store(head.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// The oldest item, left in place. Only the consumer may call this.
    pub fn peek(&self) -> Option<T> {
        let tail = self.tail.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        // SAFETY: as in `pop`: the slot is published and not reused until
        // tail moves past it, which only this consumer does.
        Some(unsafe { (*self.slots.get())[tail % N].assume_init() })
    }

    /// Removes the oldest item. Only one consumer may call this.
    pub fn pop(&self) -> Option<T> {
        let tail = self.tail.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        // SAFETY: slot tail % N lies in tail..head: the producer wrote it
        // before publishing head (Release/Acquire) and will not touch it
        // again until tail moves past it.
        let item = unsafe { (*self.slots.get())[tail % N].assume_init() };
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Some(item)
    }
}

impl<T: Copy, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order() {
        let r: Ring<u32, 4> = Ring::new();
        assert!(r.is_empty());
        r.push(1).unwrap();
        r.push(2).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.peek(), Some(1));
        assert_eq!(r.len(), 2);
        assert_eq!(r.pop(), Some(1));
        assert_eq!(r.pop(), Some(2));
        assert_eq!(r.pop(), None);
    }

    #[test]
    fn full_ring_refuses_and_keeps_what_it_has() {
        let r: Ring<u8, 4> = Ring::new();
        for i in 0..4 {
            r.push(i).unwrap();
        }
        assert_eq!(r.push(9), Err(9));
        assert_eq!(r.len(), 4);
        let drained: std::vec::Vec<u8> = core::iter::from_fn(|| r.pop()).collect();
        assert_eq!(drained, [0, 1, 2, 3]);
    }

    #[test]
    fn indices_wrap_without_losing_items() {
        let r: Ring<usize, 8> = Ring::new();
        for i in 0..10_000 {
            r.push(i).unwrap();
            if i % 3 == 0 {
                r.push(i + 1_000_000).unwrap();
                assert_eq!(r.pop(), Some(i));
                assert_eq!(r.pop(), Some(i + 1_000_000));
            } else {
                assert_eq!(r.pop(), Some(i));
            }
        }
        assert!(r.is_empty());
    }

    #[test]
    fn producer_and_consumer_threads_agree() {
        // The same protocol as IRQ vs idle loop, with real concurrency.
        static R: Ring<u32, 64> = Ring::new();
        const COUNT: u32 = 200_000;
        let producer = std::thread::spawn(|| {
            let mut i = 0;
            while i < COUNT {
                if R.push(i).is_ok() {
                    i += 1;
                }
            }
        });
        let mut expected = 0;
        while expected < COUNT {
            if let Some(v) = R.pop() {
                assert_eq!(v, expected);
                expected += 1;
            }
        }
        producer.join().unwrap();
    }
}
