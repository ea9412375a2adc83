// RFC 6455 §5.5.1 and §7: close frames, status codes and the close handshake.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Ws, clientMask, concat, events, frameBytes, hex, loadWs, output, repeating, serverClose, zeroRandom } from "./ws.ts";

let ws: Ws;
before(async () => {
	ws = await loadWs();
});

const server = () => new ws.protocol.Protocol("server", { random: zeroRandom });
const client = () => new ws.protocol.Protocol("client", { random: repeating(clientMask) });

/** A Close frame as a client sends it. */
function clientClose(payload: ArrayLike<number>) {
	return frameBytes(8, payload, { mask: clientMask });
}

// RFC 6455 §7.4.1/§7.4.2, as the brief of this project states the rule.
function validOnTheWire(code: number) {
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

describe("close status codes", () => {
	test("every code from 0 to 5999: valid ones close cleanly and are echoed, others fail with 1002", () => {
		for (let code = 0; code < 6000; code++) {
			const protocol = server();
			protocol.receiveData(clientClose([code >> 8, code & 0xff]));
			const seen = events(protocol);
			const sent = output(protocol);
			if (validOnTheWire(code)) {
				assert.deepEqual(seen, [{ type: "close", code, reason: "", wasClean: true }, { type: "closeTransport" }], `code ${code}`);
				assert.deepEqual(sent, serverClose(code), `code ${code}`);
			} else {
				assert.equal(seen[0].type, "error", `code ${code}`);
				assert.equal(seen[0].error.closeCode, 1002);
				assert.deepEqual(sent.subarray(2, 4), hex("03ea"), `code ${code}`);
			}
			assert.equal(ws.close.isValidCloseCode(code), validOnTheWire(code));
		}
	});

	test("an empty close payload reports 1005 and is answered with an empty Close", () => {
		const protocol = server();
		protocol.receiveData(clientClose([]));
		assert.deepEqual(events(protocol), [{ type: "close", code: 1005, reason: "", wasClean: true }, { type: "closeTransport" }]);
		assert.deepEqual(output(protocol), hex("8800"));
	});

	test("a 1-byte close payload fails with 1002", () => {
		const protocol = server();
		protocol.receiveData(clientClose([0x03]));
		assert.equal(events(protocol)[0].error.closeCode, 1002);
	});

	test("a reason that is not UTF-8 fails with 1007", () => {
		const protocol = server();
		protocol.receiveData(clientClose([0x03, 0xe8, 0x61, 0xff]));
		assert.equal(events(protocol)[0].error.closeCode, 1007);
		assert.deepEqual(output(protocol).subarray(2, 4), hex("03ef"));
	});

	test("the reason is reported", () => {
		const protocol = server();
		protocol.receiveData(clientClose(concat([0x0f, 0xa0], Buffer.from("au revoir, à bientôt"))));
		assert.deepEqual(events(protocol)[0], { type: "close", code: 4000, reason: "au revoir, à bientôt", wasClean: true });
	});
});

describe("sending close", () => {
	test("close(code, reason) sends them and moves to CLOSING", () => {
		const protocol = server();
		protocol.close(1001, "going");
		assert.deepEqual(output(protocol), serverClose(1001, "going"));
		assert.equal(protocol.state, ws.State.Closing);
	});

	test("close() without a code sends an empty Close", () => {
		const protocol = server();
		protocol.close();
		assert.deepEqual(output(protocol), hex("8800"));
	});

	test("a reason of 123 bytes is the most", () => {
		server().close(1000, "é".repeat(61) + "x");
		assert.throws(() => server().close(1000, "x".repeat(124)), { name: "RangeError" });
	});

	test("codes that may not be sent are refused", () => {
		for (const code of [999, 1004, 1006, 1015, 1016, 2999, 5000]) assert.throws(() => server().close(code), { name: "RangeError" }, `code ${code}`);
	});

	test("a second close() sends nothing more", () => {
		const protocol = server();
		protocol.close(1000);
		protocol.close(1001);
		assert.deepEqual(output(protocol), serverClose(1000));
	});

	test("no data frame after the Close frame (RFC 6455 §5.5.1)", () => {
		const protocol = server();
		protocol.close(1000);
		assert.throws(() => protocol.send("x"), { name: "InvalidStateError" });
		assert.throws(() => protocol.ping(), { name: "InvalidStateError" });
		assert.throws(() => protocol.sendFrame(2, new Uint8Array(1)), { name: "InvalidStateError" });
	});

	test("a Close sent with sendFrame starts the close handshake too", () => {
		const protocol = client();
		protocol.sendFrame(8, Uint8Array.of(0x03, 0xe8));
		assert.equal(protocol.state, ws.State.Closing);
		protocol.receiveData(serverClose(1000));
		assert.deepEqual(events(protocol), [{ type: "close", code: 1000, reason: "", wasClean: true }]);
	});
});

describe("the close handshake", () => {
	test("server initiates: data still arrives while CLOSING, the client's Close completes, the server closes TCP", () => {
		const protocol = server();
		protocol.close(1000, "bye");
		output(protocol);
		protocol.receiveData(frameBytes(1, Buffer.from("late"), { mask: clientMask }));
		protocol.receiveData(clientClose([0x03, 0xe8]));
		assert.deepEqual(events(protocol), [
			{ type: "message", data: "late" },
			{ type: "close", code: 1000, reason: "", wasClean: true },
			{ type: "closeTransport" },
		]);
		assert.deepEqual(output(protocol), new Uint8Array(0), "no second Close");
		assert.equal(protocol.state, ws.State.Closed);
		assert.equal(protocol.shouldCloseTransport, true);
	});

	test("client initiates: after the server's Close, the client waits for the server to close TCP", () => {
		const protocol = client();
		protocol.close(1000);
		assert.deepEqual(output(protocol), frameBytes(8, [0x03, 0xe8], { mask: clientMask }));
		protocol.receiveData(serverClose(1000));
		assert.deepEqual(events(protocol), [{ type: "close", code: 1000, reason: "", wasClean: true }]);
		assert.equal(protocol.state, ws.State.Closed);
		assert.equal(protocol.shouldCloseTransport, false);
		protocol.receiveEof();
		assert.deepEqual(events(protocol), [{ type: "closeTransport" }]);
		assert.equal(protocol.shouldCloseTransport, true);
	});

	test("peer initiates: the reply echoes the code; the server closes TCP, the client does not", () => {
		const s = server();
		s.receiveData(clientClose([0x0b, 0xb8]));
		assert.deepEqual(output(s), serverClose(3000));
		assert.equal(s.shouldCloseTransport, true);
		const c = client();
		c.receiveData(serverClose(3000, "x"));
		assert.deepEqual(output(c), frameBytes(8, [0x0b, 0xb8], { mask: clientMask }));
		assert.equal(c.shouldCloseTransport, false);
	});

	test("nothing after the peer's Close frame is read", () => {
		const protocol = client();
		protocol.receiveData(concat(serverClose(1000), hex("81 01 41")));
		protocol.receiveData(hex("81 01 42"));
		assert.deepEqual(
			events(protocol).map((event) => event.type),
			["close"],
		);
	});

	test("the transport ending without a Close reports 1006", () => {
		const protocol = client();
		protocol.receiveEof();
		assert.deepEqual(events(protocol), [{ type: "close", code: 1006, reason: "", wasClean: false }, { type: "closeTransport" }]);
		assert.equal(protocol.state, ws.State.Closed);
	});

	test("fail(1006), e.g. a keep-alive timeout, sends no Close frame", () => {
		const protocol = client();
		protocol.fail(1006, "pong timeout");
		assert.deepEqual(output(protocol), new Uint8Array(0));
		assert.deepEqual(events(protocol), [{ type: "close", code: 1006, reason: "pong timeout", wasClean: false }, { type: "closeTransport" }]);
	});

	test("fail(1011) sends a Close frame and ends the connection", () => {
		const protocol = server();
		protocol.fail(1011, "internal");
		assert.deepEqual(output(protocol), serverClose(1011, "internal"));
		assert.equal(protocol.state, ws.State.Closed);
	});

	test("a ping is not answered once the Close was sent", () => {
		const protocol = server();
		protocol.close(1000);
		output(protocol);
		protocol.receiveData(frameBytes(9, [1], { mask: clientMask }));
		assert.deepEqual(output(protocol), new Uint8Array(0));
		assert.deepEqual(events(protocol), [{ type: "ping", data: Uint8Array.of(1) }]);
	});

	test("close-code helpers", () => {
		assert.deepEqual(Uint8Array.from(ws.close.encodeClosePayload(1000, "ok")), hex("03e8 6f6b"));
		assert.deepEqual(Uint8Array.from(ws.close.encodeClosePayload()), hex(""));
		assert.deepEqual({ ...ws.close.parseClosePayload(hex("0fa0 6869")) }, { code: 4000, reason: "hi" });
		assert.equal(ws.close.CloseCode.MessageTooBig, 1009);
	});
});
