//! The Intel 82540EM Gigabit Ethernet controller ("e1000", PCI
//! 8086:100E): QEMU's default network card on `-machine pc`, and Bochs's
//! `e1000` plugin. Register names and bits are those of Intel's PCI/PCI-X
//! Family of Gigabit Ethernet Controllers Software Developer's Manual
//! (8254x SDM), sections 3.2-3.4 (descriptors) and 13 (registers).
//!
//! How a frame comes in, which is what this driver teaches:
//!
//! 1. At set-up the driver gives the card a **receive ring**: an array of
//!    descriptors in RAM, each holding the *physical* address of a 2 KiB
//!    buffer (the card reads and writes RAM by DMA, below the page
//!    tables, so it knows nothing of virtual addresses). RDH (head) and
//!    RDT (tail) split the ring: the slots from RDH up to RDT are the
//!    card's to fill; the driver owns the rest.
//! 2. A frame arrives: the card writes it into the buffer at RDH, sets
//!    the descriptor's DD ("descriptor done") bit and length, moves RDH
//!    on, and raises ICR.RXT0; with IMS.RXT0 set, it asserts its PCI
//!    interrupt pin, which the BIOS routed to an 8259 line (config 0x3C).
//! 3. The interrupt handler reads ICR. **The read is the
//!    acknowledgement**: it clears ICR, and the card lowers its pin. PCI
//!    lines are level-triggered (the ELCR says so for IRQ 9-11 on both
//!    emulators), so an EOI sent before that read lets the still-raised
//!    line in again at once: an interrupt storm. ICR reading 0 means the
//!    card did not raise the line: PCI lines are shared.
//! 4. Later, outside the handler, the stack takes each DD slot from
//!    (RDT + 1) on, and gives it back by clearing DD and writing RDT.
//!
//! Transmitting is the mirror image: fill the buffer of the descriptor at
//! TDT, set EOP|IFCS|RS, and write TDT + 1; the card sends it and sets DD.
//!
//! Pure here, tested on the host: the register map, the descriptor
//! layouts (size asserts), the ring arithmetic and the EEPROM word
//! encoding. The hardware part maps BAR0, allocates the rings and
//! implements the packet traits of src/dev/nic.rs. This driver knows
//! nothing of IP: src/net/ sits above it.

/// Intel's PCI vendor ID, and the device IDs this driver takes.
pub const VENDOR_INTEL: u16 = 0x8086;
pub const DEVICES: [(u16, &str); 2] = [(0x100E, "82540EM"), (0x100F, "82545EM")];

/// Bytes of the register window BAR0 describes (8254x SDM table 4-2).
pub const MMIO_BYTES: u32 = 128 * 1024;

/// Register offsets in the BAR0 window (8254x SDM table 13-2). All
/// accesses are 32-bit: Bochs's model ignores others.
pub mod reg {
    /// Device control (I/O).
    pub const CTRL: u32 = 0x0000;
    /// Device status (I).
    pub const STATUS: u32 = 0x0008;
    /// EEPROM read: start a read of a word, and its result (I/O).
    pub const EERD: u32 = 0x0014;
    /// MDI control: reads and writes the PHY's registers (I/O).
    pub const MDIC: u32 = 0x0020;
    /// Interrupt cause read (I): which causes happened. Reading clears it.
    pub const ICR: u32 = 0x00C0;
    /// Interrupt cause set (O): raises the causes written, as if they had
    /// happened (the benchmark's bare IRQ 11 uses it).
    pub const ICS: u32 = 0x00C8;
    /// Interrupt mask set (O): which causes raise the pin.
    pub const IMS: u32 = 0x00D0;
    /// Interrupt mask clear (O).
    pub const IMC: u32 = 0x00D8;
    /// Receive control (I/O).
    pub const RCTL: u32 = 0x0100;
    /// Transmit control (I/O).
    pub const TCTL: u32 = 0x0400;
    /// Transmit inter-packet gap (I/O).
    pub const TIPG: u32 = 0x0410;
    /// Receive ring: base (low, high), length in bytes, head, tail.
    pub const RDBAL: u32 = 0x2800;
    pub const RDBAH: u32 = 0x2804;
    pub const RDLEN: u32 = 0x2808;
    pub const RDH: u32 = 0x2810;
    pub const RDT: u32 = 0x2818;
    /// Receive delay timer and absolute delay: 0 = interrupt per frame.
    pub const RDTR: u32 = 0x2820;
    pub const RADV: u32 = 0x282C;
    /// Transmit ring: base (low, high), length, head, tail.
    pub const TDBAL: u32 = 0x3800;
    pub const TDBAH: u32 = 0x3804;
    pub const TDLEN: u32 = 0x3808;
    pub const TDH: u32 = 0x3810;
    pub const TDT: u32 = 0x3818;
    /// Missed packets: frames dropped because the ring had no room (I).
    pub const MPC: u32 = 0x4010;
    /// Receive no buffers: times a frame found no free descriptor (I).
    pub const RNBC: u32 = 0x40A0;
    /// Receive undersize and oversize counts: frames the card dropped
    /// for being shorter than 64 bytes or longer than 1522 (I, cleared
    /// when read).
    pub const RUC: u32 = 0x40A4;
    pub const ROC: u32 = 0x40AC;
    /// Multicast table array, 128 words.
    pub const MTA: u32 = 0x5200;
    /// Receive address 0: the MAC's low 4 bytes, and its high 2 with AV.
    pub const RAL0: u32 = 0x5400;
    pub const RAH0: u32 = 0x5404;
}

/// CTRL bits.
pub mod ctrl {
    /// Set link up: the MAC uses the link without waiting for software.
    pub const SLU: u32 = 1 << 6;
    /// Device reset; clears itself.
    pub const RST: u32 = 1 << 26;
}

/// STATUS bits.
pub mod status {
    /// Link up.
    pub const LU: u32 = 1 << 1;
}

/// EERD fields (8254x SDM 13.4.4): write the word's address with START,
/// poll for DONE, the word is in the top half.
pub mod eerd {
    pub const START: u32 = 1 << 0;
    pub const DONE: u32 = 1 << 4;
    pub const ADDRESS_SHIFT: u32 = 8;
    pub const DATA_SHIFT: u32 = 16;
}

/// MDIC fields (8254x SDM 13.4.10): the PHY register's data, its number,
/// the PHY's address, the operation; the card sets READY when done.
pub mod mdic {
    pub const DATA_MASK: u32 = 0xFFFF;
    pub const REGISTER_SHIFT: u32 = 16;
    pub const PHY_SHIFT: u32 = 21;
    pub const OP_WRITE: u32 = 1 << 26;
    pub const OP_READ: u32 = 2 << 26;
    pub const READY: u32 = 1 << 28;
    pub const ERROR: u32 = 1 << 30;
    /// The 8254x's internal PHY answers at MDI address 1.
    pub const INTERNAL_PHY: u32 = 1;
}

/// PHY registers (8254x SDM 13.5): the PHY control register, and its
/// loopback bit, with which every frame the MAC transmits comes back into
/// its own receive path instead of going on the wire.
pub mod phy {
    pub const CONTROL: u32 = 0;
    pub const CONTROL_LOOPBACK: u16 = 1 << 14;
}

/// The MDIC value that reads PHY register `register`.
pub const fn mdic_read(register: u32) -> u32 {
    mdic::OP_READ | mdic::INTERNAL_PHY << mdic::PHY_SHIFT | register << mdic::REGISTER_SHIFT
}

/// The MDIC value that writes `value` into PHY register `register`.
pub const fn mdic_write(register: u32, value: u16) -> u32 {
    mdic::OP_WRITE
        | mdic::INTERNAL_PHY << mdic::PHY_SHIFT
        | register << mdic::REGISTER_SHIFT
        | value as u32
}

/// Interrupt causes: the bits of ICR, IMS and IMC (8254x SDM 13.4.17).
pub mod icr {
    /// Transmit descriptor written back.
    pub const TXDW: u32 = 1 << 0;
    /// Link status change.
    pub const LSC: u32 = 1 << 2;
    /// Receive descriptors minimum threshold: the ring runs low.
    pub const RXDMT0: u32 = 1 << 4;
    /// Receiver overrun: a frame came with no descriptor free.
    pub const RXO: u32 = 1 << 6;
    /// Receiver timer: a frame has been received (with RDTR 0, at once).
    pub const RXT0: u32 = 1 << 7;
}

/// RCTL bits.
pub mod rctl {
    pub const EN: u32 = 1 << 1;
    /// Accept broadcast frames: ARP requests are broadcasts.
    pub const BAM: u32 = 1 << 15;
    /// Buffer size 2048 is BSIZE 00 with BSEX clear: no bits.
    pub const BSIZE_2048: u32 = 0;
    /// Strip the Ethernet CRC: lengths are of the frame alone.
    pub const SECRC: u32 = 1 << 26;
}

/// TCTL bits and fields.
pub mod tctl {
    pub const EN: u32 = 1 << 1;
    /// Pad short packets to 64 bytes.
    pub const PSP: u32 = 1 << 3;
    /// Collision threshold (retries), the manual's suggested 0x10.
    pub const CT: u32 = 0x10 << 4;
    /// Collision distance for full duplex, the manual's 0x40.
    pub const COLD: u32 = 0x40 << 12;
}

/// TIPG for the copper (IEEE 802.3) MAC: IPGT 10, IPGR1 8, IPGR2 6.
pub const TIPG_COPPER: u32 = 10 | 8 << 10 | 6 << 20;

/// RAH's Address Valid bit: the filter compares with this address.
pub const RAH_AV: u32 = 1 << 31;

/// A receive descriptor (8254x SDM 3.2.3), as the card reads and writes
/// it in RAM.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct RxDescriptor {
    /// Physical address of the buffer.
    pub buffer: u64,
    /// Bytes the card wrote (CRC stripped: RCTL.SECRC).
    pub length: u16,
    pub checksum: u16,
    pub status: u8,
    pub errors: u8,
    pub special: u16,
}

/// A legacy transmit descriptor (8254x SDM 3.3.3).
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct TxDescriptor {
    pub buffer: u64,
    pub length: u16,
    pub cso: u8,
    pub command: u8,
    pub status: u8,
    pub css: u8,
    pub special: u16,
}

const _: () = assert!(core::mem::size_of::<RxDescriptor>() == 16);
const _: () = assert!(core::mem::size_of::<TxDescriptor>() == 16);

/// Descriptor status: descriptor done (the card is finished with it),
/// end of packet (the frame ends in this buffer).
pub const DESC_DD: u8 = 1 << 0;
pub const DESC_EOP: u8 = 1 << 1;
/// Transmit command: end of packet, insert the CRC, report status (set
/// DD when sent).
pub const TX_EOP: u8 = 1 << 0;
pub const TX_IFCS: u8 = 1 << 1;
pub const TX_RS: u8 = 1 << 3;

/// Descriptors per ring. A ring's length in bytes must be a multiple of
/// 128 (QEMU and Bochs mask RDLEN and TDLEN with 0xFFF80): 32 x 16 = 512.
pub const RX_SLOTS: usize = 32;
pub const TX_SLOTS: usize = 32;
/// Bytes of each buffer: RCTL.BSIZE_2048, enough for a 1514-byte frame.
pub const BUFFER_BYTES: usize = 2048;
/// The largest Ethernet frame without its CRC: 1500 bytes of payload and
/// 14 of header.
pub const MAX_FRAME: usize = 1514;

const _: () = assert!((RX_SLOTS * 16).is_multiple_of(128) && (TX_SLOTS * 16).is_multiple_of(128));

/// The slot after `index` in a ring of `slots`.
pub const fn next_slot(index: usize, slots: usize) -> usize {
    (index + 1) % slots
}

/// The RDT value that hands every slot but one to the card: N - 1. The
/// card fills from RDH up to, not including, RDT, so one slot always
/// stays the driver's. RDT = 0 with RDH = 0 would hand it nothing: QEMU
/// reads RDH == RDT as "no buffers" and receives nothing (Bochs, right
/// after an RDT write, reads it as all free: the emulators disagree, and
/// N - 1 is right on both).
pub const fn initial_rdt(slots: usize) -> u32 {
    (slots - 1) as u32
}

/// Whether the transmit slot at `tail` may be filled, with the card's
/// head at `head`. Besides the slot's own DD bit, one slot must stay
/// empty: advancing TDT onto TDH would tell the card the ring is empty,
/// and it would drop every frame queued. (Drivers that only check DD, as
/// many tutorials do, lose a whole ring of frames the first time the
/// card falls behind.)
pub const fn tx_slot_free(tail: usize, head: usize, slots: usize, done: bool) -> bool {
    done && next_slot(tail, slots) != head
}

/// The EERD value that starts reading EEPROM word `address`.
pub const fn eerd_start(address: u8) -> u32 {
    (address as u32) << eerd::ADDRESS_SHIFT | eerd::START
}

/// The word an EERD value holds once DONE is set.
pub const fn eerd_word(value: u32) -> Option<u16> {
    if value & eerd::DONE != 0 {
        Some((value >> eerd::DATA_SHIFT) as u16)
    } else {
        None
    }
}

/// The MAC from EEPROM words 0-2 (little-endian: word 0 = bytes 0, 1).
pub const fn mac_from_words(words: [u16; 3]) -> [u8; 6] {
    let [a, b, c] = words;
    [a as u8, (a >> 8) as u8, b as u8, (b >> 8) as u8, c as u8, (c >> 8) as u8]
}

/// RAL0 and RAH0 (with AV) for `mac`.
pub const fn receive_address(mac: [u8; 6]) -> (u32, u32) {
    let low = u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
    let high = u16::from_le_bytes([mac[4], mac[5]]) as u32 | RAH_AV;
    (low, high)
}

/// Why no card was brought up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// BAR0 is not a memory BAR (or is empty).
    NoMmio,
    /// The device window had no room for the registers.
    NoWindow,
    /// No frames for the rings and buffers.
    OutOfMemory,
    /// The EEPROM never answered a read.
    Eeprom,
    /// The interrupt line register says the pin is not routed.
    NoIrq,
}

impl core::fmt::Display for SetupError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SetupError::NoMmio => "BAR0 is not a memory BAR",
            SetupError::NoWindow => "no room in the device window for its registers",
            SetupError::OutOfMemory => "out of memory for its rings",
            SetupError::Eeprom => "its EEPROM did not answer (EERD never set DONE)",
            SetupError::NoIrq => "its interrupt pin is not routed (config 0x3C = 0xFF)",
        })
    }
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use core::ptr::{read_volatile, write_volatile};
    use core::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::cpu::paging::{physical_to_virtual, PAGE_SIZE};
    use crate::dev::nic::{Nic, ReceiveQueue, TransmitQueue};
    use crate::dev::pci::{self, command, Bar, Function};
    use crate::mm;

    /// The card's registers: the virtual address of its BAR0 window.
    #[derive(Clone, Copy)]
    struct Registers(u32);

    impl Registers {
        fn read(self, register: u32) -> u32 {
            // SAFETY: the window is mapped uncached (mm::map_device) for
            // MMIO_BYTES, and every offset used is a register inside it.
            unsafe { read_volatile((self.0 + register) as *const u32) }
        }

        fn write(self, register: u32, value: u32) {
            // SAFETY: as in `read`.
            unsafe { write_volatile((self.0 + register) as *mut u32, value) }
        }
    }

    /// Where ICR is, for the interrupt handler, which must not wait for
    /// the lock that guards the rest of the card (0 until set up).
    static ICR_ADDRESS: AtomicU32 = AtomicU32::new(0);

    /// The top half's one access to the card: reads ICR, which returns
    /// the causes that happened since the last read and clears them, so
    /// the card lowers its interrupt line. 0: the card did not raise it
    /// (the line is shared), or there is no card.
    pub fn acknowledge() -> u32 {
        match ICR_ADDRESS.load(Ordering::Relaxed) {
            0 => 0,
            // SAFETY: set by `E1000::new` to ICR in the mapped window.
            icr => unsafe { read_volatile(icr as *const u32) },
        }
    }

    /// The virtual address of ICR, for an interrupt handler written in
    /// assembly (the benchmark's bare IRQ 11); 0 when there is no card.
    pub fn icr_address() -> u32 {
        ICR_ADDRESS.load(Ordering::Relaxed)
    }

    /// A ring of descriptors and its buffers, in frames of their own:
    /// the descriptors at `descriptors` (virtual), buffer i at
    /// `buffers + i * BUFFER_BYTES` (physical `buffers_physical + ...`).
    struct Ring<D: 'static> {
        descriptors: &'static mut [D],
        buffers: u32,
        /// The next slot the driver looks at.
        next: usize,
    }

    impl<D> Ring<D> {
        fn buffer(&self, slot: usize) -> &'static mut [u8] {
            // SAFETY: the buffers are frames of this ring alone, mapped at
            // KERNEL_BASE + physical; slot < the ring's length.
            unsafe {
                core::slice::from_raw_parts_mut(
                    (self.buffers as usize + slot * BUFFER_BYTES) as *mut u8,
                    BUFFER_BYTES,
                )
            }
        }
    }

    /// The receive half.
    pub struct Receiver {
        regs: Registers,
        ring: Ring<RxDescriptor>,
        /// Frames taken from the ring, and frames the card marked bad or
        /// split over buffers (dropped here).
        pub received: u32,
        pub errors: u32,
    }

    /// The transmit half.
    pub struct Transmitter {
        regs: Registers,
        ring: Ring<TxDescriptor>,
        pub sent: u32,
        /// Frames refused because every slot was busy.
        pub full: u32,
    }

    /// A brought-up card.
    pub struct E1000 {
        regs: Registers,
        rx: Receiver,
        tx: Transmitter,
        mac: [u8; 6],
        pub function: Function,
        /// RUC and ROC, added up (see CardCounters).
        sizes: CardCounters,
    }

    // SAFETY: the raw addresses inside point to the card's registers and
    // to frames that belong to this driver alone; the one E1000 lives
    // behind the network layer's lock, used with interrupts off.
    unsafe impl Send for E1000 {}

    /// What the card has counted itself (8254x SDM 13.7): frames it
    /// dropped for want of a free descriptor, and for their size. The
    /// statistics registers clear when read on a real 8254x; QEMU clears
    /// RUC and ROC but keeps MPC and RNBC counting up. So the driver
    /// adds up what RUC and ROC say at each read, and shows MPC and RNBC
    /// as read (on real hardware: since the last report).
    #[derive(Clone, Copy, Debug, Default)]
    pub struct CardCounters {
        pub missed: u32,
        pub no_buffers: u32,
        pub undersize: u32,
        pub oversize: u32,
    }

    /// A frame-sized run of frames: `bytes` rounded up to pages, zeroed;
    /// its physical address.
    fn dma_memory(bytes: usize) -> Result<u32, SetupError> {
        let pages = bytes.div_ceil(PAGE_SIZE as usize);
        let run = mm::allocate_run(pages).ok_or(SetupError::OutOfMemory)?;
        let physical = run.address();
        // SAFETY: the run is this driver's, mapped at KERNEL_BASE + physical.
        unsafe {
            core::ptr::write_bytes(
                physical_to_virtual(physical) as *mut u8,
                0,
                pages * PAGE_SIZE as usize,
            )
        };
        Ok(physical)
    }

    /// A ring of `slots` descriptors and as many buffers.
    fn ring<D: Default>(slots: usize) -> Result<(Ring<D>, u32, u32), SetupError> {
        let descriptors = dma_memory(slots * core::mem::size_of::<D>())?;
        let buffers = dma_memory(slots * BUFFER_BYTES)?;
        // SAFETY: a zeroed run of this driver's, big enough for `slots`
        // descriptors, aligned to a page (more than the 16 bytes asked).
        let table = unsafe {
            core::slice::from_raw_parts_mut(physical_to_virtual(descriptors) as *mut D, slots)
        };
        table.iter_mut().for_each(|d| *d = D::default());
        Ok((
            Ring { descriptors: table, buffers: physical_to_virtual(buffers), next: 0 },
            descriptors,
            buffers,
        ))
    }

    impl E1000 {
        /// Whether `function` is a card this driver takes.
        pub fn model(function: &Function) -> Option<&'static str> {
            if function.vendor != VENDOR_INTEL {
                return None;
            }
            DEVICES.iter().find(|(id, _)| *id == function.device).map(|(_, name)| *name)
        }

        /// Brings the card up: registers mapped, bus mastering on, MAC
        /// from the EEPROM, rings handed over, interrupts for received
        /// frames and link changes enabled at the card (the 8259 line is
        /// the caller's to unmask, once its handler is registered).
        pub fn new(function: Function) -> Result<E1000, SetupError> {
            if function.pin == 0 || function.irq == pci::NO_LINE || function.irq >= 16 {
                return Err(SetupError::NoIrq);
            }
            let Bar::Memory { address, .. } = pci::bar(function.at, 0) else {
                return Err(SetupError::NoMmio);
            };
            let base = mm::map_device(address, MMIO_BYTES).map_err(|_| SetupError::NoWindow)?;
            let regs = Registers(base);
            // Memory decoding, and DMA: neither BIOS turns bus mastering
            // on, and QEMU's card will not receive without it.
            pci::enable(function.at, command::MEMORY_SPACE | command::BUS_MASTER);

            // Quiet first: mask every cause, reset, mask again (the reset
            // sets IMS back), and read ICR to drop causes left from before.
            regs.write(reg::IMC, u32::MAX);
            regs.write(reg::CTRL, regs.read(reg::CTRL) | ctrl::RST);
            for _ in 0..1000 {
                if regs.read(reg::CTRL) & ctrl::RST == 0 {
                    break;
                }
            }
            regs.write(reg::IMC, u32::MAX);
            regs.read(reg::ICR);
            regs.write(reg::CTRL, regs.read(reg::CTRL) | ctrl::SLU);

            // The MAC: from the EEPROM, because Bochs's reset leaves RAL0
            // and RAH0 empty (QEMU's fills them), then into RA0 so that
            // the receive filter takes frames sent to it.
            let mut words = [0u16; 3];
            for (i, word) in words.iter_mut().enumerate() {
                *word = read_eeprom(regs, i as u8)?;
            }
            let mac = mac_from_words(words);
            let (low, high) = receive_address(mac);
            regs.write(reg::RAL0, low);
            regs.write(reg::RAH0, high);
            for i in 0..128 {
                regs.write(reg::MTA + 4 * i, 0);
            }

            // Receive ring: every slot but one the card's (initial_rdt).
            let (mut rx, rx_table, rx_buffers) = ring::<RxDescriptor>(RX_SLOTS)?;
            for (i, d) in rx.descriptors.iter_mut().enumerate() {
                d.buffer = u64::from(rx_buffers) + (i * BUFFER_BYTES) as u64;
            }
            rx.next = next_slot(initial_rdt(RX_SLOTS) as usize, RX_SLOTS);
            regs.write(reg::RDBAL, rx_table);
            regs.write(reg::RDBAH, 0);
            regs.write(reg::RDLEN, (RX_SLOTS * 16) as u32);
            regs.write(reg::RDH, 0);
            regs.write(reg::RDT, initial_rdt(RX_SLOTS));
            regs.write(reg::RDTR, 0);
            regs.write(reg::RADV, 0);
            regs.write(reg::RCTL, rctl::EN | rctl::BAM | rctl::BSIZE_2048 | rctl::SECRC);

            // Transmit ring: every slot free (DD set), head = tail = 0.
            let (tx, tx_table, tx_buffers) = ring::<TxDescriptor>(TX_SLOTS)?;
            for (i, d) in tx.descriptors.iter_mut().enumerate() {
                d.buffer = u64::from(tx_buffers) + (i * BUFFER_BYTES) as u64;
                d.status = DESC_DD;
            }
            regs.write(reg::TDBAL, tx_table);
            regs.write(reg::TDBAH, 0);
            regs.write(reg::TDLEN, (TX_SLOTS * 16) as u32);
            regs.write(reg::TDH, 0);
            regs.write(reg::TDT, 0);
            regs.write(reg::TCTL, tctl::EN | tctl::PSP | tctl::CT | tctl::COLD);
            regs.write(reg::TIPG, TIPG_COPPER);

            ICR_ADDRESS.store(base + reg::ICR, Ordering::Relaxed);
            regs.write(reg::IMS, icr::RXT0 | icr::RXO | icr::RXDMT0 | icr::LSC);
            Ok(E1000 {
                regs,
                rx: Receiver { regs, ring: rx, received: 0, errors: 0 },
                tx: Transmitter { regs, ring: tx, sent: 0, full: 0 },
                mac,
                function,
                sizes: CardCounters::default(),
            })
        }

        /// Whether the link is up (STATUS.LU).
        pub fn link_up(&self) -> bool {
            self.regs.read(reg::STATUS) & status::LU != 0
        }

        /// Raises interrupt causes by software (ICS): the card behaves as
        /// if they had happened, and asserts its line if IMS lets them.
        pub fn raise(&self, causes: u32) {
            self.regs.write(reg::ICS, causes);
        }

        /// Turns the PHY's loopback on or off (PHY control bit 14, through
        /// MDIC): while on, every frame transmitted is received by this
        /// card itself, nothing reaches the wire. QEMU's model hands it to
        /// its own receive path at once, inside the TDT write. None if the
        /// PHY did not answer.
        pub fn set_loopback(&mut self, on: bool) -> Option<()> {
            let control = self.phy_access(mdic_read(phy::CONTROL))?;
            let control =
                if on { control | phy::CONTROL_LOOPBACK } else { control & !phy::CONTROL_LOOPBACK };
            self.phy_access(mdic_write(phy::CONTROL, control)).map(|_| ())
        }

        /// One MDIC operation; the data it reads back.
        fn phy_access(&mut self, command: u32) -> Option<u16> {
            self.regs.write(reg::MDIC, command);
            for _ in 0..100_000 {
                let value = self.regs.read(reg::MDIC);
                if value & mdic::ERROR != 0 {
                    return None;
                }
                if value & mdic::READY != 0 {
                    return Some((value & mdic::DATA_MASK) as u16);
                }
            }
            None
        }

        /// The card's own drop counters.
        pub fn card_counters(&mut self) -> CardCounters {
            self.sizes.undersize += self.regs.read(reg::RUC);
            self.sizes.oversize += self.regs.read(reg::ROC);
            CardCounters {
                missed: self.regs.read(reg::MPC),
                no_buffers: self.regs.read(reg::RNBC),
                ..self.sizes
            }
        }

        pub fn receiver(&self) -> &Receiver {
            &self.rx
        }

        pub fn transmitter(&self) -> &Transmitter {
            &self.tx
        }
    }

    /// Reads EEPROM word `address` through EERD.
    fn read_eeprom(regs: Registers, address: u8) -> Result<u16, SetupError> {
        regs.write(reg::EERD, eerd_start(address));
        for _ in 0..100_000 {
            if let Some(word) = eerd_word(regs.read(reg::EERD)) {
                return Ok(word);
            }
        }
        Err(SetupError::Eeprom)
    }

    impl ReceiveQueue for Receiver {
        fn has_frame(&self) -> bool {
            // A volatile read: the card writes the descriptor by DMA,
            // behind the compiler's back.
            let d = &self.ring.descriptors[self.ring.next];
            // SAFETY: a reference to a live descriptor; read_volatile only
            // keeps the compiler from caching the card's write.
            unsafe { read_volatile(&d.status) & DESC_DD != 0 }
        }

        fn peek<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
            self.skip_bad();
            if !self.has_frame() {
                return None;
            }
            let slot = self.ring.next;
            // SAFETY: as in has_frame; DD is set, so the card is done with
            // this descriptor until `give_back` hands it back.
            let len = unsafe { read_volatile(&self.ring.descriptors[slot].length) };
            Some(f(&self.ring.buffer(slot)[..usize::from(len).min(BUFFER_BYTES)]))
        }

        fn receive<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
            let result = self.peek(f)?;
            self.received = self.received.wrapping_add(1);
            self.give_back();
            Some(result)
        }
    }

    impl Receiver {
        /// Drops the frames the card marked bad, or split over buffers
        /// (longer than 2 KiB: cannot happen with long frames off), and
        /// counts them.
        fn skip_bad(&mut self) {
            while self.has_frame() && !self.whole(self.ring.next) {
                self.errors = self.errors.wrapping_add(1);
                self.give_back();
            }
        }

        /// Whether the done slot `slot` holds a whole, good frame.
        fn whole(&self, slot: usize) -> bool {
            // SAFETY: as in has_frame.
            let d = unsafe { read_volatile(&self.ring.descriptors[slot]) };
            d.status & DESC_EOP != 0 && d.errors == 0
        }

        /// Gives the slot at `next` back to the card: clear DD, then move
        /// RDT onto it. This is the refill: the buffer is reused as is.
        fn give_back(&mut self) {
            let slot = self.ring.next;
            // LAB 9 BEGIN: the refill: the slot back to the card
            // SAFETY: the driver owns the slot until RDT moves.
            unsafe { write_volatile(&mut self.ring.descriptors[slot].status, 0) };
            self.regs.write(reg::RDT, slot as u32);
            //~ // YOUR CODE HERE: clear the descriptor's status (DD with it: a
            //~ // volatile write, in an unsafe block with its SAFETY comment),
            //~ // then move RDT onto this slot. Until then the card keeps the
            //~ // ring it was given at set-up: 31 frames, then nothing.
            //~ let _ = (slot, self.regs, reg::RDT);
            // LAB 9 END
            self.ring.next = next_slot(slot, RX_SLOTS);
        }
    }

    impl TransmitQueue for Transmitter {
        fn has_room(&self) -> bool {
            let tail = self.ring.next;
            // SAFETY: as in Receiver::has_frame.
            let done = unsafe { read_volatile(&self.ring.descriptors[tail].status) } & DESC_DD;
            let head = self.regs.read(reg::TDH) as usize;
            tx_slot_free(tail, head, TX_SLOTS, done != 0)
        }

        fn transmit<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
            if len > MAX_FRAME || !self.has_room() {
                self.full = self.full.wrapping_add(1);
                return None;
            }
            let slot = self.ring.next;
            let result = f(&mut self.ring.buffer(slot)[..len]);
            let d = &mut self.ring.descriptors[slot];
            d.length = len as u16;
            d.command = TX_EOP | TX_IFCS | TX_RS;
            d.status = 0;
            // The descriptor must be in memory before the card is told.
            core::sync::atomic::fence(Ordering::SeqCst);
            self.ring.next = next_slot(slot, TX_SLOTS);
            self.regs.write(reg::TDT, self.ring.next as u32);
            self.sent = self.sent.wrapping_add(1);
            Some(result)
        }
    }

    impl Nic for E1000 {
        type Rx = Receiver;
        type Tx = Transmitter;

        fn queues(&mut self) -> (&mut Receiver, &mut Transmitter) {
            (&mut self.rx, &mut self.tx)
        }

        fn mac(&self) -> [u8; 6] {
            self.mac
        }

        fn max_frame(&self) -> usize {
            MAX_FRAME
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_at_the_manuals_offsets() {
        assert_eq!(reg::ICR, 0xC0);
        assert_eq!(reg::RDT, 0x2818);
        assert_eq!(reg::TDT, 0x3818);
        assert_eq!(reg::RAH0, 0x5404);
        assert_eq!(icr::RXT0 | icr::LSC, 0x84);
        assert_eq!(tctl::EN | tctl::PSP | tctl::CT | tctl::COLD, 0x0004_010A);
        assert_eq!(TIPG_COPPER, 0x0060_200A);
    }

    #[test]
    fn descriptors_have_the_cards_layout() {
        assert_eq!(core::mem::align_of::<RxDescriptor>(), 16);
        assert_eq!(core::mem::offset_of!(RxDescriptor, length), 8);
        assert_eq!(core::mem::offset_of!(RxDescriptor, status), 12);
        assert_eq!(core::mem::offset_of!(RxDescriptor, errors), 13);
        assert_eq!(core::mem::offset_of!(TxDescriptor, command), 11);
        assert_eq!(core::mem::offset_of!(TxDescriptor, status), 12);
    }

    #[test]
    fn the_receive_ring_starts_with_all_but_one_slot_the_cards() {
        assert_eq!(initial_rdt(RX_SLOTS), 31);
        // The first frame lands in slot RDH = 0, the slot after RDT.
        assert_eq!(next_slot(initial_rdt(RX_SLOTS) as usize, RX_SLOTS), 0);
        assert_eq!(next_slot(5, 32), 6);
    }

    #[test]
    fn transmit_never_fills_the_last_slot() {
        // Empty ring: head = tail = 0, every DD set.
        assert!(tx_slot_free(0, 0, 4, true));
        // Three frames queued, the card has sent none: the tail at 3
        // would move onto the head at 0.
        assert!(!tx_slot_free(3, 0, 4, true));
        // The card sent one: room again.
        assert!(tx_slot_free(3, 1, 4, true));
        // A slot the card has not finished is never reused.
        assert!(!tx_slot_free(1, 3, 4, false));
    }

    #[test]
    fn phy_commands_have_the_manuals_layout() {
        assert_eq!(reg::MDIC, 0x20);
        assert_eq!(reg::ICS, 0xC8);
        // Read PHY register 0 of PHY 1: op 10b, PHYADD 1, REGADD 0.
        assert_eq!(mdic_read(phy::CONTROL), 0x0820_0000);
        // Write 0x4140 (loopback, full duplex, 1000 Mb/s) into it.
        assert_eq!(mdic_write(phy::CONTROL, 0x4140), 0x0420_4140);
    }

    #[test]
    fn eeprom_words_become_the_mac() {
        assert_eq!(eerd_start(2), 0x0000_0201);
        assert_eq!(eerd_word(0x1234_0010), Some(0x1234));
        assert_eq!(eerd_word(0x1234_0000), None);
        // QEMU's default 52:54:00:12:34:56.
        let mac = mac_from_words([0x5452, 0x1200, 0x5634]);
        assert_eq!(mac, [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
        assert_eq!(receive_address(mac), (0x1200_5452, 0x8000_5634));
    }
}
