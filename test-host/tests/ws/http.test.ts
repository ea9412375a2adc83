// RFC 9112: reading HTTP/1.1 message heads from a stream split anywhere.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Ws, ascii, concat, loadWs, plain } from "./ws.ts";

let ws: Ws;
before(async () => {
	ws = await loadWs();
});

const request = "GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nX-Twice: a\r\nx-twice: b\r\nEmpty:\r\nSpaced:   v  \r\n\r\n";

describe("HeadReader", () => {
	test("finds the end of the head at every split, and leaves the rest to the caller", () => {
		const bytes = concat(ascii(request), Uint8Array.of(0x81, 0x00, 0x42));
		for (let split = 0; split <= bytes.length; split++) {
			const reader = new ws.http.HeadReader(4096);
			let head = reader.receive(bytes.slice(0, split));
			let rest: Uint8Array;
			if (head) rest = Uint8Array.from(reader.rest);
			else {
				head = reader.receive(bytes.slice(split));
				rest = Uint8Array.from(reader.rest);
			}
			assert.ok(head, `split at ${split}`);
			assert.equal(Buffer.from(Uint8Array.from(head)).toString("latin1"), request);
			// The rest is what followed the head in the chunk that completed it.
			assert.deepEqual(rest, split >= request.length ? bytes.slice(request.length, split) : bytes.slice(request.length));
		}
	});

	test("one byte at a time", () => {
		const reader = new ws.http.HeadReader(4096);
		const bytes = ascii(request);
		let head;
		for (const byte of bytes) head = reader.receive(Uint8Array.of(byte)) ?? head;
		assert.equal(Buffer.from(Uint8Array.from(head)).toString("latin1"), request);
		assert.equal(reader.rest.length, 0);
	});

	test("a head of exactly maxSize is accepted, one byte more is 431", () => {
		const head = ascii(request);
		assert.ok(new ws.http.HeadReader(head.length).receive(head));
		assert.throws(() => new ws.http.HeadReader(head.length - 1).receive(head), { name: "HttpError", status: 431 });
	});

	test("a head that never ends is refused once it passes maxSize, before it ends", () => {
		const reader = new ws.http.HeadReader(100);
		reader.receive(ascii("GET / HTTP/1.1\r\n"));
		assert.throws(() => {
			for (let i = 0; i < 20; i++) reader.receive(ascii("X-Filler: 0123456789\r\n"));
		}, { name: "HttpError", status: 431 });
	});

	test("empty lines before the request line are skipped (RFC 9112 §2.2)", () => {
		const reader = new ws.http.HeadReader();
		const head = reader.receive(ascii("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
		assert.equal(plain(ws.http.parseRequest(head)).target, "/");
	});
});

describe("parseRequest and parseResponse", () => {
	test("request line and header fields, in order, looked up case-insensitively", () => {
		const parsed = ws.http.parseRequest(ascii(request));
		assert.deepEqual([parsed.method, parsed.target, parsed.version], ["GET", "/chat?room=1", "HTTP/1.1"]);
		assert.equal(parsed.headers.get("HOST"), "server.example.com");
		assert.equal(parsed.headers.get("x-TWICE"), "a, b");
		assert.deepEqual(Array.from(parsed.headers.getAll("X-Twice")), ["a", "b"]);
		assert.deepEqual(Array.from(parsed.headers.tokens("connection")), ["keep-alive", "upgrade"]);
		assert.equal(parsed.headers.get("Empty"), "");
		assert.equal(parsed.headers.get("Spaced"), "v");
		assert.equal(parsed.headers.get("Missing"), undefined);
		assert.equal(parsed.headers.has("upgrade"), true);
		assert.deepEqual(plain(parsed.headers.list).map((field: string[]) => field[0]), ["Host", "Upgrade", "Connection", "X-Twice", "x-twice", "Empty", "Spaced"]);
	});

	test("a response with and without a reason phrase", () => {
		const response = ws.http.parseResponse(ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"));
		assert.deepEqual([response.version, response.status, response.reason], ["HTTP/1.1", 101, "Switching Protocols"]);
		assert.equal(ws.http.parseResponse(ascii("HTTP/1.1 204 \r\n\r\n")).reason, "");
		assert.equal(ws.http.parseResponse(ascii("HTTP/1.1 204\r\n\r\n")).status, 204);
	});

	const malformed: Array<[string, string]> = [
		["no version", "GET /\r\n\r\n"],
		["two spaces", "GET  / HTTP/1.1\r\n\r\n"],
		["bad method token", "G(T / HTTP/1.1\r\n\r\n"],
		["space before colon (RFC 9112 §5.1)", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"],
		["obsolete line folding (RFC 9112 §5.2)", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"],
		["no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n"],
		["bare LF", "GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n"],
		["bare CR", "GET / HTTP/1.1\r\nA: b\rC: d\r\n\r\n"],
	];
	for (const [name, text] of malformed) {
		test(`400 for ${name}`, () => {
			assert.throws(() => ws.http.parseRequest(ascii(text)), { name: "HttpError", status: 400 });
		});
	}

	test("a malformed status line", () => {
		assert.throws(() => ws.http.parseResponse(ascii("HTTP/1.1 1010 X\r\n\r\n")), { name: "HttpError" });
		assert.throws(() => ws.http.parseResponse(ascii("ICY 200 OK\r\n\r\n")), { name: "HttpError" });
	});

	test("obs-text in a value is read byte for byte (ISO-8859-1)", () => {
		const parsed = ws.http.parseRequest(concat(ascii("GET / HTTP/1.1\r\nX: caf"), [0xe9], ascii("\r\n\r\n")));
		assert.equal(parsed.headers.get("x"), "café");
	});
});

describe("writing heads", () => {
	test("encodeResponse with a body adds Content-Length", () => {
		const bytes = ws.http.encodeResponse(404, [["Content-Type", "text/plain"]], "no €\n");
		assert.equal(Buffer.from(Uint8Array.from(bytes)).toString(), "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nno €\n");
	});

	test("encodeRequest", () => {
		const bytes = ws.http.encodeRequest("GET", "/x", [["Host", "h"]]);
		assert.equal(Buffer.from(Uint8Array.from(bytes)).toString(), "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
	});
});
