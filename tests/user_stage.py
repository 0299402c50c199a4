"""The user stage of make test: programs in ring 3 and system calls.

Well-behaved programs (built-in hello and echo, and the NASM example as a
flat-binary and as an ELF32 module) must run and exit; hostile programs
must each be stopped by the CPU with the right report, and the kernel must
then go back to echoing keys itself."""

import os
import re

from harness import ROOT, Qemu


def ended(name, how):
    """A predicate: COM1 has program NAME's end line saying HOW
    ('exit 0', 'killed by #PF', 'killed by Ctrl-C'). 'exit 44' also
    matches 'exit 44, from exit(300)', the form for a status passed to
    exit that does not fit Linux's 8 bits."""
    pattern = re.compile(r"^user: pid \d+ \(%s\) %s(?:, from exit\(-?\d+\))? \("
                         % (re.escape(name), re.escape(how)), re.M)
    return lambda out: pattern.search(out) is not None


def started(name):
    return lambda out: re.search(r"^user: pid \d+ \(%s\) started: " % re.escape(name), out, re.M)


def echo_after(q, text="back\n"):
    before = len(q.output())
    q.type(text)
    return q.wait_for(lambda out: text in out[before:], 20)


# program: (report pattern, mnemonic it is killed by)
HOSTILE = {
    "readkernel": (r"#PF Page Fault \(vector 14\) error code 0x5 \[read from a protected page, from ring 3\]", "#PF"),
    "writekernel": (r"#PF Page Fault \(vector 14\) error code 0x7 \[write to a protected page, from ring 3\]", "#PF"),
    "intgate": (r"#GP General Protection \(vector 13\) error code 0x10a \[IDT vector 0x21\]", "#GP"),
    "port": (r"#GP General Protection \(vector 13\) error code 0x0 ", "#GP"),
    "cli": (r"#GP General Protection \(vector 13\) error code 0x0 ", "#GP"),
    "lidt": (r"#GP General Protection \(vector 13\) error code 0x0 ", "#GP"),
    "jumpkernel": (r"#PF Page Fault \(vector 14\) error code 0x5 .*\n  eip=0xc0100000 cs=0x001b(.*\n)*.*"
                   r"cr2=0xc0100000 \(= eip: an instruction fetch", "#PF"),
    # 128 KiB of stack below 0xc0000000, then the guard page.
    "stackoverflow": (r"#PF Page Fault \(vector 14\) error code 0x6 \[write to a not-present page, from ring 3\]"
                      r"(.*\n)*.*cr2=0xbffdfffc", "#PF"),
}


def stage_user(r):
    q = Qemu("user-hello", append="init=hello")
    try:
        ok = q.wait_for(lambda out: "hello from ring 3\n" in out and ended("hello", "exit 0")(out), 30)
        r.check("user: init=hello writes from ring 3 and exits 0", ok, q.diagnosis())
        r.check("user: after exit the kernel echoes keys again", echo_after(q), q.diagnosis())
    finally:
        q.stop()

    q = Qemu("user-echo", append="init=echo")
    try:
        q.wait_for(started("echo"), 30)
        q.type("Hi there\n")
        ok = q.wait_for(lambda out: "Hi there\nHi there\n" in out, 20)
        r.check("user: init=echo reads a line with read() and writes it with write() "
                "(the terminal echoes the typing, then the program writes the line)", ok, q.diagnosis())
        q.sendkeys(["up", "ret"])
        ok = q.wait_for(lambda out: "^[[A\n\x1b[A\n" in out, 20)
        r.check("user: Up reaches the program as ESC [ A (echoed as ^[[A), not the kernel's <Up>",
                ok, q.diagnosis())
        q.sendkeys(["ctrl-d"])
        r.check("user: Ctrl-D at the start of a line is end of file: init=echo exits 0",
                q.wait_for(ended("echo", "exit 0"), 20), q.diagnosis())
        r.check("user: then the kernel's own echo is back", echo_after(q), q.diagnosis())
    finally:
        q.stop()

    q = Qemu("user-spin", append="init=spin")
    try:
        q.wait_for(started("spin"), 30)
        # Let it compute long enough for timer ticks to land in ring 3.
        q.wait_for(lambda out: False, 1)
        # An NMI is no fault of the program's: reported, and the program
        # goes on (it is still there for the Ctrl-C below).
        q.query("nmi")
        ok = q.wait_for(lambda out: "trap: NMI Non-Maskable Interrupt (vector 2)" in out
                        and "trap: resumed" in out, 20)
        r.check("user: an NMI while a program runs is reported and survived, the program is not killed",
                ok and "user: killed" not in q.output(), q.diagnosis())
        q.sendkeys(["ctrl-c"])
        ok = q.wait_for(ended("spin", "killed by Ctrl-C"), 20)
        r.check("user: Ctrl-C stops a program that never makes a system call", ok, q.diagnosis())
        m = re.search(r"^user: pid \d+ \(spin\) killed by Ctrl-C \((\d+) ticks, (\d+) in ring 3", q.output(), re.M)
        r.check("user: timer IRQs arrive while ring 3 runs (IF=1): ticks were taken in ring 3",
                m is not None and int(m.group(2)) > 0, q.diagnosis())
        r.check("user: after Ctrl-C the kernel echoes keys again", echo_after(q), q.diagnosis())
    finally:
        q.stop()

    q = Qemu("user-echo-ctrlc", append="init=echo")
    try:
        q.wait_for(started("echo"), 30)
        q.sendkeys(["ctrl-c"])
        ok = q.wait_for(ended("echo", "killed by Ctrl-C"), 20)
        r.check("user: Ctrl-C also stops a program blocked in read()", ok and echo_after(q), q.diagnosis())
    finally:
        q.stop()

    for name, (pattern, mnemonic) in HOSTILE.items():
        q = Qemu("user-" + name, append="init=" + name)
        try:
            ok = q.wait_for(ended(name, "killed by " + mnemonic), 30)
            out = q.output()
            r.check("user: %s is stopped with 'user: killed by %s'" % (name, mnemonic), ok, q.diagnosis())
            r.check("user: %s report names the cause and shows ring 3 and the user stack" % name,
                    re.search(pattern, out) is not None and " ring 3\n" in out
                    and "the CPU pushed user ss=0x0023" in out, q.diagnosis())
            r.check("user: after %s the kernel still echoes keys" % name, echo_after(q), q.diagnosis())
        finally:
            q.stop()

    q = Qemu("user-badpointers", append="init=badpointers")
    try:
        ok = q.wait_for(lambda out: "(badpointers) exit" in out, 30)
        out = q.output()
        between = out.split("(badpointers) started:", 1)[-1].split("\n", 1)[-1].split("user: pid", 1)[0]
        r.check("user: kernel pointers, overruns, bad fd and unknown call give -EFAULT, -EBADF, -ENOSYS "
                "(the program exits 0 only if every check held)", ok and ended("badpointers", "exit 0")(out),
                q.diagnosis())
        r.check("user: nothing was copied out of kernel memory", between == "", repr(between))
        r.check("user: the unknown system call is logged once, by number",
                out.count("user: pid 1 (badpointers): unknown system call 999, answered -ENOSYS") == 1,
                q.diagnosis())
    finally:
        q.stop()

    q = Qemu("user-unknown", append="init=nosuch")
    try:
        ok = q.wait_for(lambda out: "user: no built-in program 'nosuch'; built-in programs: hello echo" in out, 30)
        r.check("user: an unknown init= name lists the programs, and the kernel goes on",
                ok and echo_after(q), q.diagnosis())
    finally:
        q.stop()

    for kind, path in (("flat binary", "build/hello.bin"), ("ELF32 executable", "build/hello.elf")):
        q = Qemu("user-module-" + os.path.basename(path), extra=["-initrd", os.path.join(ROOT, path)])
        try:
            name = os.path.basename(path)
            ok = q.wait_for(lambda out: "(%s) started: %s" % (name, kind) in out
                            and "hello from a NASM module\n" in out and ended(name, "exit 0")(out), 30)
            r.check("user: NASM program as a Multiboot module (%s) prints and exits 0" % kind, ok, q.diagnosis())
        finally:
            q.stop()

    # An x86-64 ELF is refused with a reason, and the kernel goes on.
    bad = os.path.join(ROOT, "tests", "out", "x86_64.elf")
    with open("/bin/true", "rb") as src, open(bad, "wb") as dst:
        dst.write(src.read())
    q = Qemu("user-module-bad", extra=["-initrd", bad])
    try:
        ok = q.wait_for(lambda out: re.search(r"user: cannot start \S*x86_64.elf: ELF file is not a 32-bit "
                                              r"i386 executable", out), 30)
        r.check("user: a module that is no i386 executable is refused with the reason", ok and echo_after(q),
                q.diagnosis())
    finally:
        q.stop()
