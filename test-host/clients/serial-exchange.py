#!/usr/bin/env python3
"""Talks to a serial port the way AT host software does, with pyserial (Debian's python3-serial).

    serial-exchange.py PORT [--baud N] [--send HEX ...] [--until HEX] [--timeout S]

Opens the port, then for each --send writes those bytes and reads until the reply ends with the
--until bytes (default: "\\r\\nOK\\r\\n") or --timeout seconds pass. Prints one line of hex per
reply, so a test compares exact bytes.
"""

import argparse
import sys
import time

import serial


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--send", action="append", default=[], help="bytes to send, hex")
    parser.add_argument("--until", default="0d0a4f4b0d0a", help="end of a reply, hex")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    until = bytes.fromhex(args.until)
    with serial.Serial(args.port, args.baud, timeout=0.05) as port:
        for request in args.send:
            port.write(bytes.fromhex(request))
            port.flush()
            reply = b""
            deadline = time.monotonic() + args.timeout
            while not reply.endswith(until) and time.monotonic() < deadline:
                reply += port.read(4096)
            print(reply.hex(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
