#!/usr/bin/env python3
"""Runs a command on a real pseudo-terminal, as a person's terminal window runs it.

    terminal.py [--cwd DIR] -- COMMAND [ARG ...]

The command gets a fresh pty as its controlling terminal and as its stdin, stdout and stderr.
What arrives on this script's stdin is typed on the terminal's keyboard, byte for byte (Enter is
CR, Ctrl-C is 0x03, as a terminal sends them); what the command shows on the terminal comes out
on this script's stdout. On stderr, one JSON object per line:

    {"tty": "/dev/pts/N", "stty": "..."}    when the command starts: the terminal's settings
    {"status": N, "stty": "..."}            when it has exited: its status and the settings now

so a test can check that the command gave the terminal back as it found it (`stty -g` form).
"""

import argparse
import fcntl
import json
import os
import selectors
import signal
import subprocess
import sys
import termios


def stty(fd):
    return subprocess.run(["stty", "-g"], stdin=fd, capture_output=True, text=True, check=True).stdout.strip()


def report(**fields):
    sys.stderr.write(json.dumps(fields) + "\n")
    sys.stderr.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cwd")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    master, slave = os.openpty()
    # The size of a small terminal window; some programs ask.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, bytes([24, 0, 80, 0, 0, 0, 0, 0]))
    report(tty=os.ttyname(slave), stty=stty(slave))

    def become_terminal_session():
        # A new session whose controlling terminal is the pty, as a terminal window's shell has.
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(
        command,
        cwd=args.cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=become_terminal_session,
    )

    def end(*_):
        # The test gave up: take the whole command (npm, its shell, node) with us.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sys.exit(1)

    signal.signal(signal.SIGTERM, end)

    keyboard = sys.stdin.buffer.raw
    screen = sys.stdout.buffer
    selector = selectors.DefaultSelector()
    selector.register(master, selectors.EVENT_READ, "screen")
    selector.register(keyboard, selectors.EVENT_READ, "keyboard")
    # This script keeps the slave open, so reading the master never fails when the command
    # exits: the command's exit is watched instead, then what it showed last is drained.
    while True:
        exited = child.poll() is not None
        events = selector.select(timeout=0.2 if exited else 0.05)
        if exited and not events:
            break
        for key, _ in events:
            if key.data == "screen":
                screen.write(os.read(master, 65536))
                screen.flush()
            else:
                typed = os.read(keyboard.fileno(), 4096)
                if typed:
                    os.write(master, typed)
                else:
                    selector.unregister(keyboard)
    report(status=child.returncode, stty=stty(slave))


if __name__ == "__main__":
    main()
