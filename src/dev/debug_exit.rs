//! QEMU's `isa-debug-exit` device: a write to its port ends QEMU.
//!
//! The tests and `make bench` add `-device isa-debug-exit,iobase=0xf4,
//! iosize=0x04`; writing the value v to the port makes QEMU exit with
//! status (v << 1) | 1, so a script can tell pass from fail without
//! reading COM1. On a real PC or in Bochs nothing answers at the port,
//! the write is ignored and the kernel carries on.
//!
//! These values are the only copy: tests/harness.py reads them from this
//! file.

use x86::io::outb;

/// The device's I/O port (O).
pub const PORT: u16 = 0xF4;
/// Written when every test passed or the benchmark finished: exit status 33.
pub const PASSED: u8 = 0x10;
/// Written when a test failed or a benchmark row could not be measured:
/// exit status 35.
pub const FAILED: u8 = 0x11;

/// Asks QEMU to exit with status (`value` << 1) | 1. Returns only where
/// there is no such device.
pub fn exit(value: u8) {
    // SAFETY: port 0xF4 is unused on a PC; QEMU's debug-exit device, when
    // present, only ends the emulator.
    unsafe { outb(PORT, value) };
}
