// The app's client role from the outside (role=client in mc/config), on any target: the firmware
// connects to servers run here, greets them and echoes what they send, over ws:// and wss://.
// On lin this is the SDK's own TLS stack verifying our test PKI.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { startTarget, type Target } from "../../harness/target.ts";
import { certificateFiles, type ServerCertificate } from "../../servers/echo-server.ts";
import { startPythonServer, cert, type PythonServer } from "../../clients/peers.ts";

let target: Target | undefined;
let server: { close(): Promise<void> } | undefined;
let python: PythonServer | undefined;
afterEach(async () => {
	await target?.stop().catch(() => {});
	target = undefined;
	await server?.close();
	server = undefined;
	await python?.stop();
	python = undefined;
});

interface Peer {
	url: string;
	/** The next connection the firmware makes, with the first message it sends (the greeting). */
	connection(): Promise<{ ws: WebSocket; greeting: string; next(): Promise<{ data: Buffer; isBinary: boolean }> }>;
}

/** A WebSocket server on Node ws, plain or TLS with one of the test PKI's server certificates. */
async function peer(tls?: ServerCertificate): Promise<Peer> {
	const httpsServer = tls
		? https.createServer({ cert: fs.readFileSync(certificateFiles(tls).chain), key: fs.readFileSync(certificateFiles(tls).key), minVersion: "TLSv1.2" })
		: undefined;
	const wss = httpsServer ? new WebSocketServer({ server: httpsServer }) : new WebSocketServer({ port: 0, host: "127.0.0.1" });
	if (httpsServer) await new Promise<void>((resolve) => httpsServer.listen(0, "127.0.0.1", resolve));
	else await new Promise((resolve) => wss.once("listening", resolve));
	const port = ((httpsServer ?? wss).address() as AddressInfo).port;
	const connections: WebSocket[] = [];
	const arrived: Array<() => void> = [];
	wss.on("connection", (ws) => {
		connections.push(ws);
		arrived.splice(0).forEach((wake) => wake());
	});
	server = {
		async close() {
			for (const ws of wss.clients) ws.terminate();
			await new Promise((resolve) => wss.close(resolve));
			if (httpsServer) await new Promise((resolve) => httpsServer.close(resolve));
		},
	};
	let taken = 0;
	return {
		url: `${tls ? "wss" : "ws"}://127.0.0.1:${port}/echo`,
		async connection() {
			while (connections.length <= taken) await new Promise<void>((resolve) => arrived.push(resolve));
			const ws = connections[taken++];
			const queue: Array<{ data: Buffer; isBinary: boolean }> = [];
			const waiting: Array<(m: { data: Buffer; isBinary: boolean }) => void> = [];
			ws.on("message", (data: Buffer, isBinary: boolean) => {
				const waiter = waiting.shift();
				if (waiter) waiter({ data, isBinary });
				else queue.push({ data, isBinary });
			});
			const next = () => new Promise<{ data: Buffer; isBinary: boolean }>((resolve) => (queue.length ? resolve(queue.shift()!) : waiting.push(resolve)));
			const greeting = await next();
			return { ws, greeting: String(greeting.data), next };
		},
	};
}

test("ws://: the client greets, then echoes text as text and binary as binary", async () => {
	const server = await peer();
	target = await startTarget({ config: { role: "client", clientUrl: server.url, clientGreeting: "hello from the test" } });
	const { ws, greeting, next } = await server.connection();
	assert.equal(greeting, "hello from the test");
	const binary = crypto.randomBytes(5000);
	ws.send("text comes back as text");
	ws.send(binary);
	assert.deepEqual(await next(), { data: Buffer.from("text comes back as text"), isBinary: false });
	assert.deepEqual(await next(), { data: binary, isBinary: true });
});

for (const kind of ["rsa", "ec"] as const) {
	test(`wss:// to a ${kind === "rsa" ? "RSA" : "P-256"} server signed by the test CA: verified, then echoes`, async () => {
		const server = await peer(kind);
		target = await startTarget({ config: { role: "client", clientUrl: server.url, clientGreeting: `hello over ${kind}` } });
		const { ws, greeting, next } = await server.connection();
		assert.equal(greeting, `hello over ${kind}`);
		ws.send("secure echo");
		assert.deepEqual(await next(), { data: Buffer.from("secure echo"), isBinary: false });
	});
}

for (const [kind, what] of [
	["other", "from another CA"],
	["expired", "whose certificate has expired"],
	["wronghost", "whose certificate names another host"],
] as const) {
	test(`wss:// to a server ${what} is refused with a TLS error, and the firmware keeps running`, async () => {
		const server = await peer(kind);
		target = await startTarget({ config: { role: "client", clientUrl: server.url, clientReconnect: 0 } });
		const line = await target.waitForLog(/^wsclient: error/, 20_000);
		assert.match(line, /^wsclient: error \(tls\)/);
		await target.waitForLog(/^wsclient: state stopped/, 20_000);
		assert.equal(target.log.some((l) => /^wsclient: connected/.test(l)), false, "it never connected");
		// stop() rejects if the firmware aborted (the SDK's TLS throws inside a socket callback).
	});
}

test("wss:// with mutual TLS to the Python server that requires a client certificate (CERT_REQUIRED)", async () => {
	python = await startPythonServer("wss-server.py", ["--cert", cert("server-rsa-chain.pem"), "--key", cert("server-rsa-key.pem"), "--ca", cert("ca.pem")]);
	target = await startTarget({
		config: {
			role: "client",
			clientUrl: `wss://127.0.0.1:${python.port}/`,
			clientCertificate: "client.der",
			clientKey: "client-key.der",
			clientGreeting: "mutual",
		},
	});
	// The Python server echoes the greeting and the client echoes it back: a loop proves both ways.
	await target.waitForLog(/^wsclient: connected to wss:/, 20_000);
	await target.waitForLog(/^wsclient: echoed text message of 6 characters/, 20_000);
});

test("wss:// without a client certificate is refused by that server", async () => {
	python = await startPythonServer("wss-server.py", ["--cert", cert("server-rsa-chain.pem"), "--key", cert("server-rsa-key.pem"), "--ca", cert("ca.pem")]);
	target = await startTarget({ config: { role: "client", clientUrl: `wss://127.0.0.1:${python.port}/`, clientReconnect: 0, clientConnectTimeout: 3000 } });
	// The SDK reports no error when the server rejects the certificate: the connect timeout does.
	await target.waitForLog(/^wsclient: (error|closed)/, 20_000);
	assert.equal(target.log.some((l) => /^wsclient: connected/.test(l)), false, "it never connected");
});
