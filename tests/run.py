#!/usr/bin/env python3
"""make test: every test of the kernel, ending with 'N passed, M failed'.

Stages (all by default; name some to run only those):
  unit      host unit tests of the pure logic (cargo test --lib)
  lint      clippy on the kernel and host builds, warnings denied; rustfmt,
            line width and the layering of src/ (tests/layers.py)
  boot      the boot probe: the kernel, with no options, reaches `kernel:
            ready`; run before the first stage that boots the kernel, named
            or not. When it cannot, each later stage that needs a booted
            kernel is one failed line, `STAGE: not run`, with the reason
  selftest  the kernel's own tests (test=all): real int3, int 0x99, #GP,
            #UD, PIT ticks, i8042-injected keys through IRQ 1
  e2e       the release kernel booted headless, keys typed through the
            QEMU monitor, the echo read back from COM1
  badinput  unknown options, unknown test names, a wrong Multiboot magic
  harness   the test harness's own test: kernels that hang on purpose
            (test=hang_silent, test=hang_before_ready) are given up on at
            the boot limits, with their reasons (tests/harness_stage.py)
  faults    every fault= demonstration, NMI, F12 counters, 1,000 fast
            keys, a machine without COM1 (tests/faults_stage.py)
  user      ring-3 programs and int 0x80: hello, echo, every hostile
            program, bad pointers, NASM modules (tests/user_stage.py)
  processes several Linux i386 test programs at once (tests/user/*.c):
            round robin and coop, separate data, a crash that dies
            alone, nanosleep, blocking read, argv, F11, bad input
            (tests/process_stage.py); the host runs them as the oracle
  serial    COM1 through a QEMU socket: bytes echo back by IRQ 4, 10,000
            at full speed, the line discipline (Backspace, Ctrl-U, Ctrl-D,
            long lines, Ctrl-C) from COM1 and the keyboard with Linux in a
            pty as the oracle, 28 KB of program output by THRE
            (tests/serial_stage.py)
  linux     C programs built with gcc -m32 -static (glibc), unchanged:
            hello_c with typed input, args_c, and probe_c (terminal, time
            and sleeps) and fds (the descriptor table) in a pty, against
            the host's run; no unknown system call; TLS slots per
            process (tls, tlspeek),
            FPU/SSE registers per process (fpu) (tests/linux_stage.py)
  net       the e1000 and the sockets, with real clients: curl fetches
            build/httpd's page 50 times and 3 at once, 1,000 UDP datagrams
            echo byte for byte, a reader blocked in recvfrom is woken by
            the interrupt, netclient fetches from the host; the programs
            run on this host first, as the oracle (tests/net_stage.py)
  iso       build/os.iso booted in QEMU through GRUB, the glibc programs
            among its entries (tests/emulators.py)
  bochs     build/os.iso booted in Bochs through GRUB, keys typed through
            tmux into its terminal display; the `net` entry's httpd and
            udpecho reached with curl and UDP through its e1000 and slirp
            (tests/emulators.py)
  bench     make bench's mode once, short (bench=quick): every line of the
            report present and well-formed; timings are never asserted
  gdb       the README's GDB recipe in batch mode on the debug kernel: vbreak
            0x21, a key, the frame, on_irq's scancode, bt (tests/gdb_stage.py)
  labs      for every lab: its handout (labs/handout.py) builds and its
            grade is below full marks, and this tree's grade is full marks
            (tests/labs_stage.py); in a handout (a .lab file at the root),
            the lab's own grade must be full marks

Each QEMU boot has a time limit and prints the tail of its COM1 output and
of QEMU's log when it fails. A wait stops early when the kernel can print
nothing more (a fatal report's `kernel: halted`, a panic), the emulator
exited (a triple fault among the reasons), or the boot is past its limits
(tests/harness.py BOOT_LIMIT: nothing on COM1, or no `kernel: ready`, 15 s
after launch); the failure's first line says which. The stages that boot
no kernel (unit, lint, and the labs stage's handout builds) run whatever
the boot probe found. Each stage ends with its wall time; the run ends
with a table of them, the names of the failed checks, and 'N passed, M
failed'.
"""

import os
import re
import subprocess
import sys
import time
import traceback

from faults_stage import stage_faults
from emulators import stage_bochs, stage_iso
from bench_stage import stage_bench
from gdb_stage import stage_gdb
from labs_stage import stage_labs
from linux_stage import stage_linux
from net_stage import stage_net
from process_stage import stage_processes
from serial_stage import stage_serial
from harness import READY_LINE as READY, ROOT, STATUS_FAILED, STATUS_PASSED, Qemu, Results, probe_boot
from harness_stage import stage_harness
from user_stage import stage_user

# The widest line of src/, the max_width of rustfmt.toml (which rustfmt
# itself only enforces on code, not on comments and strings).
MAX_WIDTH = 100

def stage_unit(r):
    proc = subprocess.run(["cargo", "test", "--lib", "-q"], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(proc.stdout.rstrip())
    m = re.search(r"test result: \w+\. (\d+) passed; (\d+) failed", proc.stdout)
    if not m:
        r.check("unit: cargo test --lib ran", False, "no test result line")
        return
    # cargo test lists each failed test's output under '---- NAME stdout ----'.
    failed = ["unit: " + n for n in re.findall(r"^---- (\S+) stdout ----$", proc.stdout, re.M)]
    if int(m.group(2)) and not failed:
        failed = ["unit: %s host unit test(s), named above" % m.group(2)]
    r.add(int(m.group(1)), int(m.group(2)), failed)
    print("unit: %s passed, %s failed" % (m.group(1), m.group(2)))


def stage_lint(r):
    for name, cmd in (("kernel build", ["cargo", "kcheck", "--release", "-q", "--", "-D", "warnings"]),
                      ("host build", ["cargo", "clippy", "--lib", "-q", "--", "-D", "warnings"])):
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        r.check("lint: clippy on the %s is clean (every unsafe block has a SAFETY comment)" % name,
                proc.returncode == 0, proc.stdout[-3000:])
    proc = subprocess.run(["cargo", "fmt", "--check"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    r.check("lint: the source is formatted as rustfmt.toml says (cargo fmt --check; `cargo fmt` fixes it)",
            proc.returncode == 0, proc.stdout[-3000:])
    long_lines = []
    for folder, _, files in os.walk(os.path.join(ROOT, "src")):
        for name in sorted(f for f in files if f.endswith(".rs")):
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                long_lines += ["%s:%d: %d columns" % (os.path.relpath(path, ROOT), n, len(line.rstrip("\n")))
                               for n, line in enumerate(f, 1) if len(line.rstrip("\n")) > MAX_WIDTH]
    r.check("lint: no line of src/ is wider than %d columns (comments and strings too)" % MAX_WIDTH,
            not long_lines, "\n".join(long_lines))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "layers.py")], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    r.check("lint: every import points down the layers of src/lib.rs, and none is circular (tests/layers.py)",
            proc.returncode == 0, proc.stdout)


def stage_selftest(r):
    q = Qemu("selftest", append="test=all")
    try:
        status = q.wait_exit(120)
        out = q.output()
        ran = re.findall(r"^selftest: (\w+) \.\.\. (ok|FAILED.*)$", out, re.M)
        for name, verdict in ran:
            r.check("selftest: " + name, verdict == "ok", verdict + "\n" + q.diagnosis())
        r.check("selftest: all tests ran and QEMU exited with the pass status (%d)" % STATUS_PASSED,
                status == STATUS_PASSED and len(ran) >= 8,
                q.diagnosis("exit status %s, %d tests" % (status, len(ran))))
        # What the kernel printed along the way, checked from outside.
        r.check("selftest: #BP reported by name and resumed",
                re.search(r"^trap: #BP Breakpoint \(vector 3\)$", out, re.M) is not None
                and re.search(r"^trap: resumed at eip=0x[0-9a-f]{8}$", out, re.M) is not None, q.diagnosis())
        r.check("selftest: int 0x99 logged as unexpected",
                "trap: unexpected interrupt vector 0x99 (no handler registered)" in out, q.diagnosis())
        r.check("selftest: injected keys echoed as 'Hi<Up>'",
                "selftest: echo: Hi<Up>" in out.splitlines(), q.diagnosis())
    finally:
        q.stop()


def stage_e2e(r):
    q = Qemu("e2e")
    try:
        if not r.check("e2e: boot log ends initialisation with '%s'" % READY,
                       q.wait_line(READY, 60), q.diagnosis()):
            return
        lines = q.lines()
        ready = lines.index(READY)
        for part in ("gdt:", "idt:", "pic:", "pit:", "keyboard:"):
            r.check("e2e: boot log has a '%s' line before ready" % part,
                    any(l.startswith(part) for l in lines[:ready]), q.diagnosis())
        regs = q.query("info registers")
        r.check("e2e: IDTR limit is 256*8-1 (QEMU monitor: info registers)",
                re.search(r"^IDT=\s+[0-9a-f]{8} 000007ff$", regs, re.M) is not None, regs)
        r.check("e2e: CS and DS hold the kernel's own selectors",
                re.search(r"^CS =0008 ", regs, re.M) is not None and re.search(r"^DS =0010 ", regs, re.M) is not None,
                regs)
        pic = q.query("info pic")
        # IRQ 0, 1, 4, the cascade (2) and the e1000's 11 (slave line 3).
        r.check("e2e: the PICs are remapped to 0x20 and 0x28, only IRQ 0, 1, 2, 4 and 11 unmasked (info pic)",
                re.search(r"pic0: .*imr=e8 .*irq_base=20", pic) is not None
                and re.search(r"pic1: .*imr=f7 .*irq_base=28", pic) is not None, pic)
        r.check("e2e: the boot log lists the PCI functions and names the network card",
                "pci: 00:03.0 8086:100e Ethernet controller, INTA# -> IRQ 11" in lines[:ready]
                and any(l.startswith("net: e1000 (82540EM) at 00:03.0, IRQ 11 (slave 8259, level), "
                                     "MAC 52:54:00:12:34:56, 10.0.2.15/24 via 10.0.2.2")
                        for l in lines[:ready]), q.diagnosis())
        q.type("Hello, world!\n")
        q.sendkeys(["up", "backspace", "ctrl-c", "f1", "ret"])
        want = "Hello, world!\n<Up><Backspace><Ctrl-C><F1>\n"
        r.check("e2e: keys typed in QEMU come back on COM1",
                q.wait_for(lambda out: want in out, 30), q.diagnosis())
        r.check("e2e: no trap or panic while typing",
                q.wait_for(lambda out: "trap:" not in out and "panic" not in out, 1), q.diagnosis())
    finally:
        q.stop()


def stage_badinput(r):
    q = Qemu("badopt", append="hz=5 colour=blue verbose hz=250")
    try:
        ok = q.wait_line(READY, 60)
        out = q.output()
        r.check("badinput: unknown option reported, kernel still ready",
                ok and "cmdline: unknown option 'colour=blue' ignored; known options: hz= test= fault= init= bench= sched= quantum= quit= ip=" in out,
                q.diagnosis())
        r.check("badinput: bad hz value reported and the later valid one used",
                "cmdline: bad value '5' for hz=" in out and "pit: channel 0 at 250 Hz" in out, q.diagnosis())
        r.check("badinput: word without '=' reported",
                "cmdline: 'verbose' is not key=value, ignored" in out, q.diagnosis())
        q.type("ok\n")
        r.check("badinput: keys still echo after bad options",
                q.wait_for(lambda o: "\nok\n" in o, 30), q.diagnosis())
    finally:
        q.stop()

    q = Qemu("badtest", append="test=nosuch")
    try:
        ok = q.wait_exit(60) == STATUS_FAILED
        r.check("badinput: unknown test name listed with the valid ones",
                ok and ("selftest: no test named 'nosuch', none ran; tests: all badmagic hang_silent "
                        "hang_before_ready breakpoint_resumes") in q.output(),
                q.diagnosis())
    finally:
        q.stop()

    q = Qemu("badmagic", append="test=badmagic")
    try:
        line = ("multiboot: bad magic 0xdeadbeef in EAX (expected 0x2badb002): "
                "not started by a Multiboot loader; halting")
        ok = q.wait_for(lambda out: out.rstrip("\n").endswith(line), 60)
        r.check("badinput: wrong Multiboot magic gives a clear last line", ok, q.diagnosis())
    finally:
        q.stop()


def stage_boot(r):
    failed = probe_boot()
    r.check("boot: the kernel, with no options, reaches '%s' (every later stage that boots it needs this)"
            % READY, failed is None, failed[1] if failed else "")
    if failed:
        r.cannot_boot = failed[0]


STAGES = {"unit": stage_unit, "lint": stage_lint, "boot": stage_boot, "selftest": stage_selftest,
          "e2e": stage_e2e, "badinput": stage_badinput, "harness": stage_harness, "faults": stage_faults,
          "user": stage_user, "processes": stage_processes, "serial": stage_serial, "linux": stage_linux,
          "net": stage_net, "iso": stage_iso, "bochs": stage_bochs,
          "bench": stage_bench, "gdb": stage_gdb, "labs": stage_labs}

# Stages that boot no kernel: they run whatever the boot probe found.
NO_BOOT = ("unit", "lint")
# The labs stage builds the handouts in any case, and reads r.cannot_boot
# before it grades anything (tests/labs_stage.py). Every other stage needs
# a kernel that reaches `kernel: ready`.
OWN_BOOT_PLAN = ("labs",)


def main(argv):
    chosen = argv or list(STAGES)
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        print("run.py: unknown stage(s) %s; stages: %s" % (", ".join(unknown), " ".join(STAGES)))
        return 2
    # The boot probe goes before the first stage that boots the kernel.
    chosen = [s for s in chosen if s != "boot"]
    first_boot = next((i for i, s in enumerate(chosen) if s not in NO_BOOT), None)
    if first_boot is not None:
        chosen.insert(first_boot, "boot")
    r = Results()
    rows = []
    for name in chosen:
        print("== %s ==" % name, flush=True)
        start, passed, failed = time.monotonic(), r.passed, r.failed
        try:
            if r.cannot_boot and name not in NO_BOOT + OWN_BOOT_PLAN:
                r.check("%s: not run: the kernel cannot reach '%s' (the boot stage): %s"
                        % (name, READY, r.cannot_boot), False)
            else:
                STAGES[name](r)
        except Exception:  # a harness or tool error: say so, and go on to the next stage
            r.check("%s: the stage ran to its end" % name, False, traceback.format_exc())
        seconds = time.monotonic() - start
        rows.append((name, seconds, r.passed - passed, r.failed - failed))
        print("== %s: %.1f s ==" % (name, seconds), flush=True)
    print("\n%-10s %8s %7s %7s" % ("stage", "time", "passed", "failed"))
    for name, seconds, passed, failed in rows:
        print("%-10s %6.1f s %7d %7d" % (name, seconds, passed, failed))
    print("%-10s %6.1f s %7d %7d" % ("total", sum(row[1] for row in rows), r.passed, r.failed))
    if r.failures:
        print("\nfailed checks:")
        for name in r.failures:
            print("  " + name)
    # The last line, which CI reads.
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 0 if r.failed == 0 and r.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
