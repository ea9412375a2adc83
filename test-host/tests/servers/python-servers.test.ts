// The Python servers (test-host/servers/ws-server.py, wss-server.py), the shapes of the ESP-AT
// WebSocket examples, started as child processes and reached by independent clients.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cert, clientIdentity, moddableLike, nodeConnectError, nodeExchange, opensslClient, pythonExchange, startPythonServer, trustCA, type PythonServer } from "../../clients/peers.ts";

async function withPython(script: string, args: string[], body: (server: PythonServer) => Promise<void>) {
	const server = await startPythonServer(script, args);
	try {
		await body(server);
	} finally {
		await server.stop();
	}
}

const binary = Uint8Array.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
const mutual = { ca: cert("ca.pem"), cert: cert("client.pem"), key: cert("client-key.pem") };

test("ws-server.py --port 0 picks a free port and echoes text and binary", () =>
	withPython("ws-server.py", [], async (server) => {
		assert.ok(server.port > 0);
		const url = `ws://127.0.0.1:${server.port}/`;
		const node = await nodeExchange(url, ["héllo €", binary]);
		assert.deepEqual(node.echoes, [
			{ data: Buffer.from("héllo €"), isBinary: false },
			{ data: Buffer.from(binary), isBinary: true },
		]);
		const python = await pythonExchange(url, { text: ["héllo €"], binary: ["00ff10807f"] });
		assert.equal(python.status, 0);
		assert.deepEqual(python.lines, [{ text: "héllo €" }, { binary: "00ff10807f" }]);
	}));

test("two ws-server.py on --port 0 get different ports", async () => {
	const first = await startPythonServer("ws-server.py");
	try {
		const second = await startPythonServer("ws-server.py");
		try {
			assert.notEqual(first.port, second.port);
		} finally {
			await second.stop();
		}
	} finally {
		await first.stop();
	}
});

test("wss-server.py: mutual TLS with certs/ defaults accepts a client with certs/client.pem", () =>
	withPython("wss-server.py", [], async (server) => {
		const url = `wss://127.0.0.1:${server.port}/`;
		const node = await nodeExchange(url, ["mutual", binary], { ...trustCA, ...clientIdentity });
		assert.deepEqual(node.echoes.map((echo) => [echo.data.toString("hex"), echo.isBinary]), [
			[Buffer.from("mutual").toString("hex"), false],
			["00ff10807f", true],
		]);
		const python = await pythonExchange(url, { text: ["mutual"], binary: ["00ff10807f"], ...mutual });
		assert.equal(python.status, 0);
		assert.deepEqual(python.lines.slice(0, 2), [{ text: "mutual" }, { binary: "00ff10807f" }]);
	}));

test("wss-server.py: a client without a certificate is refused", () =>
	withPython("wss-server.py", [], async (server) => {
		const url = `wss://127.0.0.1:${server.port}/`;
		await nodeConnectError(url, { ...trustCA, ...moddableLike }); // TLS 1.2: the handshake fails
		await nodeConnectError(url, trustCA); // TLS 1.3: the server's alert follows the handshake
		// Refused in the TLS 1.2 handshake, or in TLS 1.3 right after it: either way no echo, only
		// an error (whose wording depends on whether the alert or the reset is read first).
		for (const moddableLike of [true, false]) {
			const refused = await pythonExchange(url, { text: ["no certificate"], ca: cert("ca.pem"), moddableLike });
			assert.equal(refused.status, 2);
			assert.equal(refused.lines.length, 1);
			assert.ok("error" in refused.lines[0], JSON.stringify(refused.lines[0]));
		}
		// The same server still serves a client that has one.
		assert.equal((await nodeExchange(url, ["still up"], { ...trustCA, ...clientIdentity })).echoes.length, 1);
	}));

test("wss-server.py: a client limited like Moddable's TLS connects, and the server sends its chain", () =>
	withPython("wss-server.py", [], async (server) => {
		const url = `wss://127.0.0.1:${server.port}/`;
		const node = await nodeExchange(url, ["tls 1.2"], { ...trustCA, ...clientIdentity, ...moddableLike });
		assert.deepEqual(node.tls, { version: "TLSv1.2", cipher: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" });
		const python = await pythonExchange(url, { text: ["tls 1.2"], ...mutual, moddableLike: true });
		assert.deepEqual(python.lines, [{ text: "tls 1.2" }, { tls: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256" }]);
		const seen = await opensslClient(server.port, { clientCertificate: true, moddableLike: true });
		assert.equal(seen.certificatesSent, 2, seen.output);
		assert.match(seen.chainSubjects[1] ?? "", /CN ?= ?Test CA/);
		assert.equal(seen.verify, "0 (ok)");
		assert.equal(seen.protocol, "TLSv1.2");
	}));

test("wss-server.py --cert/--key serve the EC certificate; --client-cert none drops mutual TLS", () =>
	withPython(
		"wss-server.py",
		["--cert", cert("server-ec-chain.pem"), "--key", cert("server-ec-key.pem"), "--client-cert", "none"],
		async (server) => {
			const url = `wss://127.0.0.1:${server.port}/`;
			const node = await nodeExchange(url, ["ec"], { ...trustCA, ...moddableLike });
			assert.deepEqual(node.tls, { version: "TLSv1.2", cipher: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" });
			const python = await pythonExchange(url, { text: ["ec"], ca: cert("ca.pem") });
			assert.deepEqual(python.lines[0], { text: "ec" });
		},
	));

test("wss-server.py with a negative certificate: a verifying client refuses it", () =>
	withPython(
		"wss-server.py",
		["--cert", cert("server-expired-chain.pem"), "--key", cert("server-expired-key.pem"), "--client-cert", "none"],
		async (server) => {
			const error = await nodeConnectError(`wss://127.0.0.1:${server.port}/`, trustCA);
			assert.equal(error.code, "CERT_HAS_EXPIRED");
			const python = await pythonExchange(`wss://127.0.0.1:${server.port}/`, { text: ["x"], ca: cert("ca.pem") });
			assert.equal(python.status, 2);
			assert.match((python.lines[0] as { error: string }).error, /certificate has expired/);
		},
	));
