// RFC 6455 §8.1 and RFC 3629: text must be UTF-8, checked incrementally and failed at once (1007).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Ws, concat, events, frameBytes, hex, loadWs, zeroRandom } from "./ws.ts";

let ws: Ws;
before(async () => {
	ws = await loadWs();
});

// Node's own decoder in fatal mode is the reference for what is well-formed.
const reference = new TextDecoder("utf-8", { fatal: true });
function wellFormed(bytes: Uint8Array): boolean {
	try {
		reference.decode(bytes);
		return true;
	} catch {
		return false;
	}
}

describe("Utf8Validator agrees with a fatal UTF-8 decoder", () => {
	test("every 1- and 2-byte sequence", () => {
		for (let a = 0; a < 256; a++)
			for (let b = -1; b < 256; b++) {
				const bytes = b < 0 ? Uint8Array.of(a) : Uint8Array.of(a, b);
				assert.equal(ws.utf8.isValidUtf8(bytes), wellFormed(bytes), Buffer.from(bytes).toString("hex"));
			}
	});

	test("3- and 4-byte sequences around every boundary of Table 3-7", () => {
		const edges = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
		for (let a = 0xc0; a < 256; a++)
			for (let b = 0; b < 256; b++)
				for (const c of edges) {
					const three = Uint8Array.of(a, b, c);
					assert.equal(ws.utf8.isValidUtf8(three), wellFormed(three), Buffer.from(three).toString("hex"));
					if (a >= 0xf0) {
						const four = Uint8Array.of(a, b, 0x80, c);
						assert.equal(ws.utf8.isValidUtf8(four), wellFormed(four), Buffer.from(four).toString("hex"));
					}
				}
	});

	test("a code point split at every position across writes", () => {
		const text = Buffer.from("a€😀ü\u{10FFFF}z");
		for (let split = 0; split <= text.length; split++) {
			const validator = new ws.utf8.Utf8Validator();
			assert.equal(validator.write(text.subarray(0, split)), true);
			assert.equal(validator.write(text.subarray(split)), true);
			assert.equal(validator.complete, true);
		}
	});

	test("the first bad byte is reported, not the end of the sequence", () => {
		const validator = new ws.utf8.Utf8Validator();
		assert.equal(validator.write(hex("e282")), true);
		assert.equal(validator.complete, false);
		assert.equal(validator.write(hex("41")), false);
	});
});

describe("text messages (1007)", () => {
	const client = () => new ws.protocol.Protocol("client", { random: zeroRandom });

	const invalid: Array<[string, string]> = [
		["overlong 2-byte NUL", "c080"],
		["overlong 2-byte", "c1bf"],
		["overlong 3-byte", "e080af"],
		["overlong 4-byte", "f08080af"],
		["surrogate U+D800", "eda080"],
		["surrogate U+DFFF", "edbfbf"],
		["beyond U+10FFFF", "f4908080"],
		["F5 lead byte", "f5808080"],
		["lone continuation", "80"],
		["FF", "ff"],
	];
	for (const [name, bytes] of invalid) {
		test(`${name} fails with 1007`, () => {
			const protocol = client();
			protocol.receiveData(frameBytes(1, concat(Buffer.from("ok"), hex(bytes))));
			const error = events(protocol).find((event) => event.type === "error");
			assert.equal(error?.error.closeCode, 1007);
			// The client's Close frame (masked with the all-zero key of zeroRandom) carries 1007.
			const sent = output2(protocol);
			assert.deepEqual([sent[0], sent[6], sent[7]], [0x88, 0x03, 0xef]);
		});
	}

	test("fails as soon as the bad byte arrives, before the rest of the frame", () => {
		const protocol = client();
		protocol.receiveData(concat(hex("81 7e 0400"), Buffer.from("fine so far"), hex("ed a0")));
		assert.equal(events(protocol).find((event) => event.type === "error")?.error.closeCode, 1007);
	});

	test("a code point split across fragments is fine", () => {
		const protocol = client();
		protocol.receiveData(concat(frameBytes(1, hex("e2"), { fin: false }), frameBytes(0, hex("82"), { fin: false }), frameBytes(0, hex("ac"))));
		assert.deepEqual(events(protocol), [{ type: "message", data: "€" }]);
	});

	test("a message that ends inside a code point fails with 1007", () => {
		const protocol = client();
		protocol.receiveData(concat(frameBytes(1, hex("e2"), { fin: false }), frameBytes(0, hex("82"))));
		assert.equal(events(protocol).find((event) => event.type === "error")?.error.closeCode, 1007);
	});

	test("binary messages are not checked", () => {
		const protocol = client();
		protocol.receiveData(frameBytes(2, hex("ff c0 80")));
		assert.deepEqual(events(protocol), [{ type: "message", data: hex("ffc080") }]);
	});
});

function output2(protocol: any): Uint8Array {
	return concat(...Array.from(protocol.dataToSend() as ArrayLike<Uint8Array>));
}
