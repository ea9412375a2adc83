// The JSON API on the WebSocket port (/api/status, /api/echo), from the outside: Node's fetch,
// Debian's curl and raw sockets, against any target (TARGET).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import path from "node:path";
import WebSocket from "ws";
import { startTarget, targetKind, type Target } from "../../harness/target.ts";
import { resolveManifest } from "../../runtime/manifest.ts";
import { projectRoot } from "../../runtime/realm.ts";
import { nodeExchange } from "../../clients/peers.ts";
import { RawConnection } from "../../clients/raw.ts";
import { curl, eventually, parseResponses, pause } from "./helpers.ts";

const maxBody = 1000;
const maxClients = 3;
const config = { wsMaxBody: maxBody, wsMaxClients: maxClients };
const manifest = resolveManifest(path.join(projectRoot, "manifest.json"), "lin");
let target: Target;
let base: string;

before(async () => {
	target = await startTarget({ config });
	base = `http://${target.host}:${target.port}`;
});
after(async () => {
	await target?.stop();
});

async function status(): Promise<any> {
	const response = await fetch(`${base}/api/status`);
	assert.equal(response.status, 200);
	return response.json();
}

async function echo(body: string | Buffer | undefined, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
	const response = await fetch(`${base}/api/echo`, { method: "POST", body: body as string | undefined, headers });
	return { status: response.status, json: (await response.json()) as any };
}

/** Sends one request on a fresh raw connection and reads the one response. */
async function rawExchange(request: Buffer | string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
	const connection = await RawConnection.connect(target.host, target.port);
	await connection.write(request);
	await connection.until(() => parseResponses(connection.received).responses.length > 0, 10_000, "a whole response");
	connection.destroy();
	return parseResponses(connection.received).responses[0];
}

describe("GET /api/status", () => {
	test("reports the firmware version, memory figures, clients, links and the configured limits", async () => {
		const response = await fetch(`${base}/api/status`);
		assert.equal(response.status, 200);
		assert.match(response.headers.get("content-type")!, /^application\/json/);
		const body: any = await response.json();
		assert.equal(body.version, manifest.config.version);
		assert.equal(typeof body.uptimeMs, "number");
		assert.ok(body.uptimeMs >= 0);
		assert.equal(body.profile, manifest.config.profile);
		assert.ok(body.memory.systemFree === null || body.memory.systemFree > 0);
		if (targetKind() === "lin") {
			// A debug build keeps the SDK's instrumentation: live heap after a collection, and peaks.
			assert.equal(body.memory.instrumented, true);
			for (const heap of [body.memory.slotHeap, body.memory.chunkHeap]) {
				assert.ok(heap.live > 0, "the heap is in use");
				assert.ok(heap.peak >= heap.live, "the peak since start is at least what is live now");
			}
		} else if (targetKind() === "sim") {
			// The host runtime has no XS heap: it says so and gives no numbers.
			assert.equal(body.memory.instrumented, false);
			assert.match(body.memory.note, /no XS heap figures/);
			assert.equal(body.memory.slotHeap, undefined);
		}
		assert.deepEqual(body.links, []);
		assert.equal(body.websocket.path, "/ws");
		assert.equal(body.limits.maxBody, maxBody);
		assert.equal(body.limits.maxClients, maxClients);
		assert.equal(body.limits.maxConnections, maxClients + 4);
		assert.equal(body.limits.maxMessage, 16384);
		// Uptime only grows.
		assert.ok((await status()).uptimeMs >= body.uptimeMs);
	});

	test("the client count follows WebSocket clients as they connect and leave", async () => {
		const url = `ws://${target.host}:${target.port}/ws`;
		const clientsNow = async () => (await status()).websocket.clients;
		await eventually(async () => (await clientsNow()) === 0, "no client is connected");
		const open = (ws: WebSocket) => new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
		const first = new WebSocket(url);
		const second = new WebSocket(url);
		await Promise.all([open(first), open(second)]);
		assert.equal(await clientsNow(), 2);
		first.close();
		await eventually(async () => (await clientsNow()) === 1, "one client is left");
		second.terminate();
		await eventually(async () => (await clientsNow()) === 0, "no client is left");
	});

	test("curl gets the same JSON, and HEAD gets the head alone", async () => {
		const result = await curl([`${base}/api/status`]);
		assert.equal(result.status, 200);
		assert.equal(JSON.parse(result.body.toString()).version, manifest.config.version);
		const head = await curl(["-I", `${base}/api/status`]);
		assert.equal(head.status, 200);
		assert.ok(Number(head.headers["content-length"]) > 0);
		assert.equal(head.body.length, 0);
	});
});

describe("POST /api/echo", () => {
	test("a JSON body comes back parsed, with the seed's success message", async () => {
		const value = { name: "sensor", values: [1, 2.5, null, true], nested: { text: "é€" } };
		const { status: code, json } = await echo(JSON.stringify(value), { "Content-Type": "application/json" });
		assert.equal(code, 200);
		assert.equal(json.status, "success");
		assert.equal(json.message, "Received your request.");
		assert.equal(json.contentType, "application/json");
		assert.equal(json.length, Buffer.byteLength(JSON.stringify(value)));
		assert.equal(json.bodyEncoding, "json");
		assert.deepEqual(json.body, value);
	});

	test("text comes back as text, binary as base64", async () => {
		const text = await echo("plain text, ünïcödé", { "Content-Type": "text/plain; charset=utf-8" });
		assert.deepEqual([text.json.bodyEncoding, text.json.body, text.json.length], ["text", "plain text, ünïcödé", Buffer.byteLength("plain text, ünïcödé")]);
		const bytes = crypto.randomBytes(maxBody);
		const binary = await echo(bytes, { "Content-Type": "application/octet-stream" });
		assert.equal(binary.json.bodyEncoding, "base64");
		assert.deepEqual(Buffer.from(binary.json.body, "base64"), bytes);
		// Without a content type, bytes that are not UTF-8 are binary.
		const invalid = Buffer.from([0xc3, 0x28, 0xff, 0x00]);
		const untyped = await rawExchange(Buffer.concat([Buffer.from(`POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n`), invalid]));
		const json = JSON.parse(untyped.body.toString());
		assert.deepEqual([json.contentType, json.bodyEncoding, json.body], [null, "base64", invalid.toString("base64")]);
	});

	test("JSON comes back as it was sent, never parsed: an array of 480 numbers, spacing kept", async () => {
		// Parsed, this would be 480 values in the heap; the echo checks the text and copies it.
		const text = `[ ${Array.from({ length: 480 }, (_, i) => i % 10).join(",")} ]`;
		assert.ok(Buffer.byteLength(text) <= maxBody);
		const response = await fetch(`${base}/api/echo`, { method: "POST", body: text, headers: { "Content-Type": "application/json" } });
		const raw = await response.text();
		assert.equal(response.status, 200);
		assert.ok(raw.endsWith(`"body":${text}}\n`), raw.slice(-80));
		assert.deepEqual(JSON.parse(raw).body, JSON.parse(text));
	});

	test("JSON that is malformed, not UTF-8, or nested deeper than 10 levels gets 400", async () => {
		for (const bad of ["[1,]", "{\"a\" 1}", "01", "", "[1] [2]", '"\\x"']) {
			const { status: code, json } = await echo(bad, { "Content-Type": "application/json" });
			assert.deepEqual([code, json.message], [400, "The body is not valid JSON."], bad);
		}
		const notUtf8 = await echo(Buffer.from([0x22, 0xff, 0x22]), { "Content-Type": "application/json" });
		assert.equal(notUtf8.status, 400);
		assert.equal((await echo("[".repeat(10) + "]".repeat(10), { "Content-Type": "application/json" })).status, 200);
		const deep = await echo("[".repeat(11) + "]".repeat(11), { "Content-Type": "application/json" });
		assert.deepEqual([deep.status, deep.json.message], [400, "The JSON is nested deeper than 10 levels."]);
	});

	test("text is escaped as JSON.stringify does; text mostly of control characters goes as base64", async () => {
		const text = 'quote " backslash \\ tab \t newline \n bell \u0007 del \u007f é';
		const { json } = await echo(text, { "Content-Type": "text/plain" });
		assert.deepEqual([json.bodyEncoding, json.body], ["text", text]);
		const controls = "\u0001\u0002\u0003\u0004";
		const binaryish = await echo(controls, { "Content-Type": "text/plain" });
		assert.deepEqual([binaryish.json.bodyEncoding, Buffer.from(binaryish.json.body, "base64").toString()], ["base64", controls]);
	});

	test("an empty body is echoed as empty", async () => {
		const { json } = await echo("", { "Content-Type": "text/plain" });
		assert.deepEqual([json.length, json.body], [0, ""]);
	});

	test("curl posts with Content-Length and with Transfer-Encoding: chunked", async () => {
		const payload = JSON.stringify({ from: "curl", list: Array.from({ length: 50 }, (_, i) => i) });
		const plain = await curl(["-H", "Content-Type: application/json", "--data-binary", "@-", `${base}/api/echo`], payload);
		assert.equal(plain.status, 200);
		assert.deepEqual(JSON.parse(plain.body.toString()).body, JSON.parse(payload));
		const chunked = await curl(["-H", "Content-Type: application/json", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", `${base}/api/echo`], payload);
		const json = JSON.parse(chunked.body.toString());
		assert.equal(json.transferEncoding, "chunked");
		assert.deepEqual(json.body, JSON.parse(payload));
	});

	test("a chunked body sent in small pieces with pauses is read as it arrives", async () => {
		const text = "The quick brown fox jumps over the lazy dog. ".repeat(8);
		const chunks: string[] = [];
		for (let i = 0; i < text.length; i += 37) chunks.push(text.slice(i, i + 37));
		// Chunk extensions and a trailer field are allowed and ignored (RFC 9112 §7.1.1, §7.1.2).
		let wire = `POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`;
		chunks.forEach((chunk, index) => (wire += `${Buffer.byteLength(chunk).toString(16)}${index === 1 ? ";name=value" : ""}\r\n${chunk}\r\n`));
		wire += "0\r\nX-Trailer: done\r\n\r\n";
		const bytes = Buffer.from(wire);
		const connection = await RawConnection.connect(target.host, target.port);
		for (let offset = 0; offset < bytes.length; offset += 7) {
			await connection.write(bytes.subarray(offset, offset + 7));
			if (offset % 70 === 0) await pause(20);
		}
		await connection.until(() => parseResponses(connection.received).responses.length > 0, 10_000, "the echo");
		const [response] = parseResponses(connection.received).responses;
		connection.destroy();
		assert.equal(response.status, 200);
		const json = JSON.parse(response.body.toString());
		assert.deepEqual([json.length, json.body, json.transferEncoding], [Buffer.byteLength(text), text, "chunked"]);
	});

	test("a body at the limit is echoed; one byte over gets 413 and the server serves others on", async () => {
		const ws = new WebSocket(`ws://${target.host}:${target.port}/ws`);
		await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
		const atLimit = await echo(Buffer.alloc(maxBody, 0x61), { "Content-Type": "text/plain" });
		assert.equal(atLimit.status, 200);
		assert.equal(atLimit.json.length, maxBody);
		const over = await fetch(`${base}/api/echo`, { method: "POST", body: Buffer.alloc(maxBody + 1, 0x61), headers: { "Content-Type": "text/plain" } });
		assert.equal(over.status, 413);
		assert.equal(over.headers.get("connection"), "close");
		await over.text();
		const overCurl = await curl(["-H", "Content-Type: application/octet-stream", "--data-binary", "@-", `${base}/api/echo`], Buffer.alloc(maxBody + 1));
		assert.equal(overCurl.status, 413);
		// The same limit holds for a chunked body, whose size is known only as it comes.
		const chunk = Buffer.alloc(600, 0x62);
		const wire = Buffer.concat([
			Buffer.from("POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
			...[chunk, chunk].map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n")])),
			Buffer.from("0\r\n\r\n"),
		]);
		assert.equal((await rawExchange(wire)).status, 413);
		// The WebSocket client opened before is still served, and so are new requests.
		const message = new Promise((resolve) => ws.once("message", (data) => resolve(String(data))));
		ws.send("still here");
		assert.equal(await message, "still here");
		ws.close();
		assert.equal((await echo("after", { "Content-Type": "text/plain" })).json.body, "after");
	});
});

describe("a body over the limit (RFC 9110 §15.5.14)", () => {
	test("a 413 for a large Content-Length closes at once when the body does not come", async () => {
		// The request timeout is 10 s here: the close must not wait for it.
		const connection = await RawConnection.connect(target.host, target.port);
		await connection.write(`POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n`);
		const response = await connection.response(5000);
		assert.equal(response.status, 413);
		assert.equal(response.headers["connection"], "close");
		await connection.closed(3000);
	});

	test("a body that does come after a 413 is read and dropped, and the connection closes without a reset", async () => {
		const connection = await RawConnection.connect(target.host, target.port);
		let reset = false;
		connection.socket.on("close", (hadError) => (reset = hadError));
		await connection.write(`POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 6000\r\n\r\n`);
		for (let piece = 0; piece < 6; piece++) {
			await connection.write(Buffer.alloc(1000, 0x61));
			await pause(100);
		}
		const response = await connection.response(5000);
		assert.equal(response.status, 413);
		await connection.closed(5000);
		assert.equal(reset, false, "closed with a FIN: the answer was not reset under the peer");
	});
});

describe("errors", () => {
	const host = () => `Host: ${target.host}:${target.port}`;

	test("an unknown path gets 404 (fetch, curl)", async () => {
		assert.equal((await fetch(`${base}/api/nothing`)).status, 404);
		assert.equal((await curl([`${base}/nowhere?x=1`])).status, 404);
	});

	test("a known path with the wrong method gets 405 with Allow", async () => {
		const deleted = await fetch(`${base}/api/status`, { method: "DELETE" });
		assert.equal(deleted.status, 405);
		assert.equal(deleted.headers.get("allow"), "GET, HEAD");
		const got = await curl([`${base}/api/echo`]);
		assert.equal(got.status, 405);
		assert.equal(got.headers["allow"], "POST");
		const put = await curl(["-X", "PUT", "--data-binary", "@-", `${base}/`], "x");
		assert.equal(put.status, 405);
	});

	test("a malformed request line or header field gets 400", async () => {
		assert.equal((await rawExchange("GET /api/status\r\n\r\n")).status, 400);
		assert.equal((await rawExchange(`GET /api/status HTTP/1.1\r\n${host()}\r\nBad Header: x\r\n\r\n`)).status, 400);
		assert.equal((await rawExchange(`GET /api/status HTTP/1.1\r\n${host()}\r\nNo-Colon\r\n\r\n`)).status, 400);
	});

	test("a body that cannot be delimited or decoded gets 400 or 501", async () => {
		const both = `POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
		assert.equal((await rawExchange(both)).status, 400);
		assert.equal((await rawExchange(`POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Length: -1\r\n\r\n`)).status, 400);
		assert.equal((await rawExchange(`POST /api/echo HTTP/1.1\r\n${host()}\r\nTransfer-Encoding: gzip\r\n\r\n`)).status, 501);
		assert.equal((await rawExchange(`POST /api/echo HTTP/1.1\r\n${host()}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`)).status, 400);
	});

	test("a body declared JSON that is not JSON gets 400", async () => {
		const { status: code, json } = await echo("{not json", { "Content-Type": "application/json" });
		assert.equal(code, 400);
		assert.equal(json.status, "error");
	});

	test("JSON nested deeper than 10 levels gets 400 before it is parsed; the board keeps running", async () => {
		// The probes of a hostile peer: each of them stopped XS on lin (stack overflow in
		// JSON.parse or in JSON.stringify of the echo) before the depth was bounded.
		const probes = ["[".repeat(250) + "]".repeat(250), '{"a":'.repeat(75) + "1" + "}".repeat(75), "[".repeat(300), '{"a":'.repeat(200)];
		for (const body of probes) {
			const { status: code, json } = await echo(body, { "Content-Type": "application/json" });
			assert.equal(code, 400, body.slice(0, 12));
			assert.equal(json.status, "error");
			assert.match(json.message, /nested deeper than 10 levels/);
		}
		// Ten levels are echoed, arrays and objects mixed; brackets inside strings are no nesting.
		let atLimit: unknown = '[[[[{{{{ \\" ]]]';
		for (let level = 0; level < 10; level++) atLimit = level % 2 ? { [`level${level}`]: atLimit } : [atLimit];
		const echoed = await echo(JSON.stringify(atLimit), { "Content-Type": "application/json" });
		assert.equal(echoed.status, 200);
		assert.deepEqual(echoed.json.body, atLimit);
		const over = await echo(JSON.stringify([atLimit]), { "Content-Type": "application/json" });
		assert.equal(over.status, 400);
	});

	test("after all of these the server still echoes WebSocket messages", async () => {
		const { echoes } = await nodeExchange(`ws://${target.host}:${target.port}/ws`, ["still there?"]);
		assert.equal(String(echoes[0]?.data), "still there?");
	});
});
