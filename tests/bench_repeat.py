#!/usr/bin/env python3
"""make bench-repeat: runs `make bench` RUNS times in a row (5 by default)
and shows how far each ratio's runs stray from their median.

The benchmark's claim is that its ratios reproduce: each headline ratio
of five runs in a row on an idle machine stays within +-5% of the five's
median. This is how that is checked; the README's table is its output.
Nothing here is part of make test: it times things.

Usage: python3 tests/bench_repeat.py [RUNS] [BENCH]
"""

import os
import re
import statistics
import subprocess
import sys

HEADLINE = ("dispatch/floor", "keypress/parts", "serial/parts", "syscall/user_floor", "switch/parts",
            "timer_8/timer_1")
OTHER = ("classic/floor", "nic/parts")
LIMIT = 5.0  # percent


def one_run(bench):
    # Without BENCH, make bench uses the Makefile's default.
    command = ["make", "--no-print-directory", "bench"] + (["BENCH=%s" % bench] if bench else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("make bench failed:\n" + done.stdout[-2000:] + done.stderr[-2000:])
    found = {}
    for name, ratio, low, high in re.findall(r"^bench: (\S+)=(\d+\.\d\d) spread=(\d+\.\d\d)\.\.(\d+\.\d\d)$",
                                             done.stdout, re.M):
        found[name] = (float(ratio), float(low), float(high))
    return found


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    bench = sys.argv[2] if len(sys.argv) > 2 else None
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    results = []
    for i in range(runs):
        print("run %d of %d ..." % (i + 1, runs), flush=True)
        results.append(one_run(bench))
    print()
    print("| ratio | " + " | ".join("run %d (spread)" % (i + 1) for i in range(runs))
          + " | median | furthest from it |")
    print("| --- " * (runs + 3) + "|")
    worst = 0.0
    for name in HEADLINE + OTHER:
        values = [r[name][0] for r in results]
        mid = statistics.median(values)
        far = max(abs(v - mid) / mid * 100 for v in values) if mid else float("inf")
        if name in HEADLINE:
            worst = max(worst, far)
        cells = ["%.2f (%.2f-%.2f)" % r[name] for r in results]
        print("| %s | %s | %.2f | %.1f%% |" % (name, " | ".join(cells), mid, far))
    print()
    verdict = "within" if worst <= LIMIT else "NOT within"
    print("bench-repeat: every headline ratio of %d runs is %s +-%.0f%% of its median (furthest %.1f%%)"
          % (runs, verdict, LIMIT, worst))
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
