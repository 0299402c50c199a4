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
    comes back, and the card's counters are reported.

slirp runs with restrict=off: with restrict=on it drops every UDP
datagram the guest sends, the echo's replies on a hostfwd port among
them (measured; libslirp's udp_input refuses them before looking for
the forwarding socket). hostfwd binds 127.0.0.1 only.
"""

import os
import re
import secrets
import subprocess
import sys

import netpeers
from harness import READY_LINE, ROOT, Qemu

BUILD = os.path.join(ROOT, "build")


def net_args(tcp, udp):
    """QEMU's options for the e1000 on slirp, with the two hostfwd ports:
    host TCP `tcp` to the guest's 8080, host UDP `udp` to its 5555."""
    return ["-nic", "user,model=e1000,restrict=off,"
            "hostfwd=tcp:127.0.0.1:%d-:8080,hostfwd=udp:127.0.0.1:%d-:5555" % (tcp, udp)]


def stage_net(r):
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

        # Blocked in recvfrom since it started: woken by nothing so far.
        q.wait_for(lambda out: False, 2)
        presses, table = 0, None
        while table is None and presses < 3 and q.alive():
            q.sendkeys(["f11"])
            presses += 1
            if q.wait_for(lambda out: re.search(r"^ps: +\d+ udpecho +blocked .*$", out, re.M), 2):
                table = re.findall(r"^ps: +\d+ udpecho +blocked +(\d+) +(\d+) +\d+$", q.output(), re.M)
        r.check("net: udpecho blocked in recvfrom for 2 s has no ring-3 ticks and few switches "
                "(woken by the interrupt, not polling)",
                bool(table) and int(table[-1][0]) <= 1 and int(table[-1][1]) <= 10,
                q.diagnosis("F11 pressed %d time(s): %s" % (presses, table)))
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

        quit_line = netpeers.udp_quit("127.0.0.1", udp)
        r.check("net: udpecho's quit answers its count and it exits 0",
                quit_line is not None and quit_line.startswith("udpecho: 1000 datagrams echoed")
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
