//! PCI configuration space, through configuration mechanism #1: the
//! address port 0xCF8 and the data port 0xCFC (PCI Local Bus
//! Specification 3.0, section 3.2.2.3.2).
//!
//! Every PCI function has 256 bytes of configuration registers: who made
//! it (vendor and device IDs), what it is (class), where its registers
//! were put (the BARs, which the BIOS assigned), which interrupt line the
//! BIOS routed its pin to (offset 0x3C), and the command register that
//! lets it answer memory cycles and master the bus (DMA). A driver reads
//! all of that here instead of hard-coding it: QEMU's BIOS and Bochs's
//! put the same card at different addresses and on different IRQs.
//!
//! The encoding of a configuration address and of a BAR is pure and
//! tested on the host; the two port accesses and the bus scan are the
//! hardware part. This module knows no device: drivers (src/dev/e1000.rs)
//! look their own up in the list `scan` returns.

/// CONFIG_ADDRESS (O): enable bit, bus, device, function, register.
pub const CONFIG_ADDRESS: u16 = 0xCF8;
/// CONFIG_DATA (I/O): the 32-bit register CONFIG_ADDRESS selected.
pub const CONFIG_DATA: u16 = 0xCFC;
/// CONFIG_ADDRESS bit 31: this is a configuration cycle.
const CONFIG_ENABLE: u32 = 1 << 31;

/// Configuration register offsets (type 0 header).
pub const VENDOR_ID: u8 = 0x00;
pub const COMMAND: u8 = 0x04;
pub const CLASS_REVISION: u8 = 0x08;
pub const HEADER_TYPE: u8 = 0x0E;
pub const BAR0: u8 = 0x10;
pub const INTERRUPT_LINE: u8 = 0x3C;

/// The vendor ID read back from an empty slot.
pub const NO_DEVICE: u16 = 0xFFFF;
/// HEADER_TYPE bit 7: the device has functions 1-7 as well.
const MULTI_FUNCTION: u8 = 0x80;
/// INTERRUPT_LINE's value for "not routed" (PCI 3.0, 6.2.4).
pub const NO_LINE: u8 = 0xFF;

/// COMMAND bits (PCI 3.0, 6.2.2).
pub mod command {
    /// Answer I/O-space cycles to the I/O BARs.
    pub const IO_SPACE: u16 = 1 << 0;
    /// Answer memory cycles to the memory BARs (MMIO).
    pub const MEMORY_SPACE: u16 = 1 << 1;
    /// May master the bus: read and write RAM by DMA. Neither SeaBIOS nor
    /// the Bochs BIOS sets it, and QEMU's e1000 receives nothing without it.
    pub const BUS_MASTER: u16 = 1 << 2;
    /// INTx# disabled (PCI 2.3): the function may not raise its pin.
    pub const INTX_DISABLE: u16 = 1 << 10;
}

/// Where a function sits: bus, device (slot), function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl Location {
    /// The CONFIG_ADDRESS value that selects register `offset` (rounded
    /// down to its 32-bit word) of this function.
    pub const fn config_address(self, offset: u8) -> u32 {
        CONFIG_ENABLE
            | (self.bus as u32) << 16
            | ((self.device & 0x1F) as u32) << 11
            | ((self.function & 0x7) as u32) << 8
            | (offset & 0xFC) as u32
    }
}

/// As lspci writes it: `00:03.0`.
impl core::fmt::Display for Location {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

/// A base address register, decoded (PCI 3.0, 6.2.5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    /// Unused (reads 0).
    None,
    /// Memory-mapped registers at this physical address. `wide`: a
    /// 64-bit BAR, whose upper half is the next BAR.
    Memory { address: u32, prefetchable: bool, wide: bool },
    /// I/O-port registers from this port.
    Io { port: u16 },
}

impl Bar {
    /// Decodes a BAR's raw value.
    pub const fn decode(raw: u32) -> Bar {
        if raw == 0 {
            Bar::None
        } else if raw & 1 == 1 {
            Bar::Io { port: (raw & 0xFFFC) as u16 }
        } else {
            Bar::Memory {
                address: raw & 0xFFFF_FFF0,
                prefetchable: raw & 0x8 != 0,
                wide: (raw >> 1) & 0x3 == 0x2,
            }
        }
    }
}

/// One function found by the scan, with what its drivers and the boot
/// log need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    pub at: Location,
    pub vendor: u16,
    pub device: u16,
    /// Class, subclass, programming interface.
    pub class: [u8; 3],
    /// INTERRUPT_LINE: the 8259 IRQ the BIOS routed the pin to.
    pub irq: u8,
    /// INTERRUPT_PIN: 1-4 for INTA#-INTD#, 0 for a function without one
    /// (its line register means nothing then).
    pub pin: u8,
}

impl Function {
    /// The class as lspci names it, for the boot log.
    pub fn class_name(&self) -> &'static str {
        match (self.class[0], self.class[1]) {
            (0x01, 0x01) => "IDE controller",
            (0x01, _) => "storage controller",
            (0x02, 0x00) => "Ethernet controller",
            (0x02, _) => "network controller",
            (0x03, _) => "display controller",
            (0x06, 0x00) => "host bridge",
            (0x06, 0x01) => "ISA bridge",
            (0x06, 0x80) => "bridge",
            (0x06, _) => "bridge",
            (0x0C, 0x03) => "USB controller",
            (0x0C, _) => "serial bus controller",
            _ => "device",
        }
    }
}

/// The most functions `scan` records; more are counted, not kept.
pub const MAX_FUNCTIONS: usize = 32;

/// What the bus scan found.
pub struct Found {
    pub functions: [Option<Function>; MAX_FUNCTIONS],
    pub count: usize,
    /// Functions beyond MAX_FUNCTIONS, seen but not kept.
    pub dropped: usize,
}

impl Found {
    pub fn iter(&self) -> impl Iterator<Item = &Function> {
        self.functions.iter().flatten()
    }

    fn add(&mut self, function: Function) {
        match self.functions.get_mut(self.count) {
            Some(slot) => {
                *slot = Some(function);
                self.count += 1;
            }
            None => self.dropped += 1,
        }
    }
}

/// Walks every bus, device and function through `read` (a 32-bit
/// configuration read), the way the PCI specification's brute-force scan
/// does: a vendor ID of 0xFFFF means no function; functions 1-7 are
/// looked at only when function 0 says the device has them.
pub fn scan(mut read: impl FnMut(Location, u8) -> u32) -> Found {
    let mut found = Found { functions: [None; MAX_FUNCTIONS], count: 0, dropped: 0 };
    for bus in 0..=255u8 {
        for device in 0..32u8 {
            for function in 0..8u8 {
                let at = Location { bus, device, function };
                let id = read(at, VENDOR_ID);
                if id as u16 == NO_DEVICE {
                    if function == 0 {
                        break;
                    }
                    continue;
                }
                let class = read(at, CLASS_REVISION);
                let interrupt = read(at, INTERRUPT_LINE);
                found.add(Function {
                    at,
                    vendor: id as u16,
                    device: (id >> 16) as u16,
                    class: [(class >> 24) as u8, (class >> 16) as u8, (class >> 8) as u8],
                    irq: interrupt as u8,
                    pin: (interrupt >> 8) as u8,
                });
                let header = (read(at, HEADER_TYPE & 0xFC) >> 16) as u8;
                if function == 0 && header & MULTI_FUNCTION == 0 {
                    break;
                }
            }
        }
    }
    found
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::*;
    use x86::io::{inl, outl};

    /// Reads the 32-bit configuration register holding `offset`.
    pub fn read(at: Location, offset: u8) -> u32 {
        // SAFETY: the two configuration ports exist on every PC chipset
        // QEMU and Bochs model; a read has no side effect on the
        // registers this kernel reads. Callers run with interrupts off or
        // before they are on, so the address/data pair is not split.
        unsafe {
            outl(CONFIG_ADDRESS, at.config_address(offset));
            inl(CONFIG_DATA)
        }
    }

    /// Writes the 32-bit configuration register holding `offset`.
    pub fn write(at: Location, offset: u8, value: u32) {
        // SAFETY: as in `read`; the callers write only the command
        // register of a function their driver owns.
        unsafe {
            outl(CONFIG_ADDRESS, at.config_address(offset));
            outl(CONFIG_DATA, value);
        }
    }

    /// Sets `bits` in the function's COMMAND register.
    pub fn enable(at: Location, bits: u16) -> u16 {
        let word = read(at, COMMAND);
        let command = (word as u16) | bits;
        // The upper half is STATUS, whose bits clear when written with 1:
        // write zeros there.
        write(at, COMMAND, u32::from(command));
        command
    }

    /// Every function on every bus.
    pub fn scan_buses() -> Found {
        scan(read)
    }

    /// The raw value of BAR `n` (0-5).
    pub fn bar(at: Location, n: u8) -> Bar {
        Bar::decode(read(at, BAR0 + 4 * n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_addresses_are_the_specifications_layout() {
        let at = Location { bus: 0, device: 3, function: 0 };
        assert_eq!(at.config_address(0x00), 0x8000_1800);
        assert_eq!(at.config_address(0x3C), 0x8000_183C);
        // The low two bits are not part of the address: a word is read.
        assert_eq!(at.config_address(0x3E), 0x8000_183C);
        let far = Location { bus: 0xFF, device: 31, function: 7 };
        assert_eq!(far.config_address(0x10), 0x80FF_FF10);
        assert_eq!(at.to_string(), "00:03.0");
    }

    #[test]
    fn bars_decode_memory_and_io() {
        // QEMU's e1000: BAR0 32-bit MMIO, BAR1 I/O.
        assert_eq!(
            Bar::decode(0xFEBC_0000),
            Bar::Memory { address: 0xFEBC_0000, prefetchable: false, wide: false }
        );
        assert_eq!(Bar::decode(0xC041), Bar::Io { port: 0xC040 });
        assert_eq!(
            Bar::decode(0xE000_000C),
            Bar::Memory { address: 0xE000_0000, prefetchable: true, wide: true }
        );
        assert_eq!(Bar::decode(0), Bar::None);
    }

    /// A bus with a multi-function device at 00:01 and a NIC at 00:03.
    fn fake_bus(at: Location, offset: u8) -> u32 {
        let present = match (at.bus, at.device, at.function) {
            (0, 0, 0) => Some((0x1237_8086u32, 0x0600_0002u32, 0x00u8, 0u32)),
            (0, 1, 0) => Some((0x7000_8086, 0x0601_0000, 0x80, 0)),
            (0, 1, 1) => Some((0x7010_8086, 0x0101_8000, 0x00, 0)),
            (0, 3, 0) => Some((0x100E_8086, 0x0200_0003, 0x00, 11)),
            _ => None,
        };
        match (present, offset) {
            (None, _) => 0xFFFF_FFFF,
            (Some((id, _, _, _)), VENDOR_ID) => id,
            (Some((_, class, _, _)), CLASS_REVISION) => class,
            (Some((_, _, header, _)), 0x0C) => u32::from(header) << 16,
            (Some((_, _, _, 0)), INTERRUPT_LINE) => 0,
            (Some((_, _, _, irq)), INTERRUPT_LINE) => 0x0100 | irq,
            _ => 0,
        }
    }

    #[test]
    fn the_scan_finds_every_function_once() {
        let found = scan(fake_bus);
        let seen: Vec<_> =
            found.iter().map(|f| (f.at.to_string(), f.device, f.irq, f.pin)).collect();
        assert_eq!(
            seen,
            [
                ("00:00.0".to_string(), 0x1237, 0, 0),
                ("00:01.0".to_string(), 0x7000, 0, 0),
                ("00:01.1".to_string(), 0x7010, 0, 0),
                ("00:03.0".to_string(), 0x100E, 11, 1),
            ]
        );
        let nic = found.iter().nth(3).unwrap();
        assert_eq!(nic.class, [0x02, 0x00, 0x00]);
        assert_eq!(nic.class_name(), "Ethernet controller");
        assert_eq!(found.dropped, 0);
    }

    #[test]
    fn a_full_list_counts_what_it_cannot_keep() {
        // Every slot of every bus answers: far more than MAX_FUNCTIONS.
        let found = scan(|_, offset| if offset == VENDOR_ID { 0x1234_5678 } else { 0 });
        assert_eq!(found.count, MAX_FUNCTIONS);
        assert_eq!(found.dropped, 256 * 32 - MAX_FUNCTIONS);
    }
}
