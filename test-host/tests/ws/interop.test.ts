// Interoperability with an independent implementation, the Node `ws` package: its Sender's
// frames go into our core, our frames go into its Receiver, and real TCP connections join our
// cores to its WebSocket client and server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import * as wsPackage from "ws";
import { type Ws, concat, events, loadWs, output } from "./ws.ts";

// The package's ESM entry exports its Sender and Receiver next to WebSocket.
const { Sender, Receiver, WebSocketServer } = wsPackage as unknown as { Sender: any; Receiver: any; WebSocketServer: typeof wsPackage.WebSocketServer };
const WebSocket = wsPackage.WebSocket;

let ws: Ws;
before(async () => {
	ws = await loadWs();
});

const realRandom = (count: number) => Uint8Array.from(randomBytes(count));

function senderFrames(data: Buffer | string, options: { opcode: number; fin?: boolean; mask: boolean }): Uint8Array {
	const list = Sender.frame(typeof data === "string" ? Buffer.from(data) : data, { fin: options.fin ?? true, rsv1: false, opcode: options.opcode, mask: options.mask, readOnly: true });
	return concat(...list);
}

/** Runs bytes through a ws Receiver and collects what it reports. */
function receive(bytes: Uint8Array, isServer: boolean, maxPayload = 0): Array<[string, ...unknown[]]> {
	const seen: Array<[string, ...unknown[]]> = [];
	const receiver = new Receiver({ isServer, maxPayload });
	receiver.on("message", (data: Buffer, isBinary: boolean) => seen.push(["message", isBinary ? Uint8Array.from(data) : data.toString()]));
	receiver.on("ping", (data: Buffer) => seen.push(["ping", Uint8Array.from(data)]));
	receiver.on("pong", (data: Buffer) => seen.push(["pong", Uint8Array.from(data)]));
	receiver.on("conclude", (code: number, reason: Buffer) => seen.push(["close", code, reason.toString()]));
	receiver.on("error", (error: any) => seen.push(["error", error[Symbol.for("status-code")] ?? error.code]));
	receiver.write(Buffer.from(bytes));
	return seen;
}

const sizes = [0, 1, 125, 126, 65535, 65536, 100000];

describe("ws Sender -> our core", () => {
	for (const role of ["server", "client"] as const) {
		test(`${role}: text and binary of every length encoding, fragmented messages, ping, close`, () => {
			const mask = role === "server";
			const protocol = new ws.protocol.Protocol(role, { random: realRandom, maxMessage: 200000 });
			const expected: any[] = [];
			for (const size of sizes) {
				const binary = randomBytes(size);
				protocol.receiveData(senderFrames(binary, { opcode: 2, mask }));
				expected.push({ type: "message", data: Uint8Array.from(binary) });
				const text = "é😀x".repeat(Math.ceil(size / 7)).slice(0, size);
				protocol.receiveData(senderFrames(text, { opcode: 1, mask }));
				expected.push({ type: "message", data: text });
			}
			const whole = Buffer.from("fragmented: ünïcödé across frames");
			protocol.receiveData(concat(senderFrames(whole.subarray(0, 13), { opcode: 1, fin: false, mask }), senderFrames(Buffer.from("p"), { opcode: 9, mask }), senderFrames(whole.subarray(13), { opcode: 0, mask })));
			expected.push({ type: "ping", data: Uint8Array.from(Buffer.from("p")) }, { type: "message", data: whole.toString() });
			protocol.receiveData(senderFrames(concat([0x0f, 0xa1], Buffer.from("bye")) as Buffer, { opcode: 8, mask }));
			expected.push({ type: "close", code: 4001, reason: "bye", wasClean: true });
			assert.deepEqual(events(protocol).filter((event) => event.type !== "closeTransport"), expected);
		});
	}
});

describe("our core -> ws Receiver", () => {
	for (const role of ["server", "client"] as const) {
		test(`${role}: what we send is what ws reads`, () => {
			const protocol = new ws.protocol.Protocol(role, { random: realRandom });
			const expected: Array<[string, ...unknown[]]> = [];
			for (const size of sizes) {
				const binary = Uint8Array.from(randomBytes(size));
				protocol.send(binary);
				expected.push(["message", binary]);
				const text = "ü€😀a".repeat(Math.ceil(size / 4)).slice(0, size);
				protocol.send(text);
				expected.push(["message", text]);
			}
			protocol.sendText("frag", false);
			protocol.ping(Uint8Array.of(1, 2));
			protocol.sendContinuation("ment", false);
			protocol.sendContinuation(Uint8Array.of(0x73), true);
			protocol.pong(Uint8Array.of(3));
			protocol.close(3001, "fin");
			expected.push(["ping", Uint8Array.of(1, 2)], ["message", "fragments"], ["pong", Uint8Array.of(3)], ["close", 3001, "fin"]);
			// A ws server reads client frames (masked); a ws client reads server frames.
			assert.deepEqual(receive(output(protocol), role === "client", 0), expected);
		});
	}

	test("our failure's Close frame carries the code", () => {
		const protocol = new ws.protocol.Protocol("client", { random: realRandom });
		protocol.receiveData(Uint8Array.of(0x83, 0x00));
		assert.deepEqual(receive(output(protocol), true), [["close", 1002, "unknown opcode 3"]]);
	});
});

// A minimal shell, like the firmware's: moves bytes between a socket and the core.
function attach(socket: net.Socket, protocol: any, onEvent: (event: any) => void) {
	// Event handlers may send (accept, reject, echo): write and dispatch until nothing is left,
	// then close TCP if the core says so, after its last bytes.
	const flush = () => {
		for (;;) {
			const pieces = Array.from(protocol.dataToSend() as ArrayLike<Uint8Array>);
			const seen = events(protocol);
			if (!pieces.length && !seen.length) break;
			for (const piece of pieces) socket.write(Uint8Array.from(piece));
			for (const event of seen) onEvent(event);
		}
		if (protocol.shouldCloseTransport) socket.end();
	};
	socket.on("data", (data) => {
		protocol.receiveData(Uint8Array.from(data));
		flush();
	});
	socket.on("end", () => {
		protocol.receiveEof();
		flush();
	});
	socket.on("error", () => {});
	return flush;
}

describe("real connections", () => {
	const servers: Array<{ close(): void }> = [];
	after(() => servers.forEach((server) => server.close()));

	test("a ws client against our server core: subprotocol, echo, ping, close initiated by the client", async () => {
		const seen: any[] = [];
		const listener = net.createServer((socket) => {
			const protocol = new ws.server.ServerProtocol({ random: realRandom, subprotocols: ["echo"] });
			attach(socket, protocol, (event) => {
				seen.push(event.type);
				if (event.type === "request") {
					if (event.request.target === "/ws") protocol.accept();
					else protocol.reject(404, "no such path");
				}
				if (event.type === "message") protocol.send(event.data);
			});
		});
		servers.push(listener);
		listener.listen(0, "127.0.0.1");
		await once(listener, "listening");
		const port = (listener.address() as net.AddressInfo).port;

		const client = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["other", "echo"]);
		await once(client, "open");
		assert.equal(client.protocol, "echo");
		const replies: unknown[] = [];
		client.on("message", (data: Buffer, isBinary: boolean) => replies.push(isBinary ? Uint8Array.from(data) : data.toString()));
		client.send("hello €");
		client.send(randomBytes(0));
		const big = randomBytes(10000);
		client.send(big);
		client.ping("k");
		await once(client, "pong");
		while (replies.length < 3) await once(client, "message");
		assert.deepEqual(replies, ["hello €", new Uint8Array(0), Uint8Array.from(big)]);
		client.close(1000, "bye");
		const [code] = await once(client, "close");
		assert.equal(code, 1000);

		assert.deepEqual(seen, ["request", "open", "message", "message", "message", "ping", "close", "closeTransport"]);
		const refused = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`);
		refused.on("error", () => {});
		const [, response] = await once(refused, "unexpected-response");
		assert.equal(response.statusCode, 404);
		refused.terminate();

		const oldVersion = new WebSocket(`ws://127.0.0.1:${port}/ws`, { protocolVersion: 8 });
		oldVersion.on("error", () => {});
		const [, old] = await once(oldVersion, "unexpected-response");
		assert.equal(old.statusCode, 426);
		assert.equal(old.headers["sec-websocket-version"], "13");
		oldVersion.terminate();
	});

	test("our client core against a ws server: handshake, messages, server-initiated close, server closes TCP", async () => {
		const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols: (protocols: Set<string>) => (protocols.has("b") ? "b" : false) });
		servers.push(wss);
		await once(wss, "listening");
		const port = (wss.address() as net.AddressInfo).port;
		wss.on("connection", (peer, request) => {
			peer.on("message", (data, isBinary) => {
				if (!isBinary && data.toString() === "close please") peer.close(4000, "as asked");
				else peer.send(data, { binary: isBinary });
			});
			peer.send(`auth=${request.headers.authorization}`);
		});

		const socket = net.connect(port, "127.0.0.1");
		const protocol = new ws.client.ClientProtocol({ host: "127.0.0.1", port, resource: "/x?y=1", subprotocols: ["a", "b"], user: "u", password: "p", random: realRandom, maxMessage: 100000 });
		const seen: any[] = [];
		let wake: () => void = () => {};
		const flush = attach(socket, protocol, (event) => {
			seen.push(event);
			wake();
		});
		const until = async (predicate: () => boolean) => {
			while (!predicate()) await new Promise<void>((resolve) => (wake = resolve));
		};
		await once(socket, "connect");
		flush();
		await until(() => seen.some((event) => event.type === "message"));
		assert.deepEqual(seen.slice(0, 2), [{ type: "open", subprotocol: "b" }, { type: "message", data: `auth=Basic ${Buffer.from("u:p").toString("base64")}` }]);
		const payload = Uint8Array.from(randomBytes(70000));
		protocol.send(payload);
		flush();
		await until(() => seen.length >= 3);
		assert.deepEqual(seen[2], { type: "message", data: payload });
		protocol.send("close please");
		flush();
		await until(() => seen.some((event) => event.type === "closeTransport"));
		assert.deepEqual(seen.slice(3), [{ type: "close", code: 4000, reason: "as asked", wasClean: true }, { type: "closeTransport" }]);
	});
});
