#!/usr/bin/env python3
"""An independent WebSocket client for the server tests, on Python websockets 10.4.

Sends each --text and --binary (hex) message in order, waits for each echo and prints one JSON
line per echo: {"text": "..."} or {"binary": "HEX"}. A failure to connect or a closed
connection prints {"error": "ExceptionClass: message"} and exits with status 2.
"""

import argparse
import asyncio
import json
import ssl
import sys

import websockets


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--ca", help="CA to verify the server with (wss)")
    parser.add_argument("--cert", help="client certificate (mutual TLS)")
    parser.add_argument("--key", help="client private key (mutual TLS)")
    parser.add_argument("--moddable-like", action="store_true",
                        help="offer only what Moddable's TLS has: TLS 1.2, ECDHE AES-128-GCM suites")
    parser.add_argument("--ciphers", help="OpenSSL cipher list to offer (TLS 1.2)")
    parser.add_argument("--server-name", help="the name to verify the server's certificate against")
    parser.add_argument("--text", action="append", default=[])
    parser.add_argument("--binary", action="append", default=[], help="hex")
    args = parser.parse_args()

    context = None
    if args.url.startswith("wss:"):
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
        if args.moddable_like:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
        if args.ciphers:
            context.set_ciphers(args.ciphers)
        if args.cert:
            context.load_cert_chain(args.cert, args.key)
    extra = {"server_hostname": args.server_name} if args.server_name else {}

    messages = [m for m in args.text] + [bytes.fromhex(m) for m in args.binary]
    try:
        async with websockets.connect(args.url, ssl=context, compression=None, **extra) as websocket:
            for message in messages:
                await websocket.send(message)
                echo = await websocket.recv()
                if isinstance(echo, str):
                    print(json.dumps({"text": echo}), flush=True)
                else:
                    print(json.dumps({"binary": echo.hex()}), flush=True)
            if context is not None:
                tls = websocket.transport.get_extra_info("ssl_object")
                print(json.dumps({"tls": tls.version(), "cipher": tls.cipher()[0]}), flush=True)
    except Exception as error:  # the test reads the reason from stdout
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
        sys.exit(2)


asyncio.run(main())
