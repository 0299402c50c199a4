#!/usr/bin/env python3
"""Facts the tests share with the kernel, read from the kernel's source so
that each is written once (in Rust) and never copied:

  READY_LINE     the last line of initialisation (src/boot/mod.rs)
  EXIT_PASSED    QEMU's exit status when the kernel writes
                 debug_exit::PASSED to isa-debug-exit (src/dev/debug_exit.rs)
  EXIT_FAILED    likewise for debug_exit::FAILED

QEMU's isa-debug-exit turns a written value v into the exit status
(v << 1) | 1. `python3 tests/facts.py NAME` prints one fact, for the
Makefile.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rust_const(path, name):
    """The value of `pub const NAME: T = VALUE;` in src/PATH: a string
    literal's text, or an integer."""
    with open(os.path.join(ROOT, "src", path), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"pub const %s: [^=]+= (.+?);" % re.escape(name), text)
    if not m:
        raise LookupError("no `pub const %s` in src/%s" % (name, path))
    value = m.group(1).strip()
    if value.startswith('"'):
        return value[1:-1]
    return int(value.replace("_", ""), 0)


def qemu_status(value):
    """The exit status QEMU's isa-debug-exit gives for a written value."""
    return (value << 1) | 1


READY_LINE = rust_const("boot/mod.rs", "READY_LINE")
EXIT_PASSED = qemu_status(rust_const("dev/debug_exit.rs", "PASSED"))
EXIT_FAILED = qemu_status(rust_const("dev/debug_exit.rs", "FAILED"))

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("READY_LINE", "EXIT_PASSED", "EXIT_FAILED"):
        sys.exit("usage: tests/facts.py READY_LINE|EXIT_PASSED|EXIT_FAILED")
    print(globals()[sys.argv[1]])
