"""Boot the kernel in QEMU from a test, type on its keyboard, read COM1.

Used by tests/run.py. Each boot writes COM1 to tests/out/NAME.com1 and
QEMU's own messages to tests/out/NAME.qemu.log; on failure the tails of
both are printed, so a red test says what the kernel last said.

Waiting fails fast: a wait ends as soon as the kernel can print nothing
more (its last line was a fatal report or a panic), the machine has
stopped, or the boot is past its limits (nothing on COM1 BOOT_LIMIT
seconds after launch, no `kernel: ready` READY_LIMIT seconds after), and
the failure's first line says which (see Emulator.wait_for).
"""

import json

import facts
import os
import pty
import re
import select
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "out")
KERNEL = os.path.join(ROOT, "build", "kernel.elf")

# Facts about the kernel that the tests share, read from the kernel's own
# source by tests/facts.py (one copy, in Rust): the line that ends
# initialisation, and QEMU's exit statuses for the values the kernel writes
# to isa-debug-exit (status = (value << 1) | 1: 33 passed, 35 failed).
READY_LINE = facts.READY_LINE
STATUS_PASSED = facts.EXIT_PASSED
STATUS_FAILED = facts.EXIT_FAILED
# Lines after which the kernel prints nothing more: the end of every fatal
# report (src/trap.rs halt_after_fatal) and the panic handler's line
# (src/main.rs); both halt the CPU for good. Matched as whole lines.
LAST_LINE = re.compile(r"^(kernel: halted|kernel: panic at)[^\n]*\n", re.M)
# The start of the #DF report (src/trap.rs): the double-fault task prints a
# long report before its `kernel: halted` line, so a wait that sees it gives
# the kernel DOUBLE_FAULT_GRACE seconds to finish rather than stopping mid-report.
DOUBLE_FAULT = re.compile(r"^trap: #DF Double Fault", re.M)
DOUBLE_FAULT_GRACE = 5

# The boot limits, the one copy: seconds from an emulator's start to the
# kernel's first byte on COM1, and to `kernel: ready`. Under TCG the first
# line comes 70-92 ms after QEMU starts and `kernel: ready` well under a
# second after that (measured on the course machines), so a boot past
# either limit will not get there: every wait then gives up with the
# reason below, not at its own, longer time limit, and so does every later
# wait on the same machine. 15 s leaves a loaded CI machine over a hundred
# times what a boot takes. tests/run.py's boot probe, the stages and
# labs/grade.py all get these through Emulator.wait_for.
BOOT_LIMIT = 15
READY_LIMIT = 15
SILENT_BOOT = "COM1 printed nothing in %g s: the kernel hangs before its first line (try make gdb)"
UNREADY_BOOT = ("COM1 printed no '%s' in %g s: the kernel hangs, or its output stops, after its last "
                "line, %r (try make gdb)")
READY_PRINTED = re.compile(r"^%s$" % re.escape(READY_LINE), re.M)

# QEMU monitor `sendkey` names for the characters the tests type.
SHIFTED = {'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7',
           '*': '8', '(': '9', ')': '0', '_': 'minus', '+': 'equal', '{': 'bracket_left',
           '}': 'bracket_right', ':': 'semicolon', '"': 'apostrophe', '<': 'comma',
           '>': 'dot', '?': 'slash', '|': 'backslash', '~': 'grave_accent'}
PLAIN = {' ': 'spc', ',': 'comma', '.': 'dot', '-': 'minus', '=': 'equal', '/': 'slash',
         ';': 'semicolon', "'": 'apostrophe', '[': 'bracket_left', ']': 'bracket_right',
         '\\': 'backslash', '`': 'grave_accent', '\n': 'ret'}


def keys_for(text):
    """The sendkey names that type `text` on a US keyboard."""
    keys = []
    for c in text:
        if c.isalpha() and c.isupper():
            keys.append('shift-' + c.lower())
        elif c.isalnum():
            keys.append(c)
        elif c in PLAIN:
            keys.append(PLAIN[c])
        elif c in SHIFTED:
            keys.append('shift-' + SHIFTED[c])
        else:
            raise ValueError("no key for %r" % c)
    return keys


def tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no file)\n"


def run_in_pty(argv, data=b"", executable=None, timeout=10):
    """Runs argv on this Linux host with stdin, stdout and stderr a
    pseudo-terminal in the default cooked mode, fed `data` at once: what
    it wrote (as the terminal gave it back: echo, CR LF) and its exit
    status. The oracle for what a program does on a terminal, as it does
    on the kernel's console."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, executable=executable, stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True)
    os.close(slave)
    os.write(master, data)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the program ended and closed the pty
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return out.decode(errors="replace"), proc.wait(timeout=5)


class Emulator:
    """What every emulated machine in the tests shares: its COM1 output in
    a file (self.serial), and waiting for that output to say something.

    A wait that fails leaves its reason in self.why, which diagnosis()
    prints first."""

    serial = ""
    why = None
    double_fault_seen = None  # when a wait first saw the #DF report begin
    # The boot limits (see BOOT_LIMIT). `launched` is when the machine
    # started: a subclass sets it where the limits apply, and says why it
    # leaves it None where COM1's silence proves nothing (no COM1, a
    # machine paused for a debugger).
    launched = None
    boot_limit = BOOT_LIMIT
    ready_limit = READY_LIMIT
    ready_seen = False

    def alive(self):
        return True

    def exit_reason(self):
        """Why the machine stopped, once it has (None while it runs)."""
        return None

    def output(self):
        try:
            with open(self.serial, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def lines(self):
        return self.output().splitlines()

    def ended(self, out, running):
        """Why `out` is all the machine will ever print, or None. `running`
        is alive() as it was just before `out` was read."""
        if not running:
            return self.exit_reason() or "the machine stopped"
        last = LAST_LINE.search(out)
        if last:
            what = "panicked" if "panic" in last.group(1) else "halted after a fatal report"
            return "the kernel %s: %r" % (what, last.group(0).rstrip("\n"))
        if DOUBLE_FAULT.search(out):
            if self.double_fault_seen is None:
                self.double_fault_seen = time.monotonic()
            elif time.monotonic() - self.double_fault_seen > DOUBLE_FAULT_GRACE:
                return ("the kernel began a double-fault report ('trap: #DF Double Fault') and printed "
                        "no 'kernel: halted' within %d s" % DOUBLE_FAULT_GRACE)
        return None

    def booting(self, out):
        """Whether the boot limits judge this boot still: they apply to it
        and `out` has no `kernel: ready` yet."""
        if self.launched is None or self.ready_seen:
            return False
        self.ready_seen = READY_PRINTED.search(out) is not None
        return not self.ready_seen

    def boot_stalled(self, out, now):
        """Why `out`, at time `now`, shows a boot that will not reach
        `kernel: ready` (see BOOT_LIMIT), or None."""
        if not self.booting(out):
            return None
        waited = now - self.launched
        if not out:
            if self.boot_limit is not None and waited >= self.boot_limit:
                return SILENT_BOOT % self.boot_limit
        elif self.ready_limit is not None and waited >= self.ready_limit:
            lines = out.rstrip("\n").splitlines()
            return UNREADY_BOOT % (READY_LINE, self.ready_limit, lines[-1] if lines else "")
        return None

    def wait_for(self, predicate, timeout=60, quiet=None):
        """Waits until predicate(output) holds and returns True. Returns
        False at the timeout, or at once when the output is final and the
        predicate does not hold on it: the kernel printed its last line
        (`kernel: halted...` after a fatal report, `kernel: panic at...`)
        or the machine stopped (exited, triple fault), or once the boot is
        past a boot limit with no `kernel: ready` (see BOOT_LIMIT). A check
        that expects a fatal end needs nothing more: its predicate holds on
        the final output. With `quiet`, also gives up when COM1 has not
        grown for that many seconds: for a check that has sent all the
        input the kernel answers. Until `kernel: ready` the boot limits
        judge silence instead, as their reason says where the kernel
        stopped. Sets self.why to the reason when it returns False."""
        self.why = None
        now = time.monotonic()
        deadline = now + timeout
        size, grew = -1, now
        while True:
            running = self.alive()  # before reading: then `out` is complete if it stopped
            out = self.output()
            if predicate(out):
                return True
            why = self.ended(out, running)
            now = time.monotonic()
            if why is None:
                why = self.boot_stalled(out, now)
            if len(out) != size:
                size, grew = len(out), now
            if why is None and quiet is not None and now - grew >= quiet and not self.booting(out):
                why = "COM1 has not grown for %g s, with all input sent; the machine is still running" % quiet
            if why is None and now >= deadline:
                why = "timed out after %g s; the machine is still running" % timeout
            if why is not None:
                self.why = why
                return False
            time.sleep(0.05)

    def wait_line(self, line, timeout=60):
        return self.wait_for(lambda out: line in out.splitlines(), timeout)

    def why_line(self):
        """The first line of a failure's detail: why the last wait failed."""
        return "stopped waiting: %s\n" % self.why if self.why else ""

class Qemu(Emulator):
    """One QEMU boot of the kernel (or of a CD image with iso=...)."""

    def __init__(self, name, append="", iso=None, debug_exit=True, serial=True, extra=(),
                 serial_socket=False, telnet=False):
        """serial_socket: COM1 on a socket chardev instead of a plain file,
        so that the test can send bytes to it (`serial_send`) as a terminal
        would. QEMU waits for this end to connect before it starts the
        machine; a thread then copies everything COM1 sends into
        tests/out/NAME.com1, which is what output() reads. (Not QEMU's
        chardev logfile: QEMU 7.2 logs a byte twice when the socket is
        momentarily full and it has to retry the write.) telnet: the socket
        speaks telnet, so that IAC BREAK (b"\\xff\\xf3") sends a break to
        COM1's receive line, which QEMU's 16550 shows as LSR.BI."""
        os.makedirs(OUT, exist_ok=True)
        self.name = name
        self.serial = os.path.join(OUT, name + ".com1")
        self.serial_sock_path = os.path.join(OUT, name + ".com1.sock")
        self.serial_conn = None
        self.log = os.path.join(OUT, name + ".qemu.log")
        # QEMU's -d cpu_reset log: QEMU 7.2 writes "Triple fault" there before
        # the reset that -no-reboot turns into an exit with status 0.
        self.cpu_log = os.path.join(OUT, name + ".cpu.log")
        self.sock_path = os.path.join(OUT, name + ".mon.sock")
        self.qmp_path = os.path.join(OUT, name + ".qmp.sock")
        for path in (self.serial, self.cpu_log, self.sock_path, self.qmp_path, self.serial_sock_path):
            if os.path.exists(path):
                os.remove(path)
        if serial_socket:
            com1 = ["-chardev", "socket,id=com1,path=%s,server=on,wait=on%s"
                    % (self.serial_sock_path, ",telnet=on" if telnet else ""),
                    "-serial", "chardev:com1"]
        else:
            com1 = ["-serial", ("file:" + self.serial) if serial else "none"]
        cmd = ["qemu-system-i386", "-accel", "tcg", "-m", "32M", "-no-reboot",
               "-display", "none", "-d", "cpu_reset", "-D", self.cpu_log] + com1 + [
               "-monitor", "unix:%s,server,nowait" % self.sock_path,
               "-qmp", "unix:%s,server,nowait" % self.qmp_path]
        if iso:
            cmd += ["-cdrom", iso, "-boot", "d"]
        else:
            cmd += ["-kernel", KERNEL, "-append", append]
        if debug_exit:
            cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        cmd += list(extra)
        self.logfile = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.logfile,
                                     stderr=subprocess.STDOUT)
        self.mon = None
        self.qmp_file = None
        if serial_socket:
            self.connect_serial()
        # The boot limits count from here: from the start, or, with COM1 on
        # a socket, from the connection, which starts the machine. Without
        # COM1 (serial=False) its silence says nothing: the test reads the
        # screen. With -S the machine waits, paused, for a debugger.
        if serial and "-S" not in extra:
            self.launched = time.monotonic()

    def connect_serial(self):
        """Connects to COM1's socket (QEMU starts the machine then) and
        copies what COM1 sends into self.serial, as it comes."""
        deadline = time.monotonic() + 10
        while True:
            try:
                conn = socket.socket(socket.AF_UNIX)
                conn.connect(self.serial_sock_path)
                break
            except OSError:
                conn.close()
                if time.monotonic() > deadline or not self.alive():
                    return  # the first wait says why
                time.sleep(0.02)
        self.serial_conn = conn
        copy = open(self.serial, "ab", buffering=0)

        def drain():
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    copy.write(data)
            except OSError:
                pass
            finally:
                copy.close()
        threading.Thread(target=drain, daemon=True).start()

    def alive(self):
        return self.proc.poll() is None

    def exit_reason(self):
        status = self.proc.poll()
        if status is None:
            return None
        try:
            with open(self.cpu_log, errors="replace") as f:
                triple = "Triple fault" in f.read()
        except OSError:
            triple = False
        if triple:
            return "triple fault: QEMU logged 'Triple fault' and exited at the CPU reset (-no-reboot)"
        if status < 0:
            return "QEMU was killed by signal %d" % -status
        if status == 0:
            return "QEMU exited with status 0: the guest reset or shut the machine down (no triple fault logged)"
        if status == 1:
            return "QEMU exited with status 1: an error of QEMU's (see its log) or 0 written to isa-debug-exit"
        if status & 1:
            verdict = {STATUS_PASSED: " (tests passed)", STATUS_FAILED: " (tests failed)"}.get(status, "")
            return "QEMU exited with status %d: the kernel wrote %#x to isa-debug-exit%s" % (
                status, status >> 1, verdict)
        return "QEMU exited with status %d (see its log)" % status

    def monitor(self, command):
        """Sends a monitor command; does nothing once QEMU has exited (the
        next wait or check says why)."""
        if not self.alive():
            return
        try:
            if self.mon is None:
                deadline = time.monotonic() + 10
                while True:
                    try:
                        self.mon = socket.socket(socket.AF_UNIX)
                        self.mon.connect(self.sock_path)
                        break
                    except OSError:
                        if time.monotonic() > deadline or not self.alive():
                            raise
                        time.sleep(0.05)
                self.mon.settimeout(5)
            self.mon.sendall((command + "\n").encode())
        except OSError:
            if self.alive():
                raise

    def query(self, command):
        """Runs a monitor command and returns what it printed."""
        self.monitor(command)
        if self.mon is None or not self.alive():
            return "(no reply to %r: %s)\n" % (command, self.exit_reason() or "no monitor connection")
        data = b""
        deadline = time.monotonic() + 10
        # The reply ends with the next prompt, after the echoed command.
        while time.monotonic() < deadline:
            try:
                chunk = self.mon.recv(65536)
            except socket.timeout:
                break
            if not chunk:  # QEMU hung up
                break
            data += chunk
            text = data.decode(errors="replace")
            if command in text and text.rstrip().endswith("(qemu)") and text.index(command) < text.rindex("(qemu)"):
                break
        text = data.decode(errors="replace").replace("\r", "")
        return text[text.find(command) + len(command):].rsplit("(qemu)", 1)[0]

    def screen(self):
        """The text in the VGA text buffer (guest memory 0xB8000-0xBFFFF),
        row by row. The kernel scrolls by moving the CRTC start address
        (src/dev/vga.rs), so the visible screen is a 25-row window somewhere in
        this buffer; the text it shows is all here, in order."""
        if not self.alive():
            return ""
        self.query("info version")  # drain the greeting and older replies
        dump = self.query("xp /16384hx 0xb8000")
        cells = [int(v, 16) for line in dump.splitlines() if ":" in line
                 for v in line.split(":", 1)[1].split()]
        chars = "".join(chr(c & 0xFF) if 32 <= (c & 0xFF) < 127 else " " for c in cells)
        return "\n".join(chars[i:i + 80].rstrip() for i in range(0, len(chars), 80))

    def qmp(self, command, **arguments):
        """Runs a QMP command and returns its reply (a dict)."""
        if self.qmp_file is None:
            deadline = time.monotonic() + 10
            while True:
                try:
                    sock = socket.socket(socket.AF_UNIX)
                    sock.connect(self.qmp_path)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            self.qmp_file = sock.makefile("rw")
            self.qmp_file.readline()  # the greeting
            self.qmp("qmp_capabilities")
        self.qmp_file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.qmp_file.flush()
        while True:
            reply = json.loads(self.qmp_file.readline())
            if "return" in reply or "error" in reply:
                return reply

    def burst(self, text, echoed=None, ahead=6):
        """Types `text` as fast as QMP takes it: one input-send-event (press
        and release) per character, the next sent as soon as QEMU replies.
        This bypasses the HMP sendkey queue, which drops events when more
        than 50 are pending. With `echoed` (how many characters have come
        back so far), at most `ahead` keys are in flight: QEMU's emulated
        PS/2 keyboard holds 16 scancode bytes (8 keys with their releases)
        and silently drops what comes while it is full, before the guest
        can see it, so an unpaced burst on a busy host loses keys that the
        kernel never had a chance to take."""
        for i, c in enumerate(text):
            deadline = time.monotonic() + 10
            while echoed is not None and echoed() < i - ahead and self.alive() \
                    and time.monotonic() < deadline:
                time.sleep(0.002)
            # A shifted character ('A', '!') is Shift held around the key:
            # QMP has no 'shift-a' key name, as HMP's sendkey has.
            name = keys_for(c)[0]
            held = ["shift"] if name.startswith("shift-") else []
            names = held + [name[len("shift-"):] if held else name]
            events = ([{"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": n}}}
                       for n in names]
                      + [{"type": "key", "data": {"down": False, "key": {"type": "qcode", "data": n}}}
                         for n in reversed(names)])
            if not self.alive():
                return  # the wait that follows says why
            try:
                self.qmp("input-send-event", events=events)
            except (OSError, ValueError):  # ValueError: no JSON, QEMU hung up
                if self.alive():
                    raise
                return

    def serial_send(self, data, chunk=None, gap=0.0):
        """Sends bytes to COM1's receive line, as a terminal on the other
        end would, in chunks of `chunk` bytes with `gap` seconds between
        them (all at once by default). QEMU takes bytes from the socket
        only while the UART's receive FIFO has room, so a fast sender is
        held back there, never dropped by QEMU. (Qemu(serial_socket=True)
        only.)"""
        if not self.alive() or self.serial_conn is None:
            return  # the wait that follows says why
        step = chunk or len(data) or 1
        for i in range(0, len(data), step):
            try:
                self.serial_conn.sendall(data[i:i + step])
            except OSError:
                if self.alive():
                    raise
                return
            if gap:
                time.sleep(gap)

    def sendkeys(self, keys, gap=0.03):
        for key in keys:
            self.monitor("sendkey " + key)
            time.sleep(gap)

    def type(self, text, gap=0.03):
        self.sendkeys(keys_for(text), gap)

    def wait_exit(self, timeout=60):
        """QEMU's exit status, or None: at the timeout, or at once when the
        kernel halted for good without exiting. self.why says which, or
        how QEMU exited (a triple fault, isa-debug-exit and its value)."""
        if self.wait_for(lambda _: not self.alive(), timeout):
            self.why = self.exit_reason()
            return self.proc.returncode
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.mon is not None:
            self.mon.close()
        if self.qmp_file is not None:
            self.qmp_file.close()
        if self.serial_conn is not None:
            self.serial_conn.close()
        self.logfile.close()

    def diagnosis(self, note=""):
        """A failed check's detail: why the last wait failed, `note`, and the
        tails of COM1 and of QEMU's log."""
        return ("%s%s--- tail of %s ---\n%s--- tail of %s ---\n%s"
                % (self.why_line(), note + "\n" if note else "",
                   os.path.relpath(self.serial, ROOT), tail(self.serial),
                   os.path.relpath(self.log, ROOT), tail(self.log)))


def probe_boot(name="boot-probe"):
    """Boots the kernel once, with no options, and waits for `kernel:
    ready`; the boot limits end the wait when it will not come. Returns
    None when it came, else (why not, the tails of COM1 and QEMU's log).
    tests/run.py and labs/grade.py ask this first: when the kernel cannot
    boot, every check that needs a booted kernel fails at once with this
    reason, instead of each booting it again to find the same."""
    q = Qemu(name)
    try:
        if q.wait_line(READY_LINE, 120):
            return None
        return q.why, q.diagnosis()
    finally:
        q.stop()


class Results:
    """Counts checks and prints one line each; failures get details."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []  # names of the failed checks, for the summary
        # Why the kernel cannot reach `kernel: ready`, when tests/run.py's
        # boot probe found that it cannot (None: it can, or no probe ran).
        self.cannot_boot = None

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s" % name, flush=True)
        else:
            self.failed += 1
            self.failures.append(name)
            print("FAIL %s" % name, flush=True)
            if detail:
                print("  " + detail.rstrip().replace("\n", "\n  "), flush=True)
        return ok

    def add(self, passed, failed, names=()):
        """Counts checks run elsewhere (cargo test); `names` are the failed ones."""
        self.passed += passed
        self.failed += failed
        self.failures += list(names)
