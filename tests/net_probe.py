"""The net stage's probe of the socket calls' errors: build/netprobe_c
(tests/user/netprobe_c.c, gcc -m32 -static) runs on this Linux host and
on the kernel, and the two must print the same, line for line: Linux's
errno for every bad call (a bad family, type or protocol, a short or
foreign address, a port taken, a socket in the wrong state, fd 0 and
closed fds, unknown options), and its non-blocking answers (O_NONBLOCK
through fcntl, SOCK_NONBLOCK and MSG_DONTWAIT are EAGAIN; a non-blocking
connect is EINPROGRESS). The host is the oracle (issue 20: "Errors are
Linux's errnos, checked against the host").

The program's arguments differ only where the two machines do: the
host that refuses a connection is 127.0.0.1 here and 10.0.2.2 (this
host, through QEMU's user network) on the kernel; the refused port, a
port nothing listens on here, is the same, and so are the ten ports it
binds, free here (the kernel's are all free).
"""

import difflib
import os
import random
import re
import socket
import subprocess

import netpeers
from harness import ROOT, Qemu
from linux_stage import output_of, unknown_calls
from process_stage import all_ended, end_line

NETPROBE = os.path.join(ROOT, "build", "netprobe_c")
# How many ports from BASE the probe binds (BASE..BASE+9).
PORTS = 10


def free_base():
    """A BASE whose PORTS ports nothing holds on this host, for TCP and
    for UDP, on any address (the probe binds 0.0.0.0); below the
    ephemeral range, so that no connection takes one meanwhile."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 30000)
        taken = False
        for port in range(base, base + PORTS):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    try:
                        s.bind(("0.0.0.0", port))
                    except OSError:
                        taken = True
        if not taken:
            return base
    raise RuntimeError("no %d free ports in a row between 20000 and 30000" % PORTS)


def stage_net_probe(r):
    refused, base = netpeers.free_port(), free_base()
    host = subprocess.run([NETPROBE, "127.0.0.1", str(refused), str(base)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)
    r.check("net-probe: netprobe_c runs to its end on this Linux host (the oracle)",
            host.returncode == 0 and host.stdout.endswith("netprobe_c: done\n"),
            "status %d\n%s" % (host.returncode, host.stdout[-2000:]))
    module = "%s 10.0.2.2 %d %d" % (NETPROBE, refused, base)
    q = Qemu("net-probe", extra=["-nic", "user,model=e1000,restrict=off", "-initrd", module])
    try:
        ended = q.wait_for(all_ended, 60)
        out = q.output()
        kernel = output_of(out, "netprobe_c")
        diff = "".join(difflib.unified_diff(host.stdout.splitlines(True),
                                            (kernel or "").splitlines(True), "Linux", "kernel"))
        r.check("net-probe: every socket call's answer on the kernel is Linux's, errno for errno "
                "(netprobe_c: %d cases, the same output as on this host)"
                % (host.stdout.count("\n") - 1),
                ended and kernel == host.stdout, diff + "\n" + q.diagnosis())
        how = end_line(out, "netprobe_c")
        r.check("net-probe: netprobe_c exits 0 on the kernel, with no system call it does not know",
                re.search(r"^user: pid \d+ \(netprobe_c\) exit 0 ", out, re.M) is not None
                and not unknown_calls(out),
                "end: %s\n%s\n%s" % (how, "\n".join(unknown_calls(out)), q.diagnosis()))
    finally:
        q.stop()
