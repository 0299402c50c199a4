//! Linux's sockets, on smoltcp's.
//!
//! A program's socket (what its file descriptor names, src/user/fd.rs)
//! is a `SocketId` here: a slot of `Table`. Behind it are one or more
//! smoltcp sockets:
//!
//! - **UDP**: one smoltcp UDP socket, bound at `bind` or, as Linux does,
//!   to a free port at the first `sendto`.
//! - **TCP, listening**: smoltcp has no accept queue (one socket is one
//!   connection), so `listen(fd, n)` opens n smoltcp sockets listening on
//!   the port (at most BACKLOG_MAX); `accept` hands out one that has
//!   reached Established and puts a fresh listener in its place. Three
//!   clients at once find three listeners.
//! - **TCP, connected**: one smoltcp TCP socket, from `accept` or
//!   `connect`. `close` sends FIN and leaves it to finish the handshake
//!   on its own (an orphan), to be reaped once closed.
//!
//! The table behind them, and its buffer pools, is src/net/table.rs.
//!
//! Blocking is the point: `accept`, `recv` and `connect` check their
//! socket, and if nothing is there, sleep on `NET` until the card's
//! interrupt (or the stack's own timer) wakes them, then poll and look
//! again. Non-blocking callers get `WouldBlock` (EAGAIN) instead; a
//! connect that may not wait answers as Linux's does (EINPROGRESS, then
//! EALREADY until the handshake is over).

use smoltcp::socket::{tcp, udp};
use smoltcp::wire::IpListenEndpoint;

use super::api::{Address, Kind, NetError, SocketId};
use super::stack::{poll, with_stack, work, Stack, NET};
use super::table::{address, endpoint, Entry, Orphan, State, BACKLOG_MAX};
use super::table::{HANDSHAKE_TIMEOUT, UDP_BUFFER};
use crate::sched;

/// Runs `f` on the stack; NoNetwork without a card.
fn stack<R>(f: impl FnOnce(&mut Stack) -> Result<R, NetError>) -> Result<R, NetError> {
    with_stack(f).unwrap_or(Err(NetError::NoNetwork))
}

/// Tries `attempt` until it stops saying WouldBlock: polling the stack
/// first each time, and sleeping on NET in between, unless `nonblocking`.
/// A Ctrl-C for the process ends the wait.
fn wait<R>(
    nonblocking: bool,
    mut attempt: impl FnMut(&mut Stack) -> Result<R, NetError>,
) -> Result<R, NetError> {
    loop {
        work();
        match stack(&mut attempt) {
            Err(NetError::WouldBlock) if !nonblocking => {
                if sched::with_current(|p| p.interrupted) {
                    return Err(NetError::Interrupted);
                }
                // The card's interrupt (or the stack's timer) wakes us.
                sched::sleep_on(NET);
            }
            other => return other,
        }
    }
}

/// socket(): a new socket of `kind`.
pub fn open(kind: Kind) -> Result<SocketId, NetError> {
    stack(|s| {
        let index = s.table.entries.iter().position(Option::is_none).ok_or(NetError::NoBuffers)?;
        let state = match kind {
            Kind::Datagram => State::Udp { handle: s.table.new_udp(&mut s.sockets)?, peer: None },
            Kind::Stream => State::Fresh { port: None },
        };
        s.table.entries[index] = Some(Entry::new(state));
        Ok(SocketId(index as u16))
    })
}

/// One more file descriptor names `id` (dup).
pub fn add_reference(id: SocketId) {
    let _ = stack(|s| {
        let e = s.table.entry(id)?;
        e.references += 1;
        Ok(())
    });
}

/// A file descriptor naming `id` was closed; at the last, the socket
/// closes: a connection sends FIN and finishes on its own, listeners and
/// UDP sockets go at once.
pub fn release(id: SocketId) {
    let _ = stack(|s| {
        let e = s.table.entry(id)?;
        e.references -= 1;
        if e.references > 0 {
            return Ok(());
        }
        let state = e.state;
        s.table.entries[usize::from(id.0)] = None;
        match state {
            State::Udp { handle, .. } => s.table.remove(&mut s.sockets, handle),
            State::Fresh { .. } => {}
            State::Listening { backlog, .. } => {
                for handle in backlog.into_iter().flatten() {
                    s.sockets.get_mut::<tcp::Socket>(handle).abort();
                    s.table.remove(&mut s.sockets, handle);
                }
            }
            State::Connected { handle } => {
                s.sockets.get_mut::<tcp::Socket>(handle).close();
                let slot = s.table.orphans.iter().position(Option::is_none);
                let orphan = Orphan { handle, since: super::stack::now() };
                // There is an orphan slot for every TCP socket.
                s.table.orphans[slot.expect("an orphan slot per TCP socket")] = Some(orphan);
            }
        }
        Ok(())
    });
    poll();
}

/// setsockopt(SOL_SOCKET, SO_REUSEADDR).
pub fn set_reuse_address(id: SocketId, on: bool) -> Result<(), NetError> {
    stack(|s| {
        s.table.entry(id)?.reuse_address = on;
        Ok(())
    })
}

/// Checks that `address` may be bound here: this host's address or any.
fn local_ip_ok(s: &Stack, ip: [u8; 4]) -> bool {
    ip == [0; 4] || ip == s.config.address.octets()
}

/// bind(): takes `address`'s port (0: a free one).
pub fn bind(id: SocketId, address: Address) -> Result<(), NetError> {
    stack(|s| {
        if !local_ip_ok(s, address.ip) {
            return Err(NetError::AddressNotAvailable);
        }
        let state = s.table.entry(id)?.state;
        // A socket bound already (or listening, or connected) is EINVAL
        // before the port is looked at: Linux's __inet_bind checks the
        // socket's state first, so binding its own port again is EINVAL,
        // not EADDRINUSE.
        let kind = match state {
            State::Udp { handle, .. } if !s.sockets.get::<udp::Socket>(handle).is_open() => {
                Kind::Datagram
            }
            State::Fresh { port: None } => Kind::Stream,
            _ => return Err(NetError::Invalid),
        };
        let port = match address.port {
            0 => s.table.ephemeral_port(&s.sockets, kind),
            p if s.table.port_taken(&s.sockets, kind, p) => return Err(NetError::AddressInUse),
            p => p,
        };
        if let State::Udp { handle, .. } = state {
            let socket = s.sockets.get_mut::<udp::Socket>(handle);
            socket.bind(port).map_err(|_| NetError::Invalid)?;
        } else {
            s.table.entry(id)?.state = State::Fresh { port: Some(port) };
        }
        s.table.entry(id)?.bound = address;
        Ok(())
    })
}

/// listen(): opens up to `backlog` listeners on the bound port.
pub fn listen(id: SocketId, backlog: u32) -> Result<(), NetError> {
    let result = stack(|s| {
        let port = match s.table.entry(id)?.state {
            State::Fresh { port: Some(port) } => port,
            // Linux binds a free port for an unbound listener.
            State::Fresh { port: None } => s.table.ephemeral_port(&s.sockets, Kind::Stream),
            // listen() again only changes the backlog on Linux: kept.
            State::Listening { .. } => return Ok(()),
            State::Udp { .. } => return Err(NetError::NotSupported),
            State::Connected { .. } => return Err(NetError::Invalid),
        };
        let wanted = (backlog as usize).clamp(1, BACKLOG_MAX);
        let mut listeners = [None; BACKLOG_MAX];
        for slot in listeners.iter_mut().take(wanted) {
            let Ok(handle) = s.table.new_tcp(&mut s.sockets) else { break };
            let socket = s.sockets.get_mut::<tcp::Socket>(handle);
            socket.set_timeout(Some(HANDSHAKE_TIMEOUT));
            socket.listen(port).map_err(|_| NetError::Invalid)?;
            *slot = Some(handle);
        }
        if listeners[0].is_none() {
            return Err(NetError::NoBuffers);
        }
        s.table.entry(id)?.state = State::Listening { port, backlog: listeners };
        Ok(())
    });
    poll();
    result
}

/// accept(): the next connection, as a new socket, with its peer.
pub fn accept(id: SocketId, nonblocking: bool) -> Result<(SocketId, Address), NetError> {
    let result = wait(nonblocking, |s| {
        let (port, backlog) = match s.table.entry(id)?.state {
            State::Listening { port, backlog } => (port, backlog),
            // Linux: a datagram socket has no accept (sock_no_accept).
            State::Udp { .. } => return Err(NetError::NotSupported),
            _ => return Err(NetError::Invalid),
        };
        let ready = backlog.iter().enumerate().find_map(|(i, h)| {
            let socket = s.sockets.get::<tcp::Socket>((*h)?);
            // A connection whose peer already sent FIN (CloseWait) still
            // has its data to read: it is accepted as well.
            matches!(socket.state(), tcp::State::Established | tcp::State::CloseWait)
                .then_some((i, (*h)?))
        });
        let Some((i, handle)) = ready else { return Err(NetError::WouldBlock) };
        let index = s.table.entries.iter().position(Option::is_none).ok_or(NetError::NoBuffers)?;
        let socket = s.sockets.get_mut::<tcp::Socket>(handle);
        socket.set_timeout(None);
        let peer = address(socket.remote_endpoint().expect("connected"));
        s.table.entries[index] = Some(Entry::new(State::Connected { handle }));
        // A new listener in the one's place, if the pool has one.
        let fresh = s.table.new_tcp(&mut s.sockets).ok();
        if let Some(h) = fresh {
            let socket = s.sockets.get_mut::<tcp::Socket>(h);
            socket.set_timeout(Some(HANDSHAKE_TIMEOUT));
            let _ = socket.listen(port);
        }
        if let State::Listening { backlog, .. } = &mut s.table.entry(id)?.state {
            backlog[i] = fresh;
        }
        Ok((SocketId(index as u16), peer))
    });
    poll();
    result
}

/// What connect() found.
enum Connecting {
    /// A UDP socket: the peer is named, there is nothing to wait for.
    Named,
    /// A TCP handshake, started by this call.
    Started,
    /// A TCP handshake an earlier call started, not yet reported.
    UnderWay,
}

/// connect(): TCP waits for the handshake; UDP only names the peer.
/// Without waiting, as Linux answers (__inet_stream_connect): the call
/// that starts it is EINPROGRESS, a call while it goes on EALREADY; the
/// first call after it is 0 (later ones EISCONN), or ECONNREFUSED, and
/// then the socket may connect again.
pub fn connect(id: SocketId, to: Address, nonblocking: bool) -> Result<(), NetError> {
    let found = stack(|s| {
        let entry = *s.table.entry(id)?;
        match entry.state {
            State::Udp { handle, .. } => {
                let socket = s.sockets.get_mut::<udp::Socket>(handle);
                if !socket.is_open() {
                    let port = s.table.ephemeral_port(&s.sockets, Kind::Datagram);
                    s.sockets
                        .get_mut::<udp::Socket>(handle)
                        .bind(port)
                        .map_err(|_| NetError::Invalid)?;
                }
                s.table.entry(id)?.state = State::Udp { handle, peer: Some(to) };
                Ok(Connecting::Named)
            }
            State::Fresh { port } => {
                let local = match port {
                    Some(p) => p,
                    None => s.table.ephemeral_port(&s.sockets, Kind::Stream),
                };
                let handle = s.table.new_tcp(&mut s.sockets)?;
                let cx = s.iface.context();
                let socket = s.sockets.get_mut::<tcp::Socket>(handle);
                if socket.connect(cx, endpoint(to), local).is_err() {
                    s.table.remove(&mut s.sockets, handle);
                    return Err(NetError::Invalid);
                }
                let entry = s.table.entry(id)?;
                entry.state = State::Connected { handle };
                entry.connecting = true;
                Ok(Connecting::Started)
            }
            State::Listening { .. } => Err(NetError::Invalid),
            State::Connected { .. } if entry.connecting => Ok(Connecting::UnderWay),
            State::Connected { .. } => Err(NetError::IsConnected),
        }
    })?;
    if let Connecting::Named = found {
        return Ok(());
    }
    poll();
    match wait(nonblocking, |s| handshake(s, id)) {
        Err(NetError::WouldBlock) if matches!(found, Connecting::Started) => {
            Err(NetError::InProgress)
        }
        Err(NetError::WouldBlock) => Err(NetError::Already),
        other => other,
    }
}

/// Where `id`'s handshake stands: WouldBlock while the SYN waits; once
/// it is over, the outcome, told to the program this once.
fn handshake(s: &mut Stack, id: SocketId) -> Result<(), NetError> {
    if refused(s, id, true)? {
        return Err(NetError::Refused);
    }
    let State::Connected { handle } = s.table.entry(id)?.state else {
        return Err(NetError::Invalid);
    };
    match s.sockets.get::<tcp::Socket>(handle).state() {
        tcp::State::SynSent | tcp::State::SynReceived => Err(NetError::WouldBlock),
        _ => {
            s.table.entry(id)?.connecting = false;
            Ok(())
        }
    }
}

/// Whether `id`'s connect() was refused (the peer answered the SYN with
/// RST: slirp does, for a port nothing listens on) and the program not
/// yet told; the caller tells it, ECONNREFUSED, this once (Linux's
/// sk_err, read once). Told by connect() (`disconnect`), the socket is
/// unconnected again, as Linux's connect disconnects it: recv is then
/// ENOTCONN, and connect may try again. Told by recv or send, it stays
/// a closed connection, as tcp_done leaves it: recv is then 0.
fn refused(s: &mut Stack, id: SocketId, disconnect: bool) -> Result<bool, NetError> {
    let entry = *s.table.entry(id)?;
    let State::Connected { handle } = entry.state else { return Ok(false) };
    if !entry.connecting || s.sockets.get::<tcp::Socket>(handle).state() != tcp::State::Closed {
        return Ok(false);
    }
    let entry = s.table.entry(id)?;
    entry.connecting = false;
    if disconnect {
        let chosen = entry.bound.port;
        entry.state = State::Fresh { port: (chosen != 0).then_some(chosen) };
        s.table.remove(&mut s.sockets, handle);
    }
    Ok(true)
}

/// send()/sendto(): `bytes` to the connection, or as one datagram to `to`
/// (or the connected peer). How many bytes were taken.
pub fn send(
    id: SocketId,
    bytes: &[u8],
    to: Option<Address>,
    nonblocking: bool,
) -> Result<usize, NetError> {
    let result = wait(nonblocking, |s| {
        if refused(s, id, false)? {
            return Err(NetError::Refused);
        }
        let entry = *s.table.entry(id)?;
        match entry.state {
            State::Udp { handle, peer } => {
                let to = to.or(peer).ok_or(NetError::NoDestination)?;
                if bytes.len() > UDP_BUFFER || bytes.len() > 65507 {
                    return Err(NetError::TooLong);
                }
                if !s.sockets.get::<udp::Socket>(handle).is_open() {
                    let port = s.table.ephemeral_port(&s.sockets, Kind::Datagram);
                    let socket = s.sockets.get_mut::<udp::Socket>(handle);
                    socket.bind(port).map_err(|_| NetError::Invalid)?;
                }
                let socket = s.sockets.get_mut::<udp::Socket>(handle);
                match socket.send_slice(bytes, endpoint(to)) {
                    Ok(()) => Ok(bytes.len()),
                    Err(udp::SendError::BufferFull) => Err(NetError::WouldBlock),
                    Err(udp::SendError::Unaddressable) => Err(NetError::Invalid),
                }
            }
            State::Connected { handle } => {
                if to.is_some() {
                    return Err(NetError::IsConnected);
                }
                if entry.write_shut {
                    return Err(NetError::BrokenPipe);
                }
                let socket = s.sockets.get_mut::<tcp::Socket>(handle);
                match socket.state() {
                    tcp::State::SynSent | tcp::State::SynReceived => Err(NetError::WouldBlock),
                    tcp::State::Closed if bytes.is_empty() => Ok(0),
                    tcp::State::Closed => Err(NetError::Reset),
                    _ if !socket.may_send() => Err(NetError::BrokenPipe),
                    _ if bytes.is_empty() => Ok(0),
                    _ => match socket.send_slice(bytes) {
                        Ok(0) => Err(NetError::WouldBlock),
                        Ok(n) => Ok(n),
                        Err(_) => Err(NetError::BrokenPipe),
                    },
                }
            }
            // Linux (sk_stream_wait_connect): EPIPE, not ENOTCONN, for a
            // stream that is not connecting or connected.
            State::Fresh { .. } | State::Listening { .. } => Err(NetError::BrokenPipe),
        }
    });
    poll();
    result
}

/// recv()/recvfrom(): bytes of the connection (0: the peer closed), or
/// one datagram (the rest of a datagram that does not fit is dropped, as
/// Linux does), with who sent it.
pub fn receive(
    id: SocketId,
    buffer: &mut [u8],
    nonblocking: bool,
) -> Result<(usize, Option<Address>), NetError> {
    let result = wait(nonblocking, |s| {
        if refused(s, id, false)? {
            return Err(NetError::Refused);
        }
        receive_now(s, id, buffer)
    });
    // The window opened: let the stack say so.
    poll();
    result
}

/// What receive() finds on `id` now (WouldBlock: nothing yet).
fn receive_now(
    s: &mut Stack,
    id: SocketId,
    buffer: &mut [u8],
) -> Result<(usize, Option<Address>), NetError> {
    match s.table.entry(id)?.state {
        State::Udp { handle, peer } => {
            let socket = s.sockets.get_mut::<udp::Socket>(handle);
            if !socket.is_open() {
                // Unbound: nothing can ever arrive (Linux waits forever).
                return Err(NetError::WouldBlock);
            }
            match socket.recv() {
                Ok((data, meta)) => {
                    let from = address(meta.endpoint);
                    if peer.is_some_and(|p| p != from) {
                        return Err(NetError::WouldBlock); // not from the connected peer
                    }
                    let n = data.len().min(buffer.len());
                    buffer[..n].copy_from_slice(&data[..n]);
                    Ok((n, Some(from)))
                }
                Err(_) => Err(NetError::WouldBlock),
            }
        }
        State::Connected { handle } => {
            let socket = s.sockets.get_mut::<tcp::Socket>(handle);
            // Linux's recv waits for a connection still in its handshake
            // (EAGAIN when it may not); smoltcp's recv_slice would answer
            // InvalidState there, which is not ENOTCONN's case.
            if matches!(socket.state(), tcp::State::SynSent | tcp::State::SynReceived) {
                return Err(NetError::WouldBlock);
            }
            let peer = socket.remote_endpoint().map(address);
            if buffer.is_empty() {
                return Ok((0, peer));
            }
            match socket.recv_slice(buffer) {
                Ok(0) if socket.may_recv() => Err(NetError::WouldBlock),
                Ok(n) => Ok((n, peer)),
                // The peer's FIN: end of file.
                Err(tcp::RecvError::Finished) => Ok((0, peer)),
                Err(tcp::RecvError::InvalidState) if socket.state() == tcp::State::Closed => {
                    Ok((0, peer))
                }
                Err(tcp::RecvError::InvalidState) => Err(NetError::NotConnected),
            }
        }
        State::Fresh { .. } | State::Listening { .. } => Err(NetError::NotConnected),
    }
}

/// shutdown(): `read`/`write` say which directions end.
pub fn shutdown(id: SocketId, read: bool, write: bool) -> Result<(), NetError> {
    let result = stack(|s| {
        let entry = s.table.entry(id)?;
        let State::Connected { handle } = entry.state else { return Err(NetError::NotConnected) };
        if write {
            entry.write_shut = true;
            s.sockets.get_mut::<tcp::Socket>(handle).close();
        }
        let _ = read; // a later recv still returns what is buffered, then 0
        Ok(())
    });
    poll();
    result
}

/// getsockname().
pub fn local_address(id: SocketId) -> Result<Address, NetError> {
    stack(|s| {
        // This host's address once connected; before, the one bind()
        // named (0.0.0.0 for any, as Linux's inet_getname answers).
        let this_host = s.config.address.octets();
        let entry = *s.table.entry(id)?;
        let (ip, port) = match entry.state {
            State::Udp { handle, peer } => {
                let port = s.sockets.get::<udp::Socket>(handle).endpoint().port;
                (if peer.is_some() { this_host } else { entry.bound.ip }, port)
            }
            State::Fresh { port } => (entry.bound.ip, port.unwrap_or(0)),
            State::Listening { port, .. } => (entry.bound.ip, port),
            State::Connected { handle } => {
                let socket = s.sockets.get::<tcp::Socket>(handle);
                let listen: IpListenEndpoint = socket.listen_endpoint();
                (this_host, socket.local_endpoint().map_or(listen.port, |e| e.port))
            }
        };
        Ok(Address { ip: if port == 0 { [0; 4] } else { ip }, port })
    })
}

/// getpeername().
pub fn peer_address(id: SocketId) -> Result<Address, NetError> {
    stack(|s| match s.table.entry(id)?.state {
        State::Udp { peer: Some(peer), .. } => Ok(peer),
        // Linux (inet_getname): no peer while the SYN is out.
        State::Connected { handle } => {
            let socket = s.sockets.get::<tcp::Socket>(handle);
            let remote = socket.remote_endpoint().map(address);
            remote.filter(|_| socket.state() != tcp::State::SynSent).ok_or(NetError::NotConnected)
        }
        _ => Err(NetError::NotConnected),
    })
}

/// Whether `id` is a datagram socket (recvfrom reports the sender).
pub fn kind(id: SocketId) -> Result<Kind, NetError> {
    stack(|s| match s.table.entry(id)?.state {
        State::Udp { .. } => Ok(Kind::Datagram),
        _ => Ok(Kind::Stream),
    })
}
