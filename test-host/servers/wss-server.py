#!/usr/bin/env python3
"""A wss:// echo server on Python websockets with mutual TLS, as in the ESP-AT WebSocket examples.

    python3 test-host/servers/wss-server.py --port 8766

Written for Debian 12's python3-websockets 10.4 (run it with /usr/bin/python3: a pyenv or venv
python does not see Debian's packages). The first line on stdout is "listening HOST PORT";
--port 0 lets the system pick the port. Certificates default to the files in certs/; the
server sends its chain (leaf + CA), which Moddable's TLS needs, and allows TLS 1.2, the only
version Moddable speaks.
"""

import argparse
import asyncio
import os
import ssl

from websockets.server import serve

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "certs")


async def echo(websocket):
    async for message in websocket:
        await websocket.send(message)


def tls_context(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=args.cert, keyfile=args.key)
    # Mutual TLS: a client must present a certificate signed by the CA.
    context.verify_mode = ssl.CERT_REQUIRED if args.client_cert == "required" else ssl.CERT_NONE
    context.load_verify_locations(args.ca)
    return context


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 = any free port")
    parser.add_argument("--cert", default=os.path.join(CERTS, "server-rsa-chain.pem"),
                        help="server certificate chain, PEM, leaf first")
    parser.add_argument("--key", default=os.path.join(CERTS, "server-rsa-key.pem"))
    parser.add_argument("--ca", default=os.path.join(CERTS, "ca.pem"),
                        help="CA that signs client certificates")
    parser.add_argument("--client-cert", choices=["required", "none"], default="required")
    args = parser.parse_args()

    async with serve(echo, args.host, args.port, ssl=tls_context(args)) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {args.host} {port}", flush=True)
        await asyncio.get_running_loop().create_future()  # run until killed


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
