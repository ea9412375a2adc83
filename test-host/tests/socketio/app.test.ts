// The app's Socket.IO role (role=socketio) from the outside, on any target, against the real
// servers: npm socket.io 4 and python-socketio 5. Every packet type goes both ways: CONNECT
// (with auth) and the server's answer, CONNECT_ERROR, EVENT and ACK each way, BINARY_EVENT and
// BINARY_ACK each way with all 256 byte values, DISCONNECT from either side; then a restart, a
// server whose pings stop, and bad input that must not stop the board.
//
// On lin the firmware's configuration is built in (a build per configuration), so one port and
// one configuration serve every test here: the servers change, not the board.
import { afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startTarget, targetKind, type Target } from "../../harness/target.ts";
import { freePort } from "../../harness/sim.ts";
import { buildLin } from "../../toolchain/build.ts";
import { allBytesHex, describedBytes, logAfter, serverKinds, startSocketIOServer, type ServerOptions, type SocketIOServer } from "./servers.ts";

let target: Target | undefined;
let servers: SocketIOServer[] = [];
afterEach(async () => {
	// stop() rejects if the firmware aborted while running.
	const running = target;
	target = undefined;
	for (const server of servers.splice(0)) await server.stop();
	await running?.stop();
});

// LIN_WS_PORT moves a whole lin run (see harness/lin.ts): the ports next to it are then this file's.
const linPort = process.env.LIN_WS_PORT ? Number(process.env.LIN_WS_PORT) + 1 : 39513;
const port = targetKind() === "lin" ? linPort : await freePort();

function config() {
	return {
		role: "socketio",
		clientUrl: `http://127.0.0.1:${port}`,
		board: "socketio-test-board",
		socketioNamespaces: "/admin",
		socketioAuth: '{"token":"secret"}',
		socketioReconnectDelay: 200,
		socketioReconnectDelayMax: 1000,
		socketioAckTimeout: 3000,
		clientConnectTimeout: 3000,
		// The socketio role serves nothing on wsPort, but the lin harness keeps one mcsim per wsPort
		// on this machine: a port of its own keeps it from waiting for other apps' runs.
		...(targetKind() === "lin" ? { wsPort: port + 1 } : {}),
	};
}

// The lin build takes minutes on a cold cache: once, before the tests and their timeouts.
before(async () => {
	if (targetKind() === "lin") await buildLin({ config: config() });
}, { timeout: 30 * 60_000 });

async function server(kind: (typeof serverKinds)[number], options: ServerOptions = {}): Promise<SocketIOServer> {
	const started = await startSocketIOServer(kind, { port, ...options });
	servers.push(started);
	return started;
}

/** The board, connected to "/" and "/admin" of the server (as both sides see it), its hellos
 *  arrived: npm socket.io closes the whole session when a packet comes for a namespace it has
 *  just disconnected. */
async function board(io: SocketIOServer, namespaces = ["/", "/admin"]): Promise<Target> {
	target = await startTarget({ config: config() });
	for (const nsp of namespaces) {
		await io.waitFor((line) => line.type === "event" && line.event === "hello" && line.nsp === nsp, { timeoutMs: 30_000 });
		await target.waitForLog(new RegExp(`^socketio: connected to ${nsp} as `), 10_000);
	}
	return target;
}

const hex = (text: string) => Buffer.from(text, "hex");

for (const kind of serverKinds) {
	describe(`against the ${kind === "node" ? "npm socket.io 4" : "python-socketio 5"} server`, { timeout: 15 * 60_000 }, () => {
		test("CONNECT with auth to / and /admin, hello with the board's identity, and the server's BINARY_ACK", async () => {
			const io = await server(kind);
			const firmware = await board(io);
			for (const nsp of ["/", "/admin"]) {
				const connect = io.lines.find((line) => line.type === "connect" && line.nsp === nsp)!;
				assert.deepEqual(connect.auth, { token: "secret" }, "the auth payload reaches the server's middleware");
				const hello = await io.waitFor((line) => line.type === "event" && line.event === "hello" && line.nsp === nsp);
				assert.deepEqual(hello.args, [{ board: "socketio-test-board", version: "0.1.0" }]);
				assert.equal(hello.ack, true, "hello asks for an ack");
				await firmware.waitForLog(new RegExp(`^socketio: connected to ${nsp} as \\S+$`), 5000);
				// The ack is ("welcome", the 256 byte values): the board traces their length and FNV-1a.
				const acknowledged = await firmware.waitForLog(new RegExp(`^socketio: hello on ${nsp} acknowledged: `), 5000);
				assert.equal(acknowledged, `socketio: hello on ${nsp} acknowledged: ["welcome","${describedBytes(hex(allBytesHex))}"]`);
			}
		});

		test("an echo asking for an ack is answered with the same arguments, bytes intact (BINARY_EVENT in, BINARY_ACK out)", async () => {
			const io = await server(kind);
			await board(io);
			const args = ["text ünïcödé", 42, null, true, { nested: { bytes: { $hex: allBytesHex } }, list: [1, { $hex: "00ff" }] }, { $hex: allBytesHex }];
			for (const nsp of ["/", "/admin"]) {
				const answer = await io.command({ op: "emit", nsp, event: "echo", args, ack: true });
				assert.equal(answer.type, "ack", JSON.stringify(answer));
				assert.deepEqual(answer.args, args);
			}
			// Text only: EVENT in, ACK out.
			const plain = await io.command({ op: "emit", event: "echo", args: ["just text", { n: 1 }], ack: true });
			assert.deepEqual(plain.args, ["just text", { n: 1 }]);
			// No arguments at all.
			assert.deepEqual((await io.command({ op: "emit", event: "echo", args: [], ack: true })).args, []);
		});

		test("an echo without an ack comes back as an echo event (EVENT and BINARY_EVENT out)", async () => {
			const io = await server(kind);
			await board(io);
			for (const [nsp, args] of [
				["/", ["plain", 1, [2, 3]]],
				["/admin", [{ $hex: allBytesHex }, "and text", { deep: [{ $hex: "" }, { $hex: "ff" }] }]],
			] as const) {
				const from = io.lines.length;
				assert.equal((await io.command({ op: "emit", nsp, event: "echo", args })).type, "done");
				const echoed = await io.waitFor((line) => line.type === "event" && line.event === "echo" && line.nsp === nsp, { from });
				assert.deepEqual(echoed.args, args);
				assert.equal(echoed.ack, false);
			}
		});

		test("a hello ack that never comes fails on the board with a timeout", async () => {
			const io = await server(kind, { silentHello: true });
			const firmware = await board(io);
			const line = await firmware.waitForLog(/^socketio: hello on \/ not acknowledged/, 10_000);
			assert.equal(line, "socketio: hello on / not acknowledged (timeout): no ack within 3000 ms");
		});

		test("/admin with the wrong token is refused (CONNECT_ERROR with data) and not retried; / goes on", async () => {
			const io = await server(kind, { token: "another" });
			const firmware = await board(io, ["/"]);
			const refused = await firmware.waitForLog(/^socketio: connect_error on \/admin/, 10_000);
			assert.equal(refused, 'socketio: connect_error on /admin (refused): not authorized [{"reason":"bad token"}]');
			await io.waitFor((line) => line.type === "refused" && line.nsp === "/admin");
			// The session goes on for "/": an echo round trip, and still one refusal only.
			const answer = await io.command({ op: "emit", event: "echo", args: ["still here"], ack: true });
			assert.deepEqual(answer.args, ["still here"]);
			assert.equal(io.lines.filter((line) => line.type === "refused").length, 1, "a refused namespace is not retried");
		});

		test("/ with the wrong token is refused while /admin connects", async () => {
			const io = await server(kind, { mainToken: "another" });
			const firmware = await board(io, ["/admin"]);
			assert.equal(await firmware.waitForLog(/^socketio: connect_error on \/ /, 10_000), 'socketio: connect_error on / (refused): not authorized [{"reason":"bad token"}]');
			const answer = await io.command({ op: "emit", nsp: "/admin", event: "echo", args: [{ $hex: "0102" }], ack: true });
			assert.deepEqual(answer.args, [{ $hex: "0102" }]);
		});

		test("DISCONNECT both ways: the server's, and the board's when the server asks it to leave", async () => {
			const io = await server(kind);
			const firmware = await board(io);
			let from = firmware.log.length;
			let serverFrom = io.lines.length;
			await io.command({ op: "disconnect", nsp: "/admin" });
			await logAfter(firmware, from, /^socketio: disconnected from \/admin: io server disconnect \(not reconnecting\)$/);
			// The app comes back after socketioReconnectDelayMax.
			await io.waitFor((line) => line.type === "event" && line.event === "hello" && line.nsp === "/admin", { from: serverFrom });
			from = firmware.log.length;
			serverFrom = io.lines.length;
			await io.command({ op: "emit", nsp: "/admin", event: "leave", args: [] });
			await logAfter(firmware, from, /^socketio: leaving \/admin/);
			await io.waitFor((line) => line.type === "disconnect" && line.nsp === "/admin", { from: serverFrom });
			await io.waitFor((line) => line.type === "connect" && line.nsp === "/admin", { from: serverFrom });
			// "/" was never touched.
			assert.equal(io.lines.filter((line) => line.type === "connect" && line.nsp === "/").length, 1, `${io.lines.map((line) => JSON.stringify(line)).join("\n")}\n${firmware.log.join("\n")}`);
		});

		test("a server restart: the board reconnects with backoff and joins both namespaces again", async () => {
			const first = await server(kind);
			const firmware = await board(first);
			const from = firmware.log.length;
			await first.stop();
			await logAfter(firmware, from, /^socketio: disconnected from \/: transport close$/);
			await logAfter(firmware, from, /^socketio: reconnect attempt 2$/);
			const second = await server(kind);
			for (const nsp of ["/", "/admin"]) await second.waitFor((line) => line.type === "connect" && line.nsp === nsp, { timeoutMs: 20_000 });
			await logAfter(firmware, from, /^socketio: reconnected after \d+ attempts?$/);
			await second.waitFor((line) => line.type === "event" && line.event === "hello" && line.nsp === "/");
			const answer = await second.command({ op: "emit", event: "echo", args: ["after the restart"], ack: true });
			assert.deepEqual(answer.args, ["after the restart"]);
		});

		test("a server whose pings stop (SIGSTOP) is dropped after pingInterval + pingTimeout, and reconnected once it runs again", async () => {
			const io = await server(kind, { pingInterval: 500, pingTimeout: 500 });
			const firmware = await board(io);
			const from = firmware.log.length;
			io.pause();
			const closed = await logAfter(firmware, from, /^socketio: connection closed: /);
			io.resume();
			assert.equal(closed, "socketio: connection closed: ping timeout (heartbeat: no ping from the server within pingInterval + pingTimeout (1000 ms))");
			await logAfter(firmware, from, /^socketio: disconnected from \/admin: ping timeout$/);
			await logAfter(firmware, from, /^socketio: reconnected after/, 30_000);
			await logAfter(firmware, from, /^socketio: connected to \/admin/);
		});

		test("bad input from the server is an error event on the board, and the session goes on", async () => {
			const io = await server(kind);
			const firmware = await board(io);
			const deep = `2["echo",${"[".repeat(3000)}${"]".repeat(3000)}]`;
			const cases: Array<[Record<string, string>, RegExp]> = [
				[{ data: '2["echo"' }, /^socketio: error \(parse\): a packet whose JSON is malformed/],
				[{ data: "9x" }, /^socketio: error \(type\): unknown Socket.IO packet type "9"$/],
				[{ data: deep }, /^socketio: error \(parse\): a packet nested deeper than 16$/],
				[{ data: '2["connect"]' }, /^socketio: error \(parse\): an EVENT named "connect"/],
				[{ data: "2{}" }, /^socketio: error \(parse\): an EVENT whose payload is not/],
				[{ data: "3[1]" }, /^socketio: error \(parse\): an ACK without an ack id$/],
				[{ hex: "00ff" }, /^socketio: error \(attachments\): 2 bytes of binary data that no packet announced$/],
				[{ data: '51-["echo",{"_placeholder":true,"num":0}]' }, /^$/],
				[{ data: '2["echo","after the missing attachment"]' }, /^socketio: error \(attachments\): a packet arrived while 1 binary attachment was still missing/],
				[{ data: '52-["echo",{"_placeholder":true,"num":5}]' }, /^$/],
				[{ hex: "01" }, /^$/],
				[{ hex: "02" }, /^socketio: error \(attachments\): a placeholder for an attachment that did not arrive$/],
				[{ data: '2/nowhere,["echo"]' }, /^socketio: error \(state\): an event for \/nowhere, which is not connected$/],
			];
			for (const [write, expected] of cases) {
				const from = firmware.log.length;
				assert.equal((await io.command({ op: "write", ...write })).type, "done");
				if (expected.source !== "^$") await logAfter(firmware, from, expected, 5000);
			}
			// The echo after the dropped one is handled: it came back as an event.
			await io.waitFor((line) => line.type === "event" && line.event === "echo" && line.args[0] === "after the missing attachment");
			const answer = await io.command({ op: "emit", event: "echo", args: ["still alive", { $hex: allBytesHex }], ack: true });
			assert.deepEqual(answer.args, ["still alive", { $hex: allBytesHex }]);
			assert.equal(io.lines.filter((line) => line.type === "connect").length, 2, "no reconnection was needed");
		});

		test("a message beyond the board's limit (clientMaxMessage) ends the session, and the board reconnects", async () => {
			const io = await server(kind);
			const firmware = await board(io);
			const from = firmware.log.length;
			const serverFrom = io.lines.length;
			await io.command({ op: "emit", event: "echo", args: ["x".repeat(20_000)] });
			await logAfter(firmware, from, /^socketio: connection closed: transport close \(payload: websocket: .*over the limit of 16384\)$/);
			await io.waitFor((line) => line.type === "connect" && line.nsp === "/", { from: serverFrom });
			const answer = await io.command({ op: "emit", event: "echo", args: ["small again"], ack: true });
			assert.deepEqual(answer.args, ["small again"]);
		});
	});
}

test("the board honours the maxPayload the npm server announces: an oversized ack is not sent", { timeout: 60_000 }, async () => {
	const io = await server("node", { maxPayload: 1000 });
	const firmware = await board(io);
	const from = firmware.log.length;
	const answer = await io.command({ op: "emit", event: "echo", args: ["y".repeat(1500)], ack: true, timeout: 2000 });
	assert.equal(answer.type, "ackError");
	await logAfter(firmware, from, /^socketio: error \(payload\): a packet of more than the server's maxPayload \(1000 bytes\)$/);
	await logAfter(firmware, from, /^socketio: echo on \/: the ack could not be sent$/);
	// The server did not drop the session: smaller ones still go.
	const small = await io.command({ op: "emit", event: "echo", args: ["z".repeat(900)], ack: true });
	assert.deepEqual(small.args, ["z".repeat(900)]);
	assert.equal(io.lines.filter((line) => line.type === "connect").length, 2);
});
