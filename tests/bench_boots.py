#!/usr/bin/env python3
"""make bench: boots the benchmark kernel BOOTS times, each in a QEMU of
its own, and reports every figure as the median of the boots.

Why more than one boot: within one boot, a ratio is the median of 175
pairs of neighbouring slices, and it is known to within about 1% (its
spread, the middle 90% of the pairs, is +-10%: the standard error of a
median of 175 is a tenth of that). But from one QEMU process to the
next the same ratio moves by up to 6% (measured: serial/parts 1.83,
1.95, 2.06, 1.92, 1.99 in five boots in a row). TCG's cost for the same
guest code depends on where the host put QEMU's translated code and the
guest's RAM, which is fixed for the life of one process. So the
benchmark samples that too: several fresh processes, and the median of
their figures.

The output: the table of the most typical boot (the one whose headline
ratios are nearest the medians), then one line per boot and ratio, then
the machine-readable lines with the medians of the boots:
`bench: NAME cycles=N` and `bench: NAME=R spread=LO..HI` (R the median of
the boots' medians, LO and HI the medians of their spreads' ends). All of
COM1, boot after boot, goes to com1.out.

Usage: python3 tests/bench_boots.py BOOTS QEMU-COMMAND... (the command
writes COM1 to com1.out, as the Makefile's BENCH_QEMU does).
"""

import os
import re
import statistics
import subprocess
import sys

import facts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COM1 = os.path.join(ROOT, "com1.out")
# The ratios a five-run check (tests/bench_repeat.py) holds to +-5%.
HEADLINE = ("dispatch/floor", "keypress/parts", "serial/parts", "syscall/user_floor", "switch/parts",
            "timer_8/timer_1")
FIGURE = re.compile(r"^bench: (\S+) (cycles|instructions)=(\d+)$", re.M)
RATIO = re.compile(r"^bench: (\S+)=(\d+\.\d\d) spread=(\d+\.\d\d)\.\.(\d+\.\d\d)$", re.M)
# Every ratio line's name: measured, or `=none` (no slice of the boot
# could give it: every denominator 0).
RATIO_NAME = re.compile(r"^bench: (\S+)=(?:\d+\.\d\d spread=|none$)", re.M)
TARGET = re.compile(r"([\w/]+) <= (\d+\.\d\d) (?:met|MISSED|MEASUREMENT FAILED \(below its floor\))")


def parse(report):
    """A boot's machine-readable lines: ({name: (unit, value)},
    {ratio: (median, low, high)}, {ratio: target}), values as numbers."""
    figures = {name: (unit, int(value)) for name, unit, value in FIGURE.findall(report)}
    ratios = {name: (float(r), float(lo), float(hi)) for name, r, lo, hi in RATIO.findall(report)}
    line = re.search(r"^bench: targets: (.*)$", report, re.M)
    targets = {name: float(limit) for name, limit in TARGET.findall(line.group(1))} if line else {}
    return figures, ratios, targets


def verdict(name, ratio, limit):
    """As the kernel judges a ratio (src/bench/stats.rs, Spread::verdict):
    one against a floor or its parts below 1.00 is a failed measurement.
    Only the timer's growth is not against a floor."""
    if ratio < 1.0 and name != "timer_8/timer_1":
        return "MEASUREMENT FAILED (below its floor)"
    return "met" if ratio <= limit else "MISSED"


def combine(reports):
    """The machine-readable lines of several boots' reports, each figure
    the median of the boots'. Also gives the index of the most typical
    boot. Pure: the bench stage checks it on real reports."""
    parsed = [parse(r) for r in reports]
    figures = [p[0] for p in parsed]
    ratios = [p[1] for p in parsed]
    targets = parsed[0][2]
    lines = []
    for name, (unit, _) in figures[0].items():
        value = statistics.median(f[name][1] for f in figures if name in f)
        lines.append("bench: %s %s=%d" % (name, unit, round(value)))
    medians = {}
    names = []
    for report in reports:
        for name in RATIO_NAME.findall(report):
            if name not in names:
                names.append(name)
    for name in names:
        got = [r[name] for r in ratios if name in r]
        if not got:
            lines.append("bench: %s=none" % name)
            continue
        median = statistics.median(g[0] for g in got)
        low = statistics.median(g[1] for g in got)
        high = statistics.median(g[2] for g in got)
        medians[name] = median
        lines.append("bench: %s=%.2f spread=%.2f..%.2f" % (name, median, min(low, median), max(high, median)))
    if targets:
        lines.append("bench: targets: " + ", ".join(
            "%s <= %.2f %s" % (name, limit, verdict(name, medians[name], limit))
            for name, limit in targets.items() if name in medians))

    def distance(i):
        return sum(abs(ratios[i][n][0] / medians[n] - 1) for n in HEADLINE if n in ratios[i] and medians.get(n))
    typical = min(range(len(reports)), key=distance)
    return lines, typical


def boot(command, number):
    """One QEMU boot; its COM1 text. Exits with the reason if the kernel
    did not end the benchmark as done."""
    if os.path.exists(COM1):
        os.remove(COM1)
    try:
        status = subprocess.run(command, cwd=ROOT, timeout=600).returncode
    except subprocess.TimeoutExpired:
        status = "a timeout (600 s)"
    with open(COM1, errors="replace") as f:
        text = f.read()
    if status != facts.EXIT_PASSED:
        sys.stdout.write(text[-3000:])
        sys.exit("make bench: boot %d: QEMU ended with %s (%d = done); its COM1 is above and in com1.out"
                 % (number, status, facts.EXIT_PASSED))
    return text


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit("usage: tests/bench_boots.py BOOTS QEMU-COMMAND...")
    boots, command = int(sys.argv[1]), sys.argv[2:]
    texts = []
    for number in range(1, boots + 1):
        print("make bench: boot %d of %d ..." % (number, boots), flush=True)
        texts.append(boot(command, number))
    with open(COM1, "w") as f:
        for number, text in enumerate(texts, 1):
            f.write("==== make bench: boot %d of %d ====\n%s" % (number, boots, text))
    reports = [t[t.index("== bench results"):] if "== bench results" in t else t for t in texts]
    lines, typical = combine(reports)

    # The typical boot's table; of its machine-readable lines, only those
    # that have no median (its breakdowns, the TSC rate).
    own = reports[typical].splitlines()
    medianed = re.compile(r"^bench: (\S+ (cycles|instructions)=\d+|\S+=\S+ spread=\S+|\S+=none|targets: .*|done)$")
    print("(the table of boot %d of %d, the nearest to the medians)" % (typical + 1, boots))
    print("\n".join(line for line in own if not line.startswith(("bench: ", "== machine-readable"))))
    print("== every boot's ratios ==")
    ratios = [parse(r)[1] for r in reports]
    for name in dict.fromkeys(n for r in ratios for n in r):
        print("%-20s %s" % (name, "  ".join("%.2f" % r[name][0] if name in r else "none" for r in ratios)))
    print("== machine-readable: each figure and ratio the median of %d boots ==" % boots)
    print("\n".join(lines))
    print("\n".join(line for line in own if line.startswith("bench: ") and not medianed.match(line)))
    print("bench: done")


if __name__ == "__main__":
    main()
