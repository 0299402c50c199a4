"""The same kernel through GRUB, in QEMU and in Bochs (stages iso, bochs).

Both boot build/os.iso (make iso) as it is, and a copy whose GRUB boots
the `selftest` menu entry (test=all): the in-kernel tests then run on
each emulator's own PIT, PIC and i8042, and keys typed from outside must
still echo afterwards (without QEMU's isa-debug-exit the kernel carries
on to its idle loop). Copies that boot the `two` and `linux` entries run
programs given as GRUB modules: two interleaved processes, and two C
programs built against glibc, checked against this host's run of them.
On Bochs, the `net` entry runs build/httpd and build/udpecho on its
e1000 through its slirp module, and this host's curl and a UDP socket
talk to them through slirp's forwarded ports.

Bochs runs headless: boot/bochs.py (what `make bochs` runs) inside a
detached tmux session on a private server, so its term display has a
pseudo-terminal and `tmux send-keys` types into it, as a student would.
Every boot has a time limit; a failed check prints the tail of COM1, of
the emulator's log and, for Bochs, of its console and screen.
"""

import os
import re
import secrets
import subprocess
import time

import netpeers
from harness import OUT, READY_LINE as READY, ROOT, STATUS_PASSED, Emulator, Qemu, tail
from linux_stage import check_linux_programs
from process_stage import all_ended

ISO = os.path.join(ROOT, "build", "os.iso")
SELFTEST_ISO = os.path.join(OUT, "selftest.iso")
# What `type_and_check` types, and the echo it expects on COM1.
TYPED_TEXT = "Hello, world!"
ECHO = "Hello, world!\n<Up><Backspace><Ctrl-C><F1>\n"


def selftest_iso():
    """build/os.iso's twin that boots the `selftest` entry; built once."""
    if not os.path.exists(SELFTEST_ISO) or os.path.getmtime(SELFTEST_ISO) < os.path.getmtime(ISO):
        subprocess.run([os.path.join(ROOT, "boot", "mkiso.sh"), SELFTEST_ISO, "selftest"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return SELFTEST_ISO


def entry_iso(entry):
    """build/os.iso's twin that boots menu entry ENTRY; built once per
    build/os.iso."""
    path = os.path.join(OUT, entry + ".iso")
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(ISO):
        subprocess.run([os.path.join(ROOT, "boot", "mkiso.sh"), path, entry],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return path


def net_iso(token):
    """The `net` entry (httpd and udpecho) with httpd's page carrying
    TOKEN: built anew for each token (half a second)."""
    path = os.path.join(OUT, "net.iso")
    subprocess.run([os.path.join(ROOT, "boot", "mkiso.sh"), path, "net", token],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return path


def two_iso():
    """The `two` entry: two programs with arguments, sched=trace."""
    return entry_iso("two")


def output_iso():
    """The `output` entry: tests/user/spew.c writing 28 KB to COM1."""
    return entry_iso("output")


def check_two_programs(r, label, machine):
    """The `two` entry: GRUB's two module lines with arguments become two
    processes, interleaved by the timer, and every frame comes back."""
    ok = machine.wait_for(all_ended, 120)
    out = machine.output()
    names = [m.group(1) for m in re.finditer(r"^([ab]) \d$", out, re.M)]
    r.check("%s: GRUB's two `module` lines with arguments start two processes, interleaved by the "
            "timer (quantum switches traced), and every frame comes back" % label,
            ok and sorted(names) == list("aaaabbbb") and names != sorted(names)
            and re.search(r"^sched: tick \d+: pid 1 \(count\) -> pid 2 \(count\), quantum$", out, re.M)
            is not None and "frames free, as before they started" in out,
            "order: %s\n%s" % ("".join(names), machine.diagnosis()))


def check_grub_boot(r, label, out, diagnosis):
    """What every GRUB boot must show: GRUB as the loader, and the kernel
    replacing GRUB's selectors (CS 0x10, DS 0x18) with its own."""
    r.check("%s: loaded by GRUB" % label,
            re.search(r"^multiboot: loaded by GRUB ", out, re.M) is not None, diagnosis)
    r.check("%s: GRUB's CS 0x10/DS 0x18 replaced by the kernel's 0x08/0x10" % label,
            re.search(r"^gdt: \d+ slots loaded \(.*\); CS 0x10 -> 0x08, DS/ES/FS/GS/SS 0x18 -> 0x10$", out, re.M)
            is not None,
            diagnosis)


def check_selftests(r, label, out, diagnosis):
    ran = re.findall(r"^selftest: (\w+) \.\.\. (ok|FAILED.*)$", out, re.M)
    for name, verdict in ran:
        r.check("%s: selftest %s" % (label, name), verdict == "ok", verdict + "\n" + diagnosis)
    r.check("%s: all in-kernel tests ran and passed, the timer's among them" % label,
            len(ran) >= 8 and ("timer_ticks_advance", "ok") in ran
            and re.search(r"^selftest: \d+ passed, 0 failed$", out, re.M) is not None, diagnosis)


def have_iso(r, label):
    return r.check("%s: build/os.iso exists" % label, os.path.exists(ISO),
                   "no %s: make test builds it; alone, run make iso first" % ISO)


def stage_iso(r):
    if not have_iso(r, "iso"):
        return
    q = Qemu("iso", iso=ISO)
    try:
        start = time.monotonic()
        if not r.check("iso: QEMU boots build/os.iso through GRUB to '%s'" % READY,
                       q.wait_line(READY, 60), q.diagnosis()):
            return
        print("iso: QEMU + GRUB: ready %.1f s after launch" % (time.monotonic() - start))
        check_grub_boot(r, "iso", q.output(), q.diagnosis())
        q.type(TYPED_TEXT + "\n")
        q.sendkeys(["up", "backspace", "ctrl-c", "f1", "ret"])
        r.check("iso: keys typed in QEMU come back on COM1",
                q.wait_for(lambda out: ECHO in out, 30), q.diagnosis())
        r.check("iso: no trap or panic", "trap:" not in q.output() and "panic" not in q.output(),
                q.diagnosis())
    finally:
        q.stop()

    hello_iso = os.path.join(OUT, "hello.iso")
    subprocess.run([os.path.join(ROOT, "boot", "mkiso.sh"), hello_iso, "hello"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    q = Qemu("iso-hello", iso=hello_iso)
    try:
        r.check("iso: GRUB's `module` line hands a NASM program to the kernel, which runs it in ring 3",
                q.wait_for(lambda out: "hello from a NASM module\n" in out
                           and re.search(r"^user: pid 1 \(hello\.bin\) exit 0 ", out, re.M), 60), q.diagnosis())
    finally:
        q.stop()

    q = Qemu("iso-two", iso=two_iso())
    try:
        check_two_programs(r, "iso", q)
    finally:
        q.stop()

    # The `linux` entry: two C programs built with gcc -m32 -static, as
    # GRUB modules; typed answers; the host runs the same binaries.
    q = Qemu("iso-linux", iso=entry_iso("linux"))
    try:
        check_linux_programs(r, "iso", q)
    finally:
        q.stop()

    q = Qemu("iso-selftest", iso=selftest_iso())
    try:
        status = q.wait_exit(120)
        check_selftests(r, "iso", q.output(), q.diagnosis())
        r.check("iso: QEMU exited with the pass status (%d)" % STATUS_PASSED, status == STATUS_PASSED,
                q.diagnosis("exit status %s" % status))
    finally:
        q.stop()


class Bochs(Emulator):
    """One run of boot/bochs.py in a detached tmux session.

    COM1 goes to tests/out/NAME.com1, Bochs' log to NAME.bochs.log, its
    console to NAME.console, slirp's script to NAME.slirp.conf,
    boot/bochs.py's exit status to NAME.exit (how a wait learns that Bochs
    stopped); tmux gets its own server socket in tests/out and no config
    file, so a user's tmux is neither touched nor used. slirp forwards
    two free ports of 127.0.0.1 (self.http_port, TCP, to the guest's
    8080; self.udp_port, UDP, to its 5555), never make bochs's 8080 and
    5555, which a user's `make run NET=1` may hold."""

    def __init__(self, name, iso):
        os.makedirs(OUT, exist_ok=True)
        self.name = name
        self.serial = os.path.join(OUT, name + ".com1")
        self.log = os.path.join(OUT, name + ".bochs.log")
        self.console = os.path.join(OUT, name + ".console")
        self.slirp = os.path.join(OUT, name + ".slirp.conf")
        self.socket = os.path.join(OUT, name + ".tmux")
        self.exit_path = os.path.join(OUT, name + ".exit")
        for path in (self.serial, self.log, self.console, self.slirp, self.exit_path):
            if os.path.exists(path):
                os.remove(path)
        self.http_port = netpeers.free_port()
        self.udp_port = netpeers.free_port(kind=netpeers.socket.SOCK_DGRAM)
        self.tmux("kill-server", check=False)
        self.stopped = False
        script = ("python3 boot/bochs.py --iso %s --com1 %s --log %s --console %s "
                  "--slirp %s --http-port %d --udp-port %d; "
                  "s=$?; echo $s >%s; echo bochs.py exit status $s; sleep 600"
                  % (iso, self.serial, self.log, self.console, self.slirp, self.http_port,
                     self.udp_port, self.exit_path))
        # 80x27: the guest's 80x25 text screen, Bochs' frame line and
        # status line; the kernel's lines wrap at 80 columns on screen.
        self.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "27", "-c", ROOT, script)
        # The boot limits of tests/harness.py apply as they are: Bochs, its
        # BIOS and GRUB took 1.8 s from here to the first byte on COM1, and
        # `kernel: ready` came at once after it (measured here twice).
        self.launched = time.monotonic()

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-f", "/dev/null", "-S", self.socket] + list(args),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=check).stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.name, check=False)

    def alive(self):
        return not os.path.exists(self.exit_path)

    def exit_reason(self):
        try:
            with open(self.exit_path) as f:
                status = f.read().strip()
        except OSError:
            return None
        # bochsrc has reset_on_triple_fault=0: Bochs then panics (a 'p[' log
        # line) instead of resetting, and its panic action ends it.
        problems = bochs_log_problems(self.log)
        if any("with no resolution" in l for l in problems):
            return "triple fault (Bochs stopped: reset_on_triple_fault=0)"
        return "Bochs exited (boot/bochs.py status %s)%s" % (
            status, "; its log: " + problems[-1].strip() if problems else "")

    def type(self, text):
        """Types `text` literally into Bochs' terminal (paced by bochs.py)."""
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def keys(self, *names):
        """Presses tmux-named keys: Enter, Up, BSpace, C-c, F1, C-]."""
        self.tmux("send-keys", "-t", self.name, *names)

    def stop(self):
        """Quits as a student would (Ctrl-]), then ends the tmux server,
        which also ends Bochs if the quit key did not. Returns whether
        the quit key worked; a second call does nothing."""
        if self.stopped:
            return True
        self.stopped = True
        self.tmux("send-keys", "-t", self.name, "C-]", check=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "bochs.py exit status" not in self.screen():
            time.sleep(0.1)
        quit_ok = "bochs: quit with Ctrl-]" in self.screen()
        self.tmux("kill-server", check=False)
        return quit_ok

    def diagnosis(self, note=""):
        return ("%s%s--- tail of %s ---\n%s--- tail of %s ---\n%s--- tail of %s ---\n%s"
                "--- Bochs' screen (tmux capture-pane) ---\n%s"
                % (self.why_line(), note + "\n" if note else "", os.path.relpath(self.serial, ROOT), tail(self.serial),
                   os.path.relpath(self.log, ROOT), tail(self.log),
                   os.path.relpath(self.console, ROOT), tail(self.console, 8),
                   "\n".join(l for l in self.screen().splitlines() if l.strip())))


def bochs_log_problems(path, expected=()):
    """The panic and error lines of a Bochs log ('p[' / 'e[' after the
    tick count), but for those matching a regex in `expected`."""
    try:
        with open(path, errors="replace") as f:
            return [l for l in f if re.match(r"^\d+[pe]\[", l)
                    and not any(re.search(e, l) for e in expected)]
    except OSError:
        return ["(no log file %s)" % path]


# Bochs logs, as an error, the #GP that the selftest gp_error_code_in_frame
# provokes on purpose by loading DS with selector 0x1238 (index 0x247).
PROVOKED_GP = r"fetch_raw_descriptor: GDT: index \(123f\) 247 > limit"


def type_and_check(r, label, b):
    b.type(TYPED_TEXT)
    b.keys("Enter", "Up", "BSpace", "C-c", "F1", "Enter")
    return r.check("%s: keys typed into Bochs' terminal come back on COM1" % label,
                   b.wait_for(lambda out: ECHO in out, 30), b.diagnosis())


def stage_bochs(r):
    if not have_iso(r, "bochs"):
        return
    b = Bochs("bochs", ISO)
    try:
        start = time.monotonic()
        if not r.check("bochs: Bochs boots build/os.iso through GRUB to '%s'" % READY,
                       b.wait_line(READY, 90), b.diagnosis()):
            return
        print("bochs: Bochs + GRUB: ready %.1f s after launch" % (time.monotonic() - start))
        check_grub_boot(r, "bochs", b.output(), b.diagnosis())
        r.check("bochs: the kernel's boot log is on Bochs' screen",
                b.wait_for(lambda out: READY in b.screen(), 10), b.diagnosis())
        type_and_check(r, "bochs", b)
        r.check("bochs: no trap or panic", "trap:" not in b.output() and "panic" not in b.output(),
                b.diagnosis())
        r.check("bochs: Ctrl-] quits Bochs and says where COM1 went", b.stop(), b.diagnosis())
        problems = bochs_log_problems(b.log)
        r.check("bochs: Bochs' log has no panic or error", not problems,
                "".join(problems[-10:]) + b.diagnosis())
    finally:
        b.stop()

    b = Bochs("bochs-selftest", selftest_iso())
    try:
        finished = b.wait_for(lambda out: re.search(r"^selftest: \d+ passed, \d+ failed$", out, re.M), 120)
        check_selftests(r, "bochs", b.output(), b.diagnosis())
        if finished:
            # The kernel tried QEMU's exit port, which Bochs ignores, and went
            # on to its idle loop: the keyboard must still work.
            type_and_check(r, "bochs after selftests", b)
        problems = bochs_log_problems(b.log, expected=[PROVOKED_GP])
        r.check("bochs: no panic or error in Bochs' log during the selftests but the provoked #GP",
                not problems,
                "".join(problems[-10:]) + b.diagnosis())
    finally:
        b.stop()

    # COM1 output by THRE interrupt on Bochs' 16550, which (unlike QEMU's)
    # takes time to send each byte and logs an error for a byte written
    # to a full FIFO: 28 KB, through a 4 KB queue, all out, in order.
    b = Bochs("bochs-output", output_iso())
    try:
        ok = b.wait_for(lambda out: re.search(r"^user: pid \d+ \(spew\) exit", out, re.M), 180)
        out = b.output()
        host = subprocess.run([os.path.join(ROOT, "build", "user", "spew"), "500"],
                              stdout=subprocess.PIPE, timeout=20).stdout.decode()
        start = out.find("spew 000001")
        kernel = out[start:out.find("user: pid", start)] if start >= 0 else ""
        r.check("bochs: 28 KB a program writes come out of Bochs' UART by the THRE interrupt, "
                "every byte in order (the same bytes as the program writes on Linux)",
                ok and kernel == host and "(spew) exit 0 (" in out,
                "kernel %d bytes, host %d\n%s" % (len(kernel), len(host), b.diagnosis()))
        problems = bochs_log_problems(b.log)
        r.check("bochs: no transmit-FIFO overflow or other error in Bochs' log while it did",
                not problems, "".join(problems[-10:]) + b.diagnosis())
    finally:
        b.stop()

    # Processes on Bochs' own PIT, PIC and MMU: the GRUB entry with two programs.
    b = Bochs("bochs-two", two_iso())
    try:
        check_two_programs(r, "bochs", b)
    finally:
        b.stop()

    # The glibc programs on Bochs' CPU model (its FXSAVE, its SSE), typed
    # into its terminal.
    b = Bochs("bochs-linux", entry_iso("linux"))
    try:
        check_linux_programs(r, "bochs", b)
    finally:
        b.stop()

    check_bochs_network(r)


def check_bochs_network(r):
    """The `net` entry on Bochs' e1000 and slirp: this host's curl and a
    UDP socket reach httpd and udpecho through slirp's forwarded ports,
    as many times as the net stage does on QEMU (tests/net_stage.py),
    which Bochs serves as fast (about 2 s in all, measured). The page
    carries a token chosen now: slirp accepts a TCP connection at once
    even when nothing listens in the guest."""
    if not netpeers.have_curl():
        r.check("bochs: curl is installed (tests/setup.sh net)", False, "no curl on PATH")
        return
    missing = [p for p in ("httpd", "udpecho") if not os.path.exists(os.path.join(ROOT, "build", p))]
    if not r.check("bochs: build/httpd and build/udpecho exist", not missing,
                   "missing %s: make user-programs builds them" % missing):
        return
    token = secrets.token_hex(6)
    launch = time.monotonic()
    b = Bochs("bochs-net", net_iso(token))
    try:
        ok = b.wait_for(lambda out: "udpecho: listening on udp port 5555" in out
                        and "httpd: listening on tcp port 8080" in out, 90)
        if not r.check("bochs: GRUB's `net` entry starts httpd and udpecho, and both listen", ok,
                       b.diagnosis()):
            return
        start = time.monotonic()
        print("bochs: the `net` entry (ISO built, Bochs started): both servers listen %.1f s after "
              "launch" % (start - launch))
        # The Bochs BIOS: the card at 00:02.0, on IRQ 9 (level, ELCR),
        # which Bochs shares with the ACPI bridge and the USB controller.
        r.check("bochs: the boot log names Bochs' e1000 at 00:02.0 on IRQ 9, its MAC from the "
                "EEPROM, and the address",
                any(re.match(r"net: e1000 \(82540EM\) at 00:02\.0, IRQ 9 \(slave 8259, level\), MAC "
                             r"52:54:00:12:34:56, 10\.0\.2\.15/24 via 10\.0\.2\.2$", l)
                    for l in b.lines()), b.diagnosis())
        counters, errors = netpeers.fetch_loop("127.0.0.1", b.http_port, token, 50)
        problems = errors + netpeers.check_counters(counters, 1, 50)
        r.check("bochs: curl fetches httpd's page 50 times through Bochs' slirp, each with the token "
                "and its counter", not problems, b.diagnosis("\n".join(problems[:10])))
        counters, errors = netpeers.concurrent_fetch("127.0.0.1", b.http_port, token, clients=3,
                                                     each=20)
        problems = errors + netpeers.check_counters(counters, 51, 60)
        r.check("bochs: 3 curls at once, 20 fetches each, every answer right",
                not problems, b.diagnosis("\n".join(problems[:10])))
        result = netpeers.udp_echo("127.0.0.1", b.udp_port, count=1000, seed=token)
        r.check("bochs: 1,000 UDP datagrams of 1-1472 bytes through Bochs' slirp, paced, all echoed "
                "byte for byte", result.echoed == 1000 and result.lost == 0 and result.wrong == 0
                and not result.problems, b.diagnosis(str(result)))
        quit_line = netpeers.udp_quit("127.0.0.1", b.udp_port)
        answer = netpeers.curl_get("127.0.0.1", b.http_port, "/quit")
        print("bochs: the network checks: %.1f s" % (time.monotonic() - start))
        ended = b.wait_for(lambda out: re.search(r"^user: pid \d+ \(udpecho\) exit 0 ", out, re.M)
                           and re.search(r"^user: pid \d+ \(httpd\) exit 0 ", out, re.M)
                           and "as before they started" in out
                           and re.search(r"^net: e1000 \d+ interrupts .* by the stack \d+ ", out, re.M),
                           20)
        report = re.search(r"^net: e1000 (\d+) interrupts \((\d+) not ours\), received (\d+)",
                           b.output(), re.M)
        r.check("bochs: both servers end on their quit requests with status 0, every frame comes "
                "back, and the card's counters show its IRQ 9 interrupts",
                ended and quit_line is not None
                and quit_line.startswith("udpecho: 1000 datagrams echoed")
                and answer.status == 200 and b"bye after 111 requests" in answer.body
                and report is not None and int(report.group(1)) > 0,
                b.diagnosis("udpecho answered %r; httpd %s %r"
                            % (quit_line, answer.status, answer.body[:80])))
        if report:
            print("bochs: the card: %s interrupts (%s not ours), %s frames received"
                  % report.groups())
        problems = bochs_log_problems(b.log)
        r.check("bochs: no panic or error in Bochs' log (none of its slirp's 'device not ready to "
                "receive data')", not problems, "".join(problems[-10:]) + b.diagnosis())
    finally:
        b.stop()
        print("bochs: the `net` entry, launch to stop: %.1f s" % (time.monotonic() - launch))
