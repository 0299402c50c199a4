#!/usr/bin/env python3
"""Press keys in a running QEMU guest through its QMP socket.

    python3 gdb/qmp_keys.py build/qmp.sock a shift-h ret

Used by GDB's `keypress` command (gdb/kernel.py), and usable from a second
shell while GDB's `continue` runs. Each argument is a QEMU key name
(qcode: a, 1, ret, spc, up, f1, esc ...), or a chord such as shift-a:
its keys pressed in order, then released in reverse.

It waits until the master 8259 is remapped to vector 0x20 with IRQ 1
unmasked (the kernel has flushed the i8042 and takes keys), then sends one input-send-event per press or
release. QEMU refuses input while the VM is stopped ("VM not running"), as
it is for a moment at every hit of a conditional breakpoint: an event is
retried until taken. Prints one line per event taken, so that whoever
stops it early knows what got through. Gives up after --timeout seconds.
"""

import argparse
import json
import re
import socket
import sys
import time


class Qmp:
    """A QMP connection: one JSON command a line, one reply a line."""

    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw")
        self.file.readline()  # the greeting
        self.execute("qmp_capabilities")

    def execute(self, command, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply or "error" in reply:
                return reply


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("socket")
    parser.add_argument("keys", nargs="+")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    try:
        qmp = Qmp(args.socket, args.timeout)
        while True:
            pic = qmp.execute("human-monitor-command", **{"command-line": "info pic"})
            # The kernel's remap (irq_base 0x20; the BIOS has 0x08 and IRQ 1
            # unmasked too), and IRQ 1 unmasked: the i8042 flush is done.
            m = re.search(r"pic0: .*imr=([0-9a-f]+) .*irq_base=([0-9a-f]+)", pic.get("return", ""))
            if m and not int(m.group(1), 16) & 2 and int(m.group(2), 16) == 0x20:
                break
            if time.monotonic() > deadline:
                print("qmp_keys: IRQ 1 still masked after %.0f s: no key sent" % args.timeout, flush=True)
                return 1
            time.sleep(0.05)
        for chord in args.keys:
            keys = chord.split("-")
            for down, key in [(True, k) for k in keys] + [(False, k) for k in reversed(keys)]:
                event = {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": key}}}
                while True:
                    reply = qmp.execute("input-send-event", events=[event])
                    if "return" in reply:
                        print("qmp_keys: QEMU took: %s %s" % ("press" if down else "release", key), flush=True)
                        break
                    desc = reply["error"].get("desc", "")
                    if "not running" not in desc:
                        print("qmp_keys: QEMU refused '%s': %s" % (key, desc), flush=True)
                        return 1
                    if time.monotonic() > deadline:
                        print("qmp_keys: the VM did not run for %.0f s: '%s' not sent" % (args.timeout, key),
                              flush=True)
                        return 1
                    time.sleep(0.005)
    except (OSError, ValueError) as e:
        print("qmp_keys: QMP at %s: %s" % (args.socket, e), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
