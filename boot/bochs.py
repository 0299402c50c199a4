#!/usr/bin/env python3
"""Runs Bochs on build/os.iso with its `term` display in this terminal.

    python3 boot/bochs.py [--iso FILE] [--com1 FILE] [--log FILE] [--console FILE]
                          [--http-port N] [--udp-port N] [--slirp FILE]

`make bochs` runs this. Why a script and not just `bochs -f boot/bochsrc`:
Debian's Bochs is built with its internal debugger, and then the `term`
display does not draw on Bochs' own terminal (that one belongs to the
debugger). It opens a fresh pseudo-terminal, prints
`Bochs connected to screen "/dev/pts/N"` and draws the guest's VGA text
screen there, reading keys from it. This script starts Bochs, finds that
line, and joins /dev/pts/N to this terminal: what Bochs draws appears
here, and what you type goes to the guest's PS/2 keyboard.

Keys: Enter is sent as a newline (the term display makes that the keypad
Enter key; a carriage return would become keypad Delete). Ctrl-] stops
Bochs and returns to the shell, as in telnet. Everything else goes through unchanged,
so Ctrl-C reaches the guest as Ctrl+C.

The network: boot/bochsrc gives the guest Bochs' e1000 on its slirp
module, the user network QEMU's `make run NET=1` has too (10.0.2.15,
gateway 10.0.2.2). Which host ports slirp forwards to the guest is in a
script file of slirp's own; this script writes it (--slirp) with TCP
127.0.0.1:HTTP_PORT to the guest's 8080 (build/httpd) and UDP
127.0.0.1:UDP_PORT to its 5555 (build/udpecho), says so before Bochs
starts, and warns if a port is taken (Bochs then only logs an error
and forwards nothing there).

Files (defaults; the tests pass their own):
  com1.out              COM1, as in `make run` (boot/bochsrc)
  build/bochsout.txt    Bochs' log: panics and errors only
  build/bochs-console.txt  Bochs' own stdout/stderr (its debugger console)
  build/slirp.conf      slirp's script: the forwarded ports
"""

import argparse
import os
import re
import select
import socket
import signal
import subprocess
import sys
import termios
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCREEN_LINE = re.compile(rb'Bochs connected to screen "([^"]+)"')
QUIT = b"\x1d"  # Ctrl-]
# Seconds between two keys sent to Bochs (see relay).
KEY_GAP = 0.05


# The guest's ports the servers listen on (tests/user/httpd.c, udpecho.c).
GUEST_HTTP_PORT = 8080
GUEST_UDP_PORT = 5555


def write_slirp_conf(args):
    """Writes slirp's script file: Bochs 2.7 reads the host forwarding
    rules from it, not from bochsrc (eth_slirp.cc: the first line must be
    `# slirp config`; `hostfwd = PROTOCOL:HOSTADDR:HOSTPORT-GUESTADDR:
    GUESTPORT`, at most 5 rules; the guest address defaults to
    10.0.2.15). 127.0.0.1 only: nobody else on the network reaches the
    guest."""
    with open(args.slirp, "w") as f:
        f.write("# slirp config\n"
                "# Written by boot/bochs.py for this run of Bochs (boot/bochsrc names it).\n"
                "# The guest is 10.0.2.15 behind a gateway 10.0.2.2, as in QEMU.\n"
                "hostfwd = tcp:127.0.0.1:%d-:%d\n"
                "hostfwd = udp:127.0.0.1:%d-:%d\n"
                % (args.http_port, GUEST_HTTP_PORT, args.udp_port, GUEST_UDP_PORT))


def port_taken(kind, port):
    """Whether something on this host already holds 127.0.0.1:PORT, so
    that slirp could not bind its forwarding socket there."""
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            # As slirp binds it: a port left in TIME_WAIT is not taken.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def say_network(args):
    """Says which host ports reach the guest, and which cannot."""
    print("Network: http://127.0.0.1:%d/ reaches the guest's TCP %d, UDP 127.0.0.1:%d its %d "
          "(slirp's script: %s)."
          % (args.http_port, GUEST_HTTP_PORT, args.udp_port, GUEST_UDP_PORT, args.slirp))
    taken = False
    for kind, name, port, option in ((socket.SOCK_STREAM, "TCP", args.http_port, "HTTP_PORT"),
                                     (socket.SOCK_DGRAM, "UDP", args.udp_port, "UDP_PORT")):
        if port_taken(kind, port):
            taken = True
            print("bochs.py: warning: %s port %d of 127.0.0.1 is in use (make run NET=1?): "
                  "Bochs will not forward it; make bochs %s=N picks another." % (name, port, option))
    if taken:
        time.sleep(3)  # time to read it before Bochs' screen covers it


def start(args):
    """Starts Bochs with its output in the console file; returns the process."""
    # The debugger would stop at its prompt before the first instruction;
    # an rc file holding `c` makes it continue at once. stdin is
    # /dev/null, so if anything drops Bochs into its debugger later (a
    # panic, a magic breakpoint) it reads end-of-file and exits instead
    # of hanging.
    rc = os.path.join(os.path.dirname(args.console), "bochs-continue.rc")
    with open(rc, "w") as f:
        f.write("c\n")
    cmd = ["bochs", "-q", "-f", os.path.join("boot", "bochsrc"), "-rc", rc,
           "ata0-master: type=cdrom, path=%s, status=inserted" % args.iso,
           "com1: enabled=1, mode=file, dev=%s" % args.com1,
           "log: %s" % args.log,
           "e1000: script=%s" % args.slirp]
    # Bochs' curses cannot ask its fresh pseudo-terminal how big the real
    # one is, so tell it (ncurses reads LINES and COLUMNS). The guest's
    # text screen is 80x25, plus a frame line when there is room.
    size = os.get_terminal_size(sys.stdin.fileno())
    env = dict(os.environ, LINES=str(size.lines), COLUMNS=str(size.columns))
    console = open(args.console, "wb")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=console,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=die_with_parent)


def die_with_parent():
    """In the child: Linux kills Bochs if this script dies, even by SIGKILL."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop(bochs):
    """Ends Bochs. Its term display catches SIGTERM and SIGHUP and goes on;
    SIGINT drops it into its debugger, which reads end-of-file from
    /dev/null and quits cleanly. SIGKILL if that did not work."""
    for sig, grace in ((signal.SIGINT, 3), (signal.SIGKILL, 5)):
        if bochs.poll() is not None:
            return
        os.killpg(bochs.pid, sig)
        try:
            bochs.wait(grace)
        except subprocess.TimeoutExpired:
            pass


def leave(signum, frame):
    raise SystemExit(128 + signum)


def screen_of(bochs, console_path, timeout=20):
    """Waits for Bochs to name the pseudo-terminal of its term display."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(console_path, "rb") as f:
            m = SCREEN_LINE.search(f.read())
        if m:
            return m.group(1).decode()
        if bochs.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def next_key(pending):
    """Splits the first key off `pending`: one byte, or a whole escape
    sequence (ESC [ ... final byte, or ESC O x) for arrows and F-keys."""
    if pending[:2] == b"\x1b[":
        for i in range(2, len(pending)):
            if 0x40 <= pending[i] <= 0x7E:
                return pending[:i + 1], pending[i + 1:]
        return pending, b""
    if pending[:2] == b"\x1bO" and len(pending) >= 3:
        return pending[:3], pending[3:]
    return pending[:1], pending[1:]


def relay(screen_fd, bochs):
    """Copies the screen to stdout and stdin to the screen until Bochs
    exits or the user presses Ctrl-]. Returns True if the user quit.

    Keys go to Bochs one every KEY_GAP seconds: its term display hands
    every key it has read to the emulated keyboard at once, and the
    keyboard's 16-scancode buffer silently drops the rest, so a paste or
    a fast typist would lose keys."""
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    pending, last_sent = b"", 0.0
    while bochs.poll() is None:
        wait = 0.2
        if pending:
            wait = max(0.0, last_sent + KEY_GAP - time.monotonic())
        ready, _, _ = select.select([screen_fd, stdin], [], [], wait)
        if screen_fd in ready:
            try:
                data = os.read(screen_fd, 4096)
            except OSError:  # EIO: Bochs closed its side
                return False
            os.write(stdout, data)
        if stdin in ready:
            data = os.read(stdin, 1024)
            if not data or QUIT in data:
                return True
            pending += data.replace(b"\r", b"\n")
        if pending and time.monotonic() >= last_sent + KEY_GAP:
            key, pending = next_key(pending)
            os.write(screen_fd, key)
            last_sent = time.monotonic()
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iso", default="build/os.iso")
    p.add_argument("--com1", default="com1.out")
    p.add_argument("--log", default="build/bochsout.txt")
    p.add_argument("--console", default="build/bochs-console.txt")
    p.add_argument("--http-port", type=int, default=8080,
                   help="host TCP port forwarded to the guest's 8080 (127.0.0.1)")
    p.add_argument("--udp-port", type=int, default=5555,
                   help="host UDP port forwarded to the guest's 5555 (127.0.0.1)")
    p.add_argument("--slirp", default="build/slirp.conf", help="slirp's script file, written here")
    args = p.parse_args()
    os.chdir(ROOT)
    if not os.path.exists(args.iso):
        sys.exit("bochs.py: %s does not exist: run make iso" % args.iso)
    if not sys.stdin.isatty():
        sys.exit("bochs.py: stdin is not a terminal; the term display needs one "
                 "(tests run this inside `tmux new-session -d`)")
    for path in (args.com1, args.log, args.console, args.slirp):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_slirp_conf(args)
    say_network(args)

    # A closed terminal (SIGHUP) or a kill must still end Bochs and give
    # the terminal back: turn them into SystemExit so `finally` runs.
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, leave)
    bochs = start(args)
    screen = screen_of(bochs, args.console)
    if screen is None:
        stop(bochs)
        with open(args.console, errors="replace") as f:
            sys.stderr.write(f.read()[-2000:])
        sys.exit("bochs.py: Bochs did not open its term display (see above and %s)" % args.log)

    screen_fd = os.open(screen, os.O_RDWR | os.O_NOCTTY)
    # Raw both ways: no line editing, no echo, no CR/LF rewriting, so the
    # bytes Bochs draws and the keys typed pass through unchanged.
    # TCSANOW, not the default TCSAFLUSH: what curses already drew (the
    # clear screen, the keypad mode switch) must not be thrown away.
    tty.setraw(screen_fd, termios.TCSANOW)
    saved = termios.tcgetattr(sys.stdin.fileno())
    tty.setraw(sys.stdin.fileno(), termios.TCSANOW)
    try:
        quit_by_user = relay(screen_fd, bochs)
    finally:
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
        stop(bochs)
        os.close(screen_fd)
    # Bochs' curses never got to undo its terminal modes here: leave the
    # alternate screen, reset colours, show the cursor, normal cursor keys.
    sys.stdout.write("\x1b[?1049l\x1b[0m\x1b[?25h\x1b[?1l\x1b>\r\n")
    how = "quit with Ctrl-]" if quit_by_user else "exited with status %s" % bochs.returncode
    print("bochs: %s. COM1 is in %s; Bochs' log in %s." % (how, args.com1, args.log))
    return 0 if quit_by_user or bochs.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
