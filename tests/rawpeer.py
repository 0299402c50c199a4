"""A network peer made of raw Ethernet frames, for the kernel's hostile-
input tests: QEMU's `-netdev dgram` carries each frame the e1000 sends
or receives as one UDP datagram between QEMU and this process, so the
test is the only other host on the wire and can send anything at all.

The peer plays 10.0.2.2 (MAC 52:55:0a:00:02:02, slirp's own): it answers
the guest's ARP requests for that address, and collects every other
frame the guest sends. The builders below make well-formed frames
(checksums right), which a test then breaks on purpose.
"""

import queue
import random
import socket
import struct
import threading

GUEST_MAC = bytes.fromhex("525400123456")
GUEST_IP = bytes([10, 0, 2, 15])
PEER_MAC = bytes.fromhex("52550a000202")
PEER_IP = bytes([10, 0, 2, 2])
BROADCAST = b"\xff" * 6
ETH_IPV4, ETH_ARP = 0x0800, 0x0806
IP_TCP, IP_UDP = 6, 17


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(dst, ethertype, payload, src=PEER_MAC):
    return dst + src + struct.pack("!H", ethertype) + payload


def arp(operation, target_ip, target_mac=b"\0" * 6, sender_ip=PEER_IP, sender_mac=PEER_MAC):
    body = struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, operation) + sender_mac + sender_ip + target_mac + target_ip
    dst = BROADCAST if operation == 1 else target_mac
    return ethernet(dst, ETH_ARP, body, src=sender_mac)


def ipv4(protocol, payload, src=PEER_IP, dst=GUEST_IP, total=None):
    length = 20 + len(payload) if total is None else total
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, random.randrange(65536), 0, 64, protocol, 0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def pseudo(src, dst, protocol, length):
    return src + dst + struct.pack("!BBH", 0, protocol, length)


def udp(src_port, dst_port, data, src=PEER_IP, dst=GUEST_IP):
    header = struct.pack("!HHHH", src_port, dst_port, 8 + len(data), 0)
    total = checksum(pseudo(src, dst, IP_UDP, 8 + len(data)) + header + data) or 0xFFFF
    segment = header[:6] + struct.pack("!H", total) + data
    return ethernet(GUEST_MAC, ETH_IPV4, ipv4(IP_UDP, segment, src, dst))


def tcp(src_port, dst_port, seq, ack, flags, data=b"", src=PEER_IP, dst=GUEST_IP, offset=5):
    header = struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, offset << 4, flags, 65535, 0, 0)
    total = checksum(pseudo(src, dst, IP_TCP, len(header) + len(data)) + header + data)
    segment = header[:16] + struct.pack("!H", total) + header[18:] + data
    return ethernet(GUEST_MAC, ETH_IPV4, ipv4(IP_TCP, segment, src, dst))


SYN, ACK, RST = 0x02, 0x10, 0x04


def parse(frame):
    """(ethertype, ip protocol or None, source port, dest port, payload,
    tcp flags) of a frame, as far as it goes."""
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype != ETH_IPV4:
        return ethertype, None, None, None, frame[14:], None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    protocol = ip[9]
    body = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
    if protocol == IP_UDP:
        sport, dport = struct.unpack("!HH", body[:4])
        return ethertype, protocol, sport, dport, body[8:], None
    if protocol == IP_TCP:
        sport, dport = struct.unpack("!HH", body[:4])
        return ethertype, protocol, sport, dport, body[(body[12] >> 4) * 4:], body[13]
    return ethertype, protocol, None, None, body, None


class RawPeer:
    """The far end of QEMU's dgram netdev: this process's UDP socket on
    `port` (QEMU's remote), sending to QEMU's `qemu_port` (its local).
    `sent` counts every frame sent to the guest."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        self.qemu_port = probe.getsockname()[1]
        probe.close()
        self.frames = queue.Queue()
        self.sent = 0
        self.arp_answered = 0
        self.running = True
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def qemu_args(self):
        return ["-netdev", "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=%d,"
                "remote.type=inet,remote.host=127.0.0.1,remote.port=%d" % (self.qemu_port, self.port),
                "-device", "e1000,netdev=n0"]

    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))
        self.sent += 1

    def _receive(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                frame, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if frame[12:14] == b"\x08\x06" and frame[20:22] == b"\x00\x01" and frame[38:42] == PEER_IP:
                self.send(arp(2, frame[28:32], target_mac=frame[22:28]))
                self.arp_answered += 1
                continue
            self.frames.put(frame)

    def expect(self, match, timeout=5.0):
        """The first frame from the guest for which match(parse(frame))
        holds, within `timeout` seconds; others are dropped. None if none."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                return None
            if match(parse(frame)):
                return frame

    def drain(self):
        while not self.frames.empty():
            self.frames.get_nowait()

    def close(self):
        self.running = False
        self.sock.close()
