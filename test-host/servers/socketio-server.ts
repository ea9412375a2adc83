// The real Socket.IO v4 server (npm socket.io) for the firmware's Socket.IO client, driven by the
// tests through stdin and reporting through stdout, one JSON object a line (socketio-server.py
// speaks the same lines, so one test drives either):
//
//   node --import tsx test-host/servers/socketio-server.ts --port 3000 [--token secret]
//        [--main-token T] [--silent-hello] [--ping-interval 25000] [--ping-timeout 20000]
//        [--max-payload 1000000]
//
// The first line is "listening HOST PORT". What it does on its own, on "/" and on "/admin":
//   - refuses a CONNECT whose auth.token is not --token ("/admin"), or on "/" is not
//     --main-token (when given; else is "bad"), with CONNECT_ERROR "not authorized" and data
//     {"reason": "bad token"};
//   - acks "hello" with ("welcome", <the 256 byte values 0..255>), a BINARY_ACK (unless
//     --silent-hello), and no other event;
//   - reports {"type":"connect"|"refused"|"disconnect"|"event", ...} for what the client does.
// Commands (each may carry a "tag" that its answer repeats):
//   {"op":"emit","nsp":"/","event":"echo","args":[...],"ack":true,"timeout":5000}
//       with ack: {"type":"ack","args":[...all the ack's arguments]} or {"type":"ackError",
//       "message":...}; without: {"type":"done"}
//   {"op":"write","nsp":"/","data":"..."} or {"op":"write","nsp":"/","hex":"..."}
//       one raw Engine.IO message (text, or binary), what no Socket.IO API would send; {"type":"done"}
//   {"op":"disconnect","nsp":"/admin"}   the server's DISCONNECT for the namespace; {"type":"done"}
//   {"op":"close"}                       closes the client's Engine.IO session; {"type":"done"}
// Binary values travel as {"$hex":"..."} in both directions.
import http from "node:http";
import type { AddressInfo } from "node:net";
import readline from "node:readline";
import { parseArgs } from "node:util";
import { Server, type Socket } from "socket.io";

const { values } = parseArgs({
	options: {
		host: { type: "string", default: "127.0.0.1" },
		port: { type: "string", default: "3000" },
		token: { type: "string", default: "secret" },
		"main-token": { type: "string" },
		"silent-hello": { type: "boolean", default: false },
		"ping-interval": { type: "string", default: "25000" },
		"ping-timeout": { type: "string", default: "20000" },
		"max-payload": { type: "string", default: "1000000" },
	},
});

// Bytes become {"$hex": "..."} before JSON.stringify, which would call Buffer's toJSON first.
function encode(value: unknown): unknown {
	if (Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
		const bytes = value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
		return { $hex: bytes.toString("hex") };
	}
	if (Array.isArray(value)) return value.map(encode);
	if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, encode(item)]));
	return value;
}

function report(line: Record<string, unknown>) {
	process.stdout.write(JSON.stringify(encode(line)) + "\n");
}

// {"$hex": "..."} in the test's JSON becomes bytes.
function decode(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(decode);
	if (typeof value === "object" && value !== null) {
		if (typeof (value as { $hex?: unknown }).$hex === "string") return Buffer.from((value as { $hex: string }).$hex, "hex");
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, decode(item)]));
	}
	return value;
}

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const io = new Server({
	pingInterval: Number(values["ping-interval"]),
	pingTimeout: Number(values["ping-timeout"]),
	maxHttpBufferSize: Number(values["max-payload"]),
	// The firmware speaks the WebSocket transport only.
	transports: ["websocket"],
});

const sockets = new Map<string, Set<Socket>>();
for (const nsp of ["/", "/admin"]) {
	const namespace = io.of(nsp);
	sockets.set(nsp, new Set());
	namespace.use((socket, next) => {
		const token = (socket.handshake.auth as { token?: unknown }).token;
		const refused = nsp === "/admin" ? token !== values.token : values["main-token"] !== undefined ? token !== values["main-token"] : token === "bad";
		if (!refused) return next();
		report({ type: "refused", nsp, auth: socket.handshake.auth });
		next(Object.assign(new Error("not authorized"), { data: { reason: "bad token" } }));
	});
	namespace.on("connection", (socket) => {
		sockets.get(nsp)!.add(socket);
		report({ type: "connect", nsp, id: socket.id, auth: socket.handshake.auth });
		socket.onAny((event: string, ...args: unknown[]) => {
			const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (...values: unknown[]) => void) : undefined;
			report({ type: "event", nsp, event, args, ack: ack !== undefined });
			if (event === "hello" && ack && !values["silent-hello"]) ack("welcome", allBytes);
		});
		socket.on("disconnect", (reason) => {
			sockets.get(nsp)!.delete(socket);
			report({ type: "disconnect", nsp, reason });
		});
	});
}

function command(line: string) {
	const request = JSON.parse(line);
	const tag = request.tag;
	const targets = [...(sockets.get(request.nsp ?? "/") ?? [])];
	try {
		switch (request.op) {
			case "emit": {
				const args = decode(request.args ?? []) as unknown[];
				if (!request.ack) {
					for (const socket of targets) socket.emit(request.event, ...args);
					report({ type: "done", tag });
					break;
				}
				if (targets.length !== 1) throw new Error(`${targets.length} sockets on ${request.nsp ?? "/"}`);
				targets[0].timeout(request.timeout ?? 5000).emit(request.event, ...args, (error: Error | null, ...ackArgs: unknown[]) => {
					if (error) report({ type: "ackError", tag, message: error.message });
					else report({ type: "ack", tag, args: ackArgs });
				});
				break;
			}
			case "write":
				for (const socket of targets) socket.conn.write(request.hex !== undefined ? Buffer.from(request.hex, "hex") : request.data);
				report({ type: "done", tag });
				break;
			case "disconnect":
				for (const socket of targets) socket.disconnect();
				report({ type: "done", tag });
				break;
			case "close":
				for (const set of sockets.values()) for (const socket of set) socket.conn.close();
				report({ type: "done", tag });
				break;
			default:
				throw new Error(`unknown op ${request.op}`);
		}
	} catch (error) {
		report({ type: "ackError", tag, message: (error as Error).message });
	}
}

readline.createInterface({ input: process.stdin }).on("line", command);
const server = http.createServer();
io.attach(server);
server.listen(Number(values.port), values.host, () => {
	const { port } = server.address() as AddressInfo;
	process.stdout.write(`listening ${values.host} ${port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
