"""The gdb stage of make test: the README's GDB recipe, in batch mode.

Builds the debug kernel (make kernel-debug: a no-op when it is up to date),
boots it paused in QEMU (harness.Qemu, with -S and a GDB port), and runs
`gdb -batch -nx` with gdb/kernel.gdb and the recipe's commands: continue to
the idle loop, `vbreak 0x21`, `keypress a` (QEMU types 'a' while the guest
runs), then `trapframe`, `bt`, and `on_irq`'s `scancode` after `next`. The
checks read GDB's output: the vector is 0x21, the scancode is 'a''s make
code 0x1e, the backtrace goes from the handler through isr_common to the
interrupted idle loop and kernel_main, with no invented frames. Also the
other helpers (idt-gate, pic-state) and that gdb/kernel.py's exception
names are those of src/interrupt/vectors.rs.

No terminal and no stdin: GDB runs with -batch -nx, stdin from /dev/null,
under a time limit, and QEMU is killed at the end whatever happens.
"""

import os
import re
import socket
import subprocess
import time

import harness
from harness import ROOT, Qemu

DEBUG_KERNEL = os.path.join(ROOT, "build", "kernel-debug.elf")
# 'a' in scancode set 1: press 0x1e.
MAKE_CODE_A = 0x1E
# The recipe of README "Debugging with GDB", as one batch.
RECIPE = """
tbreak kernel::idle
continue
vbreak 0x21
keypress a
echo == trapframe\\n
trapframe
echo == bt at trap_dispatch\\n
bt
break on_irq
continue
next
echo == scancode\\n
print/x scancode
echo == bt at on_irq\\n
bt
echo == idt-gate\\n
idt-gate 0x21
echo == pic-state\\n
pic-state
echo == done\\n
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def section(out, name):
    """The lines GDB printed after `echo == name`, up to the next marker."""
    m = re.search(r"^== %s\n(.*?)(?=^== )" % re.escape(name), out, re.M | re.S)
    return m.group(1) if m else ""


def stage_gdb(r):
    started = time.monotonic()
    build = subprocess.run(["make", "--no-print-directory", "-s", "kernel-debug"], cwd=ROOT,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=900)
    if not r.check("gdb: the debug kernel builds (make kernel-debug, cargo profile kdebug)",
                   build.returncode == 0 and os.path.exists(DEBUG_KERNEL), build.stdout[-3000:]):
        return
    built = time.monotonic()

    with open(os.path.join(ROOT, "src", "interrupt", "vectors.rs"), encoding="utf-8") as f:
        rust_names = re.findall(r'^\s*\("(#?\w+)", "([^"]+)"\),$', f.read(), re.M)
    names = subprocess.run(["gdb", "-batch", "-nx", "-ex", "source gdb/kernel.py", "-ex",
                            "python print(repr(EXCEPTIONS))"], cwd=ROOT, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    r.check("gdb: gdb/kernel.py names the 32 exceptions as src/interrupt/vectors.rs does",
            len(rust_names) == 32 and names.stdout.strip() == repr(rust_names), names.stdout[-2000:])

    port = free_port()
    saved, harness.KERNEL = harness.KERNEL, DEBUG_KERNEL
    try:
        q = Qemu("gdb", extra=["-S", "-gdb", "tcp:127.0.0.1:%d" % port])
    finally:
        harness.KERNEL = saved
    recipe = os.path.join(harness.OUT, "gdb.recipe")
    with open(recipe, "w") as f:
        f.write(RECIPE)
    env = dict(os.environ, CI="true", TERM="dumb")
    try:
        cmd = ["gdb", "-batch", "-nx", "-x", "gdb/kernel.gdb",
               "-ex", "set qemu-qmp " + q.qmp_path,
               "-ex", "target remote 127.0.0.1:%d" % port,
               "-x", recipe, DEBUG_KERNEL]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=120, env=env)
            out, status = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout) or ""
            status = "timeout (120 s)"
        with open(os.path.join(harness.OUT, "gdb.out"), "w") as f:
            f.write(out)
        detail = "gdb exit: %s; its output (tests/out/gdb.out):\n%s\n%s" % (status, out[-4000:], q.diagnosis())
        if not r.check("gdb: the recipe ran to its end within the time limit", "== done" in out, detail):
            return

        frame = section(out, "trapframe")
        r.check("gdb: vbreak 0x21 stopped on the keyboard's vector: trapframe says 0x21 (IRQ 1)",
                re.search(r"^\s*vector\s+0x21 \(33\)\s+IRQ 1, keyboard", frame, re.M) is not None, detail)
        r.check("gdb: trapframe decodes the interrupted kernel code (ring 0, IF set, the idle loop)",
                re.search(r"^\s*cs\s+0x0008\s+ring 0", frame, re.M) is not None
                and re.search(r"^\s*eflags\s+0x[0-9a-f]{8}\s+\[.*\bIF\b", frame, re.M) is not None
                and "enable_interrupts_and_halt" in frame, detail)
        m = re.search(r"^\$\d+ = (0x[0-9a-f]+)$", section(out, "scancode"), re.M)
        r.check("gdb: on_irq's local `scancode` is readable after `next` and holds 'a''s make code 0x1e",
                m is not None and int(m.group(1), 16) == MAKE_CODE_A, detail)

        bt = section(out, "bt at on_irq")
        frames = re.findall(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+)", bt, re.M)
        functions = [name.split("::")[-1] for _, name in frames]
        want = ["on_irq", "dispatch_irq", "trap_dispatch", "isr_common", "enable_interrupts_and_halt",
                "idle", "kernel_main", "higher_half"]
        r.check("gdb: bt goes from on_irq through isr_common to the interrupted idle loop, "
                "kernel_main and the boot stub (higher_half), and ends there",
                functions == want, "frames: %s\nwanted: %s\n%s" % (functions, want, detail))
        r.check("gdb: bt shows no invented frames (boot_stack_bottom, core::fmt::write, ??)",
                not re.search(r"boot_stack_bottom|core::fmt::write|\?\?", bt)
                and "Backtrace stopped" not in bt, detail)

        gate = section(out, "idt-gate")
        r.check("gdb: idt-gate 0x21 decodes a present 32-bit interrupt gate, DPL 0, to the vector's stub",
                "present  yes" in gate and "32-bit interrupt gate" in gate
                and "isr_stub_table[33]" in gate and "selector 0x0008" in gate
                and re.search(r"DPL\s+0 ", gate) is not None, detail)
        pic = section(out, "pic-state")
        r.check("gdb: pic-state shows the remap and IRQ 1 in service (no EOI yet at the breakpoint)",
                "master 8259 (pic0): IRQ 0-7 -> vectors 0x20-0x27" in pic
                and re.search(r"isr 0x02\s+in service, no EOI yet: IRQ 1$", pic, re.M) is not None,
                detail)
    finally:
        q.stop()
    print("gdb: %.1f s building the debug kernel, %.1f s in QEMU and GDB"
          % (built - started, time.monotonic() - built), flush=True)
