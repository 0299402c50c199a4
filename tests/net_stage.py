"""The net stage of make test: the e1000's interrupt delivers data to the
process waiting for it, with real clients on this host.

The kernel boots with QEMU's user network (slirp) and hostfwd ports on
127.0.0.1, and runs build/httpd (a token chosen now) and build/udpecho,
the same gcc -m32 -static programs tests/net_host_check.py runs on this
Linux host first, as the oracle. Then:

  - curl fetches the page 50 times, then 3 curls at once 20 times each:
    every answer carries the token and the right counter (a connect()
    alone proves nothing: slirp accepts it with nothing listening);
  - 1,000 UDP datagrams of random sizes (1-1472 bytes), paced, all come
    back byte for byte;
  - udpecho, blocked in recvfrom for 2 s, has been charged no ring-3
    ticks and has switched in only a few times: it was woken by the
    card's interrupt, not polling;
  - build/netclient, in the kernel, fetches a page from a Python server
    on this host (10.0.2.2 inside) and prints it;
  - both servers end on their quit requests with status 0, every frame
    comes back, and the card's counters are reported;
  - hostile frames, with this test as the only other host on the wire
    (QEMU's dgram netdev, tests/rawpeer.py): runts, oversized frames, bad
    IPv4 and UDP checksums, truncated IPv4 and TCP headers, ARP for other
    hosts, a flood of 10,000 frames and a SYN flood against httpd's port.
    Every frame sent is accounted for, by the card or the stack, by
    reason, and afterwards the kernel still echoes a datagram and
    answers a SYN.

slirp runs with restrict=off: with restrict=on it drops every UDP
datagram the guest sends, the echo's replies on a hostfwd port among
them (measured; libslirp's udp_input refuses them before looking for
the forwarding socket). hostfwd binds 127.0.0.1 only.
"""

import os
import random
import re
import secrets
import subprocess
import sys
import time

import net_probe
import netpeers
import rawpeer
from harness import READY_LINE, ROOT, Qemu

BUILD = os.path.join(ROOT, "build")


def net_args(tcp, udp):
    """QEMU's options for the e1000 on slirp, with the two hostfwd ports:
    host TCP `tcp` to the guest's 8080, host UDP `udp` to its 5555."""
    return ["-nic", "user,model=e1000,restrict=off,"
            "hostfwd=tcp:127.0.0.1:%d-:8080,hostfwd=udp:127.0.0.1:%d-:5555" % (tcp, udp)]


def stage_net(r):
    stage_net_servers(r)
    stage_net_hostile(r)
    net_probe.stage_net_probe(r)


def stage_net_servers(r):
    host = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "net_host_check.py")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    r.check("net: the network programs behave on this Linux host as the tests expect (net_host_check.py)",
            host.returncode == 0, host.stdout[-3000:])
    if not netpeers.have_curl():
        r.check("net: curl is installed (tests/setup.sh net)", False, "no curl on PATH")
        return

    token = secrets.token_hex(6)
    tcp, udp = netpeers.free_port(), netpeers.free_port(kind=netpeers.socket.SOCK_DGRAM)
    modules = "%s/httpd %s,%s/udpecho" % (BUILD, token, BUILD)
    q = Qemu("net", extra=net_args(tcp, udp) + ["-initrd", modules])
    try:
        ok = q.wait_for(lambda out: "udpecho: listening on udp port 5555" in out
                        and "httpd: listening on tcp port 8080" in out, 60)
        if not r.check("net: both servers start on the kernel and listen", ok, q.diagnosis()):
            return
        lines = q.lines()
        r.check("net: the boot log names the card, its IRQ and the address",
                any(re.match(r"net: e1000 \(82540EM\) at 00:03\.0, IRQ 11 \(slave 8259, level\), MAC "
                             r"52:54:00:12:34:56, 10\.0\.2\.15/24 via 10\.0\.2\.2$", l) for l in lines)
                and READY_LINE in lines, q.diagnosis())

        # Blocked in recvfrom: two process tables 2 s apart. A reader woken
        # by the interrupt gains nothing in between; one that polled would
        # gain ring-3 ticks or switches.
        def udpecho_row(marker):
            for _ in range(3):
                q.sendkeys(["f11"])
                pattern = r"^ps: +\d+ udpecho +blocked +(\d+) +(\d+) +\d+$"
                if q.wait_for(lambda out: re.search(pattern, out[marker:], re.M), 3):
                    return tuple(map(int, re.findall(pattern, q.output()[marker:], re.M)[0]))
            return None
        first = udpecho_row(0)
        q.wait_for(lambda out: False, 2)
        second = udpecho_row(len(q.output()))
        r.check("net: udpecho blocked in recvfrom for 2 s gains no ring-3 ticks and no switches "
                "(it waits for the interrupt, it does not poll)",
                first is not None and second is not None and second[0] == first[0]
                and second[1] - first[1] <= 1,
                q.diagnosis("(ring-3 ticks, switches): %s then %s" % (first, second)))
        r.check("net: F11 prints the card's counters",
                re.search(r"^net: e1000 \d+ interrupts \(\d+ not ours\), received \d+, sent \d+", q.output(),
                          re.M) is not None, q.diagnosis())

        counters, errors = netpeers.fetch_loop("127.0.0.1", tcp, token, 50)
        problems = errors + netpeers.check_counters(counters, 1, 50)
        r.check("net: curl fetches the page 50 times, each with the token and its counter",
                not problems, q.diagnosis("\n".join(problems[:10])))
        counters, errors = netpeers.concurrent_fetch("127.0.0.1", tcp, token, clients=3, each=20)
        problems = errors + netpeers.check_counters(counters, 51, 60)
        r.check("net: 3 curls at once, 20 fetches each, every answer right",
                not problems, q.diagnosis("\n".join(problems[:10])))

        result = netpeers.udp_echo("127.0.0.1", udp, count=1000, seed=token)
        r.check("net: 1,000 UDP datagrams of 1-1472 bytes, paced, all echoed byte for byte",
                result.echoed == 1000 and result.lost == 0 and result.wrong == 0 and not result.problems,
                q.diagnosis(str(result)))

        # Unpaced (bursts of 50, 2 ms apart): udpecho cannot keep up, and
        # every datagram must be echoed or counted where it was dropped: by
        # the card (ring full), by the stack (socket buffer full), or by
        # this host before QEMU read it (its UDP RcvbufErrors).
        before = net_counters(q, 0)
        host_before = host_udp_drops()
        flood = netpeers.udp_flood("127.0.0.1", udp, count=1000, seed=token + "flood", burst=50, gap=0.002)
        host_dropped = host_udp_drops() - host_before
        after = net_counters(q, len(q.output()))
        detail = "flood %s\nhost dropped %d\nbefore %s\nafter %s" % (flood, host_dropped, before, after)
        if before and after:
            card = after["ring_full"] - before["ring_full"]
            stack = after["socket_full"] - before["socket_full"]
            detail += "\ncard %d, stack %d" % (card, stack)
            r.check("net: 1,000 UDP datagrams unpaced: each is echoed or counted as dropped "
                    "(by the card, the stack or the host)",
                    flood.wrong == 0 and flood.sent == flood.echoed + card + stack + host_dropped, detail)
        else:
            r.check("net: F11 reports the counters around the flood", False, detail)
        quit_line = netpeers.udp_quit("127.0.0.1", udp)
        echoes = 1000 + flood.echoed
        r.check("net: udpecho's quit answers its count and it exits 0",
                quit_line is not None and quit_line.startswith("udpecho: %d datagrams echoed" % echoes)
                and q.wait_for(lambda out: re.search(r"^user: pid \d+ \(udpecho\) exit 0 ", out, re.M), 20),
                q.diagnosis("answer %r" % quit_line))
        answer = netpeers.curl_get("127.0.0.1", tcp, "/quit")
        r.check("net: httpd's /quit ends it with status 0 after 110 pages",
                answer.status == 200 and b"bye after 111 requests" in answer.body
                and q.wait_for(lambda out: re.search(r"^user: pid \d+ \(httpd\) exit 0 ", out, re.M), 20),
                q.diagnosis("answer %s %r" % (answer.status, answer.body[:80])))
        r.check("net: every frame is back once the servers have ended, and the counters are reported",
                q.wait_for(lambda out: "as before they started" in out
                           and re.search(r"^net: e1000 .* by the stack \d+ ", out, re.M), 20), q.diagnosis())
    finally:
        q.stop()

    # The client: from the kernel to a server on this host.
    page = ("the page %s\n" % token).encode()
    with netpeers.PageServer({"/page": page}) as server:
        modules = "%s/netclient 10.0.2.2 %d /page" % (BUILD, server.port)
        q = Qemu("net-client", extra=["-nic", "user,model=e1000,restrict=off", "-initrd", modules])
        try:
            ok = q.wait_for(lambda out: re.search(r"^user: pid \d+ \(netclient\) (exit|killed)", out, re.M), 60)
            out = q.output()
            r.check("net: netclient on the kernel fetches a page from a server on the host and prints it",
                    ok and page.decode() in out and re.search(r"^user: pid \d+ \(netclient\) exit 0 ", out, re.M)
                    is not None and any(line.startswith("GET /page") for line, _ in server.requests),
                    q.diagnosis("requests: %s" % server.requests))
        finally:
            q.stop()


def host_udp_drops():
    """This host's count of UDP datagrams dropped for a full socket
    buffer (/proc/net/snmp, Udp: RcvbufErrors): where a datagram lands
    when QEMU does not read its slirp socket fast enough."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def net_counters(q, marker):
    """Presses F11 until a net report newer than `marker` appears; its
    counters (`counters`)."""
    return report(q, marker)


def counters(out):
    """The last net report's numbers, by name."""
    lines = re.findall(r"^net: e1000 .*$", out, re.M)
    if not lines:
        return None
    line = lines[-1]
    numbers = {}
    for name, pattern in (("received", r"received (\d+)"), ("errors", r"bad frames (\d+)"),
                          ("undersize", r"undersize (\d+)"), ("oversize", r"oversize (\d+)"),
                          ("truncated", r"truncated (\d+)"), ("checksum", r"bad checksum (\d+)"),
                          ("not_for_us", r"not for us (\d+)"), ("unsupported", r"unsupported (\d+)"),
                          ("half_open_reset", r"half-open reset (\d+)"),
                          ("ring_full", r"ring full: MPC (\d+)"), ("socket_full", r"socket buffer full (\d+)")):
        m = re.search(pattern, line)
        numbers[name] = int(m.group(1)) if m else None
    return numbers


def report(q, marker):
    """Presses F11 until a net report newer than `marker` (an offset into
    COM1's output) appears; its counters."""
    for _ in range(3):
        q.sendkeys(["f11"])
        if q.wait_for(lambda out: re.search(r"^net: e1000 ", out[marker:], re.M), 3):
            return counters(q.output()[marker:])
    return None


def echoed(peer, port, data):
    """Sends one good datagram to udpecho and waits for its echo."""
    peer.drain()
    peer.send(rawpeer.udp(port, 5555, data))
    return peer.expect(lambda p: p[1] == rawpeer.IP_UDP and p[3] == port and p[4] == data, 5) is not None


def syn_answered(peer, port):
    """Sends a SYN to httpd's 8080 from `port`; whether a SYN-ACK comes."""
    peer.drain()
    peer.send(rawpeer.tcp(port, 8080, 1000, 0, rawpeer.SYN))
    got = peer.expect(lambda p: p[1] == rawpeer.IP_TCP and p[3] == port
                      and p[5] is not None and p[5] & (rawpeer.SYN | rawpeer.ACK) == rawpeer.SYN | rawpeer.ACK, 5)
    peer.send(rawpeer.tcp(port, 8080, 1001, 0, rawpeer.RST))
    return got is not None


def stage_net_hostile(r):
    peer = rawpeer.RawPeer()
    modules = "%s/httpd hostile,%s/udpecho" % (BUILD, BUILD)
    q = Qemu("net-hostile", extra=peer.qemu_args() + ["-initrd", modules])
    try:
        ok = q.wait_for(lambda out: "udpecho: listening on udp port 5555" in out
                        and "httpd: listening on tcp port 8080" in out, 60)
        if not r.check("net-hostile: the servers start with the test as the only peer", ok, q.diagnosis()):
            return
        r.check("net-hostile: a good datagram is echoed (the guest ARPs for 10.0.2.2, the test answers)",
                echoed(peer, 40000, b"before"), q.diagnosis("ARP answered %d" % peer.arp_answered))
        before = report(q, 0)
        sent_before = peer.sent

        good = rawpeer.udp(40001, 5555, b"x" * 100)
        kinds = {
            "runts (14 bytes, padded to 60 by QEMU)": [rawpeer.GUEST_MAC + bytes(8)] * 200,
            "oversized (3,000 bytes)": [rawpeer.udp(40002, 5555, b"y" * 2958)] * 200,
            "bad IPv4 header checksums": [good[:24] + bytes([good[24] ^ 0xFF]) + good[25:]] * 200,
            "bad UDP checksums": [good[:-1] + bytes([good[-1] ^ 1])] * 200,
            "IPv4 headers saying more than the frame holds": [
                rawpeer.ethernet(rawpeer.GUEST_MAC, rawpeer.ETH_IPV4,
                                 rawpeer.ipv4(rawpeer.IP_UDP, b"z" * 20, total=1400))] * 200,
            "truncated TCP headers (data offset 60 bytes in a 20-byte segment)": [
                rawpeer.tcp(40003, 8080, 1, 0, rawpeer.SYN, offset=15)] * 200,
            "ARP for other hosts": [rawpeer.arp(1, bytes([10, 0, 2, 99]))] * 200,
        }
        rng = random.Random(7)
        frames = [frame for group in kinds.values() for frame in group]
        # Random bytes after the guest's own address: the card's address
        # filter drops frames for other addresses itself, uncounted (as a
        # real 8254x does), so the flood is addressed to the guest.
        frames += [rawpeer.GUEST_MAC + rng.randbytes(rng.randint(8, 1508)) for _ in range(10000)]
        # A SYN flood: 300 SYNs from as many ports, never answered.
        frames += [rawpeer.tcp(50000 + i, 8080, rng.randrange(1 << 32), 0, rawpeer.SYN) for i in range(300)]
        # In bursts (50 frames or 32 KB), each followed by a good datagram
        # whose echo must come back before the next burst: QEMU stops
        # reading its end of the dgram socket while the card's ring is
        # full, and this host then drops what overflows that socket's
        # buffer (measured: 4 of 200 3,000-byte frames in bursts of 50),
        # before QEMU, and so the card, ever sees it. Paced by the guest
        # itself, every frame reaches the card, and the count is exact.
        lost_probes, burst, probes = 0, [], 0
        for frame in frames + [None]:
            if frame is not None:
                burst.append(frame)
            if frame is None or len(burst) == 50 or sum(map(len, burst)) > 32768:
                for f in burst:
                    peer.send(f)
                burst = []
                probes += 1
                if not echoed(peer, 41000 + probes, b"probe %d" % probes):
                    lost_probes += 1
        hostile = len(frames)
        q.wait_for(lambda out: False, 5)  # the guest drains the card's queue; half-open connections time out

        r.check("net-hostile: the kernel still echoes a datagram after %d hostile frames" % hostile,
                echoed(peer, 40004, b"after"), q.diagnosis())
        r.check("net-hostile: httpd still answers a SYN after the SYN flood (half-open connections reset)",
                syn_answered(peer, 40005), q.diagnosis())
        after = report(q, len(q.output()))
        ok = before is not None and after is not None
        detail = "before %s\nafter %s\nsent %d hostile frames" % (before, after, hostile)
        if ok:
            diff = {k: (after[k] or 0) - (before[k] or 0) for k in after}
            # Every frame sent since `before` reached the driver or was
            # dropped by the card, counted: the hostile ones, the probes,
            # the ARP answers, the last datagram, SYN and RST.
            total = peer.sent - sent_before
            accounted = diff["received"] + diff["errors"] + diff["undersize"] + diff["oversize"]
            r.check("net-hostile: every frame sent (%d, %d of them hostile) is accounted for by the card "
                    "or the driver" % (total, hostile),
                    total - 1 <= accounted <= total and lost_probes == 0,
                    detail + "\naccounted %d of %d; probes without an echo %d" % (accounted, total, lost_probes))
            r.check("net-hostile: each kind of bad frame is counted by its reason",
                    diff["oversize"] >= 200 and diff["checksum"] >= 400 and diff["truncated"] >= 400
                    and diff["not_for_us"] >= 200 and diff["unsupported"] >= 200 + 10000 * 9 // 10
                    and diff["half_open_reset"] > 0, detail)
        else:
            r.check("net-hostile: F11 reports the card's counters before and after", False, detail)
        r.check("net-hostile: no trap or panic", "trap:" not in q.output() and "panic" not in q.output(),
                q.diagnosis())
    finally:
        q.stop()
        peer.close()
