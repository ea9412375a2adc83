#!/usr/bin/env python3
"""A ws:// echo server on Python websockets, as in the ESP-AT WebSocket examples.

    python3 test-host/servers/ws-server.py --port 8765

Written for Debian 12's python3-websockets 10.4 (run it with /usr/bin/python3: a pyenv or venv
python does not see Debian's packages). The first line on stdout is "listening HOST PORT";
--port 0 lets the system pick the port.
"""

import argparse
import asyncio

from websockets.server import serve


async def echo(websocket):
    async for message in websocket:
        # A str arrives from a text frame and goes back as text; bytes go back as binary.
        await websocket.send(message)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 = any free port")
    args = parser.parse_args()

    async with serve(echo, args.host, args.port) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {args.host} {port}", flush=True)
        await asyncio.get_running_loop().create_future()  # run until killed


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
