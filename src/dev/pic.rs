//! The two cascaded 8259A Programmable Interrupt Controllers.
//!
//! Intel 8259A datasheet (order no. 231468): initialisation command words
//! ICW1-ICW4, operation command words OCW1 (mask), OCW2 (EOI) and OCW3
//! (register read). The master's IR2 input is wired to the slave's INT
//! output, giving IRQ 0-7 on the master and IRQ 8-15 on the slave.
//!
//! This module owns the PIC: remapping, masks, EOI, and the decision of
//! whether an IRQ 7 / IRQ 15 is spurious. The dispatcher
//! (src/interrupt/dispatch.rs) is its only caller for EOI; device handlers
//! never send one themselves.

/// The master's input the slave is wired to (IR2).
pub const IRQ_CASCADE: u8 = 2;

/// Master PIC command port (O: ICW1, OCW2, OCW3; I: IRR/ISR).
pub const PIC1_COMMAND: u16 = 0x20;
/// Master PIC data port (O: ICW2-4, OCW1 mask; I: mask).
pub const PIC1_DATA: u16 = 0x21;
/// Slave PIC command port.
pub const PIC2_COMMAND: u16 = 0xA0;
/// Slave PIC data port.
pub const PIC2_DATA: u16 = 0xA1;

/// Edge/level control registers (I/O), IRQ 0-7 and 8-15: bit set =
/// level-triggered. Part of the PIIX chipset beside the 8259s.
pub const ELCR1: u16 = 0x4D0;
pub const ELCR2: u16 = 0x4D1;
/// ICW1: ICW4 will follow.
pub const ICW1_ICW4: u8 = 1 << 0;
/// ICW1: this is ICW1 (bit 4 set starts initialisation).
pub const ICW1_INIT: u8 = 1 << 4;
/// ICW3 to the master: a slave is attached to IR2.
pub const ICW3_MASTER_SLAVE_ON_IR2: u8 = 1 << IRQ_CASCADE;
/// ICW3 to the slave: its cascade identity (the master input it is on).
pub const ICW3_SLAVE_ID: u8 = IRQ_CASCADE;
/// ICW4: 8086/88 mode (vectors, not 8080 CALL instructions).
pub const ICW4_8086: u8 = 1 << 0;
/// OCW2: non-specific end of interrupt (clears the highest ISR bit).
pub const OCW2_EOI: u8 = 1 << 5;
/// OCW3: bit 3 marks a word as OCW3 (not OCW2).
pub const OCW3: u8 = 1 << 3;
/// OCW3: RR, read register: the next read of the command port returns
/// the register RIS selects.
pub const OCW3_READ_REGISTER: u8 = 1 << 1;
/// OCW3: RIS, with RR: the In-Service Register (clear: the Interrupt
/// Request Register).
pub const OCW3_SELECT_ISR: u8 = 1 << 0;
/// OCW3 that makes the next read return the In-Service Register.
pub const OCW3_READ_ISR: u8 = OCW3 | OCW3_READ_REGISTER | OCW3_SELECT_ISR;
/// OCW3 that makes the next read return the Interrupt Request Register.
pub const OCW3_READ_IRR: u8 = OCW3 | OCW3_READ_REGISTER;

/// IRQ lines whose spurious interrupts the 8259 can produce: the lowest
/// priority input of each chip (IR7), delivered when a request went away
/// before the CPU's acknowledge cycle.
pub const SPURIOUS_MASTER: u8 = 7;
pub const SPURIOUS_SLAVE: u8 = 15;

/// What the dispatcher must do about an IRQ, decided before the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A real request: run the handler, then EOI (slave first if `slave`).
    Real { slave: bool },
    /// Spurious IRQ 7 from the master: no handler, and no EOI (the ISR
    /// bit was never set, and a non-specific EOI would clear a real one).
    SpuriousMaster,
    /// Spurious IRQ 15 from the slave: no handler, no EOI to the slave,
    /// but the master did see a real request on IR2 and needs its EOI.
    SpuriousSlave,
}

/// Classifies IRQ `irq`. `read_isr` is asked for a chip's In-Service
/// Register only for IRQ 7 and 15 (`false` = master, `true` = slave),
/// since only those can be spurious and reading it costs two port writes.
#[inline]
pub fn classify(irq: u8, read_isr: impl FnOnce(bool) -> u8) -> Delivery {
    let slave = irq >= 8;
    // LAB 3 BEGIN: tell a spurious IRQ 7 or 15 from a real one
    // Bit 7 of the chip's ISR: set only if IR7 was really acknowledged.
    if irq & 7 == 7 && read_isr(slave) & (1 << 7) == 0 {
        return if slave { Delivery::SpuriousSlave } else { Delivery::SpuriousMaster };
    }
    //~ // YOUR CODE HERE: IRQ 7 and 15 may be spurious. Ask read_isr(slave) for
    //~ // that chip's In-Service Register and decide with its bit 7.
    //~ let _ = read_isr;
    // LAB 3 END
    Delivery::Real { slave }
}

/// Mask bits after the remap: everything masked except `enabled`, plus the
/// cascade line when any slave line is enabled.
pub fn mask_for(enabled: u16) -> u16 {
    let cascade = if enabled & 0xFF00 != 0 { 1 << IRQ_CASCADE } else { 0 };
    !(enabled | cascade)
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::*;
    use core::sync::atomic::{AtomicU16, Ordering};
    use x86::io::{inb, outb};

    /// The lines currently unmasked (bit n = IRQ n), the source of truth
    /// for OCW1: cached so unmasking one line never has to read the mask.
    static ENABLED: AtomicU16 = AtomicU16::new(0);

    /// An I/O delay for the 8259's recovery time between writes on old
    /// boards: a write to the POST diagnostic port 0x80, which nothing
    /// decodes.
    fn io_wait() {
        // SAFETY: port 0x80 is unused; writing it has no effect.
        unsafe { outb(0x80, 0) };
    }

    /// Re-initialises both PICs with IRQ 0-7 on vectors `master_offset..+8`
    /// and IRQ 8-15 on `slave_offset..+8`, all lines masked.
    pub fn remap(master_offset: u8, slave_offset: u8) {
        // LAB 3 BEGIN: the initialisation sequence, ICW1 to ICW4
        // SAFETY: the 8259 ports are always present on a PC; the sequence
        // is the datasheet's ICW1-ICW4. Called with interrupts off.
        unsafe {
            outb(PIC1_COMMAND, ICW1_INIT | ICW1_ICW4);
            io_wait();
            outb(PIC2_COMMAND, ICW1_INIT | ICW1_ICW4);
            io_wait();
            outb(PIC1_DATA, master_offset); // ICW2: vector base
            io_wait();
            outb(PIC2_DATA, slave_offset);
            io_wait();
            outb(PIC1_DATA, ICW3_MASTER_SLAVE_ON_IR2);
            io_wait();
            outb(PIC2_DATA, ICW3_SLAVE_ID);
            io_wait();
            outb(PIC1_DATA, ICW4_8086);
            io_wait();
            outb(PIC2_DATA, ICW4_8086);
            io_wait();
        }
        //~ // YOUR CODE HERE (in an unsafe block): ICW1 to both command ports,
        //~ // then ICW2 (the vector base), ICW3 (the cascade on IR2) and ICW4
        //~ // (8086 mode) to both data ports, master first, io_wait() after each.
        //~ let _ = (master_offset, slave_offset, io_wait);
        // LAB 3 END
        ENABLED.store(0, Ordering::Relaxed);
        write_mask(mask_for(0));
    }

    fn write_mask(mask: u16) {
        // SAFETY: OCW1 writes only change which lines are masked.
        unsafe {
            outb(PIC1_DATA, mask as u8);
            outb(PIC2_DATA, (mask >> 8) as u8);
        }
    }

    /// Lets IRQ `irq` through (and the cascade, for a slave line).
    pub fn unmask(irq: u8) {
        let enabled = ENABLED.fetch_or(1 << irq, Ordering::Relaxed) | 1 << irq;
        write_mask(mask_for(enabled));
    }

    /// Blocks IRQ `irq` at the PIC.
    pub fn mask(irq: u8) {
        let enabled = ENABLED.fetch_and(!(1 << irq), Ordering::Relaxed) & !(1 << irq);
        write_mask(mask_for(enabled));
    }

    /// The unmasked lines, bit n = IRQ n.
    pub fn enabled() -> u16 {
        ENABLED.load(Ordering::Relaxed)
    }

    /// Reads the In-Service Register of the master (`slave` false) or slave.
    pub fn read_isr(slave: bool) -> u8 {
        let port = if slave { PIC2_COMMAND } else { PIC1_COMMAND };
        // SAFETY: OCW3 selects the ISR for the next read; no other effect.
        unsafe {
            outb(port, OCW3_READ_ISR);
            inb(port)
        }
    }

    /// Whether IRQ `irq` is requested at its chip (its IRR bit is set):
    /// raised and waiting to be delivered (the benchmark waits on it).
    pub fn is_requested(irq: u8) -> bool {
        let port = if irq < 8 { PIC1_COMMAND } else { PIC2_COMMAND };
        // SAFETY: OCW3 selects the IRR for the next read; no other effect.
        let irr = unsafe {
            outb(port, OCW3_READ_IRR);
            inb(port)
        };
        irr & (1 << (irq % 8)) != 0
    }

    /// Sends the end-of-interrupt for a real IRQ: to the slave first for
    /// IRQ 8-15 (so its ISR bit is clear before the master can pass on the
    /// next slave request), then to the master, which saw it on IR2.
    pub fn end_of_interrupt(slave: bool) {
        // LAB 3 BEGIN: the EOI, to the right chips in the right order
        // SAFETY: a non-specific EOI clears the highest in-service bit,
        // which is the IRQ being finished (interrupt gates: no nesting).
        unsafe {
            if slave {
                outb(PIC2_COMMAND, OCW2_EOI);
            }
            outb(PIC1_COMMAND, OCW2_EOI);
        }
        //~ // YOUR CODE HERE (in an unsafe block): a non-specific EOI (OCW2)
        //~ // to the chip or chips that have this IRQ in service.
        //~ let _ = slave;
        // LAB 3 END
    }

    /// Whether IRQ `irq` is level-triggered, as the chipset's edge/level
    /// control registers (ELCR, ports 0x4D0 and 0x4D1, one bit per IRQ)
    /// say. The BIOS sets the PCI lines to level; ICW1 does not change
    /// the ELCR, so the remap keeps them so.
    pub fn level_triggered(irq: u8) -> bool {
        let port = if irq < 8 { ELCR1 } else { ELCR2 };
        // SAFETY: reading the ELCR has no side effect; the PIIX3 QEMU
        // and Bochs model has it.
        let bits = unsafe { inb(port) };
        bits & (1 << (irq % 8)) != 0
    }

    /// EOI for spurious IRQ 15: the master only (its IR2 was real).
    pub fn end_of_interrupt_master_only() {
        end_of_interrupt(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: bool) -> u8 {
        panic!("ISR read for an IRQ that cannot be spurious")
    }

    #[test]
    fn command_words_have_the_datasheet_values() {
        assert_eq!(ICW1_INIT | ICW1_ICW4, 0x11);
        assert_eq!(ICW3_MASTER_SLAVE_ON_IR2, 0x04);
        assert_eq!(ICW3_SLAVE_ID, 0x02);
        assert_eq!(OCW2_EOI, 0x20);
        assert_eq!(OCW3_READ_ISR, 0x0B);
        assert_eq!(OCW3_READ_IRR, 0x0A);
    }

    #[test]
    fn ordinary_irqs_are_real_without_reading_the_isr() {
        assert_eq!(classify(0, never), Delivery::Real { slave: false });
        assert_eq!(classify(1, never), Delivery::Real { slave: false });
        assert_eq!(classify(12, never), Delivery::Real { slave: true });
    }

    #[test]
    fn irq7_is_spurious_when_master_isr_bit7_is_clear() {
        assert_eq!(
            classify(7, |slave| {
                assert!(!slave);
                0x00
            }),
            Delivery::SpuriousMaster
        );
        assert_eq!(classify(7, |_| 0x01), Delivery::SpuriousMaster);
        assert_eq!(classify(7, |_| 0x80), Delivery::Real { slave: false });
    }

    #[test]
    fn irq15_is_spurious_when_slave_isr_bit7_is_clear() {
        assert_eq!(
            classify(15, |slave| {
                assert!(slave);
                0x00
            }),
            Delivery::SpuriousSlave
        );
        assert_eq!(classify(15, |_| 0x80), Delivery::Real { slave: true });
    }

    #[test]
    fn masks_open_the_cascade_only_for_slave_lines() {
        assert_eq!(mask_for(0), 0xFFFF);
        assert_eq!(mask_for(0b11), 0xFFFC);
        assert_eq!(mask_for(1 << 12), !(1 << 12 | 1 << 2));
    }
}
