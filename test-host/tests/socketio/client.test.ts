// The Socket.IO client's API (modules/socketio/client) in the host runtime, against the npm
// socket.io server run here and, for what no real server does (a session whose pings never
// come, an open packet that never comes), an Engine.IO server written by hand on Node's ws.
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Server, type ServerOptions, type Socket as ServerSocket } from "socket.io";
import { WebSocketServer, type WebSocket } from "ws";
import { FirmwareRealm, type FirmwareAbort } from "../../runtime/realm.ts";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

type Event = Record<string, any> & { event: string };

interface Probe {
	probe: any;
	events: Event[];
	next(match: (event: Event) => boolean, timeoutMs?: number): Promise<Event>;
	status(): any;
	stop(): void;
}

let probe: Probe | undefined;
let io: Server | undefined;
let httpServer: http.Server | undefined;
let wss: WebSocketServer | undefined;
afterEach(async () => {
	probe?.stop();
	probe = undefined;
	await new Promise((resolve) => (io ? io.close(resolve) : resolve(undefined)));
	io = undefined;
	httpServer = undefined;
	for (const client of wss?.clients ?? []) client.terminate();
	await new Promise((resolve) => (wss ? wss.close(resolve) : resolve(undefined)));
	wss = undefined;
});

async function startProbe(): Promise<Probe> {
	const events: Event[] = [];
	const aborts: FirmwareAbort[] = [];
	const waiters = new Set<() => void>();
	const realm = await FirmwareRealm.create({
		manifest: path.join(fixtures, "manifest.json"),
		trace(line) {
			if (line.startsWith("probe ")) events.push(JSON.parse(line.slice(6)));
			for (const waiter of [...waiters]) waiter();
		},
		onAbort(abort) {
			aborts.push(abort);
			for (const waiter of [...waiters]) waiter();
		},
	});
	const module = await realm.import("probe");
	return {
		probe: module,
		events,
		next(match, timeoutMs = 10_000) {
			return new Promise((resolve, reject) => {
				const timer = setTimeout(() => {
					waiters.delete(waiter);
					reject(new Error(`no probe event matched within ${timeoutMs} ms:\n${events.map((event) => JSON.stringify(event)).join("\n")}`));
				}, timeoutMs);
				const waiter = () => {
					if (aborts.length) {
						clearTimeout(timer);
						waiters.delete(waiter);
						reject(aborts[0]);
						return;
					}
					const found = events.find(match);
					if (!found) return;
					clearTimeout(timer);
					waiters.delete(waiter);
					resolve(found);
				};
				waiters.add(waiter);
				waiter();
			});
		},
		status() {
			return JSON.parse(module.status());
		},
		stop() {
			realm.stop();
		},
	};
}

/** The npm socket.io server on a free port; `admin` rejects a token other than "secret". */
async function startServer(options: Partial<ServerOptions> = {}) {
	httpServer = http.createServer();
	io = new Server(httpServer, { transports: ["websocket"], ...options });
	io.of("/admin").use((socket, next) => {
		if ((socket.handshake.auth as { token?: string }).token === "secret") next();
		else next(Object.assign(new Error("not authorized"), { data: { reason: "bad token" } }));
	});
	await new Promise<void>((resolve) => httpServer!.listen(0, "127.0.0.1", resolve));
	const port = (httpServer.address() as AddressInfo).port;
	return { io, port, url: `http://127.0.0.1:${port}` };
}

function connection(server: Server, nsp = "/"): Promise<ServerSocket> {
	return new Promise((resolve) => server.of(nsp).once("connection", resolve));
}

const event = (name: string, more: (event: Event) => boolean = () => true) => (e: Event) => e.event === name && more(e);

describe("the Socket.IO client API", { timeout: 30_000 }, () => {
	test("io(url): connect, emit, an event with an ack both ways, and the socket's id", async () => {
		const { io, url } = await startServer();
		const connected = connection(io);
		probe = await startProbe();
		probe.probe.open(url);
		const server = await connected;
		const connect = await probe.next(event("connect"));
		assert.equal(connect.id, server.id);
		// engine.io's typings keep the session id private.
		assert.equal(probe.status().sid, (server.conn as unknown as { id: string }).id, "the Engine.IO session id");
		const hello = new Promise((resolve) => server.once("hello", (...args) => resolve(args)));
		assert.equal(probe.probe.emit("/", "hello", JSON.stringify([{ a: 1 }, "two"])), true);
		assert.deepEqual(await hello, [{ a: 1 }, "two"]);
		// The server asks, the client's handler acks; a second call of the same ack does nothing.
		const answer = await server.timeout(5000).emitWithAck("answer", "x", { $hex: "00" }, Buffer.from([0, 255]));
		assert.equal(answer, "x");
		const acked = await probe.next(event("acked"));
		assert.deepEqual([acked.sent, acked.again], [true, false]);
		// The client asks, the server acks with several arguments.
		server.on("sum", (a: number, b: number, ack: (...values: unknown[]) => void) => ack(null, a + b, Buffer.from([a, b])));
		probe.probe.emit("/", "sum", "[2,3]", 1);
		const ack = await probe.next(event("ack", (e) => e.tag === 1));
		assert.deepEqual(ack, { event: "ack", tag: 1, error: null, args: [null, 5, { $hex: "0203" }] });
		probe.probe.emitWithAck("/", "sum", "[4,5]", 2);
		assert.deepEqual(await probe.next(event("resolved")), { event: "resolved", tag: 2, value: null }, "emitWithAck resolves with the first argument");
		assert.equal(probe.status().pendingAcks, 0);
	});

	test("an ack that never comes fails with a timeout; emitWithAck rejects", async () => {
		const { io, url } = await startServer();
		const connected = connection(io);
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ ackTimeout: 300 }));
		await connected;
		await probe.next(event("connect"));
		probe.probe.emit("/", "nobody-answers", "[]", 1);
		probe.probe.emitWithAck("/", "nobody-answers", "[]", 2);
		assert.equal(probe.status().pendingAcks, 2);
		const ack = await probe.next(event("ack"));
		assert.deepEqual(ack.error, { kind: "timeout", message: "no ack within 300 ms" });
		const rejected = await probe.next(event("rejected"));
		assert.equal(rejected.error.kind, "timeout");
		assert.equal(probe.status().pendingAcks, 0);
		assert.equal(probe.status().state, 2, "the session goes on");
	});

	test("acks still awaited fail when the session ends; emits while disconnected are refused", async () => {
		const { io, url } = await startServer();
		const connected = connection(io);
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ ackTimeout: 60_000, reconnectionDelay: 50, randomizationFactor: 0 }));
		const server = await connected;
		await probe.next(event("connect"));
		probe.probe.emit("/", "nobody-answers", "[]", 1);
		server.conn.close();
		const ack = await probe.next(event("ack"));
		assert.equal(ack.error.kind, "disconnected");
		await probe.next(event("disconnect", (e) => e.reason === "transport close" && e.willReconnect === true));
		assert.equal(probe.probe.emit("/", "while-away", "[]", 2), false);
		assert.equal((await probe.next(event("ack", (e) => e.tag === 2))).error.kind, "disconnected");
		await probe.next(event("io:reconnect"));
		await probe.next(() => probe!.events.filter((e) => e.event === "connect").length === 2);
		assert.equal(probe.probe.emit("/", "after-reconnect", "[]"), true);
		assert.equal(probe.probe.emit("/", "disconnect", "[]"), false, "reserved event names are refused");
		assert.equal(probe.probe.emit("/", "connect", "[]"), false);
	});

	test("at most maxPendingAcks acks are awaited at once", async () => {
		const { io, url } = await startServer();
		const connected = connection(io);
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ maxPendingAcks: 2 }));
		await connected;
		await probe.next(event("connect"));
		assert.equal(probe.probe.emit("/", "a", "[]", 1), true);
		assert.equal(probe.probe.emit("/", "b", "[]", 2), true);
		assert.equal(probe.probe.emit("/", "c", "[]", 3), false);
		assert.equal((await probe.next(event("ack", (e) => e.tag === 3))).error.kind, "queue");
	});

	test("of(): a second namespace on the same Engine.IO session, refused with data, then admitted with a new auth", async () => {
		const { io, url } = await startServer();
		const connected = connection(io);
		probe = await startProbe();
		probe.probe.open(url);
		const main = await connected;
		await probe.next(event("connect"));
		probe.probe.of("/admin", JSON.stringify({ auth: { token: "wrong" } }));
		const refused = await probe.next(event("connect_error", (e) => e.nsp === "/admin"));
		assert.deepEqual(refused.error, { kind: "refused", message: "not authorized", data: { reason: "bad token" } });
		assert.equal(refused.active, false, "a refused namespace does not retry by itself");
		const admitted = connection(io, "/admin");
		probe.probe.connect("/admin", JSON.stringify({ token: "secret" }));
		const admin = await admitted;
		assert.equal(admin.conn, main.conn, "one Engine.IO session for both namespaces");
		assert.equal(admin.handshake.auth.token, "secret");
		await probe.next(event("connect", (e) => e.nsp === "/admin"));
		const fromAdmin = new Promise((resolve) => admin.once("x", resolve));
		probe.probe.emit("/admin", "x", "[1]");
		assert.equal(await fromAdmin, 1);
	});

	test("disconnect(): DISCONNECT for the namespace; the last one ends the session, and nothing reconnects", async () => {
		const { io, url } = await startServer();
		const connected = connection(io);
		probe = await startProbe();
		probe.probe.open(url);
		const main = await connected;
		await probe.next(event("connect"));
		const admitted = connection(io, "/admin");
		probe.probe.of("/admin", JSON.stringify({ auth: { token: "secret" } }));
		const admin = await admitted;
		await probe.next(event("connect", (e) => e.nsp === "/admin"));
		const adminGone = new Promise((resolve) => admin.once("disconnect", resolve));
		probe.probe.disconnect("/admin");
		assert.equal(await adminGone, "client namespace disconnect");
		assert.equal(probe.status().state, 2, "the session stays for /");
		const mainGone = new Promise((resolve) => main.once("disconnect", resolve));
		probe.probe.disconnect("/");
		assert.equal(await mainGone, "client namespace disconnect");
		await probe.next(event("io:close", (e) => e.reason === "io client disconnect"));
		assert.equal(probe.status().state, 0);
		assert.deepEqual(
			probe.events.filter((e) => e.event === "disconnect").map((e) => [e.nsp, e.reason, e.willReconnect]),
			[
				["/admin", "io client disconnect", false],
				["/", "io client disconnect", false],
			],
		);
	});

	test("the URL's path names the namespace, its query reaches the server, path is configurable", async () => {
		const { io, port } = await startServer({ path: "/custom/" });
		const admitted = connection(io, "/admin");
		probe = await startProbe();
		probe.probe.open(`http://127.0.0.1:${port}/admin?device=42`, JSON.stringify({ path: "/custom", auth: { token: "secret" } }));
		const admin = await admitted;
		assert.equal(admin.handshake.query.device, "42");
		await probe.next(event("connect", (e) => e.nsp === "/admin"));
		assert.equal(probe.status().uri, `ws://127.0.0.1:${port}/custom/?EIO=4&transport=websocket&device=42`);
	});

	test("a server that is not there: connect_error, then attempts with backoff until reconnectionAttempts", async () => {
		const { url } = await startServer();
		await new Promise((resolve) => io!.close(resolve));
		io = undefined;
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ reconnectionDelay: 20, reconnectionDelayMax: 40, reconnectionAttempts: 3 }));
		await probe.next(event("io:reconnect_failed"));
		const errors = probe.events.filter((e) => e.event === "connect_error");
		assert.equal(errors.length, 4, "the first attempt and three more");
		assert.equal(errors[0].error.kind, "transport");
		assert.deepEqual(
			probe.events.filter((e) => e.event === "io:reconnect_attempt").map((e) => e.value),
			[1, 2, 3],
		);
		assert.equal(probe.status().state, 0);
		assert.equal(errors[3].active, false, "given up: the socket is no longer active");
	});

	test("reconnection: false stops after the first failure", async () => {
		probe = await startProbe();
		const { url } = await startServer();
		await new Promise((resolve) => io!.close(resolve));
		io = undefined;
		probe.probe.open(url, JSON.stringify({ reconnection: false }));
		await probe.next(event("connect_error"));
		await probe.next(event("io:state", (e) => e.value === 0));
		assert.equal(probe.events.filter((e) => e.event === "io:reconnect_attempt").length, 0);
	});
});

describe("Engine.IO sessions no real server gives", { timeout: 30_000 }, () => {
	/** An Engine.IO server by hand: each connection gets `open` (if any) and the test's script. */
	async function engineServer(onConnection: (ws: WebSocket, received: string[]) => void) {
		wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
		await new Promise((resolve) => wss!.once("listening", resolve));
		wss.on("connection", (ws) => {
			const received: string[] = [];
			ws.on("message", (data, isBinary) => received.push(isBinary ? `<binary ${(data as Buffer).length}>` : String(data)));
			onConnection(ws, received);
		});
		return `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
	}

	test("pings are answered; when they stop, the session is dropped after pingInterval + pingTimeout", async () => {
		const sessions: string[][] = [];
		const url = await engineServer((ws, received) => {
			sessions.push(received);
			ws.send('0{"sid":"s1","upgrades":[],"pingInterval":200,"pingTimeout":100,"maxPayload":1000}');
			ws.once("message", () => {
				// After the client's CONNECT: admit it, ping once, then nothing.
				ws.send('40{"sid":"n1"}');
				ws.send("2");
			});
		});
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ reconnectionDelay: 5000 }));
		await probe.next(event("connect"));
		await probe.next(event("io:ping"));
		const closed = await probe.next(event("io:close"));
		assert.deepEqual(closed, {
			event: "io:close",
			reason: "ping timeout",
			error: { kind: "heartbeat", message: "no ping from the server within pingInterval + pingTimeout (300 ms)" },
		});
		assert.deepEqual(sessions[0].slice(0, 2), ["40", "3"], "CONNECT, then the pong");
		await probe.next(event("disconnect", (e) => e.reason === "ping timeout" && e.willReconnect));
	});

	test("no open packet within timeout: a connect_error (timeout), and another attempt", async () => {
		let connections = 0;
		const url = await engineServer(() => connections++);
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ timeout: 200, reconnectionDelay: 10, randomizationFactor: 0 }));
		const failed = await probe.next(event("connect_error"));
		assert.equal(failed.error.kind, "timeout");
		await probe.next(event("io:reconnect_attempt"));
		assert.ok(connections >= 1);
	});

	test("a bad open packet fails the attempt at once", async () => {
		const url = await engineServer((ws) => ws.send('0{"sid":42}'));
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ reconnection: false }));
		const failed = await probe.next(event("connect_error"));
		assert.equal(failed.error.kind, "parse");
		assert.equal(probe.status().state, 0);
	});

	test("the Engine.IO close packet ends the session, and it reconnects", async () => {
		let count = 0;
		const url = await engineServer((ws) => {
			count++;
			ws.send(`0{"sid":"s${count}","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`);
			ws.once("message", () => {
				ws.send(`40{"sid":"n${count}"}`);
				if (count === 1) ws.send("1");
			});
		});
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ reconnectionDelay: 10 }));
		await probe.next(event("io:close", (e) => e.reason === "transport close"));
		await probe.next(event("connect", (e) => e.id === "n2"));
	});

	test("a server that sends while the board's handler emits: the messages and the close after them keep their order", async () => {
		const url = await engineServer((ws) => {
			ws.send('0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000}');
			ws.once("message", () => {
				// Admitted, two events and a DISCONNECT in one burst, then the end of the WebSocket.
				ws.send('40{"sid":"n"}');
				ws.send('42["answer",1]');
				ws.send('421["answer",2]');
				ws.send("41");
				ws.close();
			});
		});
		probe = await startProbe();
		probe.probe.open(url, JSON.stringify({ reconnection: false }));
		await probe.next(event("disconnect"));
		assert.deepEqual(
			probe.events.filter((e) => ["connect", "event", "disconnect"].includes(e.event)).map((e) => [e.event, e.args ?? e.reason ?? null]),
			[
				["connect", null],
				["event", [1]],
				["event", [2]],
				["disconnect", "io server disconnect"],
			],
		);
	});
});
