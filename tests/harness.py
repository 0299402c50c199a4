"""Boot the kernel in QEMU from a test, type on its keyboard, read COM1.

Used by tests/run.py. Each boot writes COM1 to tests/out/NAME.com1 and
QEMU's own messages to tests/out/NAME.qemu.log; on failure the tails of
both are printed, so a red test says what the kernel last said.
"""

import json
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "out")
KERNEL = os.path.join(ROOT, "build", "kernel.elf")

# Facts about the kernel that the tests share; this is their one Python copy.
# The line the kernel prints when initialisation is done (src/main.rs).
READY_LINE = "kernel: ready"
# The values the kernel writes to QEMU's isa-debug-exit port 0xf4 after its
# tests (src/selftest.rs QEMU_EXIT_PASSED/FAILED; bench=quick writes the
# passed one when done). QEMU then exits with status (value << 1) | 1.
KERNEL_EXIT_PASSED = 0x10
KERNEL_EXIT_FAILED = 0x11
STATUS_PASSED = (KERNEL_EXIT_PASSED << 1) | 1  # 33
STATUS_FAILED = (KERNEL_EXIT_FAILED << 1) | 1  # 35

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


class Emulator:
    """What every emulated machine in the tests shares: its COM1 output in
    a file (self.serial), and waiting for that output to say something."""

    serial = ""

    def alive(self):
        return True

    def output(self):
        try:
            with open(self.serial, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def lines(self):
        return self.output().splitlines()

    def wait_for(self, predicate, timeout=60):
        """Waits until predicate(output) holds; False on timeout, or when
        the machine stopped without it holding."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.output()):
                return True
            if not self.alive():
                return predicate(self.output())
            time.sleep(0.05)
        return predicate(self.output())

    def wait_line(self, line, timeout=60):
        return self.wait_for(lambda out: line in out.splitlines(), timeout)


class Qemu(Emulator):
    """One QEMU boot of the kernel (or of a CD image with iso=...)."""

    def __init__(self, name, append="", iso=None, debug_exit=True, serial=True, extra=()):
        os.makedirs(OUT, exist_ok=True)
        self.name = name
        self.serial = os.path.join(OUT, name + ".com1")
        self.log = os.path.join(OUT, name + ".qemu.log")
        self.sock_path = os.path.join(OUT, name + ".mon.sock")
        self.qmp_path = os.path.join(OUT, name + ".qmp.sock")
        for path in (self.serial, self.sock_path, self.qmp_path):
            if os.path.exists(path):
                os.remove(path)
        cmd = ["qemu-system-i386", "-accel", "tcg", "-m", "32M", "-no-reboot",
               "-display", "none",
               "-serial", ("file:" + self.serial) if serial else "none",
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

    def alive(self):
        return self.proc.poll() is None

    def monitor(self, command):
        if self.mon is None:
            deadline = time.monotonic() + 10
            while True:
                try:
                    self.mon = socket.socket(socket.AF_UNIX)
                    self.mon.connect(self.sock_path)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            self.mon.settimeout(5)
        self.mon.sendall((command + "\n").encode())

    def query(self, command):
        """Runs a monitor command and returns what it printed."""
        self.monitor(command)
        data = b""
        deadline = time.monotonic() + 10
        # The reply ends with the next prompt, after the echoed command.
        while time.monotonic() < deadline:
            try:
                data += self.mon.recv(65536)
            except socket.timeout:
                break
            text = data.decode(errors="replace")
            if command in text and text.rstrip().endswith("(qemu)") and text.index(command) < text.rindex("(qemu)"):
                break
        text = data.decode(errors="replace").replace("\r", "")
        return text[text.find(command) + len(command):].rsplit("(qemu)", 1)[0]

    def screen(self):
        """The text in the VGA text buffer (guest memory 0xB8000-0xBFFFF),
        row by row. The kernel scrolls by moving the CRTC start address
        (src/vga.rs), so the visible screen is a 25-row window somewhere in
        this buffer; the text it shows is all here, in order."""
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

    def burst(self, text):
        """Types `text` as fast as QMP takes it: one input-send-event (press
        and release) per character, the next sent as soon as QEMU replies.
        This bypasses the HMP sendkey queue, which drops events when more
        than 50 are pending."""
        for c in text:
            key = {"type": "qcode", "data": keys_for(c)[0]}
            events = [{"type": "key", "data": {"down": down, "key": key}} for down in (True, False)]
            self.qmp("input-send-event", events=events)

    def sendkeys(self, keys, gap=0.03):
        for key in keys:
            self.monitor("sendkey " + key)
            time.sleep(gap)

    def type(self, text, gap=0.03):
        self.sendkeys(keys_for(text), gap)

    def wait_exit(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.mon is not None:
            self.mon.close()
        if self.qmp_file is not None:
            self.qmp_file.close()
        self.logfile.close()

    def diagnosis(self):
        return ("--- tail of %s ---\n%s--- tail of %s ---\n%s"
                % (os.path.relpath(self.serial, ROOT), tail(self.serial),
                   os.path.relpath(self.log, ROOT), tail(self.log)))


class Results:
    """Counts checks and prints one line each; failures get details."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s" % name, flush=True)
            if detail:
                print("  " + detail.rstrip().replace("\n", "\n  "), flush=True)
        return ok

    def add(self, passed, failed):
        self.passed += passed
        self.failed += failed
