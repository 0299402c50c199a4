"""The network programs on this Linux host: the oracle for the kernel.

    make net-host-check        (builds them first; or, once built:)
    python3 tests/net_host_check.py

Runs build/httpd, build/udpecho and build/netclient (tests/user/, built
with gcc -m32 -static: a 64-bit Linux runs them natively) against real
peers on 127.0.0.1, the clients of tests/netpeers.py, and checks what the
kernel's test stage will check through QEMU's hostfwd ports:

  httpd      curl fetches the page 50 times, then 3 curls at once 20
             times each; every answer carries the run's token and the
             right counter (1..50, then 51..110, each once). A request
             written in three pieces, a 404, a 400, a 501, a head over
             4 KiB; /quit ends it with status 0 and its count line. A
             second httpd on the same port fails with EADDRINUSE.
  udpecho    1,000 datagrams of random sizes (1-1472 bytes), paced (each
             after the last one's echo), all echoed byte for byte; "quit"
             answers the count and ends it with status 0. Then 1,000
             unpaced, whose echoes are only reported (loopback may drop
             some; only the kernel counts its drops).
  netclient  fetches a small page and a 200 KB one from a Python server
             this script starts on a free port, and prints each body
             exactly, between its first line and its end line (exit 0);
             a 404 is printed and exits 3; a port with no listener is
             ECONNREFUSED and exit 1.

It builds nothing itself (make net-host-check does). Each program gets
free ports, so the check runs beside anything else on the machine. The
exit status is 0 if every check passed."""

import os
import queue
import re
import secrets
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netpeers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
HOST = "127.0.0.1"

failures = []


def check(ok, what, detail=""):
    """Prints one result line; a failure is kept for the exit status."""
    print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(what)
    return ok


class Program:
    """One of the programs, running, its stdout read line by line by a
    thread (so a wait has a timeout) and its stderr kept."""

    def __init__(self, name, *args):
        self.path = os.path.join(BUILD, name)
        self.proc = subprocess.Popen([self.path, *map(str, args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_line(self, pattern, timeout=5):
        """The first new stdout line matching PATTERN (a regex), or None if
        it did not come in TIMEOUT seconds (or stdout ended)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if line is None:
                return None
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def finish(self, timeout=10):
        """Its exit status, and all of stdout and stderr; killed if it has
        not ended in TIMEOUT seconds (status None)."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        while True:
            line = self.lines.get(timeout=5)
            if line is None:
                break
            self.seen.append(line)
        return status, "".join(self.seen), self.proc.stderr.read()


def check_httpd():
    if not check(netpeers.have_curl(), "curl is installed",
                 "not on the PATH: tests/setup.sh net installs it (make setup-net)"):
        return
    token = "tok-" + secrets.token_hex(6)
    port = netpeers.free_port()
    httpd = Program("httpd", token, port)
    try:
        line = httpd.wait_line(r"^httpd: listening")
        want = f"httpd: listening on tcp port {port}, token {token}\n"
        if not check(line == want, "httpd prints its listening line", f"got {line!r}, want {want!r}"):
            return

        counters, errors = netpeers.fetch_loop(HOST, port, token, 50)
        problems = errors + netpeers.check_counters(counters, 1, 50)
        check(not problems, "httpd: 50 fetches by curl, one after the other, token and counters 1..50",
              "; ".join(problems[:5]))

        start = time.monotonic()
        counters, errors = netpeers.concurrent_fetch(HOST, port, token, clients=3, each=20)
        problems = errors + netpeers.check_counters(counters, 51, 60)
        check(not problems, "httpd: 3 curls at once, 20 fetches each, counters 51..110 each once",
              "; ".join(problems[:5]))
        print(f"     (60 concurrent fetches in {time.monotonic() - start:.1f} s)")

        n = 110
        # The request in three writes, 0.1 s apart: the server must read
        # on until the blank line.
        a = netpeers.http_raw(HOST, port, [b"GE", b"T / HTTP/1.0\r\nHost: x\r\n", b"\r\n"], gap=0.1)
        n += 1
        check(netpeers.page_counter(a, token) == n, "httpd: a request that comes in 3 pieces",
              f"{netpeers.page_counter(a, token)}, want {n}")
        for status, chunks, what in [
                (404, [b"GET /nothing HTTP/1.0\r\n\r\n"], "an unknown path"),
                (400, [b"hello\r\n\r\n"], "no request line"),
                (400, [b"GET / HTTP/1.0 extra\r\n\r\n"], "a request line with 4 words"),
                (501, [b"POST / HTTP/1.0\r\n\r\n"], "a method other than GET"),
                (400, [b"GET / HTTP/1.0\r\nX: " + b"a" * 5000 + b"\r\n\r\n"], "a head over 4 KiB"),
                (200, [b"GET /?q=1 HTTP/1.0\n\n"], "bare line feeds and a query string")]:
            a = netpeers.http_raw(HOST, port, chunks)
            n += 1
            check(a.error is None and a.status == status and a.headers.get("connection") == "close",
                  f"httpd: {what}: {status}", a.error or f"status {a.status}, headers {a.headers}")
        a = netpeers.curl_get(HOST, port, "/")
        n += 1
        check(netpeers.page_counter(a, token) == n and a.headers.get("content-type") == "text/plain",
              f"httpd: curl after them: request {n}, text/plain", f"{netpeers.page_counter(a, token)} {a.headers}")

        second = Program("httpd", "other", port)
        status, out, err = second.finish()
        check(status == 1 and "httpd: bind: Address already in use (EADDRINUSE)" in err,
              "a second httpd on the port: bind fails, EADDRINUSE, exit 1", f"exit {status}, stderr {err!r}")

        a = netpeers.curl_get(HOST, port, "/quit")
        n += 1
        check(a.status == 200 and a.body == f"bye after {n} requests\n".encode(),
              "httpd: /quit answers its count", f"{a}")
    finally:
        status, out, err = httpd.finish()
    check(status == 0, "httpd exits 0 after /quit", f"exit {status}, stderr {err!r}")
    check(out.endswith(f"httpd: bye after {n} requests\n"), "httpd's last line: its count",
          repr(out[-200:]))
    logged = re.findall(r"^httpd: 127\.0\.0\.1:\d+ \S+ \S+ -> \d{3} \(request (\d+)\)$", out, re.M)
    check([int(x) for x in logged] == list(range(1, n + 1)), f"httpd logged {n} answers, in order",
          f"{len(logged)} lines")
    check(err == "", "httpd wrote nothing to stderr", repr(err[:300]))


def check_udpecho():
    port = netpeers.free_port(netpeers.socket.SOCK_DGRAM)
    udpecho = Program("udpecho", port)
    reply = None
    try:
        line = udpecho.wait_line(r"^udpecho: listening")
        want = f"udpecho: listening on udp port {port}\n"
        if not check(line == want, "udpecho prints its listening line", f"got {line!r}, want {want!r}"):
            return
        start = time.monotonic()
        r = netpeers.udp_echo(HOST, port, count=1000, seed=20)
        check(r.echoed == 1000 and r.lost == 0 and r.wrong == 0,
              "udpecho: 1,000 datagrams of 1-1472 bytes, paced, all echoed byte for byte",
              f"{r.echoed} echoed, {r.lost} lost, {r.wrong} wrong: {r.problems[:3]}")
        print(f"     ({r.bytes} bytes each way in {time.monotonic() - start:.1f} s)")
        flood = netpeers.udp_flood(HOST, port, count=1000, seed=21)
        check(flood.wrong == 0, "udpecho: 1,000 unpaced, no echo that was not sent",
              f"{flood.wrong} wrong")
        print(f"     (unpaced: {flood.sent} sent, {flood.echoed} echoed, {flood.lost} dropped on the way)")
        reply = netpeers.udp_quit(HOST, port)
        # The server counts what reached it, which may be more than came
        # back unpaced (an echo can be dropped on its way back); the
        # paced 1,000 are exact.
        m = re.fullmatch(r"udpecho: (\d+) datagrams echoed \((\d+) bytes\), quitting\n", reply or "")
        check(m is not None and 1000 + flood.echoed <= int(m.group(1)) <= 1000 + flood.sent,
              "udpecho: quit answers its count",
              f"got {reply!r}, want 1000 + {flood.echoed}..{flood.sent} datagrams")
    finally:
        status, out, err = udpecho.finish()
    check(status == 0, "udpecho exits 0 after quit", f"exit {status}, stderr {err!r}")
    check(reply is not None and out.endswith(reply), "udpecho's last line: the count it answered",
          repr(out[-200:]))

    # A second server on the port: bind fails with Linux's errno.
    blocker = netpeers.socket.socket(netpeers.socket.AF_INET, netpeers.socket.SOCK_DGRAM)
    blocker.bind(("0.0.0.0", port))
    try:
        status, out, err = Program("udpecho", port).finish()
    finally:
        blocker.close()
    check(status == 1 and "udpecho: bind: Address already in use (EADDRINUSE)" in err,
          "udpecho on a port in use: bind fails, EADDRINUSE, exit 1", f"exit {status}, stderr {err!r}")


def run_netclient(*args):
    status, out, err = Program("netclient", *args).finish()
    return status, out, err


def check_netclient():
    small = b"hello from the host's Python server\n"
    # 200 KB over many reads, without a final line feed (netclient adds
    # one before its end line).
    big = b"".join(b"line %06d of the big page\n" % i for i in range(8000))[:-1]
    with netpeers.PageServer({"/": small, "/big": big}) as server:
        port = server.port
        status, out, err = run_netclient(HOST, port)
        m = re.fullmatch(r"netclient: 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:%d: HTTP/1\.0 200 OK\n(.*)"
                         r"netclient: (\d+) bytes received, body (\d+) bytes\n" % port, out, re.S)
        check(status == 0 and m is not None and m.group(2).encode() == small and int(m.group(4)) == len(small),
              "netclient prints the page from a Python server, exit 0", f"exit {status}, out {out!r}, err {err!r}")
        check(server.requests and server.requests[0][0] == "GET / HTTP/1.0"
              and server.requests[0][1].get("Host") == f"{HOST}:{port}",
              "netclient sent GET / HTTP/1.0 with its Host", f"{server.requests[:1]}")

        status, out, err = run_netclient(HOST, port, "/big")
        m = re.fullmatch(r"netclient: [^\n]*200 OK\n(.*)\nnetclient: (\d+) bytes received, body (\d+) bytes\n",
                         out, re.S)
        check(status == 0 and m is not None and m.group(1).encode() == big and int(m.group(3)) == len(big),
              f"netclient prints a {len(big)}-byte page exactly", f"exit {status}, {len(out)} bytes out, err {err!r}")

        status, out, err = run_netclient(HOST, port, "/missing")
        check(status == 3 and re.match(r"netclient: \S+ -> \S+: HTTP/1\.0 404 ", out) is not None
              and "netclient:" in out.splitlines()[-1],
              "netclient on a 404: prints it, exit 3", f"exit {status}, out {out[:200]!r}")

    closed = netpeers.free_port()
    status, out, err = run_netclient(HOST, closed)
    check(status == 1 and err == f"netclient: connect to {HOST}:{closed}: Connection refused (ECONNREFUSED)\n",
          "netclient to a port with no listener: ECONNREFUSED, exit 1", f"exit {status}, err {err!r}")
    status, out, err = run_netclient("localhost", 80)
    check(status == 2 and err.startswith("usage:"), "netclient with a name, not a dotted quad: usage, exit 2",
          f"exit {status}, err {err!r}")


def main():
    missing = [p for p in ("httpd", "udpecho", "netclient") if not os.path.exists(os.path.join(BUILD, p))]
    if missing:
        print(f"net_host_check: build/{', build/'.join(missing)} missing: make net-host-check builds them")
        return 2
    check_httpd()
    check_udpecho()
    check_netclient()
    if failures:
        print(f"net_host_check: {len(failures)} check(s) failed")
        return 1
    print("net_host_check: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
