#!/usr/bin/env python3
"""The labs' grader: boots the real kernel and drives the real path.

    python3 labs/grade.py                  every lab            (make grade)
    python3 labs/grade.py 3 4              labs 3 and 4         (make grade LAB=3)
    python3 labs/grade.py 3 --json r.json  and the results as JSON (make grade LAB=3 JSON=r.json)
    python3 labs/grade.py --class DIR [--csv FILE] [--lab N]
                                           every student tree in DIR (make grade-class DIR=...)

Each check prints one line, `PASS  lab N: what (P pts)` or
`FAIL  lab N: what (0/P pts): why`, with the end of COM1 under a failure;
the last line is exactly `score: X/Y`. The exit status is 0 only at full
marks. The kernel (build/kernel.elf), the GRUB image (build/os.iso, lab
1) and the test programs (build/user/; build/httpd and build/udpecho,
lab 9) must be built first, and lab 9 needs curl: `make grade` does
that.

Anything a check looks for in the output is chosen at run time: a token
typed on the keyboard, sent on COM1 or over the network, or given to a
program as its argv, a random exit status, a random timer rate. A
kernel that prints a fixed string cannot pass. Every wait gives up as
soon as the kernel can print nothing more (a fatal report, a panic, a
triple fault), COM1 has gone quiet, or the boot is past the limits of
tests/harness.py (nothing on COM1, or no `kernel: ready`, 15 s after
QEMU started), and the failure says which. Before any check, one boot
with no options must reach `kernel: ready`: when it does not, every
check fails at once with its reason (nothing is booted again), and the
score line still comes.
"""

import csv
import json
import os
import random
import re
import string
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import netpeers  # noqa: E402
from harness import KERNEL, READY_LINE as READY, Emulator, Qemu, probe_boot  # noqa: E402
from net_stage import net_args  # noqa: E402

BUILD = os.path.join(ROOT, "build")
USER = os.path.join(BUILD, "user")
ISO = os.path.join(ROOT, "build", "os.iso")
LABS = range(1, 10)
TITLES = {
    1: "boot and the GDT",
    2: "the IDT and the stubs",
    3: "the 8259 PIC",
    4: "the keyboard IRQ",
    5: "the timer and exceptions",
    6: "system calls",
    7: "scheduling off the timer",
    8: "the serial port by interrupt",
    9: "the network card's interrupt",
}
# How long a wait for `kernel: ready` may take, and how long COM1 may stay
# silent in a wait after it: the boot log comes out in well under a second.
# Before `kernel: ready` the boot limits of tests/harness.py rule (15 s).
BOOT_SECONDS, QUIET_SECONDS = 30, 6
# The kernel's half starts here: a kernel address's physical address is
# the address minus this (src/cpu/paging.rs KERNEL_BASE), for the QEMU
# monitor's xp.
KERNEL_BASE = 0xC0000000


def token(n=8):
    """Lower-case letters: every one can be typed, sent and passed as argv."""
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


def program(name, *args):
    return " ".join([os.path.join(USER, name)] + [str(a) for a in args])


def end_line(out, name):
    """How program NAME ended ('exit 3', 'killed by #GP'...), or None."""
    m = re.search(r"^user: pid \d+ \(%s\) (exit \d+|killed by \S+)" % re.escape(name), out, re.M)
    return m.group(1) if m else None


def all_ended(out):
    return re.search(r"^user: every program has ended;.*\n", out, re.M) is not None


class Grader:
    """Runs checks, prints them, adds up the points."""

    def __init__(self):
        self.results = []

    def check(self, lab, what, points, ok, why="", detail=""):
        self.results.append({"lab": lab, "check": what, "points": points,
                             "earned": points if ok else 0, "passed": bool(ok),
                             "reason": "" if ok else why})
        if ok:
            print("PASS  lab %d: %s (%d pts)" % (lab, what, points), flush=True)
        else:
            print("FAIL  lab %d: %s (0/%d pts): %s" % (lab, what, points, why or "failed"), flush=True)
            if detail:
                print("      " + detail.rstrip().replace("\n", "\n      "), flush=True)
        return ok

    def score(self):
        return sum(r["earned"] for r in self.results), sum(r["points"] for r in self.results)


class NotBooted(Emulator):
    """What a check gets in place of a boot once the probe found that the
    kernel cannot reach `kernel: ready`: no QEMU and no output, and every
    wait fails at once with the probe's reason. Each check then fails with
    that reason in no time, and the score still counts its points."""

    def __init__(self, reason):
        self.why = reason

    def alive(self):
        return False

    def wait_for(self, predicate, timeout=60, quiet=None):
        return False

    def query(self, command):
        return ""

    def type(self, text):
        pass

    def sendkeys(self, keys):
        pass

    def serial_send(self, data):
        pass

    def stop(self):
        pass


class Boot:
    """One QEMU boot for a lab's checks: `with Boot(...) as q:`. Once the
    probe has found that the kernel cannot boot (`cannot_boot`, set by
    grade()), a NotBooted instead."""

    cannot_boot = None

    def __init__(self, name, append="", modules=(), extra=(), **options):
        if Boot.cannot_boot:
            self.q = NotBooted(Boot.cannot_boot)
            return
        extra = list(extra) + (["-initrd", ",".join(modules)] if modules else [])
        self.q = Qemu("grade-" + name, append=append, extra=extra, **options)

    def __enter__(self):
        return self.q

    def __exit__(self, *_):
        self.q.stop()


def why(q, fallback):
    """The first line of a failure: why the wait stopped, or `fallback`."""
    return q.why or fallback


def tail(q, lines=8):
    if isinstance(q, NotBooted):
        return ""  # grade() showed the probe's COM1 once
    out = q.output().rstrip("\n").splitlines()
    return "--- end of COM1 (%s) ---\n%s" % (os.path.relpath(q.serial, ROOT), "\n".join(out[-lines:]))


def ready(q):
    """Waits for `kernel: ready`, giving up when COM1 goes quiet first."""
    return q.wait_for(lambda out: READY in out.splitlines(), BOOT_SECONDS, quiet=QUIET_SECONDS)


def typed_echo(q, text, seconds=15):
    """Types `text` and waits for it to come back on COM1 after this point."""
    before = len(q.output())
    q.type(text)
    return q.wait_for(lambda out: text in out[before:], seconds, quiet=QUIET_SECONDS)


def counters(q, vector):
    """F12: the kernel prints its interrupt counters; the count of
    `vector` from the newest table, or None."""
    before = len(q.output())
    q.sendkeys(["f12"])
    # The table ends with the spurious counts; a vector never delivered
    # has no line of its own.
    last = re.compile(r"^interrupts: spurious IRQ 7: \d+, spurious IRQ 15: \d+$", re.M)
    if not q.wait_for(lambda out: last.search(out[before:]), 10, quiet=QUIET_SECONDS):
        return None
    table = q.output()[before:]
    found = re.findall(r"^interrupts: 0x%02x +(\d+)" % vector, table[:last.search(table).end()], re.M)
    return int(found[-1]) if found else 0


def selftests(q, seconds=90):
    """Boots with test=all already given: {test name: 'ok' or 'FAILED...'}."""
    q.wait_for(lambda out: re.search(r"^selftest: \d+ passed, \d+ failed$", out, re.M), seconds,
               quiet=15)
    return dict(re.findall(r"^selftest: (\w+) \.\.\. (ok|FAILED.*)$", q.output(), re.M))


def selftest_check(g, lab, what, points, results, q, *names):
    bad = ["%s: %s" % (n, results.get(n, "did not run")) for n in names if results.get(n) != "ok"]
    g.check(lab, what, points, not bad, why(q, "; ".join(bad)) if bad else "", tail(q))


# ---------------------------------------------------------------- lab 1

def lab1(g):
    with Boot("lab1-qemu") as q:
        ok = ready(q)
        regs = q.query("info registers") if ok else ""
        selectors = all(re.search(r"^%s =%s " % (reg, value), regs, re.M)
                        for reg, value in (("CS", "0008"), ("DS", "0010"), ("SS", "0010"), ("ES", "0010")))
        g.check(1, "QEMU's loader: the kernel's GDT is in, CS 0x08 and DS/SS/ES 0x10 (info registers)", 5,
                ok and selectors, why(q, "the selectors are not the kernel's:\n" + regs[:600]), tail(q))
    word = token()
    with Boot("lab1-grub", iso=ISO) as q:
        ok = ready(q)
        line = re.search(r"^gdt: .*CS (0x\w+) -> (0x\w+), DS/ES/FS/GS/SS (0x\w+) -> (0x\w+)$", q.output(), re.M)
        reloaded = line is not None and line.groups() == ("0x10", "0x08", "0x18", "0x10")
        g.check(1, "through GRUB (CS 0x10, DS 0x18) every segment register is reloaded, and a typed "
                "token echoes afterwards", 10,
                ok and reloaded and typed_echo(q, word),
                why(q, "the gdt: line says %s" % (line.group(0) if line else "nothing")), tail(q))
    word, status = token(), random.randint(1, 120)
    with Boot("lab1-ring3", modules=[program("exitwith", word, status)]) as q:
        ok = q.wait_for(all_ended, 30, quiet=QUIET_SECONDS)
        out = q.output()
        g.check(1, "a program runs in ring 3 on the user selectors: it writes its argv token and exits", 10,
                ok and "exitwith: %s, pid 1\n" % word in out and end_line(out, "exitwith") == "exit %d" % status,
                why(q, "no 'exitwith: %s' and 'exit %d' from the program" % (word, status)), tail(q))


# ---------------------------------------------------------------- lab 2

def lab2(g):
    with Boot("lab2-idt") as q:
        ok = ready(q)
        regs = q.query("info registers") if ok else ""
        m = re.search(r"^IDT=\s+([0-9a-f]{8}) ([0-9a-f]{8})$", regs, re.M)
        gates = {}
        if m:
            for vector in (0x0D, 0x21, 0x80):
                dump = q.query("xp /2wx 0x%x" % (int(m.group(1), 16) - KERNEL_BASE + 8 * vector))
                words = re.findall(r"0x([0-9a-f]{8})", dump.split(":", 1)[-1])
                if len(words) == 2:
                    gates[vector] = (int(words[1], 16) >> 8) & 0xFF
        good = m is not None and int(m.group(2), 16) == 0x7FF and gates == {0x0D: 0x8E, 0x21: 0x8E, 0x80: 0xEE}
        g.check(2, "the IDT: limit 0x7ff, interrupt gates of DPL 0 (0x0d, 0x21) and DPL 3 (0x80), "
                "read from guest memory", 5, good,
                why(q, "IDTR %s, attribute bytes %s" % (m.groups() if m else "?",
                                                        {hex(k): hex(v) for k, v in gates.items()})), tail(q))
    with Boot("lab2-selftest", append="test=all") as q:
        results = selftests(q)
        selftest_check(g, 2, "vectors without an error code: int3 resumes with its registers intact, #UD "
                       "gets the dummy 0 (in-kernel tests)", 5, results, q,
                       "breakpoint_resumes", "ud_has_dummy_error_code")
        selftest_check(g, 2, "a vector with an error code: a real #GP's selector sits in the frame's "
                       "error-code slot (in-kernel test)", 10, results, q, "gp_error_code_in_frame")
    with Boot("lab2-pagefault", append="fault=pagefault") as q:
        pattern = (r"^trap: #PF Page Fault \(vector 14\) error code 0x0 \[read from a not-present page, "
                   r"from ring 0\]\n  eip=0xc0[0-9a-f]{6} cs=0x0008")
        # Both in one wait: the cr2 line comes after the eip line, and a
        # check made as soon as the eip line is there can miss it.
        ok = q.wait_for(lambda out: re.search(pattern, out, re.M) and "cr2=0xdeadb000" in out, 20,
                        quiet=QUIET_SECONDS)
        g.check(2, "#PF's frame: error code, then a kernel eip and cs 0x08 where they belong", 5,
                ok, why(q, "no #PF report with that frame"), tail(q))


# ---------------------------------------------------------------- lab 3

def lab3(g):
    with Boot("lab3") as q:
        ok = ready(q)
        pic = q.query("info pic") if ok else ""
        g.check(3, "the 8259s are remapped: IRQ 0-7 at 0x20, IRQ 8-15 at 0x28 (info pic)", 5,
                re.search(r"pic0: .*irq_base=20", pic) is not None
                and re.search(r"pic1: .*irq_base=28", pic) is not None,
                why(q, "info pic says:\n" + pic.strip()), tail(q))
        first = counters(q, 0x20) if ok else None
        if first is not None:
            time.sleep(1.5)
        second = counters(q, 0x20) if first is not None else None
        g.check(3, "the timer keeps ticking on vector 0x20 (F12's counters, 1.5 s apart)", 5,
                second is not None and second - first >= 60,
                why(q, "vector 0x20 counted %s, then %s" % (first, second)), tail(q))
        word = token(12)
        g.check(3, "every key of a typed token echoes, not only the first (the EOI)", 10,
                ok and typed_echo(q, word), why(q, "'%s' did not come back whole" % word), tail(q))
    with Boot("lab3-spurious", append="test=spurious_irq7_and_irq15") as q:
        results = selftests(q)
        selftest_check(g, 3, "spurious IRQ 7 and 15 (int 0x27, int 0x2f with nothing in service) are "
                       "counted, run no handler, and the timer keeps ticking", 5, results, q,
                       "spurious_irq7_and_irq15")


# ---------------------------------------------------------------- lab 4

def lab4(g):
    with Boot("lab4") as q:
        ok = ready(q)
        word = token(10)
        g.check(4, "a typed token echoes on COM1", 10, ok and typed_echo(q, word),
                why(q, "'%s' did not come back" % word), tail(q))
    with Boot("lab4-echo", append="init=echo") as q:
        ok = q.wait_for(lambda out: "(echo) started:" in out, BOOT_SECONDS, quiet=QUIET_SECONDS)
        word = token(10)
        before = len(q.output())
        q.type(word + "\n")
        # The line discipline echoes the typing, then the program writes the line.
        ok = ok and q.wait_for(lambda out: out[before:].count(word + "\n") >= 2, 15, quiet=QUIET_SECONDS)
        g.check(4, "a typed line reaches a program's read(), which writes it back", 10, ok,
                why(q, "'%s' did not come back twice (echo, then the program)" % word), tail(q))
    with Boot("lab4-selftest", append="test=all") as q:
        results = selftests(q)
        selftest_check(g, 4, "scancodes injected through the i8042 decode to keys, and 256 queued keys "
                       "come out in order (in-kernel tests)", 5, results, q,
                       "keyboard_echo", "keyboard_burst_loses_nothing")


# ---------------------------------------------------------------- lab 5

def lab5(g):
    hz = random.randint(150, 400)
    with Boot("lab5-hz", append="hz=%d" % hz) as q:
        ok = ready(q)
        m = re.search(r"^pit: channel 0 at %d Hz \(divisor (\d+)," % hz, q.output(), re.M)
        want = (1193182 + hz // 2) // hz
        first = counters(q, 0x20) if ok else None
        if first is not None:
            time.sleep(2)
        second = counters(q, 0x20) if first is not None else None
        rate = (second - first) / 2 if second is not None else 0
        g.check(5, "hz=%d: the PIT gets the divisor nearest 1193182/%d, and IRQ 0 comes that often" % (hz, hz),
                5, m is not None and int(m.group(1)) == want and 0.6 * hz <= rate <= 1.5 * hz,
                why(q, "divisor %s (want %d), about %d ticks a second" % (m.group(1) if m else "?", want, rate)),
                tail(q))
    name = random.choice(["breakpoint", "overflow"])
    mnemonic = {"breakpoint": "#BP Breakpoint \\(vector 3\\)", "overflow": "#OF Overflow \\(vector 4\\)"}[name]
    with Boot("lab5-" + name, append="fault=" + name) as q:
        ok = q.wait_for(lambda out: re.search(r"^trap: %s$(.*\n)*trap: resumed at" % mnemonic, out, re.M),
                        20, quiet=QUIET_SECONDS)
        word = token()
        g.check(5, "fault=%s: the trap is reported and resumed, and a typed token echoes after it" % name, 10,
                ok and typed_echo(q, word), why(q, "no report and resume, or no echo afterwards"), tail(q))
    with Boot("lab5-stackoverflow", append="fault=stackoverflow") as q:
        q.wait_for(lambda out: re.search(r"^kernel: halted: fatal #DF", out, re.M), 30, quiet=QUIET_SECONDS)
        out = q.output()
        g.check(5, "a kernel stack overflow ends in the #DF report, on its own stack, without a reset", 10,
                re.search(r"^trap: #DF Double Fault \(vector 8\), handled by a task switch", out, re.M) is not None
                and "the kernel stack overflowed" in out and q.alive(),
                why(q, "no #DF report, or the machine reset"), tail(q))


# ---------------------------------------------------------------- lab 6

def lab6(g):
    words, statuses = (token(), token()), (random.randint(1, 250), random.randint(1, 250))
    with Boot("lab6", modules=[program("exitwith", w, s) for w, s in zip(words, statuses)]) as q:
        q.wait_for(all_ended, 30, quiet=QUIET_SECONDS)
        out = q.output()
        wrote = all(re.search(r"^exitwith: %s, pid " % w, out, re.M) for w in words)
        g.check(6, "write(1, ...) from ring 3: two programs write the tokens of their argv", 10, wrote,
                why(q, "no 'exitwith: %s' and '%s'" % words), tail(q))
        ends = re.findall(r"^user: pid \d+ \(exitwith\) (exit \d+|killed by \S+)", out, re.M)
        g.check(6, "exit(STATUS): each program ends with the random status it was given", 10,
                ends == ["exit %d" % s for s in statuses],
                why(q, "end lines %s, want exit %d and exit %d" % (ends, statuses[0], statuses[1])), tail(q))
        pids = [re.search(r"^exitwith: %s, pid (\d+)$" % w, out, re.M) for w in words]
        g.check(6, "getpid() returns each program's own pid (1 and 2)", 5,
                [p.group(1) if p else None for p in pids] == ["1", "2"],
                why(q, "pids %s" % [p.group(1) if p else None for p in pids]), tail(q))


# ---------------------------------------------------------------- lab 7

def count_order(out, names):
    return [m.group(1) for m in re.finditer(r"^(%s) \d+$" % "|".join(names), out, re.M)]


def lab7(g):
    a, b = token(6), token(6)
    for mode, points in (("rr", 10), ("coop", 5)):
        with Boot("lab7-" + mode, append="sched=" + mode,
                  modules=[program("count", a, 6, 40), program("count", b, 6, 40)]) as q:
            ok = q.wait_for(all_ended, 60, quiet=15)
            order = count_order(q.output(), (a, b))
            switches = sum(1 for x, y in zip(order, order[1:]) if x != y)
            shown = "".join("a" if n == a else "b" for n in order)
            if mode == "rr":
                g.check(7, "round robin: two busy programs (%s, %s) take turns off the timer" % (a, b), points,
                        ok and len(order) == 12 and switches >= 2,
                        why(q, "their lines came in the order %s" % (shown or "(none)")), tail(q))
            else:
                g.check(7, "sched=coop: the first runs to its end before the second starts", points,
                        ok and shown == "aaaaaabbbbbb", why(q, "order %s" % (shown or "(none)")), tail(q))
    with Boot("lab7-sleep", modules=[program("sleep")]) as q:
        ok = q.wait_for(all_ended, 30, quiet=QUIET_SECONDS)
        m = re.search(r"^slept (\d+) ms$", q.output(), re.M)
        g.check(7, "nanosleep(0.5 s) sleeps 500-510 ms by the clock", 5,
                ok and m is not None and 500 <= int(m.group(1)) <= 510,
                why(q, "slept %s ms" % (m.group(1) if m else "?")), tail(q))
    word, c = token(), token(5)
    with Boot("lab7-read", modules=[program("reader"), program("count", c, 25, 40)]) as q:
        ok = q.wait_for(lambda out: re.search(r"^%s 2$" % c, out, re.M), 30, quiet=QUIET_SECONDS)
        if ok:
            q.type(word + "\n")
        ok = ok and q.wait_for(lambda out: "got: %s\n" % word in out, 10)
        g.check(7, "a process blocked in read() gets a typed line while another computes", 5,
                ok and re.search(r"^%s 25$" % c, q.output(), re.M) is None,
                why(q, "no 'got: %s' before %s finished" % (word, c)), tail(q))


# ---------------------------------------------------------------- lab 8

def lab8(g):
    with Boot("lab8-echo", serial_socket=True) as q:
        ok = ready(q)
        g.check(8, "the whole boot log comes out by the THRE interrupt, to 'kernel: ready'", 5,
                ok and re.search(r"^serial: COM1 on IRQ 4 .*receive and transmit by interrupt", q.output(), re.M),
                why(q, "no ready line"), tail(q))
        word = token(12)
        before = len(q.output())
        q.serial_send(word.encode() + b"\r")
        echoed = ok and q.wait_for(lambda out: word + "\n" in out[before:], 15, quiet=QUIET_SECONDS)
        irq4 = counters(q, 0x24) if echoed else None
        g.check(8, "a token sent on COM1 comes back by IRQ 4 (F12 counts vector 0x24)", 10,
                echoed and irq4 is not None and irq4 > 0,
                why(q, "'%s' did not come back, or IRQ 4 was not counted (%s)" % (word, irq4)), tail(q))
    lines = random.randint(300, 500)
    spew = os.path.join(USER, "spew")
    with Boot("lab8-spew", modules=["%s %d" % (spew, lines)]) as q:
        ok = q.wait_for(all_ended, 60, quiet=QUIET_SECONDS)
        out = q.output()
        host = subprocess.run([spew, str(lines)], stdout=subprocess.PIPE, timeout=20).stdout.decode()
        start = out.find("spew 000001")
        kernel = out[start:out.find("user: pid", start)] if start >= 0 else ""
        g.check(8, "%d KB from a program (the transmit queue holds 4 KB) come out whole, in order"
                % (len(host) // 1024), 10, ok and kernel == host and end_line(out, "spew") == "exit 0",
                why(q, "%d of %d bytes came out as the host prints them" % (len(kernel), len(host))), tail(q))


# ---------------------------------------------------------------- lab 9

# The card's line on QEMU (SeaBIOS routes the e1000's INTA# to IRQ 11),
# and its vector once the 8259s are remapped (lab 3).
NET_VECTOR = 0x2B
# More deliveries a second than any traffic here makes: an interrupt
# storm (a paced echo makes a few hundred; a line never acknowledged,
# a million, measured).
STORM_RATE = 20000


def kernel_symbol(part, elf=KERNEL):
    """The address of the first symbol of build/kernel.elf whose mangled
    name holds `part` (the path's length-prefixed names, which both of
    Rust's manglings spell the same), from its symbol table, or None."""
    with open(elf, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strings = sections[link][4]
        for at in range(offset, offset + size, entsize):
            name, value = struct.unpack_from("<II", data, at)
            end = data.index(b"\0", strings + name)
            if part in data[strings + name:end]:
                return value
    return None


def deliveries(q, vector):
    """How often the kernel's dispatcher has counted `vector`, read from
    guest memory (src/interrupt/counters.rs COUNTS), so that it can be
    known even when the kernel no longer answers F12; None if unknown."""
    counts = kernel_symbol(b"9irqkernel9interrupt8counters6COUNTS")
    if counts is None:
        return None
    words = re.findall(r"0x([0-9a-f]{8})", q.query("xp /1wx 0x%x" % (counts - KERNEL_BASE + 4 * vector))
                       .split(":", 1)[-1])
    return int(words[0], 16) if words else None


def storm_rate(q):
    """IRQ 11's deliveries in one second of now, or None if unknown."""
    first = deliveries(q, NET_VECTOR)
    time.sleep(1)
    second = deliveries(q, NET_VECTOR)
    return second - first if first is not None and second is not None else None


def net_report(q):
    """F11: the kernel's report of the card's counters, one line, or None
    when it does not come."""
    before = len(q.output())
    q.sendkeys(["f11"])
    line = re.compile(r"^net: e1000 .*\n", re.M)
    if not q.wait_for(lambda out: line.search(out[before:]), 5, quiet=QUIET_SECONDS):
        return None
    return line.search(q.output()[before:]).group(0).strip()


def report_number(line, name):
    m = re.search(r"\b%s (\d+)" % name, line or "")
    return int(m.group(1)) if m else None


def net_why(q, what):
    """Why a network check failed: what did not come back, and what the
    kernel says about its card (F11), or, when it no longer answers keys,
    how often IRQ 11 comes."""
    if q.why or isinstance(q, NotBooted):
        return q.why
    report = net_report(q)
    if report is not None:
        return "%s; F11 says: %s" % (what, report[:report.find("; sockets:")])
    rate = storm_rate(q)
    if rate is not None and rate >= STORM_RATE:
        return ("%s; the kernel no longer answers F11, and IRQ 11 is delivered %d times a second: an "
                "interrupt storm (is the card acknowledged, ICR read, before the EOI?)" % (what, rate))
    return "%s; the kernel no longer answers F11 (IRQ 11 delivered %s times in the last second)" % (what, rate)


# Why a check that needs the network was not tried.
NOT_TRIED = "not tried: the first datagram did not come back"


def echo_once(port, payload, seconds=5):
    """Sends `payload` to udpecho through the hostfwd `port`: whether it
    comes back, byte for byte, within `seconds`."""
    with netpeers.socket.socket(netpeers.socket.AF_INET, netpeers.socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", port))
        s.settimeout(seconds)
        s.send(payload)
        try:
            return s.recv(65536) == payload
        except (OSError, netpeers.socket.timeout):
            return False


def lab9(g):
    word = token(12)
    tcp, udp = netpeers.free_port(), netpeers.free_port(kind=netpeers.socket.SOCK_DGRAM)
    servers = ["%s %s" % (os.path.join(BUILD, "httpd"), word), os.path.join(BUILD, "udpecho")]
    with Boot("lab9", modules=servers, extra=net_args(tcp, udp)) as q:
        ok = q.wait_for(lambda out: "udpecho: listening on udp port 5555" in out
                        and "httpd: listening on tcp port 8080" in out, BOOT_SECONDS, quiet=QUIET_SECONDS)
        # One datagram first, a token chosen now: the card's first frames
        # (QEMU's ARP for the guest, then the datagram) and their interrupts.
        hello = ("lab9 %s" % token(16)).encode()
        first = ok and echo_once(udp, hello)
        g.check(9, "a datagram carrying a token chosen now comes back from udpecho: the card's "
                "interrupt is acknowledged, and its news reaches the waiting process", 5, first,
                net_why(q, "no echo of %r" % hello.decode()) if ok else why(q, "the servers did not start"),
                tail(q))
        seed = token()
        result = netpeers.udp_echo("127.0.0.1", udp, count=200, timeout=2, seed=seed, give_up=3) \
            if first else netpeers.UdpResult()
        echoed = first and result.echoed == 200 and result.lost == 0 and result.wrong == 0
        g.check(9, "200 datagrams of 1-1472 random bytes (seeded by '%s'), paced, all come back byte "
                "for byte: the 32-slot receive ring goes round 6 times (the refill)" % seed, 10, echoed,
                net_why(q, "%d of %d echoed (%d lost, %d wrong)" % (result.echoed, result.sent, result.lost,
                                                                   result.wrong)) if first else
                why(q, NOT_TRIED), tail(q))
        pages = []
        for _ in range(5 if first else 0):
            n = netpeers.page_counter(netpeers.curl_get("127.0.0.1", tcp, "/", timeout=5), word)
            pages.append(n)
            if not isinstance(n, int):
                break
        g.check(9, "curl fetches httpd's page 5 times, each with the token '%s' and its counter" % word, 5,
                pages == [1, 2, 3, 4, 5],
                net_why(q, "the pages' counters: %s" % pages) if first else why(q, NOT_TRIED), tail(q))
        report = net_report(q) if first else None
        received = report_number(report, "received")
        irqs = counters(q, NET_VECTOR) if report else None
        lost = [report_number(report, n) for n in ("MPC", "RNBC")]
        g.check(9, "no storm, nothing dropped: IRQ 11 came at most twice per frame received, and the card "
                "never ran out of descriptors (F11: MPC and RNBC 0; F12: vector 0x2b)", 5,
                received is not None and received >= 200 and irqs is not None and 0 < irqs <= 2 * received
                + 10 and lost == [0, 0],
                why(q, NOT_TRIED) if not first else
                net_why(q, "F11 printed no report") if report is None else
                "vector 0x2b counted %s for %s frames received; F11 says: %s"
                % ("?" if irqs is None else irqs, received, report[:report.find("; sockets:")]),
                tail(q))


GRADERS = {1: lab1, 2: lab2, 3: lab3, 4: lab4, 5: lab5, 6: lab6, 7: lab7, 8: lab8, 9: lab9}


def grade(labs, json_path=None):
    g = Grader()
    failed = probe_boot("grade-probe")
    if failed:
        why, diagnosis = failed
        Boot.cannot_boot = "the kernel cannot reach '%s': %s" % (READY, why)
        print("grade: a boot with no options does not reach '%s'; every check fails with this reason, "
              "and none boots it again:\n  %s" % (READY, diagnosis.rstrip().replace("\n", "\n  ")), flush=True)
    for lab in labs:
        print("== lab %d: %s ==" % (lab, TITLES[lab]), flush=True)
        try:
            GRADERS[lab](g)
        except Exception as e:  # a grader's own error: the lab scores what it has
            g.check(lab, "the grader ran to its end", 0, False, "%s: %s" % (type(e).__name__, e))
    earned, total = g.score()
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"labs": list(labs), "score": earned, "max": total, "cannot_boot": Boot.cannot_boot,
                       "checks": g.results}, f, indent=2)
    print("score: %d/%d" % (earned, total), flush=True)
    return 0 if earned == total else 1


def grade_class(folder, csv_path, lab):
    """Grades every student tree (a folder with a Makefile) in `folder`,
    each through its own `make grade`, one summary line per tree."""
    trees = sorted(d for d in os.listdir(folder)
                   if os.path.isfile(os.path.join(folder, d, "Makefile")))
    if not trees:
        print("grade: no student trees (folders with a Makefile) in %s" % folder)
        return 2
    rows = []
    for tree in trees:
        path = os.path.join(folder, tree)
        # Each tree its own cargo output: cargo decides what to rebuild by
        # file times, and a student's file older than another tree's build
        # would let that tree's kernel stand in for this one.
        env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(os.path.abspath(path), "target"))
        n = lab
        if n is None:
            try:
                with open(os.path.join(path, ".lab")) as f:
                    n = int(f.read().strip())
            except (OSError, ValueError):
                n = None
        results = os.path.join(os.path.abspath(path), "grade.json")
        if os.path.exists(results):
            os.remove(results)
        args = ["make", "-s", "-C", path, "grade", "JSON=" + results] + (["LAB=%d" % n] if n else [])
        with open(os.path.join(path, "grade.log"), "w") as log:
            status = subprocess.run(args, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
        try:
            with open(results) as f:
                data = json.load(f)
            earned, total = data["score"], data["max"]
            failed = [c["check"] for c in data["checks"] if not c["passed"]]
            note = ("failed: " + "; ".join(failed)) if failed else "full marks"
            if data.get("cannot_boot"):
                note = "every check failed: " + data["cannot_boot"]
        except (OSError, ValueError, KeyError):
            earned, total, note = 0, 0, "did not build or grade (make exit %d): see %s/grade.log" % (status, path)
        rows.append({"tree": tree, "lab": n or "all", "score": earned, "max": total, "note": note})
        print("%-24s lab %-3s %3d/%-3d %s" % (tree, n or "all", earned, total, note), flush=True)
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["tree", "lab", "score", "max", "note"])
        writer.writeheader()
        writer.writerows(rows)
    print("grade: %d tree(s); results in %s (each tree's log in its grade.log)" % (len(rows), csv_path))
    return 0


def main(argv):
    json_path = csv_path = folder = None
    labs, lab = [], None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("--json", "--csv", "--class", "--lab") and not args:
            print("grade: %s needs a value" % arg)
            return 2
        if arg == "--json":
            json_path = args.pop(0)
        elif arg == "--csv":
            csv_path = args.pop(0)
        elif arg == "--class":
            folder = args.pop(0)
        elif arg == "--lab":
            lab = args.pop(0)
            labs.append(lab)
        elif arg.isdigit():
            labs.append(arg)
        elif arg in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            print("grade: unknown argument %r\n%s" % (arg, __doc__))
            return 2
    bad = [n for n in labs if not n.isdigit() or int(n) not in LABS]
    if bad:
        print("grade: no lab %s; the labs are %d-%d" % (", ".join(bad), LABS[0], LABS[-1]))
        return 2
    if folder:
        return grade_class(folder, csv_path or os.path.join(folder, "grades.csv"),
                           int(labs[0]) if labs else None)
    return grade([int(n) for n in labs] or list(LABS), json_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
