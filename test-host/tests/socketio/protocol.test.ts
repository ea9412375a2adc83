// The Engine.IO v4 / Socket.IO v5 core without I/O (modules/socketio/protocol), checked against
// the reference codec: what npm socket.io-parser encodes, the core decodes, and what the core
// encodes, socket.io-parser decodes to the same packet. Then bad input, which must be an error
// and never an exception, and the limits.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { FirmwareRealm, projectRoot } from "../../runtime/realm.ts";

let core: any;
let json: any;
let url: any;
before(async () => {
	const realm = await FirmwareRealm.create({ manifest: path.join(projectRoot, "test-host/tests/socketio/fixtures/manifest.json"), trace: () => {} });
	core = await realm.import("socketio/protocol");
	json = await realm.import("socketio/json");
	url = await realm.import("socketio/url");
});

/** Host values of what the core hands over: bytes as Buffers, the rest as plain JSON values. */
function plain(value: any): any {
	if (typeof value !== "object" || value === null) return value;
	const kind = Object.prototype.toString.call(value);
	if (kind === "[object ArrayBuffer]") return Buffer.from(new Uint8Array(value));
	if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
	if (Array.isArray(value)) return Array.from(value, plain);
	return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
}

type Call = [string, ...unknown[]];

/** A protocol whose handler records each call as [method, ...plain arguments]. */
function recorder(options: Record<string, unknown> = {}) {
	const calls: Call[] = [];
	const handler: Record<string, (...args: unknown[]) => void> = {};
	for (const method of ["onOpen", "onPing", "onClose", "onConnect", "onConnectError", "onDisconnect", "onEvent", "onAck"])
		handler[method] = (...args: unknown[]) => calls.push([method, ...args.map(plain)]);
	handler.onError = (error: any) => calls.push(["onError", error.kind, error.message]);
	const protocol = new core.SocketIOProtocol(handler, options);
	return {
		protocol,
		calls,
		/** The calls made since the last take(). */
		take(): Call[] {
			return calls.splice(0);
		},
		/** What the core wants sent, as host values, and emptied. */
		output(): unknown[] {
			const out = Array.from(protocol.output as unknown[], (piece) => (typeof piece === "string" ? piece : plain(piece)));
			protocol.output.length = 0;
			return out;
		},
	};
}

const openPacket = '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';

function opened(options: Record<string, unknown> = {}) {
	const r = recorder(options);
	r.protocol.receive(openPacket);
	r.take();
	return r;
}

/** The Engine.IO messages socket.io-parser makes of a packet: "4" + text, then attachments. */
function encodeReference(packet: Packet): Array<string | Uint8Array> {
	return new Encoder().encode(packet).map((part: string | Buffer) => (typeof part === "string" ? "4" + part : Uint8Array.from(part)));
}

/** What socket.io-parser decodes from the core's output. */
function decodeReference(output: unknown[]): Packet[] {
	const decoder = new Decoder();
	const packets: Packet[] = [];
	decoder.on("decoded", (packet: Packet) => packets.push(packet));
	for (const piece of output) {
		if (typeof piece === "string") {
			assert.equal(piece[0], "4", "an Engine.IO message");
			decoder.add(piece.slice(1));
		} else decoder.add(piece as Buffer);
	}
	return packets;
}

describe("Engine.IO v4", () => {
	test("the open packet gives the session and its heartbeat", () => {
		const r = recorder();
		r.protocol.receive(openPacket);
		assert.deepEqual(r.take(), [["onOpen", "lv_VI97HAXpY6yYWAAAC", 25000, 20000, 1000000]]);
		assert.equal(r.protocol.opened, true);
		assert.equal(r.protocol.maxPayload, 1000000);
	});

	test("python-engineio 4 sends no maxPayload: no limit", () => {
		const r = recorder();
		r.protocol.receive('0{"sid":"abc","upgrades":[],"pingTimeout":20000,"pingInterval":25000}');
		assert.deepEqual(r.take(), [["onOpen", "abc", 25000, 20000, Infinity]]);
	});

	test("a ping is answered with a pong carrying the same data", () => {
		const r = opened();
		r.protocol.receive("2");
		r.protocol.receive("2probe");
		assert.deepEqual(r.output(), ["3", "3probe"]);
		assert.deepEqual(r.take(), [["onPing"], ["onPing"]]);
	});

	test("close, noop and pong", () => {
		const r = opened();
		r.protocol.receive("6");
		r.protocol.receive("3");
		r.protocol.receive("1");
		assert.deepEqual(r.take(), [["onClose"]]);
	});

	test("packets before the open packet, a second open packet, an upgrade and unknown types are errors", () => {
		const r = recorder();
		r.protocol.receive("2");
		r.protocol.receive(new Uint8Array([1]).buffer);
		r.protocol.receive("0{}");
		r.protocol.receive('0{"sid":"x","pingInterval":"soon","pingTimeout":1}');
		r.protocol.receive("0[[[");
		assert.deepEqual(
			r.take().map((call) => call.slice(0, 2)),
			[
				["onError", "state"],
				["onError", "state"],
				["onError", "parse"],
				["onError", "parse"],
				["onError", "parse"],
			],
		);
		assert.equal(r.protocol.opened, false);
		r.protocol.receive(openPacket);
		r.protocol.receive(openPacket);
		r.protocol.receive("5");
		r.protocol.receive("9");
		r.protocol.receive("");
		assert.deepEqual(
			r.take().map((call) => call.slice(0, 2)),
			[
				["onOpen", "lv_VI97HAXpY6yYWAAAC"],
				["onError", "state"],
				["onError", "state"],
				["onError", "type"],
				["onError", "parse"],
			],
		);
		assert.deepEqual(r.output(), [], "nothing is answered to bad input");
	});
});

describe("Socket.IO v5: what socket.io-parser encodes, the core decodes", () => {
	const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
	const cases: Array<[string, Packet, Call]> = [
		["CONNECT to /", { type: PacketType.CONNECT, nsp: "/", data: { sid: "s1" } }, ["onConnect", "/", "s1"]],
		["CONNECT to /admin", { type: PacketType.CONNECT, nsp: "/admin", data: { sid: "s2" } }, ["onConnect", "/admin", "s2"]],
		["DISCONNECT", { type: PacketType.DISCONNECT, nsp: "/admin" }, ["onDisconnect", "/admin"]],
		["EVENT", { type: PacketType.EVENT, nsp: "/", data: ["hello", 1, { a: [true, null] }] }, ["onEvent", "/", ["hello", 1, { a: [true, null] }], -1]],
		["EVENT with an ack id", { type: PacketType.EVENT, nsp: "/chat", id: 12, data: ["ask", "é€😀"] }, ["onEvent", "/chat", ["ask", "é€😀"], 12]],
		["ACK", { type: PacketType.ACK, nsp: "/", id: 0, data: ["answer", 2] }, ["onAck", "/", 0, ["answer", 2]]],
		["an empty ACK", { type: PacketType.ACK, nsp: "/x", id: 987654321, data: [] }, ["onAck", "/x", 987654321, []]],
		["CONNECT_ERROR with data", { type: PacketType.CONNECT_ERROR, nsp: "/admin", data: { message: "not authorized", data: { reason: "bad token" } } }, ["onConnectError", "/admin", "not authorized", { reason: "bad token" }]],
		["CONNECT_ERROR as a string", { type: PacketType.CONNECT_ERROR, nsp: "/", data: "Invalid namespace" }, ["onConnectError", "/", "Invalid namespace", undefined]],
		[
			"BINARY_EVENT with all 256 byte values, nested, and an empty attachment",
			{ type: PacketType.EVENT, nsp: "/", data: ["bin", bytes, { deep: [Buffer.alloc(0), Buffer.from([7])] }] },
			["onEvent", "/", ["bin", bytes, { deep: [Buffer.alloc(0), Buffer.from([7])] }], -1],
		],
		["BINARY_ACK", { type: PacketType.ACK, nsp: "/admin", id: 3, data: [bytes, "and text"] }, ["onAck", "/admin", 3, [bytes, "and text"]]],
	];
	for (const [name, packet, expected] of cases) {
		test(name, () => {
			const r = opened();
			for (const piece of encodeReference(packet)) r.protocol.receive(typeof piece === "string" ? piece : piece.slice().buffer);
			assert.deepEqual(r.take(), [expected]);
		});
	}

	test("a packet's attachments may come one receive() at a time, and an emit in between does not disturb them", () => {
		const r = opened();
		const pieces = encodeReference({ type: PacketType.EVENT, nsp: "/", id: 5, data: ["two", Buffer.from("ab"), Buffer.from("cd")] });
		assert.equal(pieces.length, 3);
		r.protocol.receive(pieces[0]);
		r.protocol.receive((pieces[1] as Uint8Array).slice().buffer);
		assert.equal(r.protocol.emit("/", ["between", new Uint8Array([9])]), undefined);
		r.protocol.receive((pieces[2] as Uint8Array).slice().buffer);
		assert.deepEqual(r.take(), [["onEvent", "/", ["two", Buffer.from("ab"), Buffer.from("cd")], 5]]);
		assert.deepEqual(decodeReference(r.output()), [{ type: PacketType.EVENT, nsp: "/", data: ["between", Buffer.from([9])] }]);
	});
});

describe("Socket.IO v5: what the core encodes, socket.io-parser decodes", () => {
	test("CONNECT with and without auth, DISCONNECT", () => {
		const r = opened();
		r.protocol.connect("/");
		r.protocol.connect("/admin", { token: "secret", n: 1 });
		r.protocol.disconnect("/admin");
		r.protocol.disconnect("/");
		const output = r.output();
		assert.deepEqual(output, ["40", '40/admin,{"token":"secret","n":1}', "41/admin,", "41"]);
		assert.deepEqual(decodeReference(output), [
			{ type: PacketType.CONNECT, nsp: "/" },
			{ type: PacketType.CONNECT, nsp: "/admin", data: { token: "secret", n: 1 } },
			{ type: PacketType.DISCONNECT, nsp: "/admin" },
			{ type: PacketType.DISCONNECT, nsp: "/" },
		]);
	});

	test("EVENT and ACK, with and without an ack id", () => {
		const r = opened();
		assert.equal(r.protocol.emit("/", ["hello", { board: "esp32" }]), undefined);
		assert.equal(r.protocol.emit("/admin", ["ask", 1, "two"], 7), undefined);
		assert.equal(r.protocol.ack("/", 42, ["answer", null]), undefined);
		const output = r.output();
		assert.deepEqual(output, ['42["hello",{"board":"esp32"}]', '42/admin,7["ask",1,"two"]', '4342["answer",null]']);
		assert.deepEqual(decodeReference(output), [
			{ type: PacketType.EVENT, nsp: "/", data: ["hello", { board: "esp32" }] },
			{ type: PacketType.EVENT, nsp: "/admin", id: 7, data: ["ask", 1, "two"] },
			{ type: PacketType.ACK, nsp: "/", id: 42, data: ["answer", null] },
		]);
	});

	test("BINARY_EVENT and BINARY_ACK: typed arrays and views anywhere become placeholders and attachments", () => {
		const r = opened();
		const all = new Uint8Array(256).map((_, i) => i);
		const view = new DataView(all.buffer, 10, 3);
		assert.equal(r.protocol.emit("/", ["bin", all, { nested: [view, new Uint16Array([0x0102])] }], 1), undefined);
		assert.equal(r.protocol.ack("/admin", 9, [new Uint8Array(0), "text"]), undefined);
		const output = r.output();
		assert.equal(output[0], '453-1["bin",{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]}]');
		assert.equal(output[4], '461-/admin,9[{"_placeholder":true,"num":0},"text"]');
		assert.equal(output.length, 6);
		assert.deepEqual(decodeReference(output), [
			{ type: PacketType.EVENT, nsp: "/", id: 1, data: ["bin", Buffer.from(all), { nested: [Buffer.from([10, 11, 12]), Buffer.from(new Uint16Array([0x0102]).buffer)] }] },
			{ type: PacketType.ACK, nsp: "/admin", id: 9, data: [Buffer.alloc(0), "text"] },
		]);
	});

	test("the server's maxPayload is honoured: a larger packet or attachment is refused, nothing is queued", () => {
		const r = recorder();
		r.protocol.receive('0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100}');
		assert.equal(r.protocol.emit("/", ["x", "y".repeat(100)])?.kind, "payload");
		assert.equal(r.protocol.emit("/", ["x", "é".repeat(50)])?.kind, "payload", "counted in UTF-8 bytes: 110");
		assert.equal(r.protocol.emit("/", ["x", new Uint8Array(101)])?.kind, "payload");
		assert.deepEqual(r.output(), []);
		assert.equal(r.protocol.emit("/", ["x", "é".repeat(45)]), undefined, "100 bytes");
		assert.equal(r.protocol.emit("/", ["x", "é".repeat(20), new Uint8Array(100)]), undefined);
		assert.equal(r.output().length, 3);
	});

	test("what JSON cannot encode is an error, not an exception", () => {
		const r = opened();
		const cyclic: Record<string, unknown> = {};
		cyclic.self = cyclic;
		assert.equal(r.protocol.emit("/", ["x", cyclic])?.kind, "parse");
		assert.equal(r.protocol.emit("/", ["x", 10n])?.kind, "parse");
		assert.deepEqual(r.output(), []);
	});
});

describe("bad input is an error, and the next packet is decoded", () => {
	const bad: Array<[string, Array<string | number[]>, string, RegExp]> = [
		["an empty message packet", ["4"], "parse", /empty Socket.IO packet/],
		["an unknown Socket.IO type", ["47[]"], "type", /unknown Socket.IO packet type "7"/],
		["a non-digit type", ['4x["a"]'], "type", /unknown/],
		["malformed JSON", ['42["a",'], "parse", /malformed/],
		["an EVENT that is not an array", ['42{"a":1}'], "parse", /not \[name/],
		["an EVENT without a name", ["42[]"], "parse", /not \[name/],
		["an EVENT named with an object", ['42[{"a":1}]'], "parse", /not a string/],
		["a reserved event name", ['42["disconnect"]'], "parse", /reserves/],
		["an ACK without an id", ['43["a"]'], "parse", /without an ack id/],
		["an ACK that is not an array", ["431{}"], "parse", /not an array/],
		["a DISCONNECT with a payload", ["41[1]"], "parse", /DISCONNECT with a payload/],
		["a CONNECT without a sid", ["40{}"], "parse", /without a sid/],
		["a CONNECT_ERROR that is a number", ["443"], "parse", /without a message/],
		["an ack id of 16 digits", ['421234567890123456["a"]'], "parse", /15 digits/],
		["a binary packet without its count", ['45["a"]'], "parse", /attachment count/],
		["a binary packet with a bad count", ['45x-["a"]'], "parse", /attachment count/],
		["zero attachments", ['450-["a"]'], "attachments", /0 attachments/],
		["more attachments than maxAttachments", ['4511-["a"]'], "attachments", /11 attachments/],
		["a binary payload that is not an array", ["451-{}"], "parse", /not an array/],
		["a BINARY_ACK without an id", ['461-[{"_placeholder":true,"num":0}]'], "parse", /BINARY_ACK without an ack id/],
		["binary data nobody announced", [[1, 2, 3]], "attachments", /3 bytes of binary data that no packet announced/],
		["a placeholder beyond the attachments", ['451-["a",{"_placeholder":true,"num":1}]', [1]], "attachments", /did not arrive/],
		["a placeholder with a bad num", ['451-["a",{"_placeholder":true,"num":"0"}]', [1]], "attachments", /did not arrive/],
		["malformed JSON in a binary packet", ['451-["a",{"_placeholder":true,"num":0}', [1]], "parse", /malformed/],
		["JSON nested deeper than maxDepth", [`42["a",${"[".repeat(17)}${"]".repeat(17)}]`], "parse", /nested deeper than 16/],
		["JSON nested 100000 deep", [`42["a",${"{\"a\":".repeat(100000)}1${"}".repeat(100000)}]`], "parse", /nested deeper than 16/],
		["a binary packet nested too deep", [`451-[${"[".repeat(20)}]`], "parse", /nested deeper/],
	];
	for (const [name, messages, kind, message] of bad) {
		test(name, () => {
			const r = opened();
			for (const message of messages) r.protocol.receive(typeof message === "string" ? message : new Uint8Array(message).buffer);
			const calls = r.take();
			assert.equal(calls.length, 1, JSON.stringify(calls));
			assert.equal(calls[0][0], "onError");
			assert.equal(calls[0][1], kind);
			assert.match(String(calls[0][2]), message);
			assert.deepEqual(r.output(), []);
			r.protocol.receive('42["next"]');
			assert.deepEqual(r.take(), [["onEvent", "/", ["next"], -1]]);
		});
	}

	test("a text packet while attachments are missing: the incomplete packet is dropped, the new one decoded", () => {
		const r = opened();
		r.protocol.receive('452-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
		r.protocol.receive(new Uint8Array([1]).buffer);
		r.protocol.receive("2");
		assert.deepEqual(r.take(), [["onPing"]], "Engine.IO packets may come between");
		r.protocol.receive('42["next"]');
		const calls = r.take();
		assert.deepEqual(calls[0].slice(0, 2), ["onError", "attachments"]);
		assert.match(String(calls[0][2]), /1 binary attachment was still missing/);
		assert.deepEqual(calls.slice(1), [["onEvent", "/", ["next"], -1]]);
	});

	test("an open packet nested too deep is refused before it is parsed", () => {
		const r = recorder();
		r.protocol.receive(`0${"[".repeat(100000)}`);
		assert.deepEqual(r.take().map((call) => call.slice(0, 2)), [["onError", "parse"]]);
	});

	test("attachments beyond maxBinary in total are dropped with an error", () => {
		const r = opened({ maxBinary: 10 });
		r.protocol.receive('452-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
		r.protocol.receive(new Uint8Array(6).buffer);
		r.protocol.receive(new Uint8Array(6).buffer);
		const calls = r.take();
		assert.deepEqual(calls.map((call) => call.slice(0, 2)), [["onError", "payload"]]);
		r.protocol.receive(new Uint8Array(1).buffer);
		assert.deepEqual(r.take().map((call) => call.slice(0, 2)), [["onError", "attachments"]], "the rest of the dropped packet is unannounced");
	});

	test("a numeric event name is a string, as socket.io-parser allows it", () => {
		const r = opened();
		r.protocol.receive("42[7,1]");
		assert.deepEqual(r.take(), [["onEvent", "/", ["7", 1], -1]]);
	});

	test("a namespace without a comma ends the packet", () => {
		const r = opened();
		r.protocol.receive("41/admin");
		assert.deepEqual(r.take(), [["onDisconnect", "/admin"]]);
	});

	test("reset() forgets the session: the next connection starts with an open packet", () => {
		const r = opened();
		r.protocol.receive('451-["a",{"_placeholder":true,"num":0}]');
		r.protocol.emit("/", ["queued"]);
		r.protocol.reset();
		assert.equal(r.protocol.opened, false);
		assert.deepEqual(r.output(), []);
		r.protocol.receive(openPacket);
		r.protocol.receive(new Uint8Array(1).buffer);
		assert.deepEqual(r.take().map((call) => call.slice(0, 2)), [["onOpen", "lv_VI97HAXpY6yYWAAAC"], ["onError", "attachments"]]);
	});
});

describe("JSON depth", () => {
	test("brackets in strings, escaped quotes and backslashes do not count", () => {
		assert.equal(json.withinDepth('["[[[[[[", "\\"[[[[", "\\\\", [1]]', 0, 2), true);
		assert.equal(json.withinDepth('["\\\\", [[1]]]', 0, 2), false);
		assert.equal(json.withinDepth('{"a":{"b":{"c":1}}}', 0, 3), true);
		assert.equal(json.withinDepth('{"a":{"b":{"c":{}}}}', 0, 3), false);
		assert.equal(json.withinDepth('42["a",[[1]]]', 2, 3), true);
		assert.equal(json.withinDepth('"unterminated [[[[', 0, 1), true, "JSON.parse rejects it later");
	});
});

describe("URLs and backoff", () => {
	test("the Engine.IO WebSocket URL, the namespace in the path, and the query", () => {
		assert.deepEqual(plain(url.engineUrl("http://192.168.1.10:3000")), { url: "ws://192.168.1.10:3000/socket.io/?EIO=4&transport=websocket", nsp: "/" });
		assert.deepEqual(plain(url.engineUrl("https://example.com/admin?token=abc", "/custom", "x=1")), {
			url: "wss://example.com/custom/?EIO=4&transport=websocket&token=abc&x=1",
			nsp: "/admin",
		});
		assert.deepEqual(plain(url.engineUrl("ws://user:pw@host:1/", "io/")), { url: "ws://user:pw@host:1/io/?EIO=4&transport=websocket", nsp: "/" });
		assert.throws(() => url.engineUrl("ftp://host/"), /not an http/);
		assert.throws(() => url.engineUrl("http:///x"), /no host/);
	});

	test("reconnect waits double up to the maximum, spread by the randomization factor", () => {
		assert.deepEqual([0, 1, 2, 3, 4, 10, 100].map((attempt) => url.reconnectDelay(attempt, 1000, 5000, 0)), [1000, 2000, 4000, 5000, 5000, 5000, 5000]);
		for (let i = 0; i < 200; i++) {
			const delay = url.reconnectDelay(1, 1000, 60000, 0.5);
			assert.ok(delay >= 1000 && delay <= 3000, String(delay));
		}
	});
});
