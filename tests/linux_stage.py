"""The linux stage of make test: real Linux i386 programs, unchanged.

build/hello_c and build/args_c are ordinary C programs built with
`gcc -m32 -static` against glibc (make user-programs). Each runs on the
kernel, as a Multiboot module with keys typed on the emulated keyboard,
and on this Linux host with the same arguments and the same input: the
host is the oracle, and the two outputs and exit statuses must agree.
The kernel must not have met a system call it does not know.

build/probe_c asks glibc for what a program expects of a terminal and a
clock: writev, isatty and TIOCGWINSZ, fstat's S_ISCHR, time(), clock(),
sleep(), usleep() and clock_nanosleep() (tests/user/probe_c.c). It prints only
whether each worked, never a size or a time, so the kernel's console and
the host agree; on the host its stdout is a pseudo-terminal, as the
console is a terminal to it (a pipe would answer "no" to isatty).

fds (tests/user/, freestanding) checks the file-descriptor table: close,
dup, dup2 and fcntl against the host's run in a pty, as probe_c.

tls, tlspeek and fpu (tests/user/, freestanding) check what glibc relies
on underneath: a thread-local-storage segment per process in the GDT
(set_thread_area), kept across switches and out of other processes'
reach, and the FPU and SSE registers saved per process.

The GRUB side of it (the `linux` entry of boot/grub.cfg) is checked by
the iso stage (tests/emulators.py), with `check_linux_programs` below."""

import os
import re
import subprocess

from harness import ROOT, Qemu, run_in_pty
from process_stage import all_ended, end_line, program

BUILD = os.path.join(ROOT, "build")
HELLO_C = os.path.join(BUILD, "hello_c")
ARGS_C = os.path.join(BUILD, "args_c")
PROBE_C = os.path.join(BUILD, "probe_c")
# What hello_c is typed: a name, then its exit status.
HELLO_INPUT = ["Ada Lovelace\n", "300\n"]
HELLO_PROMPTS = ["What is your name? ", "Pick an exit status: "]


def on_host(path, args=(), stdin="", argv0=None):
    """Output and exit status of `path` on this Linux host, with argv[0]
    = argv0 (the path by default) and `stdin` as its input."""
    proc = subprocess.run([argv0 or path] + list(args), executable=path, input=stdin.encode(),
                          stdout=subprocess.PIPE, timeout=20)
    return proc.stdout.decode(), proc.returncode


def exit_statuses(how):
    """(reported, passed) from an end line's 'exit 44, from exit(300)'
    or 'exit 0'; None for a kill."""
    m = re.fullmatch(r"exit (\d+)(?:, from exit\((-?\d+)\))?", how)
    if not m:
        return None
    reported = int(m.group(1))
    return reported, int(m.group(2)) if m.group(2) else reported


def output_of(out, name, after=0):
    """What program NAME wrote: the text between its `started` line (or
    offset `after`) and its end line, without other programs' `started`
    lines. For a program that ran alone, or had the CPU to itself
    (sched=coop)."""
    start = re.search(r"^user: pid \d+ \(%s\) started: .*\n" % re.escape(name), out, re.M)
    end = re.search(r"^user: pid \d+ \(%s\) (exit|killed)" % re.escape(name), out, re.M)
    if not start or not end:
        return None
    # The programs after it are all started before any runs: their lines
    # come between.
    text = out[max(start.end(), after):end.start()]
    return re.sub(r"^user: pid \d+ \(\S+\) started: .*\n", "", text, flags=re.M)


def without_echo(text, typed):
    """`text` without the echo of each typed line, if the terminal echoed
    it: each is removed where it first appears, in order. The programs
    never print a typed line whole, so without an echo nothing matches."""
    at = 0
    for line in typed:
        found = text.find(line, at)
        if found >= 0:
            text = text[:found] + text[found + len(line):]
            at = found
    return text


def unknown_calls(out):
    return re.findall(r"^user: pid \d+ \(\S+\): unknown system call .*$", out, re.M)


def type_answers(machine, start=0):
    """Types HELLO_INPUT, each line once hello_c's prompt for it is out
    (after offset `start` of COM1): it waits in read, as at a terminal."""
    for prompt, line in zip(HELLO_PROMPTS, HELLO_INPUT):
        if not machine.wait_for(lambda out: prompt in out[start:], 60):
            return False
        start = machine.output().index(prompt, start) + len(prompt)
        # QEMU types through QMP, paced by the echo: its PS/2 keyboard
        # holds 8 keys and drops the rest, which a busy host makes likely
        # (a CI run lost the 'v' of "Lovelace" to an unpaced burst).
        # Bochs types through its terminal (tmux).
        if hasattr(machine, "burst"):
            typed_from = start
            machine.burst(line, echoed=lambda: len(machine.output()) - typed_from)
        else:
            machine.type(line)
    return True


def check_hello(r, label, machine, argv0, after_name=None):
    """hello_c's output and exit status on `machine` against the host's,
    its argv[0] being `argv0`; typed answers, echo or not."""
    out = machine.output()
    after = 0
    if after_name:
        prev = re.search(r"^user: pid \d+ \(%s\) exit.*\n" % re.escape(after_name), out, re.M)
        after = prev.end() if prev else len(out)
    kernel = output_of(out, "hello_c", after)
    kernel = None if kernel is None else without_echo(kernel, HELLO_INPUT)
    host, host_status = on_host(HELLO_C, stdin="".join(HELLO_INPUT), argv0=argv0)
    r.check("%s: hello_c (printf, fgets, malloc, scanf) prints what it prints on Linux, given the same "
            "typed lines" % label, kernel == host,
            "kernel:\n%s\nhost:\n%s\n%s" % (kernel, host, machine.diagnosis()))
    ended = end_line(out, "hello_c")
    statuses = exit_statuses(ended[0]) if ended else None
    r.check("%s: hello_c's exit(300) ends as on Linux, status 44, and the end line shows both: "
            "'exit 44, from exit(300)'" % label,
            statuses == (44, 300) and host_status == 44 and ended[0] == "exit 44, from exit(300)",
            "end line: %r, host status %s\n%s" % (ended, host_status, machine.diagnosis()))


def check_linux_programs(r, label, machine):
    """The `linux` GRUB entry (sched=coop): args_c one two three, then
    hello_c, which waits for typed lines; both against the host."""
    ok = machine.wait_for(lambda out: end_line(out, "args_c") is not None, 120)
    out = machine.output()
    kernel = output_of(out, "args_c")
    host, status = on_host(ARGS_C, ["one", "two", "three"], argv0="args_c")
    r.check("%s: GRUB's module line runs args_c (glibc, printf) with its arguments; it prints what it "
            "prints on Linux and exits 0" % label,
            ok and kernel == host and status == 0 and end_line(out, "args_c")[0] == "exit 0",
            "kernel:\n%s\nhost:\n%s\n%s" % (kernel, host, machine.diagnosis()))
    typed = type_answers(machine, out.index(end_line_text(out, "args_c")))
    ok = typed and machine.wait_for(all_ended, 60)
    check_hello(r, label, machine, "hello_c", after_name="args_c")
    out = machine.output()
    r.check("%s: neither program made a system call the kernel does not know" % label,
            ok and not unknown_calls(out), "\n".join(unknown_calls(out)) + "\n" + machine.diagnosis())


def end_line_text(out, name):
    m = re.search(r"^user: pid \d+ \(%s\) (exit|killed).*$" % re.escape(name), out, re.M)
    return m.group(0)


def stage_linux(r):
    # hello_c alone: glibc's start-up, stdio on a terminal, typed input.
    q = Qemu("linux-hello", extra=["-initrd", HELLO_C])
    try:
        typed = type_answers(q)
        ok = typed and q.wait_for(all_ended, 60)
        r.check("linux: hello_c starts, asks, reads the typed lines and ends", ok, q.diagnosis())
        check_hello(r, "linux", q, HELLO_C)
        out = q.output()
        r.check("linux: hello_c made no system call the kernel does not know (none logged as unknown)",
                ok and not unknown_calls(out), "\n".join(unknown_calls(out)) + "\n" + q.diagnosis())
        r.check("linux: every frame is back after hello_c (its heap, its RELRO pages made read-only)",
                re.search(r"^user: every program has ended; \d+ frames free, as before they started$",
                          out, re.M) is not None, q.diagnosis())
    finally:
        q.stop()

    q = Qemu("linux-args", extra=["-initrd", " ".join([ARGS_C, "one", "two", "3"])])
    try:
        ok = q.wait_for(all_ended, 60)
        out = q.output()
        kernel = output_of(out, "args_c")
        host, status = on_host(ARGS_C, ["one", "two", "3"])
        ended = end_line(out, "args_c")
        r.check("linux: args_c (glibc) prints its argc and argv as on Linux, and exits 0",
                ok and kernel == host and status == 0 and ended is not None and ended[0] == "exit 0",
                "kernel:\n%s\nhost:\n%s\n%s" % (kernel, host, q.diagnosis()))
        r.check("linux: args_c made no system call the kernel does not know",
                ok and not unknown_calls(out), "\n".join(unknown_calls(out)) + "\n" + q.diagnosis())
    finally:
        q.stop()

    # probe_c: terminal, time and sleep through glibc; the host runs it in a
    # pty (its busy loop and sleeps make it take about 1.8 s on either side).
    q = Qemu("linux-probe", extra=["-initrd", PROBE_C])
    try:
        ok = q.wait_for(all_ended, 60)
        out = q.output()
        kernel = output_of(out, "probe_c")
        host, status = run_in_pty([PROBE_C], timeout=20)
        host = host.replace("\r", "")
        ended = end_line(out, "probe_c")
        r.check("linux: probe_c (writev, isatty and TIOCGWINSZ, fstat's S_ISCHR, time(), clock(), sleep(), "
                "usleep(), clock_nanosleep with TIMER_ABSTIME) prints what it prints on Linux in a pty, every answer "
                "yes, and exits 0",
                ok and kernel == host and not re.search(r": no\b", host) and status == 0
                and ended is not None and ended[0] == "exit 0",
                "kernel:\n%s\nhost:\n%s\n%s" % (kernel, host, q.diagnosis()))
        r.check("linux: probe_c made no system call the kernel does not know",
                ok and not unknown_calls(out), "\n".join(unknown_calls(out)) + "\n" + q.diagnosis())
    finally:
        q.stop()

    # fds: the descriptor table (close, dup, dup2, fcntl, and EBADF on a
    # closed descriptor from every call that takes one), against the host's
    # run in a pty: both consoles are terminals, and nothing is typed.
    q = Qemu("linux-fds", extra=["-initrd", program("fds")])
    try:
        ok = q.wait_for(all_ended, 30)
        out = q.output()
        kernel = output_of(out, "fds")
        host, status = run_in_pty([os.path.join(BUILD, "user", "fds")], timeout=20)
        host = host.replace("\r", "")
        ended = end_line(out, "fds")
        r.check("linux: the descriptor table as on Linux: dup and dup2 share an open file's O_NONBLOCK "
                "but not FD_CLOEXEC, F_DUPFD takes the lowest free from its argument, a non-blocking "
                "read with nothing typed is -EAGAIN, every call refuses a closed fd with -EBADF (fds, "
                "same output as on the host in a pty)",
                ok and kernel == host and status == 0 and ended is not None and ended[0] == "exit 0",
                "kernel:\n%s\nhost:\n%s\n%s" % (kernel, host, q.diagnosis()))
        r.check("linux: fds made no system call the kernel does not know",
                ok and not unknown_calls(out), "\n".join(unknown_calls(out)) + "\n" + q.diagnosis())
    finally:
        q.stop()

    # TLS: tls sets up its segment and computes, checking GS, while count
    # and tlspeek take turns with it; tlspeek loads slot 6's selector
    # without owning it and must die of #GP.
    q = Qemu("linux-tls", append="quantum=2",
             extra=["-initrd", ",".join([program("tls"), program("tlspeek"), program("count", "c", "8", "60")])])
    try:
        ok = q.wait_for(all_ended, 60)
        out = q.output()
        host, status = on_host(os.path.join(BUILD, "user", "tls"))
        first, last = host.splitlines()[0], host.splitlines()[-1]
        m = re.search(re.escape(first) + r".*?" + re.escape(last) + "\n", out, re.S)
        kernel = m.group(0) if m else None
        r.check("linux: set_thread_area as on Linux: a slot chosen and written back, GS:0 reads the "
                "block while other programs run, moving and clearing act at once, every bad request "
                "gets Linux's errno (tls, same output as on the host)",
                ok and kernel == host and status == 0 and end_line(out, "tls")[0] == "exit 0",
                "kernel:\n%s\nhost:\n%s\n%s" % (kernel, host, q.diagnosis()))
        peek = end_line(out, "tlspeek")
        r.check("linux: a process that never set a TLS slot cannot load another's: tlspeek's GS load "
                "of 0x33 is #GP [GDT selector 0x0030], and it dies alone",
                peek is not None and peek[0] == "killed by #GP"
                and "error code 0x30 [GDT selector 0x0030 (index 6)]" in out
                and "read another process's TLS" not in out
                and end_line(out, "count") is not None and end_line(out, "count")[0] == "exit 0",
                q.diagnosis())
    finally:
        q.stop()

    # getrandom, from the TSC and ticks (QEMU's default CPU has no RDRAND)
    # and from RDRAND; the same checks pass on the host.
    host, status = on_host(os.path.join(BUILD, "user", "getrandom"))
    for cpu, source in ((None, "no RDRAND"), ("qemu32,+rdrand", "draw on RDRAND")):
        q = Qemu("linux-random" + ("-rdrand" if cpu else ""), extra=["-initrd", program("getrandom")]
                 + (["-cpu", cpu] if cpu else []))
        try:
            ok = q.wait_for(all_ended, 30)
            out = q.output()
            r.check("linux: getrandom fills buffers with fresh, balanced bytes and refuses bad flags and "
                    "buffers as Linux does (%s; same output as on the host)" % source,
                    ok and output_of(out, "getrandom") == host and status == 0
                    and re.search(r"^random: .*%s" % source, out, re.M) is not None,
                    "kernel:\n%s\nhost:\n%s\n%s" % (output_of(out, "getrandom"), host, q.diagnosis()))
        finally:
            q.stop()

    # mprotect, as glibc uses it on its RELRO pages: the page tables change.
    q = Qemu("linux-mprotect", extra=["-initrd", program("mprotect")])
    try:
        ok = q.wait_for(all_ended, 30)
        out = q.output()
        kernel = output_of(out, "mprotect")
        kernel = kernel and kernel.split("trap: #PF")[0]
        host, status = on_host(os.path.join(BUILD, "user", "mprotect"))
        ended = end_line(out, "mprotect")
        r.check("linux: mprotect makes pages read-only, inaccessible and writable again, refusing bad "
                "ranges as Linux does (same output as on the host)",
                ok and kernel == host, "kernel:\n%s\nhost:\n%s\n%s" % (kernel, host, q.diagnosis()))
        r.check("linux: a write to a page mprotect made read-only is a #PF in ring 3 (SIGSEGV on the host)",
                ended is not None and ended[0] == "killed by #PF" and status == -11
                and "error code 0x7 [write to a protected page, from ring 3]" in out, q.diagnosis())
    finally:
        q.stop()

    # FPU and SSE: two programs hold different values in st(0) and xmm0
    # while the timer switches between them; and hello_c's start-up and
    # stdio run among them too.
    q = Qemu("linux-fpu", append="sched=trace quantum=2",
             extra=["-initrd", ",".join([HELLO_C, program("fpu", "5"), program("fpu", "9")])])
    try:
        typed = type_answers(q)
        ok = typed and q.wait_for(all_ended, 60)
        out = q.output()
        lines = re.findall(r"fpu \d+: .*\n", out)
        host = [on_host(os.path.join(BUILD, "user", "fpu"), [n])[0] for n in ("5", "9")]
        switches = len(re.findall(r"^sched: tick \d+: pid [23] \(fpu\) -> pid [23] \(fpu\), quantum$",
                                  out, re.M))
        r.check("linux: the x87 and SSE registers are each process's own: two fpu programs, switched "
                "%d times between each other, each keep their values (as on the host)" % switches,
                ok and sorted(lines) == sorted(host) and switches >= 2
                and out.count("(fpu) exit 0 (") == 2, "lines: %r\nhost: %r\n%s" % (lines, host, q.diagnosis()))
        ended = end_line(out, "hello_c")
        r.check("linux: hello_c runs among them to the same end (its lines whole, exit 44 from exit(300))",
                ok and ended is not None and ended[0] == "exit 44, from exit(300)"
                and "Hello, Ada Lovelace! Your name has 12 letters.\n" in out
                and "Exiting with 300; Linux keeps the low 8 bits: 44.\n" in out
                and not unknown_calls(out), q.diagnosis())
    finally:
        q.stop()
