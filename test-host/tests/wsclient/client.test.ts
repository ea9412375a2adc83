// The firmware's WebSocket client (modules/wsclient) in the host runtime, against real servers:
// the Node `ws` echo server with its hooks (test-host/servers/echo-server.ts) and Python's
// websockets (ws-server.py). What is checked is what the server saw and what the client reported.
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startEchoServer, type EchoServer } from "../../servers/echo-server.ts";
import { startPythonServer } from "../../clients/peers.ts";
import { Closing, Connected, Connecting, Stopped, options, startProbe, startRawServer, type Probe, type ProbeEvent } from "./helpers.ts";

let probe: Probe | undefined;
let server: EchoServer | undefined;
afterEach(async () => {
	probe?.stop();
	probe = undefined;
	await server?.close();
	server = undefined;
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
// Every payload-length encoding of RFC 6455 §5.2: 7-bit, 16-bit (126..65535) and 64-bit.
const sizes = [0, 1, 125, 126, 127, 1000, 65535, 65536, 100_000];
const maxMessage = 100_000;

/** Sends each message after the previous one's echo; resolves with the echoes as the probe reported them. */
async function exchange(p: Probe, messages: Array<string | Uint8Array>) {
	const echoes = [];
	for (const [index, message] of messages.entries()) {
		if (typeof message === "string") assert.equal(p.client.sendText(message), true);
		else assert.equal(p.client.sendBinary(hex(message)), true);
		echoes.push(await p.next("message", index + 1));
	}
	return echoes;
}

describe("ws:// against Node's ws", { timeout: 20_000 }, () => {
	test("text and binary of every length encoding up to the maximum come back whole, with their type", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url, { maxMessage }));
		const opened = await probe.next("open");
		assert.equal(opened.self, true, "callbacks are called with the client as this");
		const messages: Array<string | Uint8Array> = [];
		for (const size of sizes) {
			messages.push("é".repeat(Math.floor(size / 2)) + "a".repeat(size % 2));
			messages.push(crypto.randomBytes(size));
		}
		const echoes = await exchange(probe, messages);
		echoes.forEach((echo, index) => {
			const sent = messages[index];
			if (typeof sent === "string") assert.equal(echo.text, sent, `text message ${index} of ${Buffer.byteLength(sent)} bytes`);
			else assert.equal(echo.hex, hex(sent), `binary message ${index} of ${sent.length} bytes`);
		});
		// What the server received is what was sent: masking (RFC 6455 §5.3) was applied correctly.
		const received = server.events.filter((event) => event.type === "message");
		received.forEach((event, index) => {
			const sent = messages[index];
			assert.equal(event.isBinary, typeof sent !== "string");
			assert.deepEqual(event.data, Buffer.from(sent));
		});
	});

	test("a message sent in fragments (first, continuation, final) arrives as one message", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url, { maxMessage }));
		await probe.next("open");
		assert.equal(probe.client.sendText("Hel", false), true);
		assert.equal(probe.client.sendContinuation("lo, wor", false, false), true);
		assert.equal(probe.client.sendContinuation("ld", false, true), true);
		assert.equal((await probe.next("message", 1)).text, "Hello, world");
		const parts = [crypto.randomBytes(300), crypto.randomBytes(1), crypto.randomBytes(70_000)];
		probe.client.sendBinary(hex(parts[0]), false);
		probe.client.sendContinuation(hex(parts[1]), true, false);
		probe.client.sendContinuation(hex(parts[2]), true, true);
		assert.equal((await probe.next("message", 2)).hex, hex(Buffer.concat(parts)));
		const atServer = server.events.filter((event) => event.type === "message");
		assert.deepEqual(atServer.map((event) => event.isBinary), [false, true]);
	});

	test("frames the server splits into 1-byte segments (the 101 response too) parse as whole messages", async () => {
		server = await startEchoServer({ segmentSize: 1, splitHandshake: true });
		probe = await startProbe();
		probe.client.open(options(server.url));
		await probe.next("open");
		const messages = ["split", "ü".repeat(70), crypto.randomBytes(300)];
		const echoes = await exchange(probe, messages);
		assert.equal(echoes[0].text, "split");
		assert.equal(echoes[1].text, "ü".repeat(70));
		assert.equal(echoes[2].hex, hex(messages[2] as Uint8Array));
	});

	test("with chunkSize, a large message arrives as chunks of at most that size, in order", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url, { chunkSize: 1000, maxMessage }));
		await probe.next("open");
		const payload = crypto.randomBytes(4500);
		probe.client.sendBinary(hex(payload));
		const chunks: Array<Extract<ProbeEvent, { event: "chunk" }>> = [];
		for (let count = 1; ; count++) {
			const chunk = await probe.next("chunk", count);
			chunks.push(chunk);
			if (chunk.offset + chunk.hex.length / 2 === chunk.frameLength) break;
		}
		assert.ok(chunks.every((chunk) => chunk.hex.length / 2 <= 1000 && chunk.opcode === 2 && chunk.frameLength === 4500 && chunk.fin));
		assert.deepEqual(chunks.map((chunk) => chunk.offset), chunks.map((_, index) => chunks.slice(0, index).reduce((sum, c) => sum + c.hex.length / 2, 0)));
		assert.equal(chunks.map((chunk) => chunk.hex).join(""), hex(payload));
		assert.equal(probe.events.filter((event) => event.event === "message").length, 0, "no whole-message events in chunk mode");
	});

	test("a message over maxMessage fails the connection with 1009 (RFC 6455 §7.4.1)", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url, { maxMessage: 1000 }));
		await probe.next("open");
		probe.client.sendText("x".repeat(1001));
		const error = await probe.next("error");
		assert.equal(error.kind, "protocol");
		assert.equal(error.closeCode, 1009);
		const close = await probe.next("close");
		assert.deepEqual([close.code, close.wasClean], [1009, false]);
		assert.equal((await server.waitFor("close")).code, 1009, "the server got the Close frame with 1009");
	});

	test("server pings are answered with the same payload; the client's own ping gets a pong", async () => {
		server = await startEchoServer({ pingOnOpen: "are you there" });
		probe = await startProbe();
		probe.client.open(options(server.url));
		await probe.next("open");
		assert.equal((await server.waitFor("pong")).data.toString(), "are you there");
		server.ping("again");
		assert.equal((await server.waitFor("pong", 2)).data.toString(), "again");
		assert.equal(probe.client.sendText("still open"), true);
		assert.equal((await probe.next("message")).text, "still open");
	});

	test("the server closing with a code is a clean close: code and reason reported, Close echoed, no reconnect", async () => {
		server = await startEchoServer({ closeAfter: { messages: 1, code: 4001, reason: "enough" } });
		probe = await startProbe();
		probe.client.open(options(server.url, { reconnect: 50 }));
		await probe.next("open");
		probe.client.sendText("one");
		const close = await probe.next("close");
		assert.deepEqual(close, { event: "close", code: 4001, reason: "enough", wasClean: true });
		// RFC 6455 §5.5.1: the client's Close echoes the status code.
		assert.equal((await server.waitFor("close")).code, 4001);
		await probe.next("state", 1, (event) => event.state === Stopped);
		assert.deepEqual(probe.states(), [Connected, Closing, Stopped], "ESP-AT §3.9: a close frame ends the link, no reconnect");
		assert.equal(server.events.filter((event) => event.type === "open").length, 1);
	});

	test("the client closing: its code and reason reach the server, the server's Close ends it cleanly", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url, { reconnect: 50 }));
		await probe.next("open");
		probe.client.close(4002, "done here");
		const atServer = await server.waitFor("close");
		assert.deepEqual([atServer.code, atServer.reason], [4002, "done here"]);
		const close = await probe.next("close");
		assert.deepEqual([close.code, close.wasClean], [4002, true]);
		await probe.next("state", 1, (event) => event.state === Stopped);
		assert.deepEqual(probe.states(), [Connected, Closing, Stopped]);
		assert.equal(probe.client.sendText("late"), false, "nothing is sent once stopped");
	});

	test("many messages sent in one turn all go out in order, within the socket's write budget", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url));
		await probe.next("open");
		assert.equal(probe.client.burst(200, 40), 200);
		const last = await probe.next("message", 200);
		assert.equal(last.text, "199:" + ".".repeat(36));
		const texts = probe.events.flatMap((event) => (event.event === "message" ? [event.text] : []));
		assert.deepEqual(texts.map((text) => Number(text!.split(":")[0])), Array.from({ length: 200 }, (_, index) => index));
	});

	test("the send queue is bounded: a send that does not fit returns false and sends nothing", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url, { maxQueue: 20_000 }));
		await probe.next("open");
		const queued = probe.client.burst(100, 5000);
		assert.ok(queued >= 3 && queued < 100, `${queued} of 100 queued`);
		assert.ok(probe.client.bufferedAmount() <= 20_000);
		await probe.next("message", queued);
		const atServer = server.events.filter((event) => event.type === "message");
		assert.equal(atServer.length, queued, "exactly the messages that were accepted reached the server");
		// The queue drains, and sending works again.
		assert.equal(probe.client.sendText("later"), true);
		assert.equal((await probe.next("message", queued + 1)).text, "later");
	});

	test("the request carries path, query, Host with port, subprotocols, extra headers and Basic auth", async () => {
		server = await startEchoServer({ subprotocols: ["echo.v2"] });
		probe = await startProbe();
		const url = `ws://user:p%40ss@127.0.0.1:${server.port}/chat/room?id=7&x=y`;
		probe.client.open(options(url, { subprotocols: ["echo.v1", "echo.v2"], headers: [["X-Device", "probe 1"]] }));
		const opened = await probe.next("open");
		assert.equal(opened.subprotocol, "echo.v2", "the server's choice is reported");
		const request = await server.waitFor("request");
		assert.equal(request.path, "/chat/room?id=7&x=y");
		assert.equal(request.headers.host, `127.0.0.1:${server.port}`);
		assert.equal(request.headers["sec-websocket-protocol"], "echo.v1, echo.v2");
		assert.equal(request.headers["x-device"], "probe 1");
		assert.equal(request.headers.authorization, `Basic ${Buffer.from("user:p@ss").toString("base64")}`);
		// RFC 6455 §4.1: the key is 16 random bytes, new for each connection.
		assert.equal(Buffer.from(String(request.headers["sec-websocket-key"]), "base64").length, 16);
	});

	test("each connection's Sec-WebSocket-Key is new", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		const keys = new Set<string>();
		for (let i = 1; i <= 3; i++) {
			probe.client.open(options(server.url));
			await probe.next("open", i);
			keys.add(String((await server.waitFor("request", i)).headers["sec-websocket-key"]));
			probe.client.terminate();
		}
		assert.equal(keys.size, 3);
	});
});

describe("ws:// against Python websockets", { timeout: 20_000 }, () => {
	test("text and binary echo through ws-server.py", async () => {
		const python = await startPythonServer("ws-server.py");
		try {
			probe = await startProbe();
			probe.client.open(options(`ws://127.0.0.1:${python.port}/`, { maxMessage }));
			await probe.next("open");
			const messages = ["hello python", crypto.randomBytes(70_000), "ß".repeat(5000), new Uint8Array(0)];
			const echoes = await exchange(probe, messages);
			assert.equal(echoes[0].text, "hello python");
			assert.equal(echoes[1].hex, hex(messages[1] as Uint8Array));
			assert.equal(echoes[2].text, "ß".repeat(5000));
			assert.equal(echoes[3].hex, "");
			probe.client.close(1000);
			assert.deepEqual(await probe.next("close"), { event: "close", code: 1000, reason: "", wasClean: true });
		} finally {
			await python.stop();
		}
	});
});

describe("the opening handshake failing", { timeout: 20_000 }, () => {
	test("an unparsable URL or another scheme throws at once, before anything starts", async () => {
		probe = await startProbe();
		assert.match(probe.client.openError(options("http://127.0.0.1/")), /^SyntaxError: not a ws or wss URI/);
		assert.match(probe.client.openError(options("ws//127.0.0.1/")), /^SyntaxError: not a WebSocket URI/);
		assert.match(probe.client.openError(options("ws://127.0.0.1:99999/")), /^SyntaxError: bad port/);
		assert.match(probe.client.openError(options("ws://[::1]:80/")), /^SyntaxError: .*IPv6/);
		assert.equal(probe.events.length, 0, "no callback ran");
	});

	test("a server that never answers the upgrade: the connect timeout ends the attempt", async () => {
		server = await startEchoServer({ handshake: "silent" });
		probe = await startProbe();
		probe.client.open(options(server.url, { connectTimeout: 300 }));
		const error = await probe.next("error");
		assert.equal(error.kind, "timeout");
		assert.match(error.message, /no opening handshake with ws:\/\/127\.0\.0\.1:\d+ within 300 ms/);
		assert.deepEqual(await probe.next("close"), { event: "close", code: 1006, reason: error.message, wasClean: false });
		await probe.next("state", 1, (event) => event.state === Stopped);
		assert.deepEqual(probe.states(), [Stopped], "no reconnect after a failed first attempt (ESP-AT §3.9)");
	});

	test("a non-101 answer reports its status", async () => {
		server = await startEchoServer({ handshake: { status: 403 } });
		probe = await startProbe();
		probe.client.open(options(server.url));
		const error = await probe.next("error");
		assert.deepEqual([error.kind, error.status], ["handshake", 403]);
		assert.match(error.message, /server answered 403 Forbidden/);
		assert.equal((await probe.next("close")).code, 1006);
		assert.equal(probe.events.some((event) => event.event === "open"), false);
	});

	test("a wrong Sec-WebSocket-Accept is refused (RFC 6455 §4.1)", async () => {
		server = await startEchoServer({ handshake: "wrong-accept" });
		probe = await startProbe();
		probe.client.open(options(server.url));
		const error = await probe.next("error");
		assert.deepEqual([error.kind, error.status], ["handshake", 101]);
		assert.match(error.message, /Sec-WebSocket-Accept does not match the key/);
		await probe.next("state", 1, (event) => event.state === Stopped);
		assert.equal(probe.events.some((event) => event.event === "open"), false);
	});

	test("a subprotocol the client did not offer is refused (RFC 6455 §4.1 item 6)", async () => {
		const raw = await startRawServer();
		try {
			probe = await startProbe();
			probe.client.open(options(raw.url, { subprotocols: ["mqtt"] }));
			const connection = await raw.waitForConnection();
			assert.match(connection.request, /^Sec-WebSocket-Protocol: mqtt$/im);
			connection.accept(["Sec-WebSocket-Protocol: chat"]);
			const error = await probe.next("error");
			assert.equal(error.kind, "handshake");
			assert.match(error.message, /server chose a subprotocol that was not offered: chat/);
			assert.equal(probe.events.some((event) => event.event === "open"), false);
		} finally {
			await raw.close();
		}
	});

	test("a refused connection is a connect error", async () => {
		const closed = await startEchoServer();
		const port = closed.port;
		await closed.close();
		probe = await startProbe();
		probe.client.open(options(`ws://127.0.0.1:${port}/`));
		const error = await probe.next("error");
		assert.equal(error.kind, "connect");
		assert.match(error.message, /cannot connect to ws:\/\/127\.0\.0\.1:\d+/);
		assert.deepEqual(probe.states(), [Stopped]);
	});

	test("a host name is resolved first; one that does not resolve is a clear error", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options("ws://no-such-host.invalid/"));
		const error = await probe.next("error");
		assert.equal(error.kind, "resolve");
		assert.match(error.message, /cannot resolve "no-such-host\.invalid" to an IPv4 address/);
		assert.equal((await probe.next("close")).code, 1006);
	});

	test("closing while connecting abandons the attempt", async () => {
		server = await startEchoServer({ handshake: "silent" });
		probe = await startProbe();
		probe.client.open(options(server.url, { connectTimeout: 60_000, reconnect: 50 }));
		assert.equal(probe.client.state(), Connecting);
		await server.waitFor("request");
		probe.client.close();
		assert.equal((await probe.next("close")).code, 1006);
		assert.deepEqual(probe.states(), [Stopped]);
	});
});
