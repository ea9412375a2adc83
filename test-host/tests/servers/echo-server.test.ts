// The Node echo server (test-host/servers/echo-server.ts) against independent clients: Node's
// `ws`, Python websockets, openssl s_client and a raw TCP socket.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import net from "node:net";
import { startEchoServer, type EchoServer, type EchoServerOptions } from "../../servers/echo-server.ts";
import {
	cert,
	clientIdentity,
	moddableLike,
	nodeConnectError,
	nodeExchange,
	opensslClient,
	pythonExchange,
	trustCA,
} from "../../clients/peers.ts";
import WebSocket from "ws";

async function withServer(options: EchoServerOptions, body: (server: EchoServer) => Promise<void>) {
	const server = await startEchoServer(options);
	try {
		await body(server);
	} finally {
		await server.close();
	}
}

const binary = Uint8Array.from([0x00, 0xff, 0x10, 0x80, 0x7f]);

test("ws://: echoes text and binary to Node's ws and to Python websockets", () =>
	withServer({}, async (server) => {
		assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
		const node = await nodeExchange(server.url, ["héllo €", binary]);
		assert.deepEqual(node.echoes, [
			{ data: Buffer.from("héllo €"), isBinary: false },
			{ data: Buffer.from(binary), isBinary: true },
		]);
		const python = await pythonExchange(server.url, { text: ["héllo €"], binary: ["00ff10807f"] });
		assert.equal(python.status, 0);
		assert.deepEqual(python.lines, [{ text: "héllo €" }, { binary: "00ff10807f" }]);
		assert.equal(server.events.filter((event) => event.type === "message").length, 4);
	}));

for (const kind of ["rsa", "ec"] as const) {
	test(`wss:// with server-${kind}: clients verifying against certs/ca.pem connect and get echoes`, () =>
		withServer({ tls: kind }, async (server) => {
			assert.match(server.url, /^wss:\/\//);
			const node = await nodeExchange(server.url, ["tls text", binary], trustCA);
			assert.deepEqual(
				node.echoes.map((echo) => [echo.data.toString("hex"), echo.isBinary]),
				[[Buffer.from("tls text").toString("hex"), false], ["00ff10807f", true]],
			);
			const python = await pythonExchange(server.url, { text: ["tls text"], binary: ["00ff10807f"], ca: cert("ca.pem") });
			assert.deepEqual(python.lines.slice(0, 2), [{ text: "tls text" }, { binary: "00ff10807f" }]);
			// The name "localhost" is in the certificate as well as 127.0.0.1.
			await nodeExchange(server.url, ["by name"], { ...trustCA, servername: "localhost" });
			const misnamed = await nodeConnectError(server.url, { ...trustCA, servername: "wrong.example" });
			assert.equal(misnamed.code, "ERR_TLS_CERT_ALTNAME_INVALID");
			// Without our CA the client refuses: the verification is real.
			const untrusted = await nodeConnectError(server.url);
			assert.equal(untrusted.code, "SELF_SIGNED_CERT_IN_CHAIN");
		}));

	test(`wss:// with server-${kind}: a client limited like Moddable's TLS (1.2, P-256, AES-128-GCM) connects`, () =>
		withServer({ tls: kind }, async (server) => {
			const node = await nodeExchange(server.url, ["tls 1.2"], { ...trustCA, ...moddableLike });
			assert.equal(node.tls?.version, "TLSv1.2");
			assert.equal(node.tls?.cipher, kind === "rsa" ? "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
			const python = await pythonExchange(server.url, { text: ["tls 1.2"], ca: cert("ca.pem"), moddableLike: true });
			assert.deepEqual(python.lines, [
				{ text: "tls 1.2" },
				{ tls: "TLSv1.2", cipher: kind === "rsa" ? "ECDHE-RSA-AES128-GCM-SHA256" : "ECDHE-ECDSA-AES128-GCM-SHA256" },
			]);
		}));

	test(`wss:// with server-${kind}: the server sends its chain, leaf then CA`, () =>
		withServer({ tls: kind }, async (server) => {
			const seen = await opensslClient(server.port, { moddableLike: true });
			assert.equal(seen.certificatesSent, 2, seen.output);
			assert.match(seen.chainSubjects[0], /CN ?= ?localhost/);
			assert.match(seen.chainSubjects[1], /CN ?= ?Test CA/);
			assert.equal(seen.verify, "0 (ok)");
			assert.equal(seen.protocol, "TLSv1.2");
		}));
}

test("wss:// with the negative certificates: a verifying client refuses each for its reason", async () => {
	const expectations = { expired: "CERT_HAS_EXPIRED", wronghost: "ERR_TLS_CERT_ALTNAME_INVALID", other: "SELF_SIGNED_CERT_IN_CHAIN" };
	for (const [kind, code] of Object.entries(expectations)) {
		await withServer({ tls: kind as keyof typeof expectations }, async (server) => {
			const error = await nodeConnectError(server.url, trustCA);
			assert.equal(error.code, code, `server-${kind}: ${error.message}`);
			assert.equal(server.events.length, 0, "no upgrade request was sent");
		});
	}
});

test("mutual TLS: a client with certs/client.pem is accepted, one without is refused", () =>
	withServer({ tls: "rsa", requireClientCert: true }, async (server) => {
		const node = await nodeExchange(server.url, ["mutual"], { ...trustCA, ...clientIdentity, ...moddableLike });
		assert.equal(node.echoes[0].data.toString(), "mutual");
		assert.equal((await server.waitFor("open")).clientCertificate, "Test Client");
		const python = await pythonExchange(server.url, { text: ["mutual"], ca: cert("ca.pem"), cert: cert("client.pem"), key: cert("client-key.pem") });
		assert.deepEqual(python.lines[0], { text: "mutual" });

		const opened = server.events.filter((event) => event.type === "open").length;
		await nodeConnectError(server.url, { ...trustCA, ...moddableLike });
		await nodeConnectError(server.url, trustCA); // TLS 1.3: refused after the client's handshake
		const refused = await pythonExchange(server.url, { text: ["no certificate"], ca: cert("ca.pem") });
		assert.equal(refused.status, 2);
		assert.ok("error" in refused.lines[0]);
		assert.equal(server.events.filter((event) => event.type === "open").length, opened, "no connection without a certificate opened");
	}));

test("subprotocols: the server picks the first of its own the client offers, or none", () =>
	withServer({ subprotocols: ["chat", "superchat"] }, async (server) => {
		assert.equal((await nodeExchange(server.url, [], { protocols: ["other", "superchat", "chat"] })).protocol, "chat");
		assert.equal((await nodeExchange(server.url, [], { protocols: ["superchat", "other"] })).protocol, "superchat");
		assert.equal((await nodeExchange(server.url, [])).protocol, "");
		// None in common: the 101 carries no Sec-WebSocket-Protocol (RFC 6455 §4.2.2); Node's ws
		// would fail such a connection itself (§4.1), so a raw client looks at the response.
		const raw = rawUpgrade(server.port, "Sec-WebSocket-Protocol: other, another\r\n");
		const response = await raw.response;
		assert.match(response, /^HTTP\/1\.1 101 /);
		assert.doesNotMatch(response, /sec-websocket-protocol/i);
		assert.equal((await server.waitFor("open", 4)).protocol, "");
		raw.socket.destroy();
	}));

test("closeAfter: after echoing N messages the server closes with the given code and reason", () =>
	withServer({ closeAfter: { messages: 2, code: 4001, reason: "enough" } }, async (server) => {
		const ws = new WebSocket(server.url);
		const received: string[] = [];
		ws.on("open", () => ["one", "two", "three"].forEach((text) => ws.send(text)));
		ws.on("message", (data) => received.push(data.toString()));
		const [code, reason] = await new Promise<[number, string]>((resolve) => ws.on("close", (c, r) => resolve([c, r.toString()])));
		assert.deepEqual(received, ["one", "two"]);
		assert.equal(code, 4001);
		assert.equal(reason, "enough");
		const closed = await server.waitFor("close");
		assert.equal(closed.code, 4001);
	}));

test("ping: the server pings on open and on demand, and records the client's pongs", () =>
	withServer({ pingOnOpen: "hello?" }, async (server) => {
		const ws = new WebSocket(server.url);
		const pings: string[] = [];
		ws.on("ping", (data) => pings.push(data.toString()));
		const firstPong = await server.waitFor("pong");
		assert.equal(firstPong.data.toString(), "hello?", "ws answers a Ping with a Pong of the same payload (RFC 6455 §5.5.3)");
		assert.equal(server.ping("again"), 1);
		assert.equal((await server.waitFor("pong", 2)).data.toString(), "again");
		assert.deepEqual(pings, ["hello?", "again"]);
		ws.close();
		await server.waitFor("close");
	}));

// A minimal client on a raw socket, to see the bytes as TCP delivers them.
function rawUpgrade(port: number, extraHeaders = "") {
	const socket = net.connect(port, "127.0.0.1");
	const key = crypto.randomBytes(16).toString("base64");
	const chunks: Buffer[] = [];
	socket.on("data", (chunk) => chunks.push(chunk));
	socket.on("connect", () =>
		socket.write(
			`GET /raw HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
				`Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
		),
	);
	const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
	// Resolves once the whole HTTP response head is in.
	const response = new Promise<string>((resolve) => {
		const check = () => {
			const text = Buffer.concat(chunks).toString("latin1");
			if (text.includes("\r\n\r\n")) {
				socket.off("data", check);
				resolve(text.slice(0, text.indexOf("\r\n\r\n") + 4));
			}
		};
		socket.on("data", check);
	});
	return { socket, key, chunks, ended, response };
}

// A masked client frame (RFC 6455 §5.2, §5.3) with a payload under 126 bytes.
function clientFrame(opcode: number, payload: Buffer) {
	const mask = crypto.randomBytes(4);
	const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]));
	return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

test("segmentSize 1: every byte of a frame arrives in its own TCP segment, and the frames stay valid", () =>
	withServer({ segmentSize: 1 }, async (server) => {
		const raw = rawUpgrade(server.port);
		await raw.response;
		const before = Buffer.concat(raw.chunks).length;
		const countBefore = raw.chunks.length;
		raw.socket.write(clientFrame(0x1, Buffer.from("split")));
		await server.waitFor("message");
		while (Buffer.concat(raw.chunks).length < before + 7) await new Promise((resolve) => raw.socket.once("data", resolve));
		const frameChunks = raw.chunks.slice(countBefore);
		assert.deepEqual(Buffer.concat(frameChunks), Buffer.from([0x81, 5, ...Buffer.from("split")]), "an unmasked text frame");
		assert.ok(frameChunks.length > 1, `the 7-byte frame came in ${frameChunks.length} reads`);
		raw.socket.destroy();

		// Independent parsers reassemble the split frames.
		const node = await nodeExchange(server.url, ["x".repeat(300), binary]);
		assert.equal(node.echoes[0].data.toString(), "x".repeat(300));
		assert.deepEqual(node.echoes[1].data, Buffer.from(binary));
		const python = await pythonExchange(server.url, { text: ["split for python"], binary: ["0102"] });
		assert.deepEqual(python.lines, [{ text: "split for python" }, { binary: "0102" }]);
	}));

test("segmentSize with splitHandshake over wss: the 101 and the frames are split, TLS records and all", () =>
	withServer({ tls: "ec", segmentSize: 3, splitHandshake: true }, async (server) => {
		const node = await nodeExchange(server.url, ["tiny records", binary], { ...trustCA, ...moddableLike });
		assert.deepEqual(node.echoes.map((echo) => echo.data.toString("hex")), [Buffer.from("tiny records").toString("hex"), "00ff10807f"]);
	}));

test("handshake { status: 403 }: the server answers the upgrade with 403 and closes", () =>
	withServer({ handshake: { status: 403 } }, async (server) => {
		const error = await nodeConnectError(server.url);
		assert.equal(error.message, "unexpected response 403");
		const raw = rawUpgrade(server.port);
		await raw.ended;
		assert.match(Buffer.concat(raw.chunks).toString(), /^HTTP\/1\.1 403 Forbidden\r\n/);
	}));

test("handshake wrong-accept: a 101 whose Sec-WebSocket-Accept does not match the key", () =>
	withServer({ handshake: "wrong-accept" }, async (server) => {
		const error = await nodeConnectError(server.url);
		assert.equal(error.message, "Invalid Sec-WebSocket-Accept header");
		const raw = rawUpgrade(server.port);
		const response = await raw.response;
		assert.match(response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
		const accept = /Sec-WebSocket-Accept: (\S+)/.exec(response)?.[1];
		const right = crypto.createHash("sha1").update(raw.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
		assert.equal(accept?.length, right.length, "well-formed");
		assert.notEqual(accept, right);
		raw.socket.destroy();
	}));

test("handshake silent: the request is read and never answered", () =>
	withServer({ handshake: "silent" }, async (server) => {
		const raw = rawUpgrade(server.port);
		const request = await server.waitFor("request");
		assert.equal(request.path, "/raw");
		await server.close(); // ends the connection: whatever the server sent is in by now
		await raw.ended;
		assert.equal(Buffer.concat(raw.chunks).length, 0);
	}));

test("the CLI prints its port and serves wss", async () => {
	const { spawn } = await import("node:child_process");
	const path = await import("node:path");
	const { fileURLToPath } = await import("node:url");
	const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../servers/echo-server.ts");
	const child = spawn(process.execPath, ["--import", "tsx", script, "--port", "0", "--tls", "ec", "--subprotocol", "echo"], {
		stdio: ["ignore", "pipe", "inherit"],
	});
	try {
		const line = await new Promise<string>((resolve, reject) => {
			child.stdout.setEncoding("utf8").once("data", (text: string) => resolve(text.split("\n")[0]));
			child.once("exit", (status) => reject(new Error(`exited ${status}`)));
		});
		const port = Number(/^listening 127\.0\.0\.1 (\d+)$/.exec(line)?.[1]);
		assert.ok(port > 0, line);
		const node = await nodeExchange(`wss://127.0.0.1:${port}/`, ["cli"], { ...trustCA, protocols: ["echo"] });
		assert.equal(node.protocol, "echo");
		assert.equal(node.echoes[0].data.toString(), "cli");
	} finally {
		child.kill("SIGTERM");
		if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
	}
});
