//! The i8042 PS/2 controller: where a key press enters the machine.
//!
//! The keyboard sends a scancode byte; the controller puts it in its
//! output buffer (port 0x60) and raises IRQ 1. Reading port 0x60 takes the
//! byte and lets the controller raise the next IRQ. This module owns the
//! ports and the controller's commands; decoding the byte and deciding
//! what the key means is the terminal's business (src/terminal/).

use x86::io::{inb, outb};

/// The controller's keyboard port is wired to IRQ 1.
pub const IRQ: u8 = 1;

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

/// Empties the output buffer: a key pressed during boot would otherwise
/// sit there, and the controller raises no new IRQ while it is full.
pub fn flush() {
    // SAFETY: reading the i8042's status and data ports has no effect
    // beyond consuming a stale byte.
    unsafe {
        while inb(KBD_STATUS) & STATUS_OUTPUT_FULL != 0 {
            inb(KBD_DATA);
        }
    }
}

/// Takes the byte waiting in the output buffer. The IRQ 1 handler must
/// call this on every interrupt: until the byte is read the controller
/// stays full and never interrupts again.
pub fn read_data() -> u8 {
    // LAB 4 BEGIN: take the byte from the controller
    // SAFETY: reading port 0x60 only takes the byte the controller holds.
    unsafe { inb(KBD_DATA) }
    //~ // YOUR CODE HERE: read the data port (in an unsafe block, with its
    //~ // SAFETY comment). Until it is read, the controller stays full and
    //~ // raises no other IRQ 1.
    //~ 0
    // LAB 4 END
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
