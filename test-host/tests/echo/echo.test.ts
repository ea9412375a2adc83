// The echo server from the outside, with real peers: Node's ws and Python's websockets clients,
// and raw sockets for what those clients never do. Runs against any target (TARGET).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import WebSocket from "ws";
import { startTarget, type Target } from "../../harness/target.ts";
import { nodeExchange, pythonExchange } from "../../clients/peers.ts";
import { Opcode, RawConnection, frame, upgradeRequest } from "../../clients/raw.ts";

const maxMessage = 16384;
// Sizes at every payload-length encoding boundary the server's maximum allows (RFC 6455 §5.2).
const sizes = [0, 1, 125, 126, 127, 1000, 4096, 65535 > maxMessage ? maxMessage : 65535];
let target: Target;
const targetName = process.env.TARGET ?? "sim";
let url: string;

before(async () => {
	target = await startTarget({ config: { wsMaxClients: 110 } });
	url = `ws://${target.host}:${target.port}/ws`;
});
after(async () => {
	await target?.stop();
});

describe("echo with Node's ws", () => {
	test("text and binary of every length encoding up to the maximum come back whole, with their type", async () => {
		const messages: Array<string | Uint8Array> = [];
		for (const size of sizes) {
			messages.push("é".repeat(Math.floor(size / 2)) + "a".repeat(size % 2));
			messages.push(crypto.randomBytes(size));
		}
		const { echoes } = await nodeExchange(url, messages);
		assert.equal(echoes.length, messages.length);
		echoes.forEach((echo, index) => {
			const sent = messages[index];
			assert.equal(echo.isBinary, typeof sent !== "string", `message ${index} keeps its type`);
			assert.deepEqual(echo.data, Buffer.from(sent), `message ${index} (${Buffer.from(sent).length} bytes) comes back whole`);
		});
	});

	test('"Trigger async" is echoed and followed by "Async data"', async () => {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		const received: string[] = [];
		await new Promise<void>((resolve, reject) => {
			ws.on("open", () => ws.send("Trigger async"));
			ws.on("message", (data) => {
				received.push(String(data));
				if (received.length === 2) resolve();
			});
			ws.on("error", reject);
		});
		ws.close();
		assert.deepEqual(received, ["Trigger async", "Async data"]);
	});

	// 100 open clients hold about 15,000 XS slots (154 each, bench:memory): more than a fixed heap
	// of a chip's size (LIN_HEAP) has room for; the profiles' own client counts are tested in such
	// a heap by tests/memory.
	const fixedHeap = targetName === "lin" ? Number(process.env.LIN_HEAP ?? 0) : 0;
	test("100 clients at once each get their own echoes", { skip: fixedHeap && fixedHeap < 20_000 ? `100 clients need about 15,000 slots; LIN_HEAP=${fixedHeap}` : false }, async () => {
		const clients = Array.from({ length: 100 }, (_, index) =>
			nodeExchange(url, [`client ${index} first`, crypto.randomBytes(64 + index), `client ${index} last`]),
		);
		const results = await Promise.all(clients);
		results.forEach(({ echoes }, index) => {
			assert.equal(echoes.length, 3);
			assert.equal(String(echoes[0].data), `client ${index} first`);
			assert.equal(echoes[1].data.length, 64 + index);
			assert.equal(String(echoes[2].data), `client ${index} last`);
		});
	});

	test("fragmented messages and pings in between are reassembled and answered", async () => {
		const connection = await RawConnection.connect(target.host, target.port);
		await connection.upgrade(target.host, target.port);
		await connection.write(
			Buffer.concat([
				frame(Opcode.Text, "frag", { fin: false }),
				frame(Opcode.Ping, "in between"),
				frame(Opcode.Continuation, "men", { fin: false }),
				frame(Opcode.Continuation, "ted", { fin: true }),
			]),
		);
		const echo = await connection.waitForFrame((event) => event.type === "message");
		assert.deepEqual(connection.frames().slice(0, 2), [
			{ type: "pong", data: Buffer.from("in between") },
			{ type: "message", data: Buffer.from("fragmented"), isBinary: false },
		]);
		assert.equal(echo.type, "message");
		connection.destroy();
	});

	test("a large message and a Close in one write: the echo, then the Close reply, then the server closes TCP", async () => {
		// The reply waits behind an echo that takes many write budgets (lin grants 1,536 bytes a
		// poll); the close handshake must still complete.
		const connection = await RawConnection.connect(target.host, target.port);
		await connection.upgrade(target.host, target.port);
		const payload = crypto.randomBytes(maxMessage);
		await connection.write(Buffer.concat([frame(Opcode.Binary, payload), frame(Opcode.Close, Buffer.from([0x03, 0xe8]))]));
		const echo = await connection.waitForFrame((event) => event.type === "message", 20_000);
		assert.deepEqual(echo, { type: "message", data: payload, isBinary: true });
		const close = await connection.waitForFrame((event) => event.type === "close");
		assert.equal(close.type === "close" && close.code, 1000);
		await connection.closed();
	});

	test("a message, then a frame that fails the connection, in one write: the echo comes first, then 1002", async () => {
		// RFC 6455 §7.1.7 and Autobahn cases 3.x, 4.x: everything before the bad frame is answered.
		const connection = await RawConnection.connect(target.host, target.port);
		await connection.upgrade(target.host, target.port);
		await connection.write(Buffer.concat([frame(Opcode.Text, "before"), frame(Opcode.Text, "bad", { rsv1: true }), frame(Opcode.Text, "after")]));
		const echo = await connection.waitForFrame((event) => event.type === "message");
		assert.deepEqual(echo, { type: "message", data: Buffer.from("before"), isBinary: false });
		const close = await connection.waitForFrame((event) => event.type === "close");
		assert.equal(close.type === "close" && close.code, 1002);
		await connection.closed();
	});

	test("a client that writes one byte per TCP segment is served like any other", async () => {
		const connection = await RawConnection.connect(target.host, target.port);
		const request = upgradeRequest(target.host, target.port);
		await connection.writeBytewise(request.bytes);
		const response = await connection.response();
		assert.equal(response.status, 101);
		connection.received = response.rest;
		const payload = crypto.randomBytes(300);
		await connection.writeBytewise(frame(Opcode.Binary, payload));
		const echo = await connection.waitForFrame((event) => event.type === "message");
		assert.deepEqual(echo, { type: "message", data: payload, isBinary: true });
		await connection.writeBytewise(frame(Opcode.Close, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65])));
		// RFC 6455 §5.5.1: the reply carries the status code received (the reason is the server's).
		const close = await connection.waitForFrame((event) => event.type === "close");
		assert.equal(close.type === "close" && close.code, 1000);
		await connection.closed();
	});
});

describe("echo with Python's websockets", () => {
	test("text and binary of every length encoding up to the maximum come back whole", async () => {
		const text = sizes.map((size) => "ü".repeat(Math.floor(size / 2)) + "b".repeat(size % 2));
		const binary = sizes.map((size) => crypto.randomBytes(size).toString("hex"));
		const { lines, status } = await pythonExchange(url, { text, binary });
		assert.equal(status, 0, JSON.stringify(lines.slice(-1)));
		assert.deepEqual(lines, [...text.map((t) => ({ text: t })), ...binary.map((b) => ({ binary: b }))]);
	});
});
