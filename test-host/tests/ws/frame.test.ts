// RFC 6455 §5: framing, as the core receives and sends it.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Ws, ascii, clientMask, concat, events, frameBytes, hex, loadWs, output, repeating, zeroRandom } from "./ws.ts";

let ws: Ws;
before(async () => {
	ws = await loadWs();
});

const server = (options = {}) => new ws.protocol.Protocol("server", { random: zeroRandom, ...options });
const client = (options = {}) => new ws.protocol.Protocol("client", { random: repeating(clientMask), ...options });

function pattern(length: number): Uint8Array {
	return Uint8Array.from({ length }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
}

/** The failure a protocol reports, and the close frame it queued (RFC 6455 §7.1.7). */
function assertFails(protocol: any, closeCode: number) {
	const seen = events(protocol);
	const error = seen.find((event) => event.type === "error");
	assert.ok(error, `expected a failure with ${closeCode}, got ${JSON.stringify(seen)}`);
	assert.equal(error.error.closeCode, closeCode);
	assert.deepEqual(seen.find((event) => event.type === "close"), { type: "close", code: closeCode, reason: error.error.message, wasClean: false });
	assert.ok(seen.some((event) => event.type === "closeTransport"));
	const sent = output(protocol);
	const expectedCode = [closeCode >> 8, closeCode & 0xff];
	if (protocol.role === "server") assert.deepEqual([sent[0], sent.slice(2, 4)], [0x88, Uint8Array.from(expectedCode)]);
	else {
		assert.equal(sent[0], 0x88);
		assert.deepEqual(Array.from(sent.slice(6, 8), (byte, i) => byte ^ clientMask[i]), expectedCode);
	}
	assert.equal(protocol.state, ws.State.Closed);
	return error.error;
}

describe("RFC 6455 §5.7 examples", () => {
	test("a single-frame unmasked text message reaches a client", () => {
		const protocol = client();
		protocol.receiveData(hex("81 05 48 65 6c 6c 6f"));
		assert.deepEqual(events(protocol), [{ type: "message", data: "Hello" }]);
	});

	test("a single-frame masked text message reaches a server", () => {
		const protocol = server();
		protocol.receiveData(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
		assert.deepEqual(events(protocol), [{ type: "message", data: "Hello" }]);
	});

	test("a server sends Hello unmasked, a client masked with its key", () => {
		const s = server();
		s.send("Hello");
		assert.deepEqual(output(s), hex("81 05 48 65 6c 6c 6f"));
		const c = client();
		c.send("Hello");
		assert.deepEqual(output(c), hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
	});

	test("a fragmented unmasked text message is one message", () => {
		const protocol = client();
		protocol.receiveData(hex("01 03 48 65 6c"));
		assert.deepEqual(events(protocol), []);
		protocol.receiveData(hex("80 02 6c 6f"));
		assert.deepEqual(events(protocol), [{ type: "message", data: "Hello" }]);
	});

	test("a server sends the fragmented example", () => {
		const protocol = server();
		protocol.sendText("Hel", false);
		protocol.sendContinuation("lo", true);
		assert.deepEqual(output(protocol), hex("01 03 48 65 6c 80 02 6c 6f"));
	});

	test("an unmasked Ping is answered by the masked Pong of the example", () => {
		const protocol = client();
		protocol.receiveData(hex("89 05 48 65 6c 6c 6f"));
		assert.deepEqual(events(protocol), [{ type: "ping", data: ascii("Hello") }]);
		assert.deepEqual(output(protocol), hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"));
	});

	test("a masked Pong reaches a server as a pong event", () => {
		const protocol = server();
		protocol.receiveData(hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"));
		assert.deepEqual(events(protocol), [{ type: "pong", data: ascii("Hello") }]);
		assert.deepEqual(output(protocol), new Uint8Array(0));
	});

	test("256 bytes binary in a single unmasked frame (16-bit length)", () => {
		const payload = pattern(256);
		const s = server();
		s.send(payload);
		const sent = output(s);
		assert.deepEqual(sent.slice(0, 4), hex("82 7E 0100"));
		assert.deepEqual(sent.slice(4), payload);
		const c = client();
		c.receiveData(sent);
		assert.deepEqual(events(c), [{ type: "message", data: payload }]);
	});

	test("64 KiB binary in a single unmasked frame (64-bit length)", () => {
		const payload = pattern(65536);
		const s = server({ maxMessage: 65536 });
		s.send(payload);
		const sent = output(s);
		assert.deepEqual(sent.slice(0, 10), hex("82 7F 0000000000010000"));
		const c = client({ maxMessage: 65536 });
		c.receiveData(sent);
		assert.deepEqual(events(c), [{ type: "message", data: payload }]);
	});
});

describe("payload length encodings (RFC 6455 §5.2)", () => {
	const cases: Array<[number, string]> = [
		[0, "8200"],
		[125, "827d"],
		[126, "827e007e"],
		[65535, "827effff"],
		[65536, "827f0000000000010000"],
	];
	for (const [length, header] of cases) {
		test(`${length} bytes: header ${header}, received by both roles`, () => {
			const payload = pattern(length);
			const s = server({ maxMessage: 70000 });
			s.send(payload);
			const sent = output(s);
			assert.deepEqual(sent.slice(0, header.length / 2), hex(header));
			assert.equal(sent.length, header.length / 2 + length);
			const c = client({ maxMessage: 70000 });
			c.receiveData(sent);
			assert.deepEqual(events(c), [{ type: "message", data: payload }]);
			c.send(payload);
			const masked = output(c);
			assert.deepEqual(masked.slice(0, header.length / 2), hex(header).map((byte, i) => (i === 1 ? byte | 0x80 : byte)));
			assert.deepEqual(masked, frameBytes(2, payload, { mask: clientMask }));
			const s2 = server({ maxMessage: 70000 });
			s2.receiveData(masked);
			assert.deepEqual(events(s2), [{ type: "message", data: payload }]);
		});
	}

	test("the encoder writes headers of every size", () => {
		const { encodeFrameHeader } = ws.frame;
		assert.deepEqual(Uint8Array.from(encodeFrameHeader(1, true, 5)), hex("8105"));
		assert.deepEqual(Uint8Array.from(encodeFrameHeader(0, false, 126)), hex("007e007e"));
		assert.deepEqual(Uint8Array.from(encodeFrameHeader(2, true, 2 ** 32 + 5)), hex("827f0000000100000005"));
		assert.deepEqual(Uint8Array.from(encodeFrameHeader(9, true, 1, Uint8Array.of(1, 2, 3, 4))), hex("898101020304"));
	});
});

describe("the stream split anywhere", () => {
	// Several frames of every kind in one stream, as a client sends them to a server.
	const stream = () =>
		concat(
			frameBytes(1, ascii("Hello"), { mask: clientMask }),
			frameBytes(9, ascii("ping!"), { mask: [1, 2, 3, 4] }),
			frameBytes(2, pattern(300), { fin: false, mask: [9, 8, 7, 6] }),
			frameBytes(10, [], { mask: [5, 5, 5, 5] }),
			frameBytes(0, pattern(70), { mask: [0xff, 0, 0xff, 0] }),
			frameBytes(1, Buffer.from("h€llo 😀"), { mask: [1, 1, 1, 1] }),
			frameBytes(8, [0x03, 0xe8, 0x62, 0x79, 0x65], { mask: clientMask }),
		);
	const expected = () => [
		{ type: "message", data: "Hello" },
		{ type: "ping", data: ascii("ping!") },
		{ type: "pong", data: new Uint8Array(0) },
		{ type: "message", data: concat(pattern(300), pattern(70)) },
		{ type: "message", data: "h€llo 😀" },
		{ type: "close", code: 1000, reason: "bye", wasClean: true },
		{ type: "closeTransport" },
	];

	test("split in two at every byte position", () => {
		const bytes = stream();
		for (let split = 0; split <= bytes.length; split++) {
			const protocol = server();
			protocol.receiveData(bytes.slice(0, split));
			protocol.receiveData(bytes.slice(split));
			assert.deepEqual(events(protocol), expected(), `split at ${split}`);
		}
	});

	test("one byte at a time", () => {
		const bytes = stream();
		const protocol = server();
		for (const byte of bytes) protocol.receiveData(Uint8Array.of(byte));
		assert.deepEqual(events(protocol), expected());
		// The pong for the ping, then the close reply echoing 1000.
		assert.deepEqual(output(protocol), concat(frameBytes(10, ascii("ping!")), hex("8802 03e8")));
	});

	test("payloads are unmasked where they lie: the input holds the plain bytes afterwards", () => {
		// The shells read into one buffer and deliver views of it; unmasking in place is what
		// spares the copy (and lets a server echo a message framed in place).
		const bytes = frameBytes(2, ascii("in place"), { mask: clientMask });
		server().receiveData(bytes);
		assert.deepEqual(bytes.subarray(6), ascii("in place"));
	});
});

describe("masking rules per role (RFC 6455 §5.1)", () => {
	test("a server fails an unmasked frame with 1002", () => {
		const protocol = server();
		protocol.receiveData(hex("81 05 48 65 6c 6c 6f"));
		assertFails(protocol, 1002);
	});

	test("a client fails a masked frame with 1002", () => {
		const protocol = client();
		protocol.receiveData(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
		assertFails(protocol, 1002);
	});

	test("a client uses a fresh key from random() for every frame", () => {
		let counter = 0;
		const protocol = new ws.protocol.Protocol("client", { random: (count: number) => Uint8Array.from({ length: count }, () => ++counter) });
		protocol.send("a");
		protocol.send("a");
		assert.deepEqual(output(protocol), concat(frameBytes(1, ascii("a"), { mask: [1, 2, 3, 4] }), frameBytes(1, ascii("a"), { mask: [5, 6, 7, 8] })));
	});

	test("sending does not change the caller's bytes", () => {
		const payload = pattern(10);
		const protocol = client();
		protocol.send(payload);
		protocol.sendFrame(2, payload.subarray(3, 7));
		assert.deepEqual(payload, pattern(10));
		assert.deepEqual(output(protocol), concat(frameBytes(2, pattern(10), { mask: clientMask }), frameBytes(2, pattern(10).subarray(3, 7), { mask: clientMask })));
	});
});

describe("header violations fail with 1002 as soon as the header shows them", () => {
	for (const rsv of [0x40, 0x20, 0x10]) {
		test(`RSV bit 0x${rsv.toString(16)} set`, () => {
			const protocol = client();
			protocol.receiveData(Uint8Array.of(0x81 | rsv, 0x05));
			assertFails(protocol, 1002);
		});
	}

	for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
		test(`unknown opcode ${opcode}`, () => {
			const protocol = client();
			protocol.receiveData(Uint8Array.of(0x80 | opcode, 0x00));
			assertFails(protocol, 1002);
		});
	}

	for (const opcode of [8, 9, 10]) {
		test(`control opcode ${opcode} fragmented`, () => {
			const protocol = client();
			protocol.receiveData(Uint8Array.of(opcode, 0x00));
			assertFails(protocol, 1002);
		});
		test(`control opcode ${opcode} with 126 bytes`, () => {
			const protocol = client();
			protocol.receiveData(Uint8Array.of(0x80 | opcode, 126));
			assertFails(protocol, 1002);
		});
	}

	test("a control frame of exactly 125 bytes is fine", () => {
		const protocol = client();
		protocol.receiveData(frameBytes(9, pattern(125)));
		assert.deepEqual(events(protocol), [{ type: "ping", data: pattern(125) }]);
	});

	test("64-bit length with the most significant bit set", () => {
		const protocol = client({ maxMessage: Infinity });
		protocol.receiveData(hex("82 7f 8000000000000000"));
		assertFails(protocol, 1002);
	});

	test("a continuation frame with no message started", () => {
		const protocol = client();
		protocol.receiveData(hex("80 02 6c 6f"));
		assertFails(protocol, 1002);
	});

	for (const opcode of [1, 2]) {
		test(`a new data frame (opcode ${opcode}) inside a fragmented message`, () => {
			const protocol = client();
			protocol.receiveData(hex("01 03 48 65 6c"));
			protocol.receiveData(Uint8Array.of(0x80 | opcode, 0));
			assertFails(protocol, 1002);
		});
	}

	test("after a failure nothing more is parsed or sent", () => {
		const protocol = client();
		protocol.receiveData(concat(Uint8Array.of(0xc1, 0x00), hex("81 05 48 65 6c 6c 6f")));
		assertFails(protocol, 1002);
		protocol.receiveData(hex("81 05 48 65 6c 6c 6f"));
		assert.deepEqual(events(protocol), []);
		assert.throws(() => protocol.send("late"), { name: "InvalidStateError" });
		assert.deepEqual(output(protocol), new Uint8Array(0));
	});
});

describe("control frames inside a fragmented message (RFC 6455 §5.4)", () => {
	test("ping and pong between fragments", () => {
		const protocol = client();
		protocol.receiveData(concat(hex("01 03 48 65 6c"), hex("89 01 21"), hex("8a 00"), hex("00 01 6c"), hex("89 00"), hex("80 01 6f")));
		assert.deepEqual(events(protocol), [
			{ type: "ping", data: ascii("!") },
			{ type: "pong", data: new Uint8Array(0) },
			{ type: "ping", data: new Uint8Array(0) },
			{ type: "message", data: "Hello" },
		]);
		assert.deepEqual(output(protocol), concat(frameBytes(10, ascii("!"), { mask: clientMask }), frameBytes(10, [], { mask: clientMask })));
	});

	test("a close frame inside a fragmented message closes", () => {
		const protocol = client();
		protocol.receiveData(concat(hex("01 03 48 65 6c"), hex("88 02 03e8"), hex("80 02 6c 6f")));
		assert.deepEqual(events(protocol), [{ type: "close", code: 1000, reason: "", wasClean: true }]);
	});
});

describe("size limits (1009), decided from the header", () => {
	test("a frame over maxMessage fails before its payload arrives", () => {
		const protocol = client({ maxMessage: 1000 });
		protocol.receiveData(hex("82 7e 03e9"));
		assertFails(protocol, 1009);
	});

	test("a 64-bit length over the limit fails from the header alone", () => {
		const protocol = client({ maxMessage: 1000 });
		protocol.receiveData(hex("82 7f 0000001000000000"));
		assertFails(protocol, 1009);
	});

	test("a message of exactly maxMessage is delivered", () => {
		const protocol = client({ maxMessage: 1000 });
		protocol.receiveData(frameBytes(2, pattern(1000)));
		assert.deepEqual(events(protocol), [{ type: "message", data: pattern(1000) }]);
	});

	test("fragments count together: the frame that passes the limit fails at its header", () => {
		const protocol = client({ maxMessage: 1000 });
		protocol.receiveData(frameBytes(2, pattern(600), { fin: false }));
		assert.deepEqual(events(protocol), []);
		protocol.receiveData(hex("00 7e 0191"));
		assertFails(protocol, 1009);
	});

	test("fragments up to the limit are one message", () => {
		const protocol = client({ maxMessage: 1000 });
		protocol.receiveData(concat(frameBytes(2, pattern(600), { fin: false }), frameBytes(0, pattern(0), { fin: false }), frameBytes(0, pattern(400))));
		assert.deepEqual(events(protocol), [{ type: "message", data: concat(pattern(600), pattern(400)) }]);
	});

	test("the default limit is 16384 bytes", () => {
		const protocol = client();
		protocol.receiveData(hex("82 7e 4001"));
		assertFails(protocol, 1009);
	});
});

describe("empty messages", () => {
	test("empty text and binary messages, single and fragmented", () => {
		const protocol = client();
		protocol.receiveData(concat(hex("8100"), hex("8200"), hex("0100 8000"), hex("0200 0000 8000")));
		assert.deepEqual(events(protocol), [
			{ type: "message", data: "" },
			{ type: "message", data: new Uint8Array(0) },
			{ type: "message", data: "" },
			{ type: "message", data: new Uint8Array(0) },
		]);
	});

	test("sending empty messages", () => {
		const protocol = server();
		protocol.send("");
		protocol.send(new ArrayBuffer(0));
		assert.deepEqual(output(protocol), hex("8100 8200"));
	});
});

describe("chunk delivery (for the ESP-AT bridge)", () => {
	function chunks(protocol: any) {
		return events(protocol).filter((event) => event.type === "chunk");
	}

	test("a frame arrives in pieces of at most chunkSize, with offsets", () => {
		const protocol = client({ chunkSize: 4 });
		protocol.receiveData(frameBytes(2, pattern(10)));
		assert.deepEqual(chunks(protocol), [
			{ type: "chunk", opcode: 2, fin: true, frameLength: 10, offset: 0, bytes: pattern(10).slice(0, 4) },
			{ type: "chunk", opcode: 2, fin: true, frameLength: 10, offset: 4, bytes: pattern(10).slice(4, 8) },
			{ type: "chunk", opcode: 2, fin: true, frameLength: 10, offset: 8, bytes: pattern(10).slice(8) },
		]);
	});

	test("a piece is also cut where the network cut, never longer than chunkSize", () => {
		const bytes = concat(frameBytes(1, ascii("Hello, world"), { fin: false, mask: [1, 2, 3, 4] }), frameBytes(0, ascii("!!"), { mask: [4, 3, 2, 1] }));
		for (let split = 0; split <= bytes.length; split++) {
			const protocol = server({ chunkSize: 5 });
			protocol.receiveData(bytes.slice(0, split));
			protocol.receiveData(bytes.slice(split));
			const seen = chunks(protocol);
			assert.ok(seen.every((chunk) => chunk.bytes.length <= 5 && chunk.bytes.length > 0));
			const first = seen.filter((chunk) => chunk.opcode === 1);
			const second = seen.filter((chunk) => chunk.opcode === 0);
			assert.equal(Buffer.concat(first.map((chunk) => chunk.bytes)).toString(), "Hello, world");
			assert.equal(Buffer.concat(second.map((chunk) => chunk.bytes)).toString(), "!!");
			let offset = 0;
			for (const chunk of first) {
				assert.deepEqual([chunk.offset, chunk.frameLength, chunk.fin], [offset, 12, false]);
				offset += chunk.bytes.length;
			}
			assert.ok(second.every((chunk) => chunk.frameLength === 2 && chunk.fin));
		}
	});

	test("an empty data frame is one empty chunk", () => {
		const protocol = client({ chunkSize: 4 });
		protocol.receiveData(hex("8100"));
		assert.deepEqual(chunks(protocol), [{ type: "chunk", opcode: 1, fin: true, frameLength: 0, offset: 0, bytes: new Uint8Array(0) }]);
	});

	test("frames larger than any buffer pass through when maxMessage allows them", () => {
		const protocol = client({ chunkSize: 1024, maxMessage: Infinity });
		const payload = pattern(100000);
		protocol.receiveData(frameBytes(2, payload));
		const seen = chunks(protocol);
		assert.equal(seen.length, Math.ceil(100000 / 1024));
		assert.deepEqual(concat(...seen.map((chunk) => chunk.bytes)), payload);
	});

	test("control frames still arrive as events, and pings are answered", () => {
		const protocol = client({ chunkSize: 4 });
		protocol.receiveData(concat(hex("01 03 48 65 6c"), hex("89 01 21"), hex("80 02 6c 6f")));
		assert.deepEqual(
			events(protocol).map((event) => event.type),
			["chunk", "ping", "chunk"],
		);
		assert.deepEqual(output(protocol), frameBytes(10, ascii("!"), { mask: clientMask }));
	});

	test("invalid UTF-8 fails before the bad piece is delivered", () => {
		const protocol = client({ chunkSize: 2 });
		protocol.receiveData(concat(hex("81 06"), ascii("ab"), hex("ff"), ascii("cde")));
		const seen = events(protocol);
		assert.deepEqual(seen[0], { type: "chunk", opcode: 1, fin: true, frameLength: 6, offset: 0, bytes: ascii("ab") });
		assert.equal(seen[1].type, "error");
		assert.equal(seen[1].error.closeCode, 1007);
	});
});

describe("sending", () => {
	test("fragments: first with the opcode, then continuations, fin on the last", () => {
		const protocol = server();
		protocol.sendBinary(Uint8Array.of(1, 2), false);
		protocol.ping(ascii("p"));
		protocol.sendContinuation(Uint8Array.of(3), false);
		protocol.sendContinuation(Uint8Array.of(4), true);
		assert.deepEqual(output(protocol), hex("02 02 0102 89 01 70 00 01 03 80 01 04"));
	});

	test("fragment order is enforced", () => {
		const protocol = server();
		assert.throws(() => protocol.sendContinuation("x", true), { name: "InvalidStateError" });
		protocol.sendText("a", false);
		assert.throws(() => protocol.send("b"), { name: "InvalidStateError" });
	});

	test("sendFrame sends any opcode as AT+WSSEND asks", () => {
		const protocol = server();
		protocol.sendFrame(3, ascii("r"));
		protocol.sendFrame(1, ascii("a"), false);
		protocol.sendFrame(0, new Uint8Array(0), true);
		assert.deepEqual(output(protocol), hex("83 01 72 01 01 61 80 00"));
		assert.throws(() => protocol.sendFrame(9, pattern(126)), { name: "RangeError" });
		assert.throws(() => protocol.sendFrame(9, pattern(1), false), { name: "RangeError" });
	});

	test("ping and pong payloads are at most 125 bytes", () => {
		const protocol = server();
		protocol.ping(pattern(125));
		assert.throws(() => protocol.ping(pattern(126)), { name: "RangeError" });
		assert.throws(() => protocol.pong(pattern(126)), { name: "RangeError" });
		protocol.pong(ascii("beat"));
		assert.deepEqual(output(protocol), concat(frameBytes(9, pattern(125)), frameBytes(10, ascii("beat"))));
	});

	test("views send only their own bytes", () => {
		const protocol = server();
		const bytes = pattern(20);
		protocol.send(new DataView(bytes.buffer, 5, 3));
		assert.deepEqual(output(protocol), concat(hex("8203"), bytes.slice(5, 8)));
	});

	test("masking a payload split at unaligned offsets matches masking it whole", () => {
		const { applyMask } = ws.frame;
		const mask = Uint8Array.of(0x11, 0x22, 0x33, 0x44);
		const whole = pattern(23);
		const expected = Uint8Array.from(whole, (byte, i) => byte ^ mask[i % 4]);
		for (let split = 0; split <= 23; split++) {
			const bytes = whole.slice();
			applyMask(bytes.subarray(0, split), mask, 0);
			applyMask(bytes.subarray(split), mask, split);
			assert.deepEqual(bytes, expected, `split at ${split}`);
		}
	});
});

describe("keep-alive", () => {
	test("bytesReceived grows with every byte the shell feeds", () => {
		const protocol = client();
		protocol.receiveData(hex("8a 00"));
		protocol.receiveData(hex("81"));
		assert.equal(protocol.bytesReceived, 3);
	});
});

describe("a shell's handler sees everything in stream order (RFC 6455 §7.1.7)", () => {
	// An echoing shell: every message goes straight back, as the firmware's echo server does.
	function echoing(role: "server" | "client") {
		const written: Uint8Array[] = [];
		const seen: string[] = [];
		const protocol = new ws.protocol.Protocol(role, {
			random: role === "client" ? repeating(clientMask) : zeroRandom,
			maxMessage: 1 << 20,
			handler: {
				// Copied at once: an echo framed in place is a view of the input.
				write: (bytes: Uint8Array) => written.push(Uint8Array.from(bytes)),
				message: (bytes: Uint8Array, binary: boolean) => {
					seen.push(`${binary ? "binary" : "text"} ${Buffer.from(bytes).toString()}`);
					protocol.send(bytes, binary);
				},
				event: (event: any) => seen.push(event.type),
			},
		});
		return { protocol, wire: () => concat(...written), seen };
	}

	for (const role of ["server", "client"] as const) {
		const mask = role === "server" ? { mask: clientMask } : {};
		const reply = role === "server" ? {} : { mask: clientMask };
		test(`${role}: a message, then a frame with a reserved bit, in one buffer: the echo goes out before the Close`, () => {
			const { protocol, wire, seen } = echoing(role);
			protocol.receiveData(concat(frameBytes(1, ascii("Hello"), mask), frameBytes(2, ascii("x"), { ...mask, rsv: 0x40 })));
			const close = frameBytes(8, concat([0x03, 0xea], ascii("reserved bits set")), reply);
			assert.deepEqual(wire(), concat(frameBytes(1, ascii("Hello"), reply), close));
			assert.deepEqual(seen, ["text Hello", "error", "close", "closeTransport"]);
		});

		test(`${role}: a fragmented message, then a continuation without a start: echoed, then 1002`, () => {
			const { protocol, wire } = echoing(role);
			protocol.receiveData(
				concat(frameBytes(2, ascii("frag"), { ...mask, fin: false }), frameBytes(0, ascii("ment"), mask), frameBytes(0, ascii("!"), mask)),
			);
			const out = wire();
			const echo = frameBytes(2, ascii("fragment"), reply);
			assert.deepEqual(out.subarray(0, echo.length), echo);
			assert.equal(out[echo.length], 0x88);
		});
	}

	test("an echo framed in place is the same frame a copy would be, for every length encoding", () => {
		for (const length of [0, 1, 125, 126, 65535, 65536]) {
			const { protocol, wire } = echoing("server");
			const payload = Uint8Array.from({ length }, (_, i) => i & 0xff);
			protocol.receiveData(frameBytes(2, payload, { mask: clientMask }));
			assert.deepEqual(wire(), frameBytes(2, payload), `length ${length}`);
		}
	});

	test("an echo of a message split over pieces (assembled) is framed the same", () => {
		const payload = ascii("split over three pieces");
		const bytes = frameBytes(1, payload, { mask: clientMask });
		const { protocol, wire } = echoing("server");
		protocol.receiveData(bytes.slice(0, 3));
		protocol.receiveData(bytes.slice(3, 12));
		protocol.receiveData(bytes.slice(12));
		assert.deepEqual(wire(), frameBytes(1, payload));
	});

	test("an echo of a message whose header came in the read before (no room in front) is framed apart", () => {
		for (const length of [5, 300]) {
			const payload = Uint8Array.from({ length }, (_, i) => i & 0xff);
			const bytes = frameBytes(2, payload, { mask: clientMask });
			const headerSize = length < 126 ? 6 : 8;
			const { protocol, wire } = echoing("server");
			protocol.receiveData(bytes.slice(0, headerSize));
			protocol.receiveData(bytes.slice(headerSize));
			assert.deepEqual(wire(), frameBytes(2, payload), `length ${length}`);
		}
	});

	test("sending the delivered message twice frames the second copy apart", () => {
		const written: Uint8Array[] = [];
		const protocol = new ws.protocol.Protocol("server", {
			random: zeroRandom,
			handler: {
				write: (bytes: Uint8Array) => written.push(bytes),
				message: (bytes: Uint8Array) => {
					protocol.send(bytes, true);
					protocol.send(bytes, false);
				},
				event: () => {},
			},
		});
		protocol.receiveData(frameBytes(2, ascii("twice"), { mask: clientMask }));
		// Both frames stay intact though the first is a view of the input, not yet written.
		assert.deepEqual(concat(...written), concat(frameBytes(2, ascii("twice")), frameBytes(1, ascii("twice"))));
	});
});

describe("reading a frame to its end and no further (a server short of memory)", () => {
	test("bytesToFrameEnd counts the header, then the payload, and a message begun reserves its budget", () => {
		const budget = new ws.budget.MemoryBudget(100_000);
		const protocol = server({ budget });
		const payload = pattern(300);
		const bytes = frameBytes(2, payload, { mask: clientMask });
		assert.equal(protocol.bytesToFrameEnd, 2, "two bytes tell a header's size");
		protocol.receiveData(bytes.subarray(0, 2));
		assert.equal(protocol.bytesToFrameEnd, 6, "the rest of the header: 2 length bytes and the mask");
		protocol.receiveData(bytes.subarray(2, 8));
		assert.equal(protocol.bytesToFrameEnd, 300, "then the payload");
		protocol.receiveData(bytes.subarray(8, 108));
		assert.equal(protocol.assembling, true);
		assert.equal(budget.held, 310, "the whole message (and the room to frame its echo) reserved from its header");
		assert.equal(protocol.bytesToFrameEnd, 200);
		protocol.receiveData(bytes.subarray(108));
		assert.equal(protocol.assembling, false);
		assert.equal(budget.held, 0, "given back once delivered");
		assert.equal(protocol.bytesToFrameEnd, 2);
		const [message] = events(protocol);
		assert.deepEqual(new Uint8Array(message.data), payload);
	});

	test("a fragmented message reserves the largest message, and a failure gives it back", () => {
		const budget = new ws.budget.MemoryBudget(100_000);
		const protocol = server({ budget, maxMessage: 5000 });
		protocol.receiveData(frameBytes(1, ascii("part"), { fin: false, mask: clientMask }));
		assert.equal(budget.held, 5010);
		protocol.receiveData(frameBytes(0, [0xff], { mask: clientMask }));
		assertFails(protocol, 1007);
		assert.equal(budget.held, 0);
	});
});
