//! The keyboard: the i8042 PS/2 controller's IRQ 1 and the queue of keys.
//!
//! Path of a key press: the keyboard sends a scancode, the i8042 puts it
//! in its output buffer (port 0x60) and raises IRQ 1; the 8259 delivers
//! vector 0x21; `isr_common` calls `trap_dispatch`, which calls `on_irq`
//! below; `on_irq` reads port 0x60 (which also lets the controller raise
//! the next IRQ), decodes the byte and queues the key; the dispatcher
//! sends the EOI. The idle loop (src/main.rs) later takes the key out of
//! the queue and echoes it: the interrupt handler does the minimum, and
//! the slow serial output happens with interrupts enabled. While a user
//! program runs, it is the queue's consumer instead, through `read`
//! (src/user.rs), and Ctrl-C is not queued but stops the program.

use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;
use x86::io::{inb, outb};

use crate::keys::{self, Decoder, Echo, Key};
use crate::ring::Ring;
use crate::trapframe::TrapFrame;
use crate::vectors::{irq_vector, IRQ_KEYBOARD};
use crate::{pic, print, println, trap};

/// i8042 data port (I: scancode / controller output, O: data for a command).
pub const KBD_DATA: u16 = 0x60;
/// i8042 status register (I).
pub const KBD_STATUS: u16 = 0x64;
/// i8042 command register (O).
pub const KBD_COMMAND: u16 = 0x64;
/// Status bit: output buffer full (a byte waits at port 0x60).
pub const STATUS_OUTPUT_FULL: u8 = 1 << 0;
/// Status bit: input buffer full (the controller has not taken our last write).
pub const STATUS_INPUT_FULL: u8 = 1 << 1;
/// Controller command: the next byte written to port 0x60 is placed in the
/// output buffer as if the keyboard had sent it (and raises IRQ 1).
pub const CMD_WRITE_KEYBOARD_OUTPUT: u8 = 0xD2;

/// Keys queued between IRQ 1 and the consumer.
pub const QUEUE_SIZE: usize = 256;

/// Decoded keys waiting for the consumer (the idle loop's echo).
pub static KEYS: Ring<Key, QUEUE_SIZE> = Ring::new();
/// Keys that arrived while the queue was full.
static DROPPED: AtomicU32 = AtomicU32::new(0);
/// Only IRQ 1 uses the decoder; the lock is never contended.
static DECODER: Mutex<Decoder> = Mutex::new(Decoder::new());

/// Empties the controller's output buffer, then takes over IRQ 1.
pub fn init() {
    // SAFETY: reading the i8042's status and data ports has no effect
    // beyond consuming a stale byte (a key pressed during boot).
    unsafe {
        while inb(KBD_STATUS) & STATUS_OUTPUT_FULL != 0 {
            inb(KBD_DATA);
        }
    }
    trap::register(irq_vector(IRQ_KEYBOARD), on_irq);
    pic::unmask(IRQ_KEYBOARD);
}

/// IRQ 1: one byte from the controller.
fn on_irq(_frame: &mut TrapFrame) {
    // SAFETY: IRQ 1 means the output buffer holds a byte; reading port
    // 0x60 takes it. It must always be read, or the controller stays full
    // and never interrupts again.
    let scancode = unsafe { inb(KBD_DATA) };
    let Some(key) = DECODER.lock().feed(scancode) else { return };
    // Ctrl-C while a user program runs stops it (as a terminal's SIGINT
    // would): the key is not queued, only the request is recorded; the
    // dispatcher acts on it after the EOI (see user::interrupt_requested).
    if key == INTERRUPT_KEY && crate::user::request_interrupt() {
        return;
    }
    if KEYS.push(key).is_err() {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// The key that stops a running user program.
pub const INTERRUPT_KEY: Key = Key::Char('\u{3}');

/// Keys lost to a full queue since boot.
pub fn dropped() -> u32 {
    DROPPED.load(Ordering::Relaxed)
}

/// The key that prints the interrupt counters instead of being echoed.
pub const COUNTERS_KEY: Key = Key::Named(pc_keyboard::KeyCode::F12);

/// Echoes every queued key, then reports keys dropped since the last call.
/// Runs in the idle loop with interrupts enabled.
pub fn echo_pending(reported_drops: &mut u32) {
    while let Some(key) = KEYS.pop() {
        if let Some((bytes, len)) = keys::plain_echo(key) {
            // The common case, a character: its bytes, no formatting.
            crate::console::write_bytes(&bytes[..len]);
        } else if key == COUNTERS_KEY {
            println!();
            trap::print_counts(&|args| crate::console::_print(args));
        } else {
            print!("{}", Echo(key));
        }
    }
    let drops = dropped();
    if drops != *reported_drops {
        println!("\nkeyboard: queue full, {} key(s) dropped ({} since boot)", drops - *reported_drops, drops);
        *reported_drops = drops;
    }
}

/// Makes the controller present `byte` as if the keyboard had sent it,
/// raising IRQ 1: the tests and the benchmark drive the real interrupt
/// path this way. Waits for the controller to accept each write.
pub fn inject(byte: u8) {
    // SAFETY: i8042 command 0xD2 only fills the output buffer; waiting for
    // STATUS_INPUT_FULL to clear is the documented handshake.
    unsafe {
        while inb(KBD_STATUS) & STATUS_INPUT_FULL != 0 {}
        outb(KBD_COMMAND, CMD_WRITE_KEYBOARD_OUTPUT);
        while inb(KBD_STATUS) & STATUS_INPUT_FULL != 0 {}
        outb(KBD_DATA, byte);
    }
}
