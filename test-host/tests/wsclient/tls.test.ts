// wss:// with the firmware's WebSocket client in the host runtime: the server verified against
// the CA from the resources (certs/ca.der), its name checked, mutual TLS with certs/client.der and
// certs/client-key.der, and what the SDK's TLS cannot do refused with a clear error.
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startEchoServer, type EchoServer, type ServerCertificate } from "../../servers/echo-server.ts";
import { startPythonServer } from "../../clients/peers.ts";
import { Stopped, options, startProbe, type Probe } from "./helpers.ts";

let probe: Probe | undefined;
let server: EchoServer | undefined;
afterEach(async () => {
	probe?.stop();
	probe = undefined;
	await server?.close();
	server = undefined;
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const trustCA = { ca: "ca.der" };
const identity = { ca: "ca.der", certificate: "client.der", key: "client-key.der" };

async function echoes(p: Probe, messages: Array<string | Uint8Array>) {
	for (const [index, message] of messages.entries()) {
		if (typeof message === "string") p.client.sendText(message);
		else p.client.sendBinary(hex(message));
		const echo = await p.next("message", index + 1);
		if (typeof message === "string") assert.equal(echo.text, message);
		else assert.equal(echo.hex, hex(message), `${message.length} bytes`);
	}
}

describe("wss:// servers signed by the CA", { timeout: 20_000 }, () => {
	for (const kind of ["rsa", "ec"] as ServerCertificate[]) {
		test(`a ${kind.toUpperCase()} server is verified and echoes text and binary, small and larger than a TLS record`, async () => {
			server = await startEchoServer({ tls: kind });
			probe = await startProbe();
			probe.client.open(options(server.url, { tls: trustCA, maxMessage: 70_000 }));
			await probe.next("open");
			await echoes(probe, ["hello over TLS", crypto.randomBytes(1), "€".repeat(6000), crypto.randomBytes(70_000)]);
			probe.client.close(1000, "bye");
			assert.deepEqual(await probe.next("close"), { event: "close", code: 1000, reason: "bye", wasClean: true });
			assert.equal((await server.waitFor("close")).reason, "bye");
		});
	}

	test("many small messages in one turn: one TLS record per write stays within the TCP budget", async () => {
		server = await startEchoServer({ tls: "rsa" });
		probe = await startProbe();
		probe.client.open(options(server.url, { tls: trustCA }));
		await probe.next("open");
		assert.equal(probe.client.burst(300, 20), 300);
		assert.equal((await probe.next("message", 300)).text, "299:" + ".".repeat(16));
		assert.equal(probe.aborts.length, 0);
	});

	test("a server splitting its TLS stream into 1-byte segments", async () => {
		server = await startEchoServer({ tls: "rsa", segmentSize: 1, splitHandshake: true });
		probe = await startProbe();
		probe.client.open(options(server.url, { tls: trustCA }));
		await probe.next("open");
		await echoes(probe, ["split", crypto.randomBytes(200)]);
	});
});

describe("wss:// servers that must be refused", { timeout: 20_000 }, () => {
	// The last pattern is the TLS socket's own trace of the reason (onError carries none).
	const refused: Array<[ServerCertificate, string, RegExp]> = [
		["other", "signed by a CA the client does not trust", /TLS: .*(self-signed|issuer)/],
		["expired", "expired", /TLS: .*expired/],
		["wronghost", "issued for another name (wrong.example)", /TLS: .*(altnames|does not match)/],
	];
	for (const [kind, why, reason] of refused) {
		test(`a server certificate ${why} fails with a TLS error and never opens`, async () => {
			server = await startEchoServer({ tls: kind });
			probe = await startProbe();
			probe.client.open(options(server.url, { tls: trustCA, reconnect: 50 }));
			const error = await probe.next("error");
			assert.equal(error.kind, "tls");
			assert.match(error.message, /^TLS with wss:\/\/127\.0\.0\.1:\d+ failed: .*server certificate not signed by tls\.ca, expired, or not issued for "127\.0\.0\.1"/);
			assert.equal((await probe.next("close")).code, 1006);
			await probe.next("state", 1, (event) => event.state === Stopped);
			assert.equal(probe.events.some((event) => event.event === "open"), false);
			assert.equal(server.events.length, 0, "no upgrade request reached the server");
			// The TLS stack's own reason, caught where it was thrown (wsclient/transport's guard).
			assert.match(error.message, reason);
		});
	}

	test("verify: false is the explicit way to accept a server nobody vouches for", async () => {
		server = await startEchoServer({ tls: "other" });
		probe = await startProbe();
		probe.client.open(options(server.url, { tls: { verify: false } }));
		await probe.next("open");
		await echoes(probe, ["unverified"]);
	});
});

describe("mutual TLS", { timeout: 20_000 }, () => {
	test("a server that requires a client certificate accepts ours", async () => {
		server = await startEchoServer({ tls: "rsa", requireClientCert: true });
		probe = await startProbe();
		probe.client.open(options(server.url, { tls: identity }));
		await probe.next("open");
		assert.equal((await server.waitFor("open")).clientCertificate, "Test Client");
		await echoes(probe, ["mutual", crypto.randomBytes(3000)]);
	});

	test("the same server refuses a client without a certificate: an error (TLS, or the connect timeout on the chip), never open", async () => {
		server = await startEchoServer({ tls: "rsa", requireClientCert: true });
		probe = await startProbe();
		probe.client.open(options(server.url, { tls: trustCA, connectTimeout: 3000 }));
		const error = await probe.next("error");
		assert.ok(error.kind === "tls" || error.kind === "timeout", error.kind);
		assert.match(error.message, error.kind === "tls" ? /the server requires a client certificate/ : /client certificate/);
		await probe.next("state", 1, (event) => event.state === Stopped);
		assert.equal(probe.events.some((event) => event.event === "open"), false);
		assert.equal(server.events.some((event) => event.type === "open"), false);
	});

	test("Python's wss-server.py (mutual TLS, as in the ESP-AT examples) echoes for our client", async () => {
		const python = await startPythonServer("wss-server.py");
		try {
			probe = await startProbe();
			probe.client.open(options(`wss://127.0.0.1:${python.port}/`, { tls: identity }));
			await probe.next("open");
			await echoes(probe, ["hello python over TLS", crypto.randomBytes(20_000).subarray(0, 10_000)]);
		} finally {
			await python.stop();
		}
	});
});

describe("TLS options the SDK cannot use are refused at once", { timeout: 20_000 }, () => {
	test("an EC client key, a PEM certificate, a missing resource, a missing CA, a certificate without key", async () => {
		probe = await startProbe();
		const url = "wss://127.0.0.1:1/";
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ ca: "ca.der", certificate: "server-ec.der", key: "server-ec-key.der" }, /^Error: tls\.key: an EC client key; the SDK's TLS does mutual TLS with RSA client keys only$/],
			[{ ca: "ca.pem" }, /^Error: tls\.ca: PEM; the SDK's TLS takes DER/],
			[{ ca: "nothing.der" }, /^Error: tls\.ca: no resource "nothing\.der"/],
			[{}, /^Error: tls\.ca: the CA that signed the server's certificate is required \(or tls\.verify: false/],
			[{ ca: "ca.der", certificate: "client.der" }, /^Error: tls: a client certificate needs its key/],
			[{ ca: "ca.der", certificate: "client.der", key: "client.der" }, /^Error: tls\.key: not an unencrypted PKCS#8 key/],
		];
		for (const [tls, expected] of cases) assert.match(probe.client.openError(options(url, { tls })), expected, JSON.stringify(tls));
		assert.equal(probe.events.length, 0, "nothing started");
		// ws:// needs no TLS options at all.
		assert.equal(probe.client.openError(options("ws://127.0.0.1:1/")), "");
	});
});
