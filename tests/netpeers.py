"""The network's other end, for the tests: clients and a server on this
host that talk to the network programs (tests/user/httpd.c, udpecho.c,
netclient.c) wherever they run.

Every function takes the host and port to talk to, so the same code
checks the programs run on this Linux host (tests/net_host_check.py,
127.0.0.1 and the programs' own ports) and on the kernel in QEMU (the
hostfwd ports on 127.0.0.1 that QEMU's user network forwards to the
guest). Python's standard library only, and curl for the HTTP clients,
because the issue asks for the real client a user types (tests/setup.sh
net installs it).

What is checked is always the data, never a connect alone: QEMU's user
network accepts a TCP connection on a hostfwd port at once, guest or no
guest, so only an answer proves that the guest answered.

  have_curl()                            is curl on the PATH?
  free_port(kind)                        a port nothing listens on now
  curl_get(host, port, path)             one fetch: an Answer
  page_counter(answer, token)            N of "token TOKEN, request N"
  fetch_loop(host, port, token, count)   COUNT fetches, one after the other
  concurrent_fetch(host, port, token, clients, each)   CLIENTS loops at once
  check_counters(counters, first, count) the counters a run should have seen
  http_raw(host, port, chunks, gap)      a request written in pieces: an Answer
  udp_echo(host, port, count, ...)       paced echo, byte for byte: a UdpResult
  udp_flood(host, port, count, ...)      unpaced: what came back (UdpResult)
  udp_quit(host, port)                   "quit": the server's count line
  PageServer(pages, host, port)          a small HTTP server in a thread
"""

import http.server
import random
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

# The largest UDP payload in one Ethernet frame: 1500 - 20 (IP) - 8 (UDP).
UDP_MAX_ETHERNET = 1472

# What httpd's page says (tests/user/httpd.c).
PAGE_RE = re.compile(r"token (\S+), request (\d+)\n")


def have_curl():
    """Whether curl is on the PATH (tests/setup.sh net installs it)."""
    return shutil.which("curl") is not None


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port that nothing on HOST is bound to at this moment (the kernel
    picks it). Another program could take it before the caller binds it;
    on a test machine that is rare enough."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    """One HTTP answer: its status code, its headers (names lower-case),
    its body, and what went wrong on the way (None if nothing did)."""
    status: int = 0
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    error: str = None


def parse_answer(raw):
    """An Answer from the raw bytes of an HTTP answer (head, blank line,
    body). The error says if the head is not HTTP, or if the body is not
    as long as its Content-Length."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return Answer(error=f"no end of head in {len(raw)} bytes: {raw[:80]!r}")
    lines = head.decode("latin-1").split("\r\n")
    m = re.fullmatch(r"HTTP/\d\.\d (\d{3})(?: .*)?", lines[0])
    if not m:
        return Answer(error=f"not an HTTP status line: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    answer = Answer(int(m.group(1)), headers, body)
    length = headers.get("content-length")
    if length is not None and int(length) != len(body):
        answer.error = f"body of {len(body)} bytes, Content-Length {length}"
    return answer


def curl_get(host, port, path="/", timeout=10):
    """One fetch of http://HOST:PORT/PATH with curl (its default HTTP/1.1
    request, as a user's curl sends it), head and body: an Answer."""
    url = f"http://{host}:{port}{path}"
    try:
        proc = subprocess.run(["curl", "-sS", "-i", "--max-time", str(timeout), url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 5)
    except subprocess.TimeoutExpired:
        return Answer(error=f"curl {url}: no end after {timeout + 5} s")
    if proc.returncode != 0:
        return Answer(error=f"curl {url}: exit {proc.returncode}: {proc.stderr.decode().strip()}")
    return parse_answer(proc.stdout)


def page_counter(answer, token):
    """The request counter N of a page "token TOKEN, request N\\n", or an
    error string if the answer is not that page for TOKEN."""
    if answer.error:
        return answer.error
    if answer.status != 200:
        return f"status {answer.status}, body {answer.body[:80]!r}"
    m = PAGE_RE.fullmatch(answer.body.decode("latin-1"))
    if not m:
        return f"not the page: {answer.body[:80]!r}"
    if m.group(1) != token:
        return f"token {m.group(1)!r}, not {token!r}"
    return int(m.group(2))


def fetch_loop(host, port, token, count, path="/", timeout=10):
    """COUNT fetches of the page with curl, one after the other. Returns
    (counters, errors): the counter of each good answer in order, and a
    description of each bad one."""
    counters, errors = [], []
    for i in range(count):
        n = page_counter(curl_get(host, port, path, timeout), token)
        if isinstance(n, int):
            counters.append(n)
        else:
            errors.append(f"fetch {i + 1}: {n}")
    return counters, errors


def concurrent_fetch(host, port, token, clients=3, each=20, path="/", timeout=20):
    """CLIENTS threads, each running fetch_loop EACH times, all at once.
    Returns (counters, errors) over all of them: the counters per client
    in its order (a list of lists), and every error, named by client."""
    results = [None] * clients
    start = threading.Barrier(clients)

    def client(i):
        start.wait()
        results[i] = fetch_loop(host, port, token, each, path, timeout)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counters = [r[0] for r in results]
    errors = [f"client {i + 1}, {e}" for i, r in enumerate(results) for e in r[1]]
    return counters, errors


def check_counters(counters, first, count):
    """What is wrong with the COUNTERS a run collected (a list, or a list
    of lists, one per client), if the server counts every answer and this
    run's answers should be numbered FIRST .. FIRST+COUNT-1: each exactly
    once, and each client's in increasing order. Empty if nothing is."""
    per_client = counters if counters and isinstance(counters[0], list) else [counters]
    problems = []
    for i, seq in enumerate(per_client):
        if seq != sorted(seq):
            problems.append(f"client {i + 1}'s counters are out of order: {seq}")
    seen = sorted(n for seq in per_client for n in seq)
    want = list(range(first, first + count))
    if seen != want:
        missing = sorted(set(want) - set(seen))
        extra = sorted(set(seen) - set(want))
        dups = sorted({n for n in seen if seen.count(n) > 1})
        problems.append(f"counters {first}..{first + count - 1} expected: missing {missing[:10]}, "
                        f"unexpected {extra[:10]}, twice {dups[:10]}")
    return problems


def http_raw(host, port, chunks, gap=0.05, timeout=10):
    """Sends CHUNKS (bytes each) to HOST:PORT over one TCP connection, GAP
    seconds apart (so a server sees them in separate reads), then reads
    the answer until the server closes: an Answer (the error says if the
    server did not answer or close in TIMEOUT)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            for i, chunk in enumerate(chunks):
                if i:
                    time.sleep(gap)
                s.sendall(chunk)
            raw = b""
            while True:
                data = s.recv(65536)
                if not data:
                    break
                raw += data
    except OSError as e:
        return Answer(error=f"{host}:{port}: {e}")
    return parse_answer(raw)


@dataclass
class UdpResult:
    """What a UDP exchange came to: datagrams sent, echoed back intact,
    lost (no echo in time), wrong (an echo that matches nothing sent),
    and the payload bytes sent."""
    sent: int = 0
    echoed: int = 0
    lost: int = 0
    wrong: int = 0
    bytes: int = 0
    problems: list = field(default_factory=list)


def random_payloads(count, sizes=(1, UDP_MAX_ETHERNET), seed=None):
    """COUNT random datagrams, each of a random size in SIZES (inclusive).
    The seed makes them reproducible."""
    rng = random.Random(seed)
    return [rng.randbytes(rng.randint(*sizes)) for _ in range(count)]


def udp_echo(host, port, count=1000, sizes=(1, UDP_MAX_ETHERNET), gap=0.0, timeout=2.0, seed=None,
             give_up=None):
    """Paced echo: sends COUNT random datagrams (sizes in SIZES), each only
    after the last one's echo came back (or TIMEOUT passed), then GAP
    seconds more; each echo must equal what was sent, byte for byte. An
    echo that comes late, after its datagram was counted lost, is
    recognised and skipped. GIVE_UP: stop sending after that many lost in
    a row (a grader's fast failure); `sent` says how far it went. A
    UdpResult."""
    result = UdpResult()
    late = set()  # datagrams counted lost, whose echo may still come
    lost_in_a_row = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        for i, payload in enumerate(random_payloads(count, sizes, seed)):
            if give_up is not None and lost_in_a_row >= give_up:
                break
            s.send(payload)
            result.sent += 1
            result.bytes += len(payload)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    result.lost += 1
                    lost_in_a_row += 1
                    late.add(payload)
                    if len(result.problems) < 10:
                        result.problems.append(f"datagram {i + 1} ({len(payload)} bytes): no echo in {timeout} s")
                    break
                s.settimeout(left)
                try:
                    echo = s.recv(65536)
                except socket.timeout:
                    continue
                except ConnectionRefusedError:
                    # ICMP port unreachable: nothing listens there.
                    result.problems.append(f"datagram {i + 1}: connection refused (nothing on {host}:{port})")
                    return result
                if echo == payload:
                    result.echoed += 1
                    lost_in_a_row = 0
                    break
                if echo in late:
                    late.discard(echo)
                    continue
                result.wrong += 1
                if len(result.problems) < 10:
                    result.problems.append(f"datagram {i + 1}: sent {len(payload)} bytes, "
                                           f"got back {len(echo)} that differ")
            if gap:
                time.sleep(gap)
    return result


def udp_flood(host, port, count=1000, sizes=(1, UDP_MAX_ETHERNET), quiet=1.0, seed=None, burst=None, gap=0.0):
    """Unpaced: sends COUNT random datagrams as fast as the socket takes
    them (or BURST at a time, GAP seconds apart), then collects echoes
    until none has come for QUIET seconds.
    Nothing here can say which were dropped where; the caller compares
    `echoed` with the server's count of what it dropped (sent = echoed +
    dropped, if nothing is lost silently). A UdpResult (lost = sent -
    echoed)."""
    result = UdpResult()
    payloads = random_payloads(count, sizes, seed)
    want = {}
    for p in payloads:
        want[p] = want.get(p, 0) + 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.connect((host, port))
        for i, p in enumerate(payloads):
            try:
                s.send(p)
            except ConnectionRefusedError:
                continue  # an ICMP error from an earlier datagram; this one went
            result.sent += 1
            result.bytes += len(p)
            if burst and i % burst == burst - 1:
                time.sleep(gap)
        s.settimeout(quiet)
        while True:
            try:
                echo = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionRefusedError:
                continue
            if want.get(echo, 0) > 0:
                want[echo] -= 1
                result.echoed += 1
            else:
                result.wrong += 1
    result.lost = result.sent - result.echoed
    return result


def udp_quit(host, port, timeout=5.0):
    """Sends udpecho's "quit" datagram and returns its answer, the count
    line ("udpecho: N datagrams echoed (B bytes), quitting\\n"), or None
    if none came in TIMEOUT."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        s.settimeout(timeout)
        s.send(b"quit")
        try:
            return s.recv(65536).decode("latin-1")
        except (socket.timeout, ConnectionRefusedError):
            return None


class PageServer:
    """A small HTTP server on HOST:PORT (PORT 0: a free one, then in
    .port), in a thread of this process, serving PAGES: a dict of path to
    bytes, as text/plain with a Content-Length; other paths get 404. It
    keeps each request's line and headers in .requests, a list of
    (request_line, headers dict). Use it in a with statement, or call
    close().

    For a program in QEMU, the host is 10.0.2.2 and QEMU's user network
    makes the connection to 127.0.0.1 on the host (with restrict=on, only
    through a guestfwd rule)."""

    def __init__(self, pages, host="127.0.0.1", port=0):
        self.pages = dict(pages)
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.requestline, dict(self.headers)))
                body = server.pages.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.host, self.port = self.httpd.server_address[:2]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
