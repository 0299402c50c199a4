//! COM1, a 16550 UART at I/O port 0x3F8: the kernel's log and echo line.
//!
//! Register access, FIFO setup and the divisor come from the `uart_16550`
//! crate. What this module adds is the policy: 115200 8N1, FIFOs on, no
//! UART interrupts (the kernel only writes), and one line-status poll
//! before every byte, because Bochs' UART drops a byte written while the
//! transmit holding register is still full.

use uart_16550::backend::PioBackend;
use uart_16550::{Config, Uart16550};

/// I/O base of COM1.
pub const COM1: u16 = 0x3F8;
/// Transmit holding register (O) / receive buffer (I), with DLAB clear.
pub const COM1_DATA: u16 = COM1;
/// Line status register (I).
pub const COM1_LSR: u16 = COM1 + 5;

pub struct Serial {
    uart: Uart16550<PioBackend>,
}

impl Serial {
    /// Programs COM1, or returns None if no UART answers there: neither
    /// its scratch register (checked by `init`) nor a byte sent in loopback
    /// mode comes back. Without this check a missing UART would hang the
    /// first print, whose line-status poll never sees an empty transmitter.
    pub fn init() -> Option<Serial> {
        // SAFETY: 0x3F8..0x3FF are COM1's eight registers on a PC, and this
        // kernel owns them (only the console, behind its lock, uses them).
        let mut uart = unsafe { Uart16550::new_port(COM1) }.ok()?;
        let config = Config { baud_rate: uart_16550::BaudRate::Baud115200, ..Config::DEFAULT };
        uart.init(config).ok()?;
        uart.test_loopback().ok()?;
        Some(Serial { uart })
    }

    /// Sends one byte, waiting for the transmit holding register first.
    pub fn send(&mut self, byte: u8) {
        // try_send_byte reads the line status register once and writes the
        // byte only if the holding register is empty.
        while self.uart.try_send_byte(byte).is_err() {
            core::hint::spin_loop();
        }
    }
}
