//! COM1, a 16550 UART at I/O port 0x3F8: the kernel's log, and a terminal
//! line in both directions, by interrupt (IRQ 4).
//!
//! The `uart_16550` crate sets the line up (divisor for 115200 baud, 8N1)
//! and runs its loopback test. The interrupt side is written out here,
//! register by register, because it is what this kernel teaches:
//!
//! - **Receive.** IER enables the "received data" and "line status"
//!   interrupts; FCR turns the 16-byte FIFOs on with a receive trigger
//!   level of 8 bytes (the UART interrupts once 8 bytes wait, or when
//!   fewer have waited four character times: the "timeout" cause).
//! - **MCR.OUT2.** On a PC the UART's interrupt line reaches the 8259
//!   through a gate driven by the OUT2 modem-control bit. Bochs models the
//!   gate and raises IRQ 4 only when OUT2 is set; QEMU does not, so a
//!   kernel tested only on QEMU can forget it and silently get nothing on
//!   Bochs or on a real PC.
//! - **IIR.** One interrupt can have several causes; the interrupt
//!   identification register names the most urgent one pending. The
//!   handler (`Serial::on_interrupt`) reads it again after dealing with
//!   each, until it says none is left.
//! - **Flow control.** When the kernel's input queue is full, the handler
//!   stops taking bytes: it turns the receive interrupt off and drops RTS
//!   (`Handled::paused`), and the terminal turns both back on
//!   (`resume_receiving`) once it has room. Bytes then wait in the UART's
//!   FIFO instead of being read and thrown away. QEMU holds the sender
//!   back while the FIFO is full, so nothing is lost; on a real line the
//!   sender must honour RTS, or the FIFO overruns, which LSR reports and
//!   this driver counts.
//! - **Transmit.** Bytes to send wait in a software queue; the "THR empty"
//!   (THRE) interrupt says the UART's transmit FIFO has drained, and the
//!   handler refills it with up to 16 bytes. **THRE is enabled only while
//!   the queue holds bytes.** "Transmitter empty" is a state, not an
//!   event: it stays true while there is nothing to send. Left enabled
//!   with nothing queued, it asks the CPU for bytes no one has, and real
//!   16550s and their clones are known to keep asking (the classic bug
//!   of a driver that never turns it off); QEMU asks once and hides the
//!   mistake. Linux's 8250 driver turns it off the same way when its
//!   buffer runs empty. Turned off then, a THRE interrupt always means
//!   there is work.
//! - **Polling, still.** Before the interrupt path is switched on
//!   (`start_interrupts`), after a fatal error (`flush`), and when the
//!   queue is full, bytes are sent by polling the line status register:
//!   oldest first, so that no byte is lost or reordered. Bochs drops a byte
//!   written while the transmitter is full, so every polled write waits for
//!   THRE first.

#[cfg(target_os = "none")]
use crate::ring::Ring;

/// I/O base of COM1.
pub const COM1: u16 = 0x3F8;
/// COM1's interrupt line on the master 8259.
pub const IRQ: u8 = 4;

/// Receive buffer (I) / transmit holding register (O), with LCR.DLAB clear.
pub const COM1_DATA: u16 = COM1;
/// Interrupt enable register (I/O).
pub const COM1_IER: u16 = COM1 + 1;
/// Interrupt identification register (I) / FIFO control register (O).
pub const COM1_IIR: u16 = COM1 + 2;
pub const COM1_FCR: u16 = COM1 + 2;
/// Modem control register (I/O).
pub const COM1_MCR: u16 = COM1 + 4;
/// Line status register (I).
pub const COM1_LSR: u16 = COM1 + 5;
/// Modem status register (I).
pub const COM1_MSR: u16 = COM1 + 6;

/// IER bits: which conditions raise the UART's interrupt.
pub mod ier {
    pub const RECEIVED_DATA: u8 = 1 << 0;
    pub const THR_EMPTY: u8 = 1 << 1;
    pub const LINE_STATUS: u8 = 1 << 2;
}

/// FCR bits.
pub mod fcr {
    pub const ENABLE_FIFOS: u8 = 1 << 0;
    pub const CLEAR_RECEIVE: u8 = 1 << 1;
    pub const CLEAR_TRANSMIT: u8 = 1 << 2;
    /// Receive trigger level 8 bytes (bits 7:6 = 10; 00 = 1, 01 = 4,
    /// 11 = 14). Linux uses 8 for a 16550A: at 115200 baud it leaves eight
    /// bytes, 0.7 ms, for the interrupt to be served before an overrun;
    /// 14 would leave two.
    pub const TRIGGER_8: u8 = 0b10 << 6;
}

/// MCR bits.
pub mod mcr {
    pub const DTR: u8 = 1 << 0;
    pub const RTS: u8 = 1 << 1;
    /// Gates the UART's interrupt output onto IRQ 4 on a PC.
    pub const OUT2: u8 = 1 << 3;
    /// Loopback: what is sent comes back as received, and nothing leaves
    /// on the line (the benchmark's received-byte rows use it).
    pub const LOOPBACK: u8 = 1 << 4;
}

/// LSR bits.
pub mod lsr {
    pub const DATA_READY: u8 = 1 << 0;
    pub const OVERRUN: u8 = 1 << 1;
    pub const PARITY: u8 = 1 << 2;
    pub const FRAMING: u8 = 1 << 3;
    pub const BREAK: u8 = 1 << 4;
    /// The transmit holding register (with FIFOs: the whole FIFO) is empty.
    pub const THR_EMPTY: u8 = 1 << 5;
}

/// Bytes the transmit FIFO holds once THRE says it is empty.
pub const FIFO_SIZE: usize = 16;
/// Bytes queued for the THRE interrupt to send.
pub const TX_QUEUE_SIZE: usize = 4096;

/// Why the UART interrupted: the IIR's answer, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// An overrun, parity or framing error, or a break: read LSR.
    LineStatus,
    /// The receive FIFO reached its trigger level: read the data.
    ReceivedData,
    /// Bytes have waited in the receive FIFO for four character times
    /// without reaching the trigger level: read them.
    Timeout,
    /// The transmitter is empty: send more, or turn THRE off.
    TransmitEmpty,
    /// A modem line (CTS, DSR, RI, DCD) changed: read MSR.
    ModemStatus,
}

/// Decodes an IIR value: None when no interrupt is pending (bit 0 set).
pub fn cause(iir: u8) -> Option<Cause> {
    if iir & 1 != 0 {
        return None;
    }
    // Bits 3:1 are the interrupt's identity.
    Some(match (iir >> 1) & 0b111 {
        0b011 => Cause::LineStatus,
        0b010 => Cause::ReceivedData,
        0b110 => Cause::Timeout,
        0b001 => Cause::TransmitEmpty,
        // 0b000, and values a 16550 never gives (treated as the one
        // cause that is cleared by a harmless read).
        _ => Cause::ModemStatus,
    })
}

/// Whether an IIR value says the FIFOs are on (bits 7:6 both set; an 8250
/// or a 16450 has no FIFO and leaves them clear).
pub fn fifos_enabled(iir: u8) -> bool {
    iir & 0xC0 == 0xC0
}

/// Receive errors the line status register reported, counted since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineErrors {
    /// A byte arrived while the receive FIFO was full: that byte is lost.
    pub overrun: u32,
    pub parity: u32,
    /// A byte without its stop bit (wrong speed, noise).
    pub framing: u32,
    /// The line was held at 0 for longer than a byte.
    pub breaks: u32,
}

impl LineErrors {
    /// Counts the error bits of one LSR value.
    pub fn count(&mut self, status: u8) {
        let bit = |b: u8| u32::from(status & b != 0);
        self.overrun += bit(lsr::OVERRUN);
        self.parity += bit(lsr::PARITY);
        self.framing += bit(lsr::FRAMING);
        self.breaks += bit(lsr::BREAK);
    }
}

/// What one call of the interrupt handler did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handled {
    /// The transmit queue has room for writers waiting on it again.
    pub room: bool,
    /// Receiving was paused: the input queue had no room.
    pub paused: bool,
}

/// COM1's transmit side and its register access.
#[cfg(target_os = "none")]
pub struct Serial {
    /// What IER holds (written only through `set_ier`).
    ier: u8,
    /// Bytes waiting for THRE; used once `start_interrupts` has run.
    queue: Ring<u8, TX_QUEUE_SIZE>,
    by_interrupt: bool,
    /// Bytes the transmit FIFO takes after a THRE: 16, or 1 without FIFOs.
    burst: usize,
    /// Writes that found the queue full and polled out its oldest byte.
    pub polled: u32,
    /// Times receiving was paused for want of room (flow control).
    pub pauses: u32,
    pub errors: LineErrors,
}

#[cfg(target_os = "none")]
mod port {
    use x86::io::{inb, outb};

    pub fn read(port: u16) -> u8 {
        // SAFETY: callers pass COM1's registers (0x3F8..0x3FF), which this
        // driver owns; reads have no effect beyond the UART's own state.
        unsafe { inb(port) }
    }

    pub fn write(port: u16, value: u8) {
        // SAFETY: as in `read`: COM1's registers, owned by this driver.
        unsafe { outb(port, value) }
    }
}

#[cfg(target_os = "none")]
impl Serial {
    /// Programs COM1 for polled output, or returns None if no UART answers
    /// there: neither its scratch register (checked by `init`) nor a byte
    /// sent in loopback mode comes back. Without this check a missing UART
    /// would hang the first print, whose poll never sees THRE.
    pub fn init() -> Option<Serial> {
        use uart_16550::backend::PioBackend;
        use uart_16550::{BaudRate, Config, Uart16550};
        // SAFETY: 0x3F8..0x3FF are COM1's eight registers on a PC, and this
        // kernel owns them (only this driver, behind the console lock).
        let mut uart: Uart16550<PioBackend> = unsafe { Uart16550::new_port(COM1) }.ok()?;
        uart.init(Config { baud_rate: BaudRate::Baud115200, ..Config::DEFAULT }).ok()?;
        uart.test_loopback().ok()?;
        let mut serial = Serial {
            ier: 0,
            queue: Ring::new(),
            by_interrupt: false,
            burst: 1,
            polled: 0,
            pauses: 0,
            errors: LineErrors::default(),
        };
        serial.set_ier(0);
        Some(serial)
    }

    fn set_ier(&mut self, value: u8) {
        self.ier = value;
        port::write(COM1_IER, value);
    }

    /// Turns the interrupt path on: FIFOs with trigger level 8, OUT2, and
    /// the receive and line-status interrupts. The caller has registered
    /// the IRQ 4 handler; it unmasks IRQ 4 after this.
    pub fn start_interrupts(&mut self) {
        self.flush();
        port::write(COM1_FCR, fcr::ENABLE_FIFOS | fcr::CLEAR_RECEIVE | fcr::TRIGGER_8);
        port::write(COM1_MCR, mcr::DTR | mcr::RTS | mcr::OUT2);
        // Stale state from before: a byte, an error, a pending cause.
        while port::read(COM1_LSR) & lsr::DATA_READY != 0 {
            port::read(COM1_DATA);
        }
        self.burst = if fifos_enabled(port::read(COM1_IIR)) { FIFO_SIZE } else { 1 };
        port::read(COM1_MSR);
        self.set_ier(ier::RECEIVED_DATA | ier::LINE_STATUS);
        self.by_interrupt = true;
    }

    /// The FIFO depth found by `start_interrupts` (1 before it).
    pub fn fifo_depth(&self) -> usize {
        self.burst
    }

    /// Sends one byte: by queue and THRE interrupt once those are on, else
    /// by polling.
    pub fn send(&mut self, byte: u8) {
        if !self.by_interrupt {
            self.send_polled(byte);
            return;
        }
        if let Err(byte) = self.queue.push(byte) {
            // Full: the oldest byte goes out now, by polling, which makes
            // room for this one behind the rest. Order is kept.
            let oldest = self.queue.pop().expect("a full queue has an oldest byte");
            self.send_polled(oldest);
            self.polled += 1;
            let _ = self.queue.push(byte);
        }
        // LAB 8 BEGIN: start the draining: THRE on
        if self.ier & ier::THR_EMPTY == 0 {
            // Enabling THRE while the transmitter is empty raises the
            // interrupt at once (16550 datasheet; QEMU and Bochs both
            // model it), which starts the draining.
            self.set_ier(self.ier | ier::THR_EMPTY);
        }
        //~ // YOUR CODE HERE: the byte is queued; make sure IRQ 4 will come to
        //~ // send it (IER's THRE bit, through set_ier).
        // LAB 8 END
    }

    /// Room left in the transmit queue (all of it before interrupts).
    pub fn room(&self) -> usize {
        if self.by_interrupt {
            TX_QUEUE_SIZE - self.queue.len()
        } else {
            usize::MAX
        }
    }

    /// Waits for THRE, then writes the byte.
    fn send_polled(&mut self, byte: u8) {
        while port::read(COM1_LSR) & lsr::THR_EMPTY == 0 {
            core::hint::spin_loop();
        }
        port::write(COM1_DATA, byte);
    }

    /// Sends every queued byte by polling and goes back to polled output
    /// for good: for panics and fatal reports, which halt with interrupts
    /// off, and before QEMU is told to exit.
    pub fn flush(&mut self) {
        if self.ier & ier::THR_EMPTY != 0 {
            self.set_ier(self.ier & !ier::THR_EMPTY);
        }
        while let Some(byte) = self.queue.pop() {
            self.send_polled(byte);
        }
        self.by_interrupt = false;
    }

    /// Takes bytes again after a pause: the receive interrupt back on (the
    /// UART raises it at once if the FIFO reached its trigger level, else
    /// after the character timeout), and RTS up.
    pub fn resume_receiving(&mut self) {
        if self.ier & ier::RECEIVED_DATA == 0 {
            port::write(COM1_MCR, mcr::DTR | mcr::RTS | mcr::OUT2);
            self.set_ier(self.ier | ier::RECEIVED_DATA);
        }
    }

    /// Serves IRQ 4: asks IIR for the pending cause and deals with it,
    /// until IIR says none is left. Each received byte goes to `received`,
    /// as long as `room` says the input queue can take one more; when it
    /// cannot, receiving is paused (see Flow control, above).
    pub fn on_interrupt(
        &mut self,
        room: impl Fn() -> bool,
        mut received: impl FnMut(u8),
    ) -> Handled {
        let mut handled = Handled::default();
        // Each round clears the cause it handles; a UART that keeps
        // naming one (a broken chip, a stuck line) must not hold the CPU
        // forever, so the rounds are bounded. Such a UART holds its IRQ
        // line high, and the edge-triggered 8259 sees no new edge: COM1
        // goes quiet, where an unbounded loop would hang the kernel.
        for _ in 0..64 {
            match cause(port::read(COM1_IIR)) {
                None => break,
                Some(Cause::LineStatus) => self.errors.count(port::read(COM1_LSR)),
                Some(Cause::ReceivedData | Cause::Timeout) => {
                    // LAB 8 BEGIN: take every received byte
                    loop {
                        let status = port::read(COM1_LSR);
                        self.errors.count(status);
                        if status & lsr::DATA_READY == 0 {
                            break;
                        }
                        if !room() {
                            // No IER receive bit, no receive cause in IIR:
                            // the loop ends, and the bytes wait in the FIFO.
                            self.set_ier(self.ier & !ier::RECEIVED_DATA);
                            port::write(COM1_MCR, mcr::DTR | mcr::OUT2);
                            self.pauses += 1;
                            handled.paused = true;
                            break;
                        }
                        received(port::read(COM1_DATA));
                    }
                    //~ // YOUR CODE HERE: while LSR says a byte is ready (count its
                    //~ // errors), hand it to `received`. If there is no room(), stop
                    //~ // receiving instead: receive interrupt off, RTS dropped.
                    //~ let _ = (&room, &mut received, &mut handled);
                    // LAB 8 END
                }
                Some(Cause::TransmitEmpty) => {
                    // LAB 8 BEGIN: refill the transmitter, and the THRE rule
                    let before = self.queue.len();
                    for _ in 0..self.burst {
                        let Some(byte) = self.queue.pop() else { break };
                        port::write(COM1_DATA, byte);
                    }
                    if self.queue.is_empty() {
                        // The THRE rule: nothing to send, no THRE.
                        self.set_ier(self.ier & !ier::THR_EMPTY);
                    }
                    let half = TX_QUEUE_SIZE / 2;
                    handled.room |= before > half && self.queue.len() <= half;
                    //~ // YOUR CODE HERE: move up to self.burst queued bytes into the
                    //~ // transmitter; when the queue is empty, THRE off (the THRE rule);
                    //~ // set handled.room when the queue falls to half or less.
                    // LAB 8 END
                }
                Some(Cause::ModemStatus) => {
                    port::read(COM1_MSR);
                }
            }
        }
        handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iir_values_name_their_causes() {
        // With FIFOs on, bits 7:6 are set in every value.
        assert_eq!(cause(0xC1), None);
        assert_eq!(cause(0xC6), Some(Cause::LineStatus));
        assert_eq!(cause(0xC4), Some(Cause::ReceivedData));
        assert_eq!(cause(0xCC), Some(Cause::Timeout));
        assert_eq!(cause(0xC2), Some(Cause::TransmitEmpty));
        assert_eq!(cause(0xC0), Some(Cause::ModemStatus));
        // No UART at all reads as 0xFF: nothing pending, never a loop.
        assert_eq!(cause(0xFF), None);
        assert!(fifos_enabled(0xC1));
        assert!(!fifos_enabled(0x01));
    }

    #[test]
    fn line_errors_count_each_bit() {
        let mut e = LineErrors::default();
        e.count(lsr::DATA_READY | lsr::THR_EMPTY);
        assert_eq!(e, LineErrors::default());
        e.count(lsr::OVERRUN | lsr::FRAMING);
        e.count(lsr::PARITY | lsr::BREAK | lsr::OVERRUN);
        assert_eq!(e, LineErrors { overrun: 2, parity: 1, framing: 1, breaks: 1 });
    }
}
