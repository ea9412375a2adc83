#!/usr/bin/env python3
"""A Socket.IO 5 server on python-socketio (the library under Flask-SocketIO), driven by the tests.

    python3 test-host/servers/socketio-server.py --port 3000 [--token secret] [--main-token T]
            [--silent-hello] [--ping-interval 25000] [--ping-timeout 20000]

Written for Debian 12's python3-socketio 5.7 with python3-aiohttp (run it with /usr/bin/python3:
a pyenv or venv python does not see Debian's packages). It speaks the same lines as
socketio-server.ts, which documents them: the first line is "listening HOST PORT", then one JSON
object a line for what the client does; the tests' commands come in on stdin the same way.
"""

import argparse
import asyncio
import json
import sys

import socketio
from aiohttp import web

ALL_BYTES = bytes(range(256))


def report(line):
    def encode(value):
        if isinstance(value, (bytes, bytearray)):
            return {"$hex": bytes(value).hex()}
        if isinstance(value, (list, tuple)):
            return [encode(item) for item in value]
        if isinstance(value, dict):
            return {key: encode(item) for key, item in value.items()}
        return value

    sys.stdout.write(json.dumps(encode(line)) + "\n")
    sys.stdout.flush()


def decode(value):
    """{"$hex": "..."} in the test's JSON becomes bytes."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if isinstance(value.get("$hex"), str):
            return bytes.fromhex(value["$hex"])
        return {key: decode(item) for key, item in value.items()}
    return value


class Server(socketio.AsyncServer):
    async def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):
        # Whether the client asked for an ack is known here only (the packet's id).
        report({"type": "event", "nsp": namespace, "event": data[0], "args": data[1:], "ack": id is not None})
        await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)


def make_server(args):
    sio = Server(
        async_mode="aiohttp",
        ping_interval=args.ping_interval / 1000,
        ping_timeout=args.ping_timeout / 1000,
        # The firmware speaks the WebSocket transport only.
        transports=["websocket"],
        # Events are handled (and reported) in the order they arrive.
        async_handlers=False,
    )
    sockets = {"/": set(), "/admin": set()}

    def register(nsp):
        async def connect(sid, environ, auth):
            token = (auth or {}).get("token") if isinstance(auth, dict) else None
            if nsp == "/admin":
                refused = token != args.token
            else:
                refused = token != args.main_token if args.main_token is not None else token == "bad"
            if refused:
                report({"type": "refused", "nsp": nsp, "auth": auth})
                raise socketio.exceptions.ConnectionRefusedError("not authorized", {"reason": "bad token"})
            sockets[nsp].add(sid)
            report({"type": "connect", "nsp": nsp, "id": sid, "auth": auth})

        async def disconnect(sid):
            sockets[nsp].discard(sid)
            report({"type": "disconnect", "nsp": nsp, "reason": "client disconnect"})

        async def any_event(event, sid, *data):
            # As the Node server: only hello is acked (unless --silent-hello); for any other event
            # the client waits for an ack in vain.
            if event == "hello" and not args.silent_hello:
                return "welcome", ALL_BYTES
            return sio.not_handled

        sio.on("connect", connect, namespace=nsp)
        sio.on("disconnect", disconnect, namespace=nsp)
        sio.on("*", any_event, namespace=nsp)

    for nsp in sockets:
        register(nsp)
    return sio, sockets


async def command(sio, sockets, line):
    request = json.loads(line)
    tag = request.get("tag")
    nsp = request.get("nsp", "/")
    targets = list(sockets.get(nsp, ()))
    try:
        op = request["op"]
        if op == "emit":
            data = tuple(decode(request.get("args", [])))
            if not request.get("ack"):
                for sid in targets:
                    await sio.emit(request["event"], data, to=sid, namespace=nsp)
                report({"type": "done", "tag": tag})
            else:
                if len(targets) != 1:
                    raise RuntimeError(f"{len(targets)} sockets on {nsp}")
                done = asyncio.get_running_loop().create_future()

                def callback(*ack_args):
                    if not done.done():
                        done.set_result(list(ack_args))

                await sio.emit(request["event"], data, to=targets[0], namespace=nsp, callback=callback)
                try:
                    ack_args = await asyncio.wait_for(done, request.get("timeout", 5000) / 1000)
                    report({"type": "ack", "tag": tag, "args": ack_args})
                except asyncio.TimeoutError:
                    report({"type": "ackError", "tag": tag, "message": "operation has timed out"})
        elif op == "write":
            # One raw Engine.IO message, what no Socket.IO API would send.
            payload = bytes.fromhex(request["hex"]) if "hex" in request else request["data"]
            for sid in targets:
                await sio.eio.send(sio.manager.eio_sid_from_sid(sid, nsp), payload)
            report({"type": "done", "tag": tag})
        elif op == "disconnect":
            for sid in targets:
                await sio.disconnect(sid, namespace=nsp)
            report({"type": "done", "tag": tag})
        elif op == "close":
            for eio_sid in list(sio.eio.sockets):
                await sio.eio.disconnect(eio_sid)
            report({"type": "done", "tag": tag})
        else:
            raise RuntimeError(f"unknown op {op}")
    except Exception as error:  # the test hears about it and fails with the message
        report({"type": "ackError", "tag": tag, "message": str(error)})


async def read_commands(sio, sockets):
    # A thread reads stdin: it may be a pipe, a file or /dev/null, which asyncio cannot all watch.
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        if line.strip():
            asyncio.create_task(command(sio, sockets, line))


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="0 = any free port")
    parser.add_argument("--token", default="secret", help='what "/admin" requires as auth.token')
    parser.add_argument("--main-token", help='what "/" requires as auth.token (default: anything but "bad")')
    parser.add_argument("--silent-hello", action="store_true", help="never ack hello")
    parser.add_argument("--ping-interval", type=int, default=25000, help="ms")
    parser.add_argument("--ping-timeout", type=int, default=20000, help="ms")
    args = parser.parse_args()

    sio, sockets = make_server(args)
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening {args.host} {port}", flush=True)
    await read_commands(sio, sockets)
    await asyncio.get_running_loop().create_future()  # run until killed


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
