//! The stack behind the one lock: the card, smoltcp's interface and
//! sockets, the socket table. Its bottom half (`work`, `poll`) and the
//! flag the top half sets live here, below the socket calls that wait
//! on them (src/net/socket.rs).
//!
//! Everything here runs with interrupts off (system calls, the exit path
//! and the idle loop's check all do), so `STACK` is never wanted by an
//! interrupt handler: the top half (src/net/mod.rs `on_irq`) uses only
//! the card's ICR and the atomics here.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use smoltcp::iface::{Interface, PollIngressSingleResult, PollResult, SocketSet};
use smoltcp::socket::udp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, Ipv4Address};
use spin::Mutex;

use super::config::Config;
use super::device::{check, udp_destination, Adaptor, DROP_KINDS};
use super::table::Table;
use crate::dev::e1000::E1000;
use crate::dev::nic::{Nic, ReceiveQueue};
use crate::dev::pit;
use crate::sched::{self, Channel};

/// Processes waiting for the network sleep here: in accept, recv,
/// connect, or send with a full buffer.
pub const NET: Channel = Channel(3);

/// The card, the stack and the sockets, behind the one lock.
pub struct Stack {
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub card: E1000,
    pub config: Config,
    pub table: Table,
    /// Frames dropped before the stack, by reason (device.rs `Drop`).
    pub drops: [u32; DROP_KINDS],
    /// UDP datagrams smoltcp dropped because their socket's buffer was
    /// full (the program did not read fast enough).
    pub socket_full: u32,
}

pub(super) static STACK: Mutex<Option<Stack>> = Mutex::new(None);

/// Set by the top half: the card has something for the bottom half.
pub(super) static WORK: AtomicBool = AtomicBool::new(false);
/// smoltcp's next deadline, in milliseconds since boot (u64::MAX: none).
static DEADLINE: AtomicU64 = AtomicU64::new(u64::MAX);

/// The stack's clock: milliseconds since boot, from the PIT.
pub fn now() -> Instant {
    Instant::from_millis((pit::uptime_ns() / 1_000_000) as i64)
}

/// The bottom half: runs the stack if the card had news or a timer of
/// the stack's is due. Cheap when neither: two atomic loads. Interrupts
/// must be off.
pub fn work() {
    let due = now().total_millis() as u64 >= DEADLINE.load(Ordering::Relaxed);
    if WORK.swap(false, Ordering::Acquire) || due {
        poll();
    }
}

/// Runs the stack now: every received frame, every queued send, every
/// timer. Wakes the sleepers on NET when a socket changed.
pub fn poll() {
    let changed = with_stack(|stack| stack.poll()).unwrap_or(false);
    if changed {
        sched::wakeup(NET);
    }
}

/// Frames one bottom-half pass takes from the card at most: a flood
/// cannot keep the CPU in the stack (smoltcp's own `poll` would take
/// every frame there is). The rest wait for the next pass, which comes
/// at once: WORK is set again.
const INGRESS_BUDGET: usize = 32;

impl Stack {
    /// One round of smoltcp, then the socket table's housekeeping;
    /// whether any socket changed.
    ///
    /// Frame by frame, so that a datagram smoltcp drops because its
    /// socket's buffer is full is counted (smoltcp drops it without a
    /// word): the socket's queue must grow by the datagram's length.
    fn poll(&mut self) -> bool {
        let ip = Ipv4Address::from(self.config.address.octets());
        let mac = EthernetAddress(self.card.mac());
        let at = now();
        self.iface.poll_maintenance(at);
        let mut changed = false;
        let mut budget = INGRESS_BUDGET;
        loop {
            if budget == 0 {
                WORK.store(true, Ordering::Release);
                break;
            }
            budget -= 1;
            let (rx, _) = self.card.queues();
            let udp = rx
                .peek(|frame| check(frame, mac, ip).ok().and_then(|()| udp_destination(frame)))
                .flatten();
            let watched = udp.and_then(|(port, len)| {
                let handle = self.table.udp_socket_on(&self.sockets, port)?;
                Some((handle, len, self.sockets.get::<udp::Socket>(handle).recv_queue()))
            });
            let mut adaptor = Adaptor { nic: &mut self.card, ip, drops: &mut self.drops };
            match self.iface.poll_ingress_single(at, &mut adaptor, &mut self.sockets) {
                PollIngressSingleResult::None => break,
                PollIngressSingleResult::PacketProcessed => {}
                PollIngressSingleResult::SocketStateChanged => changed = true,
            }
            if let Some((handle, len, before)) = watched {
                if self.sockets.get::<udp::Socket>(handle).recv_queue() < before + len {
                    self.socket_full += 1;
                }
            }
        }
        loop {
            let mut adaptor = Adaptor { nic: &mut self.card, ip, drops: &mut self.drops };
            match self.iface.poll_egress(at, &mut adaptor, &mut self.sockets) {
                PollResult::None => break,
                PollResult::SocketStateChanged => changed = true,
            }
        }
        let housekeeping = self.table.housekeeping(&mut self.sockets, at);
        let next = self.iface.poll_at(now(), &self.sockets);
        DEADLINE.store(next.map_or(u64::MAX, |t| t.total_millis() as u64), Ordering::Relaxed);
        changed || housekeeping
    }
}

/// Runs `f` on the stack, with interrupts off; None when there is no
/// network.
pub fn with_stack<R>(f: impl FnOnce(&mut Stack) -> R) -> Option<R> {
    crate::cpu::without_interrupts(|| STACK.lock().as_mut().map(f))
}
