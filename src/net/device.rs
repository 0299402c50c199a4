//! The one adaptor between a network card (src/dev/nic.rs) and smoltcp:
//! smoltcp's `phy::Device`, over any `Nic`.
//!
//! smoltcp pulls frames through tokens: `receive` hands out a pair (the
//! received frame, and a transmit slot for an answer, such as an ARP
//! reply), `transmit` a transmit slot alone. Here the receive token lends
//! the card's own ring slot (no copy), and the transmit token lets
//! smoltcp write straight into the card's transmit buffer.
//!
//! Before a frame is lent to the stack, `check` looks at it with
//! smoltcp's own checked parsers. smoltcp drops a malformed frame
//! without a word; here every frame the stack would drop, or that is not
//! for this host, is dropped first and counted by reason, so that a
//! flood of bad frames shows up in the report instead of vanishing.
//! The check is pure: the host tests feed it hand-made frames.

use smoltcp::wire::{
    ArpOperation, ArpPacket, EthernetAddress, EthernetFrame, EthernetProtocol, IpProtocol,
    Ipv4Address, Ipv4Packet, TcpPacket, UdpPacket,
};

/// Why a received frame was dropped before the stack saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drop {
    /// Shorter than an Ethernet header, or a header that says more bytes
    /// than the frame holds (a truncated IPv4, TCP or UDP header).
    Truncated,
    /// An IPv4 header, TCP or UDP checksum that does not add up.
    BadChecksum,
    /// For another host: ARP about another address, IPv4 to another
    /// address, Ethernet to another card.
    NotForUs,
    /// A protocol this stack does not speak (IPv6, IP fragments, IP
    /// protocols other than TCP, UDP and ICMP).
    Unsupported,
}

/// How many kinds of `Drop` there are, for counter arrays.
pub const DROP_KINDS: usize = 4;

impl Drop {
    pub const ALL: [Drop; DROP_KINDS] =
        [Drop::Truncated, Drop::BadChecksum, Drop::NotForUs, Drop::Unsupported];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Drop::Truncated => "truncated",
            Drop::BadChecksum => "bad checksum",
            Drop::NotForUs => "not for us",
            Drop::Unsupported => "unsupported",
        }
    }
}

/// Whether the stack should see `frame`, received by the card with
/// address `mac` on a host with address `ip`.
pub fn check(frame: &[u8], mac: EthernetAddress, ip: Ipv4Address) -> Result<(), Drop> {
    let ethernet = EthernetFrame::new_checked(frame).map_err(|_| Drop::Truncated)?;
    let to = ethernet.dst_addr();
    if to != mac && !to.is_broadcast() {
        return Err(Drop::NotForUs);
    }
    match ethernet.ethertype() {
        EthernetProtocol::Arp => {
            let arp = ArpPacket::new_checked(ethernet.payload()).map_err(|_| Drop::Truncated)?;
            if arp.target_protocol_addr() != ip.octets() {
                return Err(Drop::NotForUs);
            }
            match arp.operation() {
                ArpOperation::Request | ArpOperation::Reply => Ok(()),
                _ => Err(Drop::Unsupported),
            }
        }
        EthernetProtocol::Ipv4 => check_ipv4(ethernet.payload(), ip),
        _ => Err(Drop::Unsupported),
    }
}

fn check_ipv4(packet: &[u8], ip: Ipv4Address) -> Result<(), Drop> {
    let ipv4 = Ipv4Packet::new_checked(packet).map_err(|_| Drop::Truncated)?;
    if !ipv4.verify_checksum() {
        return Err(Drop::BadChecksum);
    }
    let to = ipv4.dst_addr();
    if to != ip && !to.is_broadcast() {
        return Err(Drop::NotForUs);
    }
    if ipv4.more_frags() || ipv4.frag_offset() != 0 {
        return Err(Drop::Unsupported);
    }
    let (from, payload) = (ipv4.src_addr(), ipv4.payload());
    match ipv4.next_header() {
        IpProtocol::Tcp => {
            let tcp = TcpPacket::new_checked(payload).map_err(|_| Drop::Truncated)?;
            if !tcp.verify_checksum(&from.into(), &to.into()) {
                return Err(Drop::BadChecksum);
            }
            Ok(())
        }
        IpProtocol::Udp => {
            let udp = UdpPacket::new_checked(payload).map_err(|_| Drop::Truncated)?;
            if !udp.verify_checksum(&from.into(), &to.into()) {
                return Err(Drop::BadChecksum);
            }
            Ok(())
        }
        // Echo requests: smoltcp answers them itself (ping works).
        IpProtocol::Icmp => Ok(()),
        _ => Err(Drop::Unsupported),
    }
}

/// The destination port and payload length of a UDP datagram in
/// `frame`, if it is one (after `check` passed on it).
pub fn udp_destination(frame: &[u8]) -> Option<(u16, usize)> {
    let ethernet = EthernetFrame::new_checked(frame).ok()?;
    if ethernet.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ipv4 = Ipv4Packet::new_checked(ethernet.payload()).ok()?;
    if ipv4.next_header() != IpProtocol::Udp {
        return None;
    }
    let udp = UdpPacket::new_checked(ipv4.payload()).ok()?;
    Some((udp.dst_port(), udp.payload().len()))
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use smoltcp::phy::{self, DeviceCapabilities, Medium};
    use smoltcp::time::Instant;
    use smoltcp::wire::{EthernetAddress, Ipv4Address};

    use super::{check, Drop, DROP_KINDS};
    use crate::dev::nic::{Nic, ReceiveQueue, TransmitQueue};

    /// A card, for the length of one poll, with the address its frames
    /// are checked against and the drop counters.
    pub struct Adaptor<'a, N: Nic> {
        pub nic: &'a mut N,
        pub ip: Ipv4Address,
        pub drops: &'a mut [u32; DROP_KINDS],
    }

    pub struct RxToken<'a, Q: ReceiveQueue>(&'a mut Q);
    pub struct TxToken<'a, Q: TransmitQueue>(&'a mut Q);

    impl<N: Nic> phy::Device for Adaptor<'_, N> {
        type RxToken<'b>
            = RxToken<'b, N::Rx>
        where
            Self: 'b;
        type TxToken<'b>
            = TxToken<'b, N::Tx>
        where
            Self: 'b;

        /// The oldest frame that passes `check`; the ones before it that
        /// do not are dropped and counted.
        fn receive(&mut self, _now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
            let mac = EthernetAddress(self.nic.mac());
            let (rx, tx) = self.nic.queues();
            loop {
                match rx.peek(|frame| check(frame, mac, self.ip))? {
                    Ok(()) => return Some((RxToken(rx), TxToken(tx))),
                    Err(drop) => {
                        self.drops[Drop::index(drop)] += 1;
                        rx.receive(|_| ());
                    }
                }
            }
        }

        fn transmit(&mut self, _now: Instant) -> Option<Self::TxToken<'_>> {
            let (_, tx) = self.nic.queues();
            tx.has_room().then_some(TxToken(tx))
        }

        fn capabilities(&self) -> DeviceCapabilities {
            let mut caps = DeviceCapabilities::default();
            caps.medium = Medium::Ethernet;
            caps.max_transmission_unit = self.nic.max_frame();
            // One frame in flight per poll step: the card's ring is short.
            caps.max_burst_size = Some(1);
            caps
        }
    }

    impl<Q: ReceiveQueue> phy::RxToken for RxToken<'_, Q> {
        fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
            self.0.receive(f).expect("receive() saw the frame")
        }
    }

    impl<Q: TransmitQueue> phy::TxToken for TxToken<'_, Q> {
        fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
            let mut f = Some(f);
            match self.0.transmit(len, |buffer| (f.take().expect("called once"))(buffer)) {
                Some(result) => result,
                // transmit() saw room; only a frame longer than the card
                // takes is refused here (the card counts it): build it in
                // a scratch buffer so smoltcp's bookkeeping goes on.
                None => (f.take().expect("not called"))(&mut [0u8; 2048][..len.min(2048)]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{ArpHardware, ArpRepr, EthernetRepr, IpAddress, Ipv4Repr, UdpRepr};

    const MAC: EthernetAddress = EthernetAddress([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    const PEER: EthernetAddress = EthernetAddress([0x52, 0x55, 10, 0, 2, 2]);
    const IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
    const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);

    fn ethernet(to: EthernetAddress, ethertype: EthernetProtocol, payload: &[u8]) -> Vec<u8> {
        let repr = EthernetRepr { src_addr: PEER, dst_addr: to, ethertype };
        let mut frame = vec![0u8; repr.buffer_len() + payload.len()];
        let mut f = EthernetFrame::new_unchecked(&mut frame);
        repr.emit(&mut f);
        f.payload_mut().copy_from_slice(payload);
        frame
    }

    fn arp_request(target: Ipv4Address) -> Vec<u8> {
        let repr = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: PEER,
            source_protocol_addr: GATEWAY,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: target,
        };
        let mut bytes = vec![0u8; repr.buffer_len()];
        repr.emit(&mut ArpPacket::new_unchecked(&mut bytes));
        let _ = ArpHardware::Ethernet;
        ethernet(EthernetAddress::BROADCAST, EthernetProtocol::Arp, &bytes)
    }

    fn udp_datagram(to: Ipv4Address, payload: &[u8]) -> Vec<u8> {
        let udp = UdpRepr { src_port: 40000, dst_port: 5555 };
        let ip = Ipv4Repr {
            src_addr: GATEWAY,
            dst_addr: to,
            next_header: IpProtocol::Udp,
            payload_len: udp.header_len() + payload.len(),
            hop_limit: 64,
        };
        let mut bytes = vec![0u8; ip.buffer_len() + ip.payload_len];
        let caps = ChecksumCapabilities::default();
        let mut packet = Ipv4Packet::new_unchecked(&mut bytes);
        ip.emit(&mut packet, &caps);
        let mut datagram = UdpPacket::new_unchecked(packet.payload_mut());
        udp.emit(
            &mut datagram,
            &IpAddress::Ipv4(GATEWAY),
            &IpAddress::Ipv4(to),
            payload.len(),
            |buf| buf.copy_from_slice(payload),
            &caps,
        );
        ethernet(MAC, EthernetProtocol::Ipv4, &bytes)
    }

    #[test]
    fn udp_datagrams_are_found_by_port_and_length() {
        assert_eq!(udp_destination(&udp_datagram(IP, b"hello")), Some((5555, 5)));
        assert_eq!(udp_destination(&arp_request(IP)), None);
    }

    #[test]
    fn good_frames_pass() {
        assert_eq!(check(&arp_request(IP), MAC, IP), Ok(()));
        assert_eq!(check(&udp_datagram(IP, b"hello"), MAC, IP), Ok(()));
    }

    #[test]
    fn runts_and_truncated_headers_are_counted_as_truncated() {
        assert_eq!(check(&[0u8; 10], MAC, IP), Err(Drop::Truncated));
        let frame = udp_datagram(IP, b"hello");
        // Cut inside the IPv4 header, and inside the UDP header.
        assert_eq!(check(&frame[..14 + 12], MAC, IP), Err(Drop::Truncated));
        assert_eq!(check(&frame[..14 + 20 + 4], MAC, IP), Err(Drop::Truncated));
    }

    #[test]
    fn a_flipped_bit_is_a_bad_checksum() {
        let mut frame = udp_datagram(IP, b"hello");
        *frame.last_mut().unwrap() ^= 1;
        assert_eq!(check(&frame, MAC, IP), Err(Drop::BadChecksum));
        let mut frame = udp_datagram(IP, b"hello");
        frame[14 + 8] ^= 1; // the IPv4 TTL: the header checksum breaks
        assert_eq!(check(&frame, MAC, IP), Err(Drop::BadChecksum));
    }

    #[test]
    fn other_hosts_traffic_is_not_for_us() {
        assert_eq!(
            check(&arp_request(Ipv4Address::new(10, 0, 2, 16)), MAC, IP),
            Err(Drop::NotForUs)
        );
        assert_eq!(
            check(&udp_datagram(Ipv4Address::new(10, 0, 2, 99), b"x"), MAC, IP),
            Err(Drop::NotForUs)
        );
        let mut frame = udp_datagram(IP, b"x");
        frame[0] = 0x02; // another card's address
        assert_eq!(check(&frame, MAC, IP), Err(Drop::NotForUs));
    }

    #[test]
    fn other_protocols_are_unsupported() {
        let frame = ethernet(MAC, EthernetProtocol::Ipv6, &[0u8; 40]);
        assert_eq!(check(&frame, MAC, IP), Err(Drop::Unsupported));
        assert_eq!(Drop::ALL.iter().map(|d| d.index()).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }
}
