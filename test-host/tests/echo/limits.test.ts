// What the server answers to bad input and how it keeps its limits, with raw sockets: every
// malformed handshake or frame gets the documented answer, and the server keeps serving others.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startTarget, type Target } from "../../harness/target.ts";
import { nodeExchange } from "../../clients/peers.ts";
import { Opcode, RawConnection, frame, upgradeRequest } from "../../clients/raw.ts";

const config = { wsMaxClients: 2, wsMaxMessage: 1024, wsPingInterval: 1000, wsPongTimeout: 1000, wsHandshakeTimeout: 1500 };
let target: Target;

before(async () => {
	target = await startTarget({ config });
});
after(async () => {
	await target?.stop();
});

async function connect(): Promise<RawConnection> {
	return RawConnection.connect(target.host, target.port);
}

async function stillServing() {
	const { echoes } = await nodeExchange(`ws://${target.host}:${target.port}/ws`, ["still there?"]);
	assert.equal(String(echoes[0]?.data), "still there?");
}

async function answer(request: string | Buffer) {
	const connection = await connect();
	await connection.write(request);
	const response = await connection.response();
	await connection.closed();
	return response;
}

describe("HTTP answers on the WebSocket port", () => {
	const host = () => `${target.host}:${target.port}`;

	test("a plain GET / gets 200 with a page", async () => {
		const connection = await connect();
		await connection.write(`GET / HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
		const response = await connection.response();
		await connection.closed();
		assert.equal(response.status, 200);
		assert.match(response.headers["content-type"], /^text\/html/);
		assert.equal(Number(response.headers["content-length"]), connection.received.length - Buffer.byteLength(response.head, "latin1"));
	});

	test("an unknown path gets 404, with or without an upgrade", async () => {
		assert.equal((await answer(`GET /nothing HTTP/1.1\r\nHost: ${host()}\r\n\r\n`)).status, 404);
		assert.equal((await answer(upgradeRequest(target.host, target.port, "/elsewhere").bytes)).status, 404);
	});

	test("an upgrade without its key gets 400 with a reason", async () => {
		const response = await answer(upgradeRequest(target.host, target.port, "/ws", { "Sec-WebSocket-Key": "" }).bytes);
		assert.equal(response.status, 400);
		assert.match(response.rest.toString(), /Sec-WebSocket-Key/i);
	});

	test("an unsupported Sec-WebSocket-Version gets 426 naming version 13", async () => {
		const response = await answer(upgradeRequest(target.host, target.port, "/ws", { "Sec-WebSocket-Version": "8" }).bytes);
		assert.equal(response.status, 426);
		assert.equal(response.headers["sec-websocket-version"], "13");
	});

	test("a POST upgrade gets 405", async () => {
		const request = upgradeRequest(target.host, target.port).bytes.toString().replace(/^GET /, "POST ");
		const response = await answer(request);
		assert.equal(response.status, 405);
		assert.match(response.headers["allow"], /GET/);
	});

	test("request headers over the limit get 431", async () => {
		const request = upgradeRequest(target.host, target.port, "/ws", { "X-Padding": "x".repeat(8000) }).bytes;
		assert.equal((await answer(request)).status, 431);
	});

	test("a malformed request line gets 400", async () => {
		assert.equal((await answer("HELLO\r\n\r\n")).status, 400);
	});

	test("a connection that never completes its request is closed", async () => {
		const connection = await connect();
		await connection.write("GET /ws HTTP/1.1\r\n");
		await connection.closed(10_000);
		await stillServing();
	});
});

describe("limits", () => {
	test("a client beyond the maximum gets 503 and the others are not disturbed", async () => {
		const first = await connect();
		await first.upgrade(target.host, target.port);
		const second = await connect();
		await second.upgrade(target.host, target.port);
		const third = await answer(upgradeRequest(target.host, target.port).bytes);
		assert.equal(third.status, 503);
		await first.write(frame(Opcode.Text, "one"));
		await second.write(frame(Opcode.Text, "two"));
		assert.deepEqual(await first.waitForFrame((e) => e.type === "message"), { type: "message", data: Buffer.from("one"), isBinary: false });
		assert.deepEqual(await second.waitForFrame((e) => e.type === "message"), { type: "message", data: Buffer.from("two"), isBinary: false });
		first.destroy();
		second.destroy();
	});

	test("a message over the maximum is closed with 1009 before its payload is read", async () => {
		const connection = await connect();
		await connection.upgrade(target.host, target.port);
		// Only the header of a 1025-byte frame: the server must decide from the length alone.
		const header = frame(Opcode.Binary, crypto.randomBytes(1025)).subarray(0, 8);
		await connection.write(header);
		const close = await connection.waitForFrame((e) => e.type === "close");
		assert.equal(close.type === "close" && close.code, 1009);
		await connection.closed();
		await stillServing();
	});

	test("a message fragmented past the maximum is closed with 1009", async () => {
		const connection = await connect();
		await connection.upgrade(target.host, target.port);
		await connection.write(Buffer.concat([frame(Opcode.Binary, crypto.randomBytes(600), { fin: false }), frame(Opcode.Continuation, crypto.randomBytes(600))]));
		const close = await connection.waitForFrame((e) => e.type === "close");
		assert.equal(close.type === "close" && close.code, 1009);
		await connection.closed();
	});

	test("a client that never reads is disconnected instead of filling the server's memory", async () => {
		const greedy = await connect();
		await greedy.upgrade(target.host, target.port);
		greedy.socket.pause(); // never read again: the echoes pile up in the kernel, then in the server
		const payload = crypto.randomBytes(1000);
		const limit = 256 * 1024 * 1024; // bounded: the kernel's buffers hold a few MiB at most
		let sent = 0;
		let serverGaveUp = false;
		greedy.socket.once("close", () => (serverGaveUp = true));
		while (sent < limit && !serverGaveUp) {
			sent += payload.length;
			// Once the server drops it, writing fails (EPIPE / ECONNRESET) and the socket closes.
			if (!greedy.socket.write(frame(Opcode.Binary, payload))) await drainedWithin(greedy, 30_000);
		}
		assert.ok(serverGaveUp, `the server dropped the client before it had sent ${limit} bytes`);
		await stillServing();
	});
});

describe("protocol errors close with the right code", () => {
	const cases: Array<[string, () => Buffer, number]> = [
		["an unmasked client frame", () => frame(Opcode.Text, "plain", { mask: false }), 1002],
		["a reserved bit set", () => frame(Opcode.Text, "rsv", { rsv1: true }), 1002],
		["an unknown opcode", () => frame(3, "what"), 1002],
		["a fragmented ping", () => frame(Opcode.Ping, "x", { fin: false }), 1002],
		["a continuation with nothing to continue", () => frame(Opcode.Continuation, "lost"), 1002],
		["invalid UTF-8 in a text message", () => frame(Opcode.Text, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80])), 1007],
		["a close with an invalid code", () => frame(Opcode.Close, Buffer.from([0x03, 0xed])), 1002],
	];
	for (const [name, bytes, code] of cases) {
		test(`${name}: ${code}`, async () => {
			const connection = await connect();
			await connection.upgrade(target.host, target.port);
			await connection.write(bytes());
			const close = await connection.waitForFrame((e) => e.type === "close" || e.type === "error");
			assert.equal(close.type, "close");
			assert.equal(close.type === "close" && close.code, code);
			await connection.closed();
		});
	}

	test("the server keeps serving after all of them", stillServing);
});

describe("keep-alive", () => {
	test("an idle client is pinged, and dropped when it does not answer", async () => {
		const connection = await connect();
		await connection.upgrade(target.host, target.port);
		const ping = await connection.waitForFrame((e) => e.type === "ping", 5000);
		assert.equal(ping.type, "ping");
		// A raw connection does not answer pings: the server gives up on it.
		await connection.closed(5000);
	});

	test("a client that answers pings stays connected", async () => {
		const connection = await connect();
		await connection.upgrade(target.host, target.port);
		for (let round = 0; round < 2; round++) {
			const before = connection.frames().filter((e) => e.type === "ping").length;
			await connection.until(() => connection.frames().filter((e) => e.type === "ping").length > before, 5000, "a ping");
			await connection.write(frame(Opcode.Pong, ""));
		}
		assert.equal(connection.ended, false);
		await connection.write(frame(Opcode.Text, "alive"));
		const echo = await connection.waitForFrame((e) => e.type === "message");
		assert.deepEqual(echo, { type: "message", data: Buffer.from("alive"), isBinary: false });
		connection.destroy();
	});

	test("a client that keeps sending but never reads is pinged all the same, and dropped without its pong", async () => {
		// It is always heard from, and each echo is two bytes: the kernel's buffers would take
		// hours to fill. Its pong would come after everything sent before the ping, so a peer
		// that reads nothing never answers.
		const greedy = await connect();
		await greedy.upgrade(target.host, target.port);
		greedy.socket.pause();
		let serverGaveUp = false;
		greedy.socket.once("close", () => (serverGaveUp = true));
		const deadline = Date.now() + 15_000;
		while (!serverGaveUp && Date.now() < deadline) {
			// Once the server has dropped it, writing fails (EPIPE / ECONNRESET) and the socket closes.
			greedy.socket.write(frame(Opcode.Text, ""));
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		assert.ok(serverGaveUp, "the server dropped the client within 15 s");
		await stillServing();
	});
});

function drainedWithin(connection: RawConnection, ms: number): Promise<boolean> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(false), ms);
		connection.socket.once("drain", () => {
			clearTimeout(timer);
			resolve(true);
		});
		connection.socket.once("close", () => {
			clearTimeout(timer);
			resolve(false);
		});
	});
}
