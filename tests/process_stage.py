"""The processes stage of make test: several programs at once, the timer
deciding who runs, blocking, sleeping, separate address spaces.

The programs are the Linux i386 test programs of tests/user/ (make
user-programs builds them into build/user/), each passed as a Multiboot
module with its arguments. Linux is the oracle: where a program claims
Linux behaviour (its arguments, its sleep, its crash), the same binary is
run on this host too and the two are compared."""

import os
import re
import subprocess

from harness import ROOT, Qemu

USER = os.path.join(ROOT, "build", "user")


def program(name, *args):
    """A module string: the program's path and its arguments."""
    return " ".join([os.path.join(USER, name)] + list(args))


def boot(name, modules, append=""):
    return Qemu(name, append=append, extra=["-initrd", ",".join(modules)])


def end_line(out, name):
    """(how, ticks, ring-3 ticks) of program NAME's end line, or None.
    HOW is 'exit 0', 'exit 44, from exit(300)' (the status as Linux
    reports it, 8 bits, and what the program passed when that differs),
    'killed by #PF' or 'killed by Ctrl-C'."""
    m = re.search(r"^user: pid \d+ \(%s\) (exit \d+(?:, from exit\(-?\d+\))?|killed by \S+(?: \S+)?) "
                  r"\((\d+) ticks, (\d+) in ring 3" % re.escape(name), out, re.M)
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def all_ended(out):
    """The kernel's line after the last program's end, whole: COM1 is read
    while the kernel writes it, and a check on the line must see all of it."""
    return re.search(r"^user: every program has ended;.*\n", out, re.M) is not None


def on_host(name, *args):
    """The program's output and exit status on this Linux host, with
    argv[0] as the kernel gets it (the module's path)."""
    path = os.path.join(USER, name)
    proc = subprocess.run([path] + list(args), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=20)
    return proc.stdout.decode(), proc.returncode


def count_lines(out):
    """The names of the `count` lines (a 1, b 1, ...), in order."""
    return [m.group(1) for m in re.finditer(r"^([ab]) \d+$", out, re.M)]


def stage_processes(r):
    # Two busy programs: under round robin their lines interleave, and the
    # trace shows the timer taking the CPU from one to give it to the other.
    q = boot("proc-rr", [program("count", "a", "6", "40"), program("count", "b", "6", "40")],
             append="sched=trace")
    try:
        ok = q.wait_for(all_ended, 60)
        out = q.output()
        names = count_lines(out)
        switches = sum(1 for x, y in zip(names, names[1:]) if x != y)
        r.check("processes: two busy programs interleave under round robin (a/b switch at least twice)",
                ok and len(names) == 12 and switches >= 2, "order: %s\n%s" % ("".join(names), q.diagnosis()))
        r.check("processes: sched=trace shows the timer switching between them (reason: quantum)",
                re.search(r"^sched: tick \d+: pid 1 \(count\) -> pid 2 \(count\), quantum$", out, re.M)
                is not None, q.diagnosis())
        r.check("processes: every frame is back once all programs have ended",
                re.search(r"^user: every program has ended; \d+ frames free, as before they started$", out, re.M)
                is not None, q.diagnosis())
    finally:
        q.stop()

    # The same two under sched=coop: no preemption, one runs to its end first.
    q = boot("proc-coop", [program("count", "a", "6", "40"), program("count", "b", "6", "40")],
             append="sched=coop")
    try:
        ok = q.wait_for(all_ended, 60)
        names = count_lines(q.output())
        r.check("processes: under sched=coop they run one after the other (aaaaaabbbbbb)",
                ok and "".join(names) == "aaaaaabbbbbb", "order: %s\n%s" % ("".join(names), q.diagnosis()))
    finally:
        q.stop()

    # Two copies of one program, at the same virtual addresses, each keeps
    # its own global and heap while they yield to each other; a third
    # program crashes on a null pointer and dies alone.
    q = boot("proc-data", [program("data"), program("data"), program("crash"), program("count", "a", "3", "20")])
    try:
        ok = q.wait_for(all_ended, 60)
        out = q.output()
        addresses = re.findall(r"^data: my values stayed mine at (\d+)$", out, re.M)
        r.check("processes: two copies at the same virtual address keep their own data (global and brk heap)",
                ok and len(addresses) == 2 and addresses[0] == addresses[1]
                and out.count("(data) exit 0 (") == 2, q.diagnosis())
        crash = end_line(out, "crash")
        r.check("processes: a process that faults dies alone, killed by #PF at cr2=0, and the others finish",
                crash is not None and crash[0] == "killed by #PF" and "cr2=0x00000000" in out
                and end_line(out, "count") is not None and end_line(out, "count")[0] == "exit 0",
                q.diagnosis())
        host = on_host("crash")
        r.check("processes: the same crash binary on Linux dies of SIGSEGV (the oracle)",
                host[1] == -11, "host: %r" % (host,))
    finally:
        q.stop()

    # nanosleep(0.5 s), measured by clock_gettime, within a tick (10 ms).
    q = boot("proc-sleep", [program("sleep")])
    try:
        ok = q.wait_for(all_ended, 30)
        m = re.search(r"^slept (\d+) ms$", q.output(), re.M)
        r.check("processes: nanosleep(0.5 s) sleeps 500-510 ms by clock_gettime(CLOCK_MONOTONIC)",
                ok and m is not None and 500 <= int(m.group(1)) <= 510 and end_line(q.output(), "sleep")[0]
                == "exit 0", q.diagnosis())
        # Its 50 ticks asleep are never charged. Around the sleep it runs
        # a little ring-3 code (start-up, two clock reads, the print), and
        # under TCG, with translation, a tick lands there now and then.
        ended = end_line(q.output(), "sleep")
        r.check("processes: a sleeping process takes no CPU time (at most 1 of its 50+ ticks in ring 3)",
                ok and ended is not None and ended[2] <= 1,
                q.diagnosis("end line: %s" % (ended,)))
        out, status = on_host("sleep")
        m = re.search(r"^slept (\d+) ms$", out, re.M)
        r.check("processes: the same sleep binary on Linux sleeps 500 ms too (the oracle)",
                status == 0 and m is not None and 500 <= int(m.group(1)) <= 560, "host: %r" % out)
    finally:
        q.stop()

    # A process blocked in read gets the key while another computes; it is
    # woken by the keyboard IRQ, not by polling: it takes no ring-3 ticks.
    q = boot("proc-read", [program("reader"), program("count", "c", "25", "40")])
    try:
        q.wait_for(lambda out: re.search(r"^c 2$", out, re.M), 30)
        q.type("hi\n")
        ok = q.wait_for(lambda out: "got: hi\n" in out, 20)
        out = q.output()
        r.check("processes: a process blocked in read gets the typed line while another computes",
                ok and re.search(r"^c 25$", out, re.M) is None, q.diagnosis())
        q.wait_for(all_ended, 60)
        reader = end_line(q.output(), "reader")
        r.check("processes: the blocked reader took (almost) no CPU: at most 1 tick in ring 3",
                reader is not None and reader[0] == "exit 0" and reader[2] <= 1, q.diagnosis())
    finally:
        q.stop()

    # argc and argv arrive as on Linux: the same binary, the same arguments.
    args = ("one", "two", "three")
    q = boot("proc-args", [program("args", *args)])
    try:
        ok = q.wait_for(all_ended, 30)
        out = q.output()
        kernel = out[out.index("argc="):out.index("user: pid 1 (args) exit")] if "argc=" in out else ""
        host, status = on_host("args", *args)
        r.check("processes: argc and argv arrive as on Linux (same output as the host's run)",
                ok and kernel == host and status == 0, "kernel:\n%s\nhost:\n%s" % (kernel, host))
    finally:
        q.stop()

    # The process table on F11, while programs run.
    q = boot("proc-ps", [program("count", "a", "100", "40"), program("reader")])
    try:
        # "a 2", not "a 1": count prints its first line within its first
        # quantum, before the reader has run once and blocked.
        q.wait_for(lambda out: re.search(r"^a 2$", out, re.M), 30)
        # F11 again if no table came: a CI run once lost the one key press
        # (no ps line at all, the programs ran to their end); a second
        # table is harmless, and count (100 lines, 40 ms apart: 4 s) is
        # still running for the check.
        presses, ok = 0, False
        while not ok and presses < 3 and q.alive():
            q.sendkeys(["f11"])
            presses += 1
            ok = q.wait_for(lambda out: re.search(r"^ps: +2 reader +blocked +0 +\d+ +\d+$", out, re.M),
                            1.5 if presses < 3 else 10)
        r.check("processes: F11 prints the process table (pid, name, state, ring-3 ticks, switches, pages)",
                ok and re.search(r"^ps: +1 count +(running|ready) +\d+ +\d+ +\d+$", q.output(), re.M)
                is not None, q.diagnosis("F11 pressed %d time(s)" % presses))
    finally:
        q.stop()

    # Bad input: more programs than the table holds, and one too large for
    # memory; each gets a clear line, the rest run, no frame is lost.
    hello = os.path.join(ROOT, "build", "hello.elf")
    modules = [hello] * 17 + [program("big")]
    q = boot("proc-many", modules)
    try:
        ok = q.wait_for(all_ended, 60)
        out = q.output()
        r.check("processes: a 17th module is reported as more than the kernel keeps",
                "multiboot: 2 module(s) ignored: more modules than the kernel keeps (16)" in out, q.diagnosis())
        r.check("processes: the 16th program finds the process table full (15 processes), with a clear line",
                re.search(r"user: cannot start \S+hello.elf: the process table is full \(15 processes\)", out)
                is not None, q.diagnosis())
        r.check("processes: the 15 that fit all run (hello.elf, linked by plain ld at 0x08048000)",
                ok and out.count("hello from a NASM module\n") == 15
                and "(hello.elf) started: ELF32 executable at 0x08048000" in out, q.diagnosis())
        r.check("processes: after all that, every frame is back",
                re.search(r"every program has ended; \d+ frames free, as before they started", out) is not None,
                q.diagnosis())
    finally:
        q.stop()

    q = boot("proc-oom", [program("big"), program("count", "a", "2", "10")])
    try:
        ok = q.wait_for(all_ended, 30)
        out = q.output()
        r.check("processes: a program larger than memory is refused with 'out of memory', and the next runs",
                ok and re.search(r"user: cannot start \S+/big: out of memory \(\d+ frames free\)", out)
                and end_line(out, "count") is not None, q.diagnosis())
    finally:
        q.stop()
