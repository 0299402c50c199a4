"""GDB commands for irqkernel, in GDB's Python. Loaded by gdb/kernel.gdb.

  vbreak VECTOR         break in trap_dispatch only for that vector
  trapframe [ADDR]      the interrupted state, decoded (TrapFrame)
  idt-gate N [COUNT]    IDT gate N (and the COUNT-1 after it), decoded
  pic-state             the two 8259s: masked, requested, in service
  keypress KEY...       continue, and have QEMU press the keys meanwhile

They read the machine through the debug information (the TrapFrame the
stubs built, see src/interrupt/frame.rs) and through QEMU's monitor
(`monitor info registers` for the IDTR, `monitor info pic`), which QEMU's
GDB stub forwards. `help COMMAND` says more about each.
"""

import os
import re
import struct
import subprocess

import gdb

# This folder (GDB defines __file__ only while it sources this file).
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", "gdb/kernel.py")))

# SDM 3A table 6-1, the same table as EXCEPTIONS in src/interrupt/vectors.rs
# (tests/gdb_stage.py checks that the two agree).
EXCEPTIONS = [
    ("#DE", "Divide Error"), ("#DB", "Debug"), ("NMI", "Non-Maskable Interrupt"),
    ("#BP", "Breakpoint"), ("#OF", "Overflow"), ("#BR", "BOUND Range Exceeded"),
    ("#UD", "Invalid Opcode"), ("#NM", "Device Not Available"), ("#DF", "Double Fault"),
    ("#CSO", "Coprocessor Segment Overrun"), ("#TS", "Invalid TSS"),
    ("#NP", "Segment Not Present"), ("#SS", "Stack-Segment Fault"),
    ("#GP", "General Protection"), ("#PF", "Page Fault"), ("#15", "Reserved"),
    ("#MF", "x87 Floating-Point Error"), ("#AC", "Alignment Check"), ("#MC", "Machine Check"),
    ("#XM", "SIMD Floating-Point"), ("#VE", "Virtualization"), ("#CP", "Control Protection"),
    ("#22", "Reserved"), ("#23", "Reserved"), ("#24", "Reserved"), ("#25", "Reserved"),
    ("#26", "Reserved"), ("#27", "Reserved"), ("#HV", "Hypervisor Injection"),
    ("#VC", "VMM Communication"), ("#SX", "Security"), ("#31", "Reserved"),
]
# Vectors for which the CPU pushes an error code (ERROR_CODE_VECTORS).
# LAB 2 BEGIN: the same list as the kernel's
ERROR_CODE_VECTORS = (8, 10, 11, 12, 13, 14, 17, 21, 29, 30)
#~ ERROR_CODE_VECTORS = ()  # lab 2: copy your list from src/interrupt/vectors.rs
# LAB 2 END
# Exceptions whose error code is a selector (SDM 3A 6.13).
SELECTOR_ERROR_CODES = (10, 11, 12, 13)
PIC_MASTER_BASE, PIC_SLAVE_BASE, SYSCALL = 0x20, 0x28, 0x80
IRQ_DEVICES = {0: "PIT timer", 1: "keyboard (i8042)", 2: "cascade from the slave 8259",
               3: "COM2", 4: "COM1", 6: "floppy", 7: "LPT1, or spurious", 8: "RTC",
               12: "PS/2 mouse", 13: "x87 FPU", 14: "primary ATA", 15: "secondary ATA, or spurious"}

# TrapFrame (src/interrupt/frame.rs): 17 words, lowest address first.
FRAME_FIELDS = ("es", "ds", "edi", "esi", "ebp", "esp_pushad", "ebx", "edx", "ecx", "eax",
                "vector", "error_code", "eip", "cs", "eflags", "user_esp", "user_ss")
FRAME_SIZE = 4 * len(FRAME_FIELDS)

EFLAGS_BITS = ((0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"),
               (10, "DF"), (11, "OF"), (14, "NT"), (16, "RF"), (17, "VM"), (18, "AC"))


def vector_name(vector):
    """'#GP General Protection', 'IRQ 1 keyboard (i8042)', 'system call', ..."""
    if vector < len(EXCEPTIONS):
        return "%s %s (CPU exception)" % EXCEPTIONS[vector]
    if PIC_MASTER_BASE <= vector < PIC_MASTER_BASE + 8 or PIC_SLAVE_BASE <= vector < PIC_SLAVE_BASE + 8:
        irq = vector - PIC_MASTER_BASE
        return "IRQ %d, %s" % (irq, IRQ_DEVICES.get(irq, "no device here"))
    if vector == SYSCALL:
        return "system call (int 0x80)"
    return "software interrupt (int 0x%02x)" % vector


def parse_int(arg, what):
    try:
        return int(gdb.parse_and_eval(arg))
    except gdb.error as e:
        raise gdb.GdbError("%s: cannot read '%s' as a number: %s" % (what, arg, e))


def read_words(address, count):
    data = gdb.selected_inferior().read_memory(address, 4 * count)
    return struct.unpack("<%dI" % count, bytes(data))


def symbolic(address):
    """'function+offset at file:line' for a code address, or ''."""
    name, start = None, None
    try:
        block = gdb.block_for_pc(address)
        while block is not None and block.function is None:
            block = block.superblock
        if block is not None:
            name, start = block.function.print_name, block.start
    except RuntimeError:
        pass
    if name is None:
        text = gdb.execute("info symbol 0x%x" % address, to_string=True).strip()
        if text.startswith("No symbol"):
            return ""
        return text.split(" in section ")[0].replace(" + ", "+")
    where = "%s+%d" % (name, address - start)
    line = gdb.find_pc_line(address)
    if line.symtab is not None and line.line:
        where += " at %s:%d" % (line.symtab.filename, line.line)
    return where


def symbol_address(name):
    """Address of a linker symbol (with or without debug information)."""
    text = gdb.execute("info address " + name, to_string=True)
    m = re.search(r" is at (0x[0-9a-f]+)", text)
    return int(m.group(1), 16) if m else None


def monitor(command):
    """A QEMU monitor command through the GDB stub; its output."""
    return gdb.execute("monitor " + command, to_string=True)


def frame_function(frame):
    try:
        return frame.name() or ""
    except gdb.error:
        return ""


def find_trap_frame():
    """Address of the TrapFrame of the interrupt the selected frame runs in:
    the innermost isr_common frame at or above it kept that address in ESI
    across its call (src/interrupt/stubs.rs)."""
    frame = gdb.selected_frame()
    while frame is not None:
        if frame_function(frame) == "isr_common":
            callee = frame.newer()
            if callee is None:
                raise gdb.GdbError("trapframe: stopped inside isr_common itself, before the frame is "
                                   "complete; step into trap_dispatch, or give the address: trapframe ADDR")
            # The dispatcher's own argument says the same, when it is readable.
            try:
                if frame_function(callee) == "trap_dispatch" or callee.name().endswith("::trap_dispatch"):
                    return int(callee.read_var("frame"))
            except (gdb.error, ValueError, AttributeError):
                pass
            return int(frame.read_register("esi")) & 0xFFFFFFFF
        frame = frame.older()
    raise gdb.GdbError("trapframe: no isr_common in the backtrace, so not inside an interrupt; "
                       "stop in trap_dispatch or a handler (vbreak), or give the address: trapframe ADDR")


def read_trap_frame(address):
    return dict(zip(FRAME_FIELDS, read_words(address, len(FRAME_FIELDS))))


def describe_error_code(vector, code):
    if vector not in ERROR_CODE_VECTORS:
        return "none from the CPU: the stub pushed %d" % code
    if vector == 14:
        bits = ["protection violation" if code & 1 else "page not present",
                "write" if code & 2 else "read", "from ring 3" if code & 4 else "from ring 0"]
        if code & 8:
            bits.append("reserved bit set")
        if code & 16:
            bits.append("instruction fetch")
        return "pushed by the CPU: " + ", ".join(bits) + " (the address is in CR2)"
    if vector in SELECTOR_ERROR_CODES and code:
        table = "IDT" if code & 2 else ("LDT" if code & 4 else "GDT")
        index = code >> 3
        what = "%s entry %d" % (table, index) + (" (vector 0x%02x)" % index if table == "IDT" else "")
        return "pushed by the CPU: selector error, %s%s" % (what, ", external event" if code & 1 else "")
    return "pushed by the CPU"


class VBreak(gdb.Command):
    """Break in trap_dispatch only when the interrupt is on VECTOR.

Usage: vbreak VECTOR      (e.g. vbreak 0x21: the keyboard's IRQ 1)

The same as
  break trap_dispatch if frame.vector == VECTOR
a conditional breakpoint on the dispatcher's argument; the timer's IRQ 0
(vector 0x20, 100 times a second) then no longer stops you. With the LTO
release kernel, where `frame` is not visible at that line, the condition
reads the vector through $trap_vector() instead."""

    def __init__(self):
        super().__init__("vbreak", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: vbreak VECTOR (e.g. vbreak 0x21)")
        vector = parse_int(arg, "vbreak")
        if not 0 <= vector <= 255:
            raise gdb.GdbError("vbreak: a vector is 0..255, not %d" % vector)
        before = {b.number for b in gdb.breakpoints()}
        try:
            gdb.execute("break trap_dispatch if frame.vector == 0x%02x" % vector, from_tty)
        except gdb.error:
            for b in gdb.breakpoints():
                if b.number not in before:
                    b.delete()
            gdb.execute("break trap_dispatch if $trap_vector() == 0x%02x" % vector, from_tty)
        print("vbreak: stops only for vector 0x%02x, %s" % (vector, vector_name(vector)))


class TrapVector(gdb.Function):
    """$trap_vector(): the vector of the interrupt being handled (from the TrapFrame)."""

    def __init__(self):
        super().__init__("trap_vector")

    def invoke(self):
        return read_trap_frame(find_trap_frame())["vector"]


class TrapFrameCommand(gdb.Command):
    """Show the TrapFrame of the interrupt being handled, decoded.

Usage: trapframe          (the interrupt the selected frame runs in)
       trapframe ADDR     (the TrapFrame at ADDR, e.g. trapframe frame)

Shows the vector with its name, the error code, where the interrupted code
was (EIP, CS and its ring, EFLAGS), its general registers, and its stack:
the user SS:ESP the CPU pushed when it came from ring 3, else the kernel
stack pointer just above the CPU's words. The frame is found through
isr_common in the backtrace; `up`/`down` pick which one when interrupts
nest."""

    def __init__(self):
        super().__init__("trapframe", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        address = parse_int(arg, "trapframe") if arg.strip() else find_trap_frame()
        f = read_trap_frame(address)
        vector, ring = f["vector"], f["cs"] & 3
        flags = " ".join(name for bit, name in EFLAGS_BITS if f["eflags"] >> bit & 1)
        out = ["TrapFrame at 0x%08x" % address,
               "  vector  0x%02x (%d)  %s" % (vector, vector, vector_name(vector)),
               "  error   0x%08x  %s" % (f["error_code"], describe_error_code(vector, f["error_code"])),
               "  eip     0x%08x  %s" % (f["eip"], symbolic(f["eip"]) or "(no symbol: user code?)"),
               "  cs      0x%04x      ring %d (%s)" % (f["cs"] & 0xFFFF, ring,
                                                       "user" if ring == 3 else "kernel"),
               "  eflags  0x%08x  [ %s ] IOPL %d" % (f["eflags"], flags, f["eflags"] >> 12 & 3),
               "  eax 0x%08x  ebx 0x%08x  ecx 0x%08x  edx 0x%08x" % (f["eax"], f["ebx"], f["ecx"], f["edx"]),
               "  esi 0x%08x  edi 0x%08x  ebp 0x%08x" % (f["esi"], f["edi"], f["ebp"]),
               "  ds  0x%04x      es  0x%04x" % (f["ds"] & 0xFFFF, f["es"] & 0xFFFF)]
        if ring == 3:
            out.append("  user ss:esp 0x%04x:0x%08x  (pushed by the CPU on the switch from ring 3)"
                       % (f["user_ss"] & 0xFFFF, f["user_esp"]))
        else:
            out.append("  esp     0x%08x  (interrupted kernel stack: no stack switch from ring 0)"
                       % (f["esp_pushad"] + 20))
        print("\n".join(out))


class IdtGate(gdb.Command):
    """Show IDT gate N decoded (and the COUNT-1 gates after it).

Usage: idt-gate N [COUNT]     (e.g. idt-gate 0x21, idt-gate 0x20 16)

The IDTR comes from QEMU (`monitor info registers`, line IDT=), the gate's
8 bytes from memory: handler offset, code selector, type, DPL, present
(SDM 3A 6.11; src/cpu/idt.rs)."""

    TYPES = {0x5: "task gate", 0x6: "16-bit interrupt gate", 0x7: "16-bit trap gate",
             0xE: "32-bit interrupt gate (IF cleared on entry)",
             0xF: "32-bit trap gate (IF left as it was)"}

    def __init__(self):
        super().__init__("idt-gate", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if not 1 <= len(args) <= 2:
            raise gdb.GdbError("usage: idt-gate N [COUNT] (e.g. idt-gate 0x21)")
        first = parse_int(args[0], "idt-gate")
        count = parse_int(args[1], "idt-gate") if len(args) > 1 else 1
        m = re.search(r"^IDT=\s*([0-9a-fA-F]+) ([0-9a-fA-F]+)", monitor("info registers"), re.M)
        if not m:
            raise gdb.GdbError("idt-gate: no IDT= line in `monitor info registers` (is this QEMU?)")
        base, limit = int(m.group(1), 16), int(m.group(2), 16)
        try:
            stubs = symbol_address("isr_stub_table")
        except gdb.error:
            stubs = None
        print("IDTR base 0x%08x limit 0x%x (%d gates)" % (base, limit, (limit + 1) // 8))
        for n in range(first, first + count):
            self.show(n, base, limit, stubs)

    def show(self, n, base, limit, stubs):
        if not 0 <= n <= 255 or 8 * n + 7 > limit:
            print("gate 0x%02x: beyond the IDT limit: the CPU raises #GP (IDT index %d)" % (n, n))
            return
        low, high = read_words(base + 8 * n, 2)
        offset = (high & 0xFFFF0000) | (low & 0xFFFF)
        selector, kind, dpl, present = low >> 16, high >> 8 & 0xF, high >> 13 & 3, high >> 15 & 1
        print("gate 0x%02x (%d) at 0x%08x: raw 0x%08x%08x  %s" % (n, n, base + 8 * n, high, low,
                                                              vector_name(n)))
        print("  present  %s" % ("yes" if present else "NO: using it raises #NP"))
        print("  type     0x%x %s" % (kind, self.TYPES.get(kind, "invalid: using it raises #GP")))
        if kind == 0x5:
            print("  TSS      selector 0x%04x (GDT index %d): the CPU switches to that task"
                  % (selector, selector >> 3))
        else:
            what = symbolic(offset)
            if stubs is not None:
                stub = read_words(stubs + 4 * n, 1)[0]
                if stub == offset:
                    what = "isr_stub_table[%d], the stub for vector 0x%02x" % (n, n)
                elif what == "":
                    what = "NOT isr_stub_table[%d] (0x%08x)" % (n, stub)
            print("  offset   0x%08x %s" % (offset, what))
            print("  selector 0x%04x (GDT index %d, RPL %d)" % (selector, selector >> 3, selector & 3))
        print("  DPL      %d (%s)" % (dpl, "int 0x%02x allowed from ring 3" % n if dpl == 3
                                      else "int 0x%02x from ring 3 raises #GP" % n))


class PicState(gdb.Command):
    """Show the two 8259 PICs: vector base, masked lines, requests, in service.

Usage: pic-state

From QEMU's `monitor info pic`: IMR (masked lines), IRR (raised, waiting to
be delivered), ISR (delivered, no EOI yet), irq_base (the vector of the
chip's first line). src/dev/pic.rs programs them."""

    def __init__(self):
        super().__init__("pic-state", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        text = monitor("info pic")
        chips = re.findall(r"^pic([01]): irr=([0-9a-f]+) imr=([0-9a-f]+) isr=([0-9a-f]+) .*irq_base=([0-9a-f]+)",
                           text, re.M)
        if not chips:
            raise gdb.GdbError("pic-state: no pic lines in `monitor info pic`:\n" + text)
        for chip, irr, imr, isr, irq_base in sorted(chips):
            first = 8 * int(chip)
            irr, imr, isr, irq_base = (int(x, 16) for x in (irr, imr, isr, irq_base))

            def lines(mask, first=first):
                irqs = [str(first + i) for i in range(8) if mask >> i & 1]
                return "IRQ " + " ".join(irqs) if irqs else "none"
            print("%s 8259 (pic%s): IRQ %d-%d -> vectors 0x%02x-0x%02x"
                  % ("master" if chip == "0" else "slave", chip, first, first + 7, irq_base, irq_base + 7))
            print("  imr 0x%02x  masked:   %-24s unmasked: %s" % (imr, lines(imr), lines(~imr & 0xFF)))
            print("  irr 0x%02x  requested, waiting: %s" % (irr, lines(irr)))
            print("  isr 0x%02x  in service, no EOI yet: %s" % (isr, lines(isr)))


class QmpSocket(gdb.Parameter):
    """QEMU's QMP socket, through which `keypress` types while the guest runs.
make gdb and make debug start QEMU with -qmp unix:build/qmp.sock."""

    set_doc = "Set the path of QEMU's QMP socket (for keypress)."
    show_doc = "Show the path of QEMU's QMP socket (for keypress)."

    def __init__(self):
        super().__init__("qemu-qmp", gdb.COMMAND_SUPPORT, gdb.PARAM_FILENAME)
        self.value = "build/qmp.sock"

    def get_show_string(self, value):
        return "QEMU's QMP socket (for keypress) is " + value


class KeyPress(gdb.Command):
    """Continue, and have QEMU press KEY (then each further KEY) meanwhile.

Usage: keypress KEY...     (e.g. keypress a; keypress shift-a ret)

KEY is a QEMU key name (qcode), as in the monitor's sendkey: a, 1, ret,
spc, shift, ctrl, up, f1, esc ... GDB cannot type into the guest while
`continue` runs, and QEMU drops keys sent while the VM is stopped, so
this command does both: it continues, and gdb/qmp_keys.py sends the keys
through QEMU's QMP socket (set qemu-qmp PATH) once the kernel has IRQ 1
unmasked. With a QEMU window, pressing keys in it after `continue` works
too."""

    def __init__(self):
        super().__init__("keypress", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        keys = gdb.string_to_argv(arg)
        if not keys:
            raise gdb.GdbError("usage: keypress KEY... (QEMU key names: a, ret, spc, shift, up, f1 ...)")
        path = gdb.parameter("qemu-qmp")
        if not path or not os.path.exists(path):
            raise gdb.GdbError("keypress: no QMP socket at '%s' (make gdb starts QEMU with one; "
                               "else `set qemu-qmp PATH`, or type in the QEMU window)" % path)
        # A separate process sends the keys: GDB keeps Python's lock while
        # `continue` waits, so a thread here would never run.
        helper = os.path.join(HERE, "qmp_keys.py")
        typist = subprocess.Popen(["python3", helper, path] + keys, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            gdb.execute("continue", from_tty)
        finally:
            # Stopped (at a breakpoint, or by Ctrl-C): keys not sent by now
            # are dropped, never typed later behind the user's back.
            if typist.poll() is None:
                typist.terminate()
            taken = typist.communicate()[0].strip()
            print(taken if taken else "keypress: no key was sent before the guest stopped")


VBreak()
TrapVector()
TrapFrameCommand()
IdtGate()
PicState()
QmpSocket()
KeyPress()
