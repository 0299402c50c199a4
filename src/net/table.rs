//! The table of Linux sockets and the smoltcp sockets behind them: which
//! program socket is in which state, the buffer pools, the ports taken,
//! and the housekeeping after each poll (src/net/socket.rs has the calls
//! that use it, with their waiting).
//!
//! Buffers come from fixed pools (no allocator): TCP_SLOTS sockets with
//! TCP_BUFFER bytes each way, UDP_SLOTS with UDP_BUFFER. A program that
//! asks for more gets ENOBUFS, never a panic in smoltcp (whose socket set
//! panics when full: it has a slot for every pool buffer).

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::{tcp, udp};
use smoltcp::storage::PacketMetadata;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{IpAddress, IpEndpoint, Ipv4Address};

pub use super::api::{Address, Kind, NetError, SocketId};

/// Linux sockets at once, across all processes.
pub const MAX_SOCKETS: usize = 32;
/// smoltcp TCP sockets, and their buffers: listeners, connections and
/// orphans finishing their close.
pub const TCP_SLOTS: usize = 24;
pub const TCP_BUFFER: usize = 8192;
/// smoltcp UDP sockets, and their buffers (datagrams queued each way).
pub const UDP_SLOTS: usize = 8;
pub const UDP_BUFFER: usize = 16384;
pub const UDP_DATAGRAMS: usize = 32;
/// The most listeners one listening socket opens: listen's backlog.
pub const BACKLOG_MAX: usize = 4;
/// How long a half-open connection (a SYN answered, no ACK) holds a
/// listener before it is reset and the listener listens again: a SYN
/// flood cannot hold the port for long.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an orphan (closed by its program) may take to finish its
/// close before it is reset.
const ORPHAN_TIMEOUT: Duration = Duration::from_secs(10);
/// The first ephemeral port, as Linux's ip_local_port_range starts.
const EPHEMERAL_FIRST: u16 = 32768;

/// smoltcp's endpoint for an address, and back.
pub(super) fn endpoint(a: Address) -> IpEndpoint {
    IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::from(a.ip)), a.port)
}

pub(super) fn address(e: IpEndpoint) -> Address {
    let IpAddress::Ipv4(ip) = e.addr;
    Address { ip: ip.octets(), port: e.port }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum State {
    /// UDP: its smoltcp socket, and the peer connect() named.
    Udp { handle: SocketHandle, peer: Option<Address> },
    /// TCP, neither listening nor connected yet; the port bind() took.
    Fresh { port: Option<u16> },
    /// TCP, listening on `port`: its listeners.
    Listening { port: u16, backlog: [Option<SocketHandle>; BACKLOG_MAX] },
    /// TCP, connecting or connected.
    Connected { handle: SocketHandle },
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) state: State,
    /// File descriptors (in any process) that name it: closed at 0.
    pub(super) references: u16,
    pub(super) reuse_address: bool,
    /// shutdown(SHUT_WR) done: no more sends.
    pub(super) write_shut: bool,
    /// What bind() asked for (0.0.0.0:0 before it). Its address is
    /// getsockname's until the socket connects (0.0.0.0 for "any", as on
    /// Linux); its port, if the program chose one, is kept when a
    /// connect fails, as Linux keeps a chosen port (SOCK_BINDPORT_LOCK)
    /// and gives back one it picked.
    pub(super) bound: Address,
    /// A TCP connect() is under way and its outcome not yet told to the
    /// program (Linux's SS_CONNECTING): a refusal is still to report.
    pub(super) connecting: bool,
}

impl Entry {
    /// A new socket in `state`, named by one descriptor.
    pub(super) fn new(state: State) -> Entry {
        Entry {
            state,
            references: 1,
            reuse_address: false,
            write_shut: false,
            bound: Address { ip: [0; 4], port: 0 },
            connecting: false,
        }
    }
}

/// A TCP socket its program closed, finishing on its own.
#[derive(Clone, Copy, Debug)]
pub(super) struct Orphan {
    pub(super) handle: SocketHandle,
    pub(super) since: Instant,
}

/// Which smoltcp socket uses which pool buffer.
struct Pool<const N: usize> {
    owners: [Option<SocketHandle>; N],
}

impl<const N: usize> Pool<N> {
    const fn new() -> Self {
        Pool { owners: [None; N] }
    }

    fn free_slot(&self) -> Option<usize> {
        self.owners.iter().position(Option::is_none)
    }

    fn release(&mut self, handle: SocketHandle) {
        if let Some(slot) = self.owners.iter_mut().find(|o| **o == Some(handle)) {
            *slot = None;
        }
    }

    fn in_use(&self) -> usize {
        self.owners.iter().filter(|o| o.is_some()).count()
    }
}

static mut TCP_BUFFERS: [[[u8; TCP_BUFFER]; 2]; TCP_SLOTS] = [[[0; TCP_BUFFER]; 2]; TCP_SLOTS];
static mut UDP_BUFFERS: [[[u8; UDP_BUFFER]; 2]; UDP_SLOTS] = [[[0; UDP_BUFFER]; 2]; UDP_SLOTS];
static mut UDP_METADATA: [[[PacketMetadata<udp::UdpMetadata>; UDP_DATAGRAMS]; 2]; UDP_SLOTS] =
    [[[PacketMetadata::EMPTY; UDP_DATAGRAMS]; 2]; UDP_SLOTS];

/// The Linux sockets, and the pools behind them.
pub struct Table {
    pub(super) entries: [Option<Entry>; MAX_SOCKETS],
    pub(super) orphans: [Option<Orphan>; TCP_SLOTS],
    tcp: Pool<TCP_SLOTS>,
    udp: Pool<UDP_SLOTS>,
    next_port: u16,
    /// Connections reset because their handshake never finished (a SYN
    /// flood's half-open connections), and orphans reset at their timeout.
    pub handshakes_reset: u32,
    pub orphans_reset: u32,
}

impl Table {
    pub const fn new() -> Table {
        Table {
            entries: [None; MAX_SOCKETS],
            orphans: [None; TCP_SLOTS],
            tcp: Pool::new(),
            udp: Pool::new(),
            next_port: EPHEMERAL_FIRST,
            handshakes_reset: 0,
            orphans_reset: 0,
        }
    }

    pub(super) fn entry(&mut self, id: SocketId) -> Result<&mut Entry, NetError> {
        self.entries.get_mut(usize::from(id.0)).and_then(Option::as_mut).ok_or(NetError::Invalid)
    }

    /// A new smoltcp TCP socket with pool buffers, added to the set.
    pub(super) fn new_tcp(
        &mut self,
        sockets: &mut SocketSet<'static>,
    ) -> Result<SocketHandle, NetError> {
        let slot = self.tcp.free_slot().ok_or(NetError::NoBuffers)?;
        // SAFETY: pool slot `slot` is free (no smoltcp socket holds its
        // buffers: `Pool` records each owner until the socket is removed
        // from the set), so these are the only references to it.
        let [rx, tx] = unsafe { &mut (*(&raw mut TCP_BUFFERS))[slot] };
        let socket = tcp::Socket::new(
            tcp::SocketBuffer::new(&mut rx[..]),
            tcp::SocketBuffer::new(&mut tx[..]),
        );
        let handle = sockets.add(socket);
        self.tcp.owners[slot] = Some(handle);
        Ok(handle)
    }

    pub(super) fn new_udp(
        &mut self,
        sockets: &mut SocketSet<'static>,
    ) -> Result<SocketHandle, NetError> {
        let slot = self.udp.free_slot().ok_or(NetError::NoBuffers)?;
        // SAFETY: as in new_tcp, for the UDP pool.
        let ([rx, tx], [rx_meta, tx_meta]) = unsafe {
            (&mut (*(&raw mut UDP_BUFFERS))[slot], &mut (*(&raw mut UDP_METADATA))[slot])
        };
        let socket = udp::Socket::new(
            udp::PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
            udp::PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
        );
        let handle = sockets.add(socket);
        self.udp.owners[slot] = Some(handle);
        Ok(handle)
    }

    /// Removes a smoltcp socket and frees its pool buffers.
    pub(super) fn remove(&mut self, sockets: &mut SocketSet<'static>, handle: SocketHandle) {
        sockets.remove(handle);
        self.tcp.release(handle);
        self.udp.release(handle);
    }

    /// A free port of this protocol, from the ephemeral range.
    pub(super) fn ephemeral_port(&mut self, sockets: &SocketSet<'static>, kind: Kind) -> u16 {
        loop {
            let port = self.next_port;
            self.next_port = if port == u16::MAX { EPHEMERAL_FIRST } else { port + 1 };
            if !self.port_taken(sockets, kind, port) {
                return port;
            }
        }
    }

    /// Whether a live socket of `kind` holds `port`.
    pub(super) fn port_taken(&self, sockets: &SocketSet<'static>, kind: Kind, port: u16) -> bool {
        self.entries.iter().flatten().any(|e| match (kind, e.state) {
            (Kind::Datagram, State::Udp { handle, .. }) => {
                sockets.get::<udp::Socket>(handle).endpoint().port == port
            }
            (Kind::Stream, State::Fresh { port: Some(p) }) => p == port,
            (Kind::Stream, State::Listening { port: p, .. }) => p == port,
            (Kind::Stream, State::Connected { handle }) => {
                sockets.get::<tcp::Socket>(handle).local_endpoint().map(|e| e.port) == Some(port)
            }
            _ => false,
        })
    }

    /// The UDP socket bound to `port`, if one is.
    pub fn udp_socket_on(&self, sockets: &SocketSet<'static>, port: u16) -> Option<SocketHandle> {
        self.entries.iter().flatten().find_map(|e| match e.state {
            State::Udp { handle, .. }
                if sockets.get::<udp::Socket>(handle).endpoint().port == port =>
            {
                Some(handle)
            }
            _ => None,
        })
    }

    /// The stack's bookkeeping after a poll: listeners whose handshake
    /// timed out listen again; orphans that have closed are reaped, and
    /// those that took too long are reset. Whether anything changed.
    pub fn housekeeping(&mut self, sockets: &mut SocketSet<'static>, now: Instant) -> bool {
        let mut changed = false;
        for entry in self.entries.iter().flatten() {
            if let State::Listening { port, backlog } = entry.state {
                for handle in backlog.iter().flatten() {
                    let socket = sockets.get_mut::<tcp::Socket>(*handle);
                    if socket.state() == tcp::State::Closed {
                        self.handshakes_reset += 1;
                        let _ = socket.listen(port);
                        changed = true;
                    }
                }
            }
        }
        for i in 0..self.orphans.len() {
            let Some(orphan) = self.orphans[i] else { continue };
            let socket = sockets.get_mut::<tcp::Socket>(orphan.handle);
            let done = matches!(socket.state(), tcp::State::Closed | tcp::State::TimeWait);
            if !done && now - orphan.since < ORPHAN_TIMEOUT {
                continue;
            }
            if !done {
                socket.abort();
                self.orphans_reset += 1;
            }
            self.orphans[i] = None;
            self.remove(sockets, orphan.handle);
            changed = true;
        }
        changed
    }

    /// For the report: sockets open, and pool buffers in use.
    pub fn summary(&self) -> Summary {
        Summary {
            open: self.entries.iter().flatten().count(),
            tcp: self.tcp.in_use(),
            udp: self.udp.in_use(),
            handshakes_reset: self.handshakes_reset,
            orphans_reset: self.orphans_reset,
        }
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

/// The socket table in numbers.
pub struct Summary {
    open: usize,
    tcp: usize,
    udp: usize,
    handshakes_reset: u32,
    orphans_reset: u32,
}

impl core::fmt::Display for Summary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} open, TCP buffers {}/{}, UDP buffers {}/{}, half-open reset {}, \
             unfinished closes reset {}",
            self.open,
            self.tcp,
            TCP_SLOTS,
            self.udp,
            UDP_SLOTS,
            self.handshakes_reset,
            self.orphans_reset
        )
    }
}
