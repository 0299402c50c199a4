"""The faults stage of make test: every fault= demonstration, NMI, the
interrupt counters, 1,000 fast keys, and a machine without COM1.

Each check boots the release kernel and reads what it really printed."""

import random
import re
import time

from harness import READY_LINE as READY, Qemu


def last_line(out):
    lines = out.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def echo_after(q, text="ok\n"):
    """Types `text` and waits for it to come back after everything so far."""
    before = len(q.output())
    q.type(text)
    return q.wait_for(lambda out: text in out[before:], 20)


# name: (report line that must appear, whether the kernel resumes)
DEMOS = {
    "divide": (r"^trap: #DE Divide Error \(vector 0\)$", False),
    "breakpoint": (r"^trap: #BP Breakpoint \(vector 3\)$", True),
    "overflow": (r"^trap: #OF Overflow \(vector 4\)$", True),
    "opcode": (r"^trap: #UD Invalid Opcode \(vector 6\)$", False),
    "gpf": (r"^trap: #GP General Protection \(vector 13\) error code 0x1238 "
            r"\[GDT selector 0x1238 \(index 583\)\]$", False),
    "pagefault": (r"^trap: #PF Page Fault \(vector 14\) error code 0x0 "
                  r"\[read from a not-present page, from ring 0\]$", False),
    "stackoverflow": (r"^trap: #DF Double Fault \(vector 8\), handled by a task switch", False),
    "vector99": (r"^trap: unexpected interrupt vector 0x99 \(no handler registered\)", True),
}
# Fatal demonstrations: their mnemonic and vector.
FATAL = {"divide": ("#DE", 0), "opcode": ("#UD", 6), "gpf": ("#GP", 13), "pagefault": ("#PF", 14),
         "stackoverflow": ("#DF", 8)}


def stage_faults(r):
    for name, (pattern, resumes) in DEMOS.items():
        q = Qemu("fault-" + name, append="fault=" + name)
        try:
            reported = q.wait_for(lambda out: re.search(pattern, out, re.M), 30)
            r.check("faults: fault=%s is reported" % name, reported, q.diagnosis())
            if resumes:
                r.check("faults: after fault=%s keys still echo" % name, echo_after(q), q.diagnosis())
                continue
            mnemonic, vector = FATAL[name]
            final = "kernel: halted: fatal %s at eip=" % mnemonic
            ended = q.wait_for(lambda out: last_line(out).startswith(final), 10)
            r.check("faults: fault=%s ends COM1 with '%s...'" % (name, final), ended, q.diagnosis())
            out = q.output()
            r.check("faults: fault=%s prints the interrupt counters before halting" % name,
                    re.search(r"^interrupts: 0x%02x +1  %s " % (vector, mnemonic), out, re.M) is not None,
                    q.diagnosis())
            if name == "pagefault":
                r.check("faults: #PF report shows CR2", "cr2=0xdeadb000" in out, q.diagnosis())
            if name == "stackoverflow":
                r.check("faults: stack overflow is recognised and the machine did not reset",
                        "the kernel stack overflowed" in out and out.count(READY) == 1
                        and q.proc.poll() is None, q.diagnosis())
        finally:
            q.stop()

    q = Qemu("fault-panic", append="fault=panic")
    try:
        ok = q.wait_for(lambda out: last_line(out).startswith("kernel: panic at src/selftest/faults.rs:")
                        and "console lock held" in last_line(out), 30)
        r.check("faults: a panic with the console lock held still prints file:line and message",
                ok, q.diagnosis())
    finally:
        q.stop()

    q = Qemu("fault-unknown", append="fault=melt")
    try:
        ok = q.wait_for(lambda out: "fault: no demonstration 'melt'; fault demonstrations:\n" in out
                        and re.search(r"^fault:   divide +div by zero", out, re.M)
                        and re.search(r"^fault:   panic +a Rust panic", out, re.M), 30)
        r.check("faults: fault=melt rejected with the list of demonstrations, and the kernel goes on",
                ok and echo_after(q), q.diagnosis())
    finally:
        q.stop()

    q = Qemu("nmi")
    try:
        q.wait_line(READY, 30)
        q.query("nmi")
        ok = q.wait_for(lambda out: "trap: NMI Non-Maskable Interrupt (vector 2)" in out
                        and "trap: resumed" in out, 20)
        r.check("faults: NMI from the monitor is reported and survived", ok and echo_after(q), q.diagnosis())
        q.sendkeys(["f12"])
        ok = q.wait_for(lambda out: re.search(r"^interrupts: 0x02 +1  NMI", out, re.M)
                        and re.search(r"^interrupts: 0x21 +\d+  IRQ 1 \(i8042 keyboard\)", out, re.M), 20)
        r.check("faults: F12 prints the per-vector interrupt counters", ok, q.diagnosis())
    finally:
        q.stop()

    q = Qemu("keys1000")
    try:
        q.wait_line(READY, 30)
        rng = random.Random(2026)
        text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(1000))
        start = time.monotonic()
        # As fast as the kernel echoes, never more than QEMU's keyboard holds.
        q.burst(text, echoed=lambda: len(q.output().split(READY + "\n", 1)[-1]))
        print("faults: 1,000 keys sent through QMP in %.2f s" % (time.monotonic() - start))
        # Every key is in QEMU once burst() returns: if the echo stops short,
        # the rest is lost, so 10 s of silence ends the wait.
        ok = q.wait_for(lambda out: text in out, 60, quiet=10)
        r.check("faults: 1,000 fast keys come back complete and in order", ok,
                q.diagnosis("got %d of 1000 characters" % len(q.output().split(READY + "\n", 1)[-1])))
        r.check("faults: no key was dropped", "dropped" not in q.output(), q.diagnosis())
    finally:
        q.stop()

    q = Qemu("nocom1", serial=False)
    try:
        ok = q.wait_for(lambda _: READY in q.screen(), 30)
        screen = q.screen()
        r.check("faults: without COM1 the kernel says so on the VGA screen and gets ready",
                ok and "serial: no UART answers at COM1 (0x3F8)" in screen, screen)
        q.type("vga\n")
        r.check("faults: without COM1 typed keys echo on the screen",
                q.wait_for(lambda _: "\nvga" in q.screen(), 20), q.screen())
    finally:
        q.stop()
