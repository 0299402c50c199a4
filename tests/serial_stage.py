"""The serial stage of make test: COM1 in both directions by interrupt,
and the line discipline, driven from outside as a terminal would.

COM1 is a QEMU socket chardev here (Qemu(serial_socket=True)): the test
writes bytes into the UART's receive line, the kernel takes them on IRQ 4,
and its answer comes back through the transmit queue and the THRE
interrupt into QEMU's log file. Linux is the oracle for the line
discipline: the same program (tests/user/lines.c) gets the same bytes
in a pseudo-terminal on this host, and must see the same reads."""

import os
import pty
import re
import select
import subprocess
import time

from harness import READY_LINE as READY, ROOT, Qemu, run_in_pty

USER = os.path.join(ROOT, "build", "user")
LINES = os.path.join(USER, "lines")


def started(name):
    return lambda out: re.search(r"^user: pid \d+ \(%s\) started" % re.escape(name), out, re.M)


def ended(name):
    return lambda out: re.search(r"^user: pid \d+ \(%s\) (exit \d+|killed by [^(]+) \(" % re.escape(name),
                                 out, re.M)


def end_of(out, name):
    m = ended(name)(out)
    return m.group(1).strip() if m else None


def reads(out):
    """The `read N: ...` reports of tests/user/lines.c, in order. A report
    may start after echoed text that has no newline (Ctrl-D ends a line
    without one), so they are found anywhere on a line."""
    return re.findall(r"read \d+: [^\n]*", out.replace("\r", ""))


def lines_on_host(data, size="64"):
    """tests/user/lines.c on this Linux host, its stdin a pseudo-terminal
    in the default cooked mode, fed `data` at once: its reads and exit
    status, the oracle for the kernel's line discipline."""
    out, status = run_in_pty([LINES, size], data)
    return reads(out), status


def lines_over_com1(name, typed, size):
    """tests/user/lines.c with SIZE-byte reads, `typed` sent to COM1 at
    once, and the same on this host in a pty. Gives (the program ended,
    COM1's output, whether its reads and status are the host's, what to
    show if a check fails)."""
    host, host_status = lines_on_host(typed, size)
    q = Qemu(name, serial_socket=True, extra=["-initrd", "%s %s" % (LINES, size)])
    try:
        q.wait_for(started("lines"), 30)
        q.serial_send(typed)
        ok = q.wait_for(ended("lines"), 30)
        out = q.output()
        same = reads(out) == host and end_of(out, "lines") == "exit %d" % host_status
        why = "kernel: %r, %s\nhost:   %r, exit %d\n%s" % (reads(out), end_of(out, "lines"), host, host_status,
                                                        q.diagnosis())
        return ok, out, same, why
    finally:
        q.stop()


def settled(q, seconds=1.0, timeout=60):
    """Waits until COM1's output has stopped growing for `seconds`."""
    last, since = -1, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and q.alive():
        size = len(q.output())
        if size != last:
            last, since = size, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return True
        time.sleep(0.1)
    return False


def stage_serial(r):
    if not os.path.exists(LINES):
        r.check("serial: the test programs are built (make user-programs, or make test)", False,
                "%s is missing" % LINES)
        return
    # --- The kernel's own echo, bytes in through IRQ 4 -----------------
    q = Qemu("serial-echo", serial_socket=True)
    try:
        q.wait_line(READY, 30)
        r.check("serial: the boot log says COM1 runs on IRQ 4 in both directions",
                re.search(r"^serial: COM1 on IRQ 4 \(vector 0x24\), receive and transmit by interrupt",
                          q.output(), re.M) is not None, q.diagnosis())
        q.serial_send(b"hello\r")
        r.check("serial: bytes sent to COM1 echo back (\\r, what a terminal sends for Enter, as a newline)",
                q.wait_for(lambda out: READY + "\nhello\n" in out, 20), q.diagnosis())
        q.sendkeys(["f12"])
        ok = q.wait_for(lambda out: re.search(r"^interrupts: 0x24 +\d+  IRQ 4 \(COM1 serial\)$", out, re.M), 20)
        r.check("serial: F12's counters show IRQ 4 delivered (the bytes came by interrupt)", ok, q.diagnosis())

        # 10,000 bytes at full speed, far faster than the kernel echoes
        # them: the input queue fills, IRQ 4 pauses receiving (the bytes
        # wait in the UART, and QEMU holds the sender back), the bottom
        # half resumes it. Every byte must echo, in order; the pauses are
        # reported on lines of their own, which are taken out here.
        sent = b"".join(b"flood %06d abcdefghijklmnopqrstuvwxyz\n" % n for n in range(1, 251)).decode()
        assert len(sent) == 10000
        before = len(q.output())
        q.serial_send(sent.encode())
        q.wait_for(lambda out: "flood 000250" in out[before:], 90)
        settled(q)
        region = q.output()[before:]
        pause = r"serial: input queue full, COM1 receiving paused (\d+) time\(s\) \(\d+ since boot\): " \
                r"the bytes waited in the UART, none lost"
        pauses = sum(int(n) for n in re.findall(pause, region))
        reports = len(re.findall(pause, region))
        echoed = re.sub(pause, "", region)
        # A report starts a line of its own: the newline it may add is the
        # only difference allowed, so compare without newlines, then count.
        same = echoed.replace("\n", "") == sent.replace("\n", "")
        newlines = echoed.count("\n") - reports
        r.check("serial: 10,000 bytes sent at full speed all echo, in order (receiving paused %d time(s) "
                "while the input queue was full; nothing dropped, no receive error)" % pauses,
                same and 250 <= newlines <= 250 + reports and "dropped" not in region
                and "receive errors" not in region,
                "echoed %d bytes (without reports) of %d; first difference at %s\n%s"
                % (len(echoed), len(sent),
                   next((i for i, (a, b) in enumerate(zip(echoed.replace("\n", ""), sent.replace("\n", "")))
                         if a != b), "-"), q.diagnosis()))
        after = len(q.output())
        q.type("ok\n")
        r.check("serial: the keyboard still echoes after the flood",
                q.wait_for(lambda out: "ok\n" in out[after:], 20), q.diagnosis())
    finally:
        q.stop()

    # --- A receive error, raised for real: a break on the line ----------
    # (telnet's IAC BREAK: QEMU's 16550 sets LSR.BI with a 0 byte.) QEMU
    # raises the break before the bytes that came in the same packet, so
    # each part is sent after the one before has echoed.
    q = Qemu("serial-break", serial_socket=True, telnet=True)
    try:
        q.wait_line(READY, 30)
        q.serial_send(b"ab")
        q.wait_for(lambda out: READY + "\nab" in out, 20)
        q.serial_send(b"\xff\xf3")
        report = "serial: COM1 receive errors since boot: 0 overrun, 0 framing, 0 parity, 1 break"
        ok = q.wait_for(lambda out: report in out, 20)
        q.serial_send(b"cd\r")
        ok = q.wait_for(lambda out: re.search(r"cd\n", out.split(report)[-1]), 20) and ok
        r.check("serial: a break on COM1's line (LSR.BI) is counted and reported, and input goes on",
                ok, q.diagnosis())
    finally:
        q.stop()

    # --- The line discipline over COM1, Linux in a pty as the oracle ---
    typed = b"abc\x7fd\r" + b"xyz\x15ok\r" + b"one\rtwo\r" + b"par\x04" + b"\x04"
    ok, out, same, why = lines_over_com1("serial-lines", typed, "64")
    r.check("serial: a reading program gets an edited line: abc, DEL, d, Enter gives abd\\n",
            ok and reads(out)[:1] == ["read 4: abd\\n"], why)
    r.check("serial: Ctrl-U erases the line, read returns one line per call, Ctrl-D after text hands it "
            "over, Ctrl-D at the start of a line is end of file: the same reads and status as Linux's pty",
            same, why)
    r.check("serial: the typing is echoed as a terminal does (DEL rubs out with \\b \\b)",
            "abc\b \bd\n" in out, why)

    # --- Reads smaller than the line: a Ctrl-D that ends a line goes with
    # its last part, it is not end of file (Linux's pty as the oracle) ---
    ok, out, same, why = lines_over_com1("serial-lines-2", b"ab\x04" + b"cd\r" + b"\x04", "2")
    r.check("serial: reads of 2 bytes: ab then Ctrl-D is not end of file, Ctrl-D alone is "
            "(the same reads and status as Linux's pty)", ok and same, why)

    # --- The keyboard through the same line discipline -----------------
    q = Qemu("serial-keyboard-lines", extra=["-initrd", LINES + " 64"])
    try:
        q.wait_for(started("lines"), 30)
        q.type("abc")
        q.sendkeys(["backspace"])
        q.type("d\nxyz")
        q.sendkeys(["ctrl-u"])
        q.type("ok\n")
        q.sendkeys(["ctrl-d"])
        ok = q.wait_for(ended("lines"), 30)
        out = q.output()
        host, host_status = lines_on_host(b"abc\x7fd\rxyz\x15ok\r\x04")
        r.check("serial: keys typed on the keyboard go through the same line discipline "
                "(Backspace, Ctrl-U, Enter, Ctrl-D; same reads and status as Linux's pty)",
                ok and reads(out) == host and end_of(out, "lines") == "exit %d" % host_status,
                "kernel: %r, %s\nhost:   %r\n%s" % (reads(out), end_of(out, "lines"), host, q.diagnosis()))
    finally:
        q.stop()

    # --- A line longer than the buffer, then Ctrl-C from COM1 ----------
    q = Qemu("serial-long", serial_socket=True, extra=["-initrd", LINES + " 256"])
    try:
        q.wait_for(started("lines"), 30)
        q.serial_send(b"x" * 1100 + b"\r")
        ok = q.wait_for(lambda out: len(reads(out)) >= 4, 30)
        out = q.output()
        got = reads(out)
        r.check("serial: a line longer than the buffer is cut at 1,023 characters plus Enter, "
                "read 256 bytes at a time, and the rest is refused and reported",
                ok and got[:4] == ["read 256: " + "x" * 256] * 3 + ["read 256: " + "x" * 255 + "\\n"]
                and re.search(r"^terminal: line full \(1024 bytes\), \d+ character\(s\) refused "
                              r"\(77 since boot\)$", out, re.M) is not None,
                "reads: %r\n%s" % ([g[:20] for g in got], q.diagnosis()))
        q.serial_send(b"fine\r")
        r.check("serial: after the long line, the next one is read whole (nothing corrupted)",
                q.wait_for(lambda out: "read 5: fine\\n" in out, 20), q.diagnosis())
        q.serial_send(b"half\x03")
        ok = q.wait_for(lambda out: end_of(out, "lines") == "killed by Ctrl-C", 20)
        r.check("serial: Ctrl-C received on COM1 stops the foreground program (echoed ^C)",
                ok and "half^C\n" in q.output(), q.diagnosis())
        before = len(q.output())
        q.serial_send(b"back\r")
        r.check("serial: then the kernel's own echo is back",
                q.wait_for(lambda out: "back\n" in out[before:], 20), q.diagnosis())
    finally:
        q.stop()

    # --- Output by THRE: far more than the transmit queue holds --------
    spew = os.path.join(USER, "spew")
    q = Qemu("serial-spew", extra=["-initrd", spew + " 500"])
    try:
        ok = q.wait_for(ended("spew"), 60)
        out = q.output()
        host = subprocess.run([spew, "500"], stdout=subprocess.PIPE, timeout=20).stdout.decode()
        start = out.find("spew 000001")
        kernel = out[start:out.find("user: pid", start)] if start >= 0 else ""
        r.check("serial: 28 KB written by a program (4 KB transmit queue) all come out, in order, "
                "by the THRE interrupt: the same bytes as on Linux",
                ok and kernel == host and end_of(out, "spew") == "exit 0",
                "kernel %d bytes, host %d; first difference at %s\n%s"
                % (len(kernel), len(host), next((i for i, (a, b) in enumerate(zip(kernel, host)) if a != b), "-"),
                   q.diagnosis()))
    finally:
        q.stop()

    # --- make run-serial, as a student runs it in a bare terminal -------
    ok, shown, status = run_serial_session()
    r.check("serial: make run-serial says how to quit before QEMU starts (Ctrl-A, then X)",
            "Quit: Ctrl-A, then X." in shown, shown[-2000:])
    text = shown.replace("\r", "")
    after_ready = text.split("\nkernel: ready\n", 1)[-1].split("\n")
    r.check("serial: make run-serial says it again after kernel: ready (the boot log scrolled make's "
            "hint away), within the screen that shows when the program starts",
            "kernel: ready" in text and "terminal: leave QEMU: Ctrl-A, then X" in after_ready[:24],
            "lines after kernel: ready: %r" % after_ready[:24])
    r.check("serial: in make run-serial, Ctrl-C with no program running says how to leave QEMU",
            "terminal: no program runs to stop; leave QEMU: Ctrl-A, then X" in text, text[-2000:])
    r.check("serial: in make run-serial the terminal is COM1: typed bytes reach a program through the "
            "line discipline (abc, DEL, d, Enter gives abd\\n) and Ctrl-C stops it",
            ok and "read 4: abd\\n" in shown and "(lines) killed by Ctrl-C" in shown, shown[-2000:])
    r.check("serial: Ctrl-A X quits make run-serial (exit 0), and com1.out has the session",
            status == 0 and "QEMU has quit" in shown and "read 4: abd\\n" in read_file("com1.out"),
            "make exit status %r\n%s" % (status, shown[-2000:]))

    # --- make run's curses hint: pinned on the screen --------------------
    q = Qemu("serial-quit-hint", append="quit=curses")
    try:
        q.wait_line(READY, 30)
        q.type("x\n" * 30)  # scroll the screen: the hint must stay on top
        q.wait_for(lambda out: out.count("x\n") >= 30, 30)
        rows = visible_rows(q)
        r.check("serial: quit=curses (make run in a terminal) keeps QEMU's quit keys on the top row "
                "of the screen, after it scrolled",
                rows and rows[0].rstrip().endswith("leave QEMU: Esc 2, type quit, Enter"),
                "top row: %r\n%s" % (rows[:1], q.diagnosis()))
    finally:
        q.stop()


def read_file(path):
    try:
        with open(os.path.join(ROOT, path), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def visible_rows(q):
    """The 25 rows the screen shows. The kernel scrolls by moving the
    CRTC's start address, which the monitor does not show, so they are
    found in the text buffer: the last row holding text is the last line
    printed, and the row below it, where the cursor waits, is the bottom
    row of the screen (this holds until the buffer's ~180 rows wrap)."""
    text = q.screen().split("\n")
    last = max((i for i, row in enumerate(text) if row.strip()), default=0)
    bottom = last + 1
    return text[max(0, bottom - 24):bottom + 1]


def run_serial_session():
    """Runs `make -s run-serial INITRD=build/user/lines` in a pseudo-
    terminal, as a student would in a bare terminal: types a line with a
    DEL in it, Ctrl-C, then Ctrl-A X. Returns (saw the program's read,
    everything the terminal showed, make's exit status)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execvp("make", ["make", "-s", "run-serial", "INITRD=build/user/lines"])
    shown = b""

    def pump(until, timeout):
        nonlocal shown
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and until not in shown:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    return False
                if not chunk:
                    return False
                shown += chunk
        return until in shown

    ok = pump(b"(lines) started", 60)
    if ok:
        os.write(fd, b"abc\x7fd\r")
        ok = pump(b"read 4: abd\\n", 20)
        os.write(fd, b"\x03")
        ok = pump(b"killed by Ctrl-C", 20) and ok
        # No program runs now: Ctrl-C answers with how to leave QEMU.
        os.write(fd, b"\x03")
        pump(b"no program runs to stop; leave QEMU: Ctrl-A, then X", 20)
    os.write(fd, b"\x01x")
    pump(b"QEMU has quit", 20)
    status = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            break
        time.sleep(0.1)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(fd)
    return ok, shown.decode(errors="replace").replace("\r", ""), status
