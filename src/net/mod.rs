//! The network layer: from the card's interrupt to the process waiting
//! for the data, through a real TCP/IP stack (smoltcp).
//!
//! Follow a UDP datagram from the wire to `recvfrom`:
//!
//! 1. The card (src/dev/e1000.rs) writes the frame into its receive ring
//!    by DMA and raises its PCI line: IRQ 11 on QEMU, 9 on Bochs, both on
//!    the slave 8259 and level-triggered.
//! 2. **Top half**, `on_irq`, in the interrupt: reads ICR (which
//!    acknowledges the card, before the dispatcher's EOI), notes that
//!    there is work, and wakes every process sleeping on `NET`. Nothing
//!    else: no frame is touched, no protocol runs with the line in service.
//! 3. **Bottom half**, `work`, after the EOI: on the way back to ring 3
//!    (src/user/), in the idle loop, and at the top of every socket call.
//!    It runs smoltcp's `poll`, which takes the frames from the ring
//!    through the adaptor (src/net/device.rs), answers ARP, runs TCP, and
//!    puts the datagram in its socket's buffer. If a socket changed, the
//!    sleepers on `NET` are woken again.
//! 4. **Process context**: the process blocked in `recvfrom`
//!    (src/net/socket.rs) runs again, finds the datagram in its socket,
//!    and returns it to ring 3.
//!
//! This is Linux's split (the driver's interrupt handler, NET_RX softirq
//! at interrupt exit, the woken reader) in three short steps. The stack
//! also has timers (TCP retransmission, ARP retries): `work` polls when
//! smoltcp's own deadline (`poll_at`) has come, and the timer interrupt
//! returns through the bottom half every tick.
//!
//! Everything here runs with interrupts off (system calls, the exit path
//! and the idle loop's check all do), so the one lock, `STACK`, is never
//! wanted by an interrupt handler: the top half uses only the card's ICR
//! (dev/e1000.rs `acknowledge`) and atomics.

pub mod api;
pub mod config;
pub mod device;

#[cfg(target_os = "none")]
pub mod socket;
#[cfg(target_os = "none")]
pub mod stack;
#[cfg(target_os = "none")]
pub mod table;

pub use self::config::Config;

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use core::sync::atomic::{AtomicU32, Ordering};

    use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet, SocketStorage};
    use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address};

    use super::config::Config;
    use super::device::{Adaptor, Drop, DROP_KINDS};
    use super::stack::{now, with_stack, Stack, STACK, WORK};
    use super::table::{Table, TCP_SLOTS, UDP_SLOTS};
    use crate::dev::e1000::{self, SetupError, E1000};
    use crate::dev::nic::Nic;
    use crate::dev::pci::{self, Function};
    use crate::dev::pit;
    use crate::interrupt::TrapFrame;
    use crate::sched;

    pub use super::stack::{poll, work, NET};

    /// smoltcp's socket slots: every TCP and UDP socket of the pools in
    /// src/net/table.rs fits, so `SocketSet::add` (which panics when
    /// full) never runs out.
    const SOCKET_SLOTS: usize = TCP_SLOTS + UDP_SLOTS;

    /// Every cause the card reported since boot, the interrupts that were
    /// its own, and those that were not (ICR read 0: someone else on the
    /// shared line).
    static CAUSES: AtomicU32 = AtomicU32::new(0);
    static INTERRUPTS: AtomicU32 = AtomicU32::new(0);
    static NOT_OURS: AtomicU32 = AtomicU32::new(0);

    /// What `init` found, for the boot log.
    pub struct Found {
        pub function: Function,
        pub model: &'static str,
        pub mac: [u8; 6],
        pub link_up: bool,
    }

    /// Why the network is off.
    pub enum Off {
        /// No card this kernel has a driver for.
        NoCard,
        /// A card, which would not come up.
        Setup(Function, SetupError),
    }

    /// Finds the first e1000 among the PCI functions and brings the card
    /// and the stack up with `config`. The caller registers `on_irq` and
    /// unmasks the card's line afterwards.
    pub fn init(functions: &pci::Found, config: Config) -> Result<Found, Off> {
        let (function, model) =
            functions.iter().find_map(|f| E1000::model(f).map(|m| (*f, m))).ok_or(Off::NoCard)?;
        let mut card = E1000::new(function).map_err(|e| Off::Setup(function, e))?;
        let mac = card.mac();
        let mut iface_config = IfaceConfig::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        // TCP's initial sequence numbers and ephemeral ports come from
        // this seed: the TSC at boot differs from boot to boot.
        iface_config.random_seed = crate::cpu::rdtsc().rotate_left(17) ^ pit::uptime_ns();
        let mut drops = [0; DROP_KINDS];
        let address = Ipv4Address::from(config.address.octets());
        let mut adaptor = Adaptor { nic: &mut card, ip: address, drops: &mut drops };
        let mut iface = Interface::new(iface_config, &mut adaptor, now());
        iface.update_ip_addrs(|addrs| {
            addrs.push(IpCidr::new(address.into(), config.prefix)).expect("room for one address");
        });
        iface
            .routes_mut()
            .add_default_ipv4_route(Ipv4Address::from(config.gateway.octets()))
            .expect("room for one route");
        static mut STORAGE: [SocketStorage<'static>; SOCKET_SLOTS] =
            [SocketStorage::EMPTY; SOCKET_SLOTS];
        // SAFETY: `init` runs once, at boot; this is the only reference
        // ever taken to STORAGE, and it lives in the stack from now on.
        let storage = unsafe { &mut *(&raw mut STORAGE) };
        let sockets = SocketSet::new(&mut storage[..]);
        let link_up = card.link_up();
        *STACK.lock() = Some(Stack {
            iface,
            sockets,
            card,
            config,
            table: Table::new(),
            drops,
            socket_full: 0,
        });
        Ok(Found { function, model, mac, link_up })
    }

    /// The card's interrupt: the top half. Reads ICR, which acknowledges
    /// the card (it lowers its level-triggered line) before the
    /// dispatcher sends the EOI; then notes the work and wakes the
    /// sleepers. An ICR of 0 means the card did not raise the line: on a
    /// shared PCI line, another device did.
    pub fn on_irq(_frame: &mut TrapFrame) {
        // LAB 9 BEGIN: acknowledge the card, then wake the waiting process
        let causes = e1000::acknowledge();
        if causes == 0 {
            NOT_OURS.fetch_add(1, Ordering::Relaxed);
            return;
        }
        INTERRUPTS.fetch_add(1, Ordering::Relaxed);
        CAUSES.fetch_or(causes, Ordering::Relaxed);
        WORK.store(true, Ordering::Release);
        sched::wakeup(NET);
        //~ // YOUR CODE HERE: read ICR (e1000::acknowledge()), which acknowledges
        //~ // the card; 0 means another device raised the shared line (count it in
        //~ // NOT_OURS). Otherwise count the interrupt (INTERRUPTS), keep the causes
        //~ // (CAUSES), note the work for the bottom half (WORK) and wake the
        //~ // processes sleeping on NET. Until then nothing acknowledges the card,
        //~ // and its level-triggered line would interrupt again at once, forever:
        //~ // this stub masks the line instead, and says so.
        //~ let irq = crate::interrupt::vectors::vector_irq(_frame.vector()).unwrap_or(0);
        //~ crate::dev::pic::mask(irq);
        //~ crate::println!("net: IRQ {irq} masked: lab 9's stub never acknowledges the card");
        //~ let _ = (e1000::acknowledge, &CAUSES, &WORK, NET, sched::wakeup);
        // LAB 9 END
    }

    /// Whether a card is up.
    pub fn present() -> bool {
        with_stack(|_| ()).is_some()
    }

    /// The card's counters, one line: what the process-table key and the
    /// end of a run print. Nothing is dropped without a count here.
    pub fn report(out: &dyn Fn(core::fmt::Arguments)) {
        with_stack(|s| {
            let card = s.card.card_counters();
            let (rx, tx) = (s.card.receiver(), s.card.transmitter());
            let stack_drops: u32 = s.drops.iter().sum::<u32>() + s.socket_full;
            out(format_args!(
                "net: e1000 {} interrupts ({} not ours), received {}, sent {}; dropped: by the \
                 card {} (ring full: MPC {}, RNBC {}; undersize {}, oversize {}), bad frames {}, \
                 by the stack {} (",
                INTERRUPTS.load(Ordering::Relaxed),
                NOT_OURS.load(Ordering::Relaxed),
                rx.received,
                tx.sent,
                card.missed.max(card.no_buffers) + card.undersize + card.oversize,
                card.missed,
                card.no_buffers,
                card.undersize,
                card.oversize,
                rx.errors,
                stack_drops
            ));
            for drop in Drop::ALL {
                out(format_args!("{} {}, ", drop.name(), s.drops[drop.index()]));
            }
            out(format_args!(
                "socket buffer full {}); transmit ring full {}; sockets: {}\n",
                s.socket_full,
                tx.full,
                s.table.summary()
            ));
        });
    }
}
