"""The harness stage of make test: the test harness's own test.

The kernel hangs on purpose when its command line asks for it by name
(src/selftest/mod.rs): `test=hang_silent` before its first byte on COM1,
`test=hang_before_ready` where `kernel: ready` would come. A wait for
`kernel: ready` on either must give up at the boot limits of
tests/harness.py (BOOT_LIMIT, READY_LIMIT), with their reasons, and not
at its own 120 s; a later wait on the same machine, even one with a
`quiet` limit, at once with the same reason. Both machines start
together, so the stage takes one limit's time, not two.
"""

import time

from harness import (BOOT_LIMIT, READY_LIMIT, READY_LINE as READY, SILENT_BOOT, UNREADY_BOOT,
                     Qemu)

# How long after a limit a wait may take to notice it (it polls every 50 ms).
SLACK = 5
# The line test=hang_before_ready ends with (src/main.rs).
LAST_LINE = "selftest: hang_before_ready: halting before '%s', as asked" % READY


def gives_up(q):
    """Waits for `kernel: ready` as a stage would: (it came, seconds from
    the machine's start until the wait ended)."""
    came = q.wait_line(READY, 120)
    return came, time.monotonic() - q.launched


def again_at_once(q):
    """A second wait, with a quiet limit as labs/grade.py's are: (it gave
    up within a second, with the same reason as the first)."""
    first, start = q.why, time.monotonic()
    came = q.wait_for(lambda out: READY in out.splitlines(), 60, quiet=1)
    return not came and time.monotonic() - start < 1 and q.why == first


def stage_harness(r):
    silent = Qemu("hang-silent", append="test=hang_silent")
    unready = Qemu("hang-before-ready", append="test=hang_before_ready")
    try:
        came, seconds = gives_up(silent)
        print("harness: the silent kernel given up on %.1f s after its start" % seconds)
        r.check("harness: a kernel that prints nothing (test=hang_silent) is given up on at the boot "
                "limit (%g s), not at the wait's 120 s, with the reason %r" % (BOOT_LIMIT, SILENT_BOOT % BOOT_LIMIT),
                not came and silent.why == SILENT_BOOT % BOOT_LIMIT and silent.output() == ""
                and BOOT_LIMIT <= seconds < BOOT_LIMIT + SLACK and silent.alive(),
                silent.diagnosis("given up on after %.1f s" % seconds))
        r.check("harness: a later wait on the silent kernel, with a quiet limit, gives up at once, "
                "with the same reason", again_at_once(silent), silent.diagnosis())

        came, seconds = gives_up(unready)
        print("harness: the kernel that stops before ready given up on %.1f s after its start" % seconds)
        want = UNREADY_BOOT % (READY, READY_LIMIT, LAST_LINE)
        r.check("harness: a kernel that stops before '%s' (test=hang_before_ready) is given up on at the "
                "limit (%g s), with a reason naming its last line" % (READY, READY_LIMIT),
                not came and unready.why == want and READY_LIMIT <= seconds < READY_LIMIT + SLACK,
                unready.diagnosis("given up on after %.1f s; the reason wanted: %s" % (seconds, want)))
        r.check("harness: a later wait on it gives up at once, with the same reason",
                again_at_once(unready), unready.diagnosis())
    finally:
        silent.stop()
        unready.stop()
