"""The `bench` stage of make test: runs `make bench`'s kernel mode short
(bench=quick) and `make bench-icount`'s mode, and checks the report.

It never judges a timing: under TCG they follow the host's load, so a test
that asserted them would fail at random. What it does check:
- every row and ratio line is there and well-formed, and a ratio lies
  within its own spread;
- no ratio against a floor (or the sum of its parts) is below 1: the
  operation includes its floor, so below 1 is a broken measurement;
- under -icount the TSC counts instructions, so every slice gives the same
  count (each spread is one value), and the floor, `int` + `iretd`, is
  exactly 2 instructions, and the return to ring 3 alone (iretd) exactly 1;
- bench=icount without -icount refuses to print a table: its check of the
  TSC fails, with the reason.
"""

import re

from harness import STATUS_FAILED, STATUS_PASSED, Qemu

# Every row the benchmark prints as `bench: NAME cycles=N`.
FIGURES = ("floor", "dispatch", "classic_stub", "pic_eoi", "kbd_data_in", "keypress", "irq1_floor",
           "uart_lsr_in", "uart_data_out", "vga_cell", "keypress_parts", "irq1_path", "decode",
           "user_floor", "syscall_getpid", "syscall_write", "switch_floor", "switch", "mov_cr3", "switch_parts",
           "segment_loads", "fpu_swap", "serial_echo", "irq4_floor", "uart_data_loop", "serial_parts",
           "timer_1", "timer_8", "nic_recvfrom", "irq11_floor", "payload_copy", "ring3_return", "nic_parts",
           "irq11_path", "nic_stack", "boot")
# Ratios against a floor or the sum of parts: never below 1.
FLOOR_RATIOS = ("dispatch/floor", "classic/floor", "keypress/parts", "serial/parts", "nic/parts",
                "syscall/user_floor", "switch/parts")
# The timer's growth: 1 process ready against 8. Around 1 either way.
OTHER_RATIOS = ("timer_8/timer_1",)
TABLE_ROWS = ("floor:", "dispatch:", "classic stub:", "port: PIC EOI", "port: i8042 data",
              "keypress:", "  irq1 floor:", "  port: UART line status", "  port: UART data",
              "  memory: VGA text cell", "  = parts: sum", "  irq1 path:", "  decode:",
              "serial: byte in -> IRQ 4", "  irq4 floor:", "  port: UART data, looped back",
              "ring-3 floor:", "syscall: getpid", "  write(1, &byte, 1)", "switch:", "  ring-3 floor (again", "  mov cr3",
              "  = parts: ring-3 floor", "  DS, ES loaded", "  FXSAVE + FXRSTOR",
              "timer: one PIT tick, 1", "timer: one PIT tick, 8",
              "udp: e1000 IRQ 11 -> recvfrom", "  irq11 floor:", "  memory: copy of the 64-byte payload",
              "  ring-3 return: iretd to ring 3", "  = parts: sum of the three above", "  irq11 path:",
              "  stack: smoltcp poll", "boot:")
ICOUNT = ("-icount", "shift=0,sleep=off")
RATIO_LINE = r"^bench: %s=(\d+)\.(\d\d) spread=(\d+)\.(\d\d)\.\.(\d+)\.(\d\d)$"


def ratios(out):
    """{name: (median, low, high)} in hundredths, for each ratio line."""
    found = {}
    for name in FLOOR_RATIOS + OTHER_RATIOS:
        m = re.search(RATIO_LINE % re.escape(name), out, re.M)
        if m:
            v = [int(m.group(i)) * 100 + int(m.group(i + 1)) for i in (1, 3, 5)]
            found[name] = tuple(v)
    return found


def check_report(r, label, q, unit):
    """The checks both views share; gives the ratios found."""
    out = q.output()
    lines = out.splitlines()
    r.check("%s: the table is printed" % label,
            "== bench results: TSC %s per operation, measuring-loop overhead subtracted ==" % unit
            in lines, q.diagnosis())
    missing = [row.strip() for row in TABLE_ROWS
               if not any(re.match(re.escape(row) + r".*\s(\d+|-)\s+(\d+|-)\s", l) for l in lines)]
    r.check("%s: every table row (%d) is there with its median and min" % (label, len(TABLE_ROWS)),
            not missing, "missing: %s\n%s" % (missing, q.diagnosis()))
    bad = []
    for name in FIGURES:
        found = [l for l in lines if l.startswith("bench: %s %s=" % (name, unit))]
        if len(found) != 1 or not re.fullmatch(r"bench: %s %s=\d+" % (re.escape(name), unit), found[0]):
            bad.append((name, found))
    r.check("%s: one well-formed line 'bench: NAME %s=N' for each of %d rows" % (label, unit, len(FIGURES)),
            not bad, "%r\n%s" % (bad, q.diagnosis()))
    found = ratios(out)
    r.check("%s: every ratio is one line 'bench: NAME=R spread=LO..HI', with LO <= R <= HI" % label,
            len(found) == len(FLOOR_RATIOS + OTHER_RATIOS)
            and all(lo <= med <= hi for med, lo, hi in found.values()),
            "%r\n%s" % (found, q.diagnosis()))
    r.check("%s: finished without a failure or a trap" % label,
            "bench: done" in lines and "bench: FAILED" not in out and "trap:" not in out, q.diagnosis())
    return found


def stage_bench(r):
    q = Qemu("bench", append="bench=quick")
    try:
        status = q.wait_exit(180)
        r.check("bench: QEMU exited with the done status (%d)" % STATUS_PASSED, status == STATUS_PASSED,
                q.diagnosis("exit status %s" % status))
        found = check_report(r, "bench", q, "cycles")
        below = {k: v for k, v in found.items() if k in FLOOR_RATIOS and v[0] < 100}
        r.check("bench: no ratio against a floor or its parts is below 1.00", not below,
                "%r\n%s" % (below, q.diagnosis()))
        out = q.output()
        r.check("bench: a verdict for each target, none 'met' below its floor",
                re.search(r"^bench: targets: dispatch/floor <= 1\.25 (met|MISSED), keypress/parts <= 1\.30 "
                          r"(met|MISSED), syscall/user_floor <= 1\.25 (met|MISSED), switch/parts <= 1\.50 "
                          r"(met|MISSED), timer_8/timer_1 <= 1\.05 (met|MISSED)$", out, re.M) is not None,
                q.diagnosis())
        r.check("bench: boot time, TSC rate and the breakdowns reported",
                re.search(r"^bench: boot_us=\d+$", out, re.M) is not None
                and re.search(r"^bench: tsc_hz=[1-9]\d*$", out, re.M) is not None
                and re.search(r"^bench: keypress breakdown: parts=\d+ decode=\d+ rest=\d+ \(sum \d+\)$",
                              out, re.M) is not None
                and re.search(r"^bench: switch breakdown: parts=\d+ fpu_swap=\d+ syscall_path=\d+ rest=\d+ "
                              r"\(sum \d+\)$", out, re.M) is not None
                and re.search(r"^bench: nic breakdown: parts=\d+ top_half=\d+ stack=\d+ rest=\d+ \(sum \d+\)$", out, re.M)
                is not None, q.diagnosis())
    finally:
        q.stop()

    q = Qemu("bench-icount", append="bench=icount", extra=ICOUNT)
    try:
        status = q.wait_exit(180)
        r.check("bench icount: QEMU exited with the done status (%d)" % STATUS_PASSED, status == STATUS_PASSED,
                q.diagnosis("exit status %s" % status))
        out = q.output()
        r.check("bench icount: the kernel checked that the TSC counts instructions",
                re.search(r"^bench: icount check: .* took 2000 more TSC counts .*: true$", out, re.M)
                is not None, q.diagnosis())
        found = check_report(r, "bench icount", q, "instructions")
        uneven = {k: v for k, v in found.items() if v[1] != v[2]}
        r.check("bench icount: every slice counts the same instructions (each spread is one value)",
                found and not uneven, "%r\n%s" % (uneven, q.diagnosis()))
        r.check("bench icount: the floor, int + iretd, is 2 instructions",
                re.search(r"^bench: floor instructions=2$", out, re.M) is not None, q.diagnosis())
        r.check("bench icount: the return to ring 3 alone is 1 instruction (the iretd)",
                re.search(r"^bench: ring3_return instructions=1$", out, re.M) is not None, q.diagnosis())
        r.check("bench icount: the path step by step is printed",
                "== the path step by step: instructions executed (exact under -icount) ==" in out
                and re.search(r"^int \+ iretd: the floor +2  floor$", out, re.M) is not None, q.diagnosis())
    finally:
        q.stop()

    q = Qemu("bench-icount-missing", append="bench=icount")
    try:
        status = q.wait_exit(120)
        out = q.output()
        r.check("bench icount: without -icount the kernel says the TSC does not count instructions, "
                "and prints no table",
                status == STATUS_FAILED and "bench: FAILED: icount: the TSC does not count instructions" in out
                and "== bench results" not in out, q.diagnosis("exit status %s" % status))
    finally:
        q.stop()
