"""The `bench` stage of make test: runs `make bench`'s kernel mode once,
short (bench=quick), and checks that every line of its report is there and
well-formed. It never judges the figures: timings under TCG follow the
host's load, so a test that asserted them would fail at random.
"""

import re

from harness import STATUS_PASSED, Qemu

# Every figure the benchmark prints as `bench: NAME cycles=N`.
FIGURES = ("floor", "dispatch", "classic_stub", "pic_eoi", "kbd_data_in", "uart_lsr_in",
           "uart_data_out", "vga_cell", "keypress", "keypress_parts", "irq1_floor", "decode",
           "timer_irq", "syscall_enosys", "syscall_write", "user_floor", "boot")
RATIOS = ("classic/floor", "dispatch/floor", "keypress/parts", "syscall/user_floor")
TABLE_ROWS = ("floor:", "dispatch:", "classic stub:", "port: PIC EOI", "port: i8042 data",
              "port: UART line status", "port: UART data", "memory: VGA text cell", "keypress:",
              "  parts:", "  irq1 floor:", "  decode:", "timer:", "syscall:", "  write(1, &byte, 1)",
              "  ring-3 floor:", "boot:")


def stage_bench(r):
    q = Qemu("bench", append="bench=quick")
    try:
        status = q.wait_exit(120)
        out = q.output()
        lines = out.splitlines()
        r.check("bench: QEMU exited with the done status (%d)" % STATUS_PASSED, status == STATUS_PASSED,
                q.diagnosis("exit status %s" % status))
        r.check("bench: the table is printed", "== bench results: TSC cycles per operation, "
                "measuring-loop overhead subtracted ==" in lines, q.diagnosis())
        for row in TABLE_ROWS:
            r.check("bench: table row '%s'" % row.strip(),
                    any(re.match(re.escape(row) + r".*\s(\d+|-)\s+(\d+|-)\s", l) for l in lines), q.diagnosis())
        for name in FIGURES:
            found = [l for l in lines if l.startswith("bench: %s cycles=" % name)]
            r.check("bench: one well-formed line 'bench: %s cycles=N'" % name,
                    len(found) == 1 and re.fullmatch(r"bench: %s cycles=\d+" % re.escape(name), found[0]),
                    "%r\n%s" % (found, q.diagnosis()))
        for name in RATIOS:
            r.check("bench: ratio line 'bench: %s=R'" % name,
                    re.search(r"^bench: %s=(\d+\.\d\d|inf)$" % re.escape(name), out, re.M) is not None,
                    q.diagnosis())
        r.check("bench: boot time and TSC rate reported",
                re.search(r"^bench: boot_us=\d+$", out, re.M) is not None
                and re.search(r"^bench: tsc_hz=[1-9]\d*$", out, re.M) is not None, q.diagnosis())
        r.check("bench: keypress breakdown line",
                re.search(r"^bench: keypress breakdown: parts=\d+ pic_delivery=\d+ decode=\d+ vga_cell=\d+ "
                          r"rest=\d+ \(sum \d+\)$", out, re.M) is not None, q.diagnosis())
        r.check("bench: the syscall row is measured (no placeholder)",
                not any("not measured" in l for l in lines), q.diagnosis())
        r.check("bench: finished without a failure or a trap",
                "bench: done" in lines and "bench: FAILED" not in out and "trap:" not in out, q.diagnosis())
    finally:
        q.stop()
