// The app's client role (modules/wsclient/app.ts) in the host runtime, configured as main.ts
// configures it from mc/config, against a WebSocket server written here with Node's ws.
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import https from "node:https";
import fs from "node:fs";
import { WebSocketServer, type WebSocket } from "ws";
import { certificateFiles } from "../../servers/echo-server.ts";
import { startProbe, type Probe } from "./helpers.ts";

let probe: Probe | undefined;
let wss: WebSocketServer | undefined;
let httpsServer: https.Server | undefined;
afterEach(async () => {
	probe?.app.stop();
	probe?.stop();
	probe = undefined;
	for (const client of wss?.clients ?? []) client.terminate();
	await new Promise((resolve) => (wss ? wss.close(resolve) : resolve(undefined)));
	wss = undefined;
	httpsServer?.closeAllConnections();
	await new Promise((resolve) => (httpsServer ? httpsServer.close(resolve) : resolve(undefined)));
	httpsServer = undefined;
});

/** A server that hands each connection and its first message (the greeting) to the test. */
async function greetedServer(options: { server?: https.Server } = {}) {
	const connections: Array<{ ws: WebSocket; greeting: Promise<{ data: Buffer; isBinary: boolean }> }> = [];
	const waiters = new Set<() => void>();
	wss = options.server ? new WebSocketServer({ server: options.server }) : new WebSocketServer({ port: 0, host: "127.0.0.1" });
	if (!options.server) await new Promise((resolve) => wss!.once("listening", resolve));
	wss.on("connection", (ws) => {
		const queue: Array<{ data: Buffer; isBinary: boolean }> = [];
		const pending: Array<(message: { data: Buffer; isBinary: boolean }) => void> = [];
		ws.on("message", (data: Buffer, isBinary) => {
			const next = pending.shift();
			if (next) next({ data, isBinary });
			else queue.push({ data, isBinary });
		});
		const receive = () => new Promise<{ data: Buffer; isBinary: boolean }>((resolve) => (queue.length ? resolve(queue.shift()!) : pending.push(resolve)));
		connections.push({ ws, greeting: receive() });
		Object.assign(ws, { receive });
		for (const waiter of [...waiters]) waiter();
	});
	const connection = (count: number) =>
		new Promise<{ ws: WebSocket & { receive(): Promise<{ data: Buffer; isBinary: boolean }> }; greeting: Promise<{ data: Buffer; isBinary: boolean }> }>((resolve) => {
			const waiter = () => {
				if (connections.length < count) return;
				waiters.delete(waiter);
				resolve(connections[count - 1] as never);
			};
			waiters.add(waiter);
			waiter();
		});
	return { connection };
}

function port(): number {
	const address = (httpsServer ?? wss!).address() as { port: number };
	return address.port;
}

describe("the client role", { timeout: 20_000 }, () => {
	test("greets, echoes text as text and binary as binary, and traces what happens", async () => {
		const server = await greetedServer();
		probe = await startProbe();
		probe.app.start(JSON.stringify({ clientUrl: `ws://127.0.0.1:${port()}/device`, clientReconnect: 0 }));
		const { ws, greeting } = await server.connection(1);
		assert.deepEqual(await greeting, { data: Buffer.from("hello from test-board"), isBinary: false }, "the default greeting names the board");
		const binary = crypto.randomBytes(5000);
		for (const message of ["echo me", binary, "ünïcödé", Buffer.alloc(0)]) {
			const isBinary = typeof message !== "string";
			ws.send(message, { binary: isBinary });
			const echo = await ws.receive();
			assert.equal(echo.isBinary, isBinary);
			assert.deepEqual(echo.data, Buffer.from(message));
		}
		await probe.traced(/^wsclient: echoed binary message of 0 bytes$/);
		ws.close(1000, "done");
		await probe.traced(/^wsclient: state stopped$/);
		const lines = probe.traces.filter((line) => line.startsWith("wsclient:"));
		assert.deepEqual(lines, [
			`wsclient: connecting to ws://127.0.0.1:${port()}/device`,
			"wsclient: state connected",
			`wsclient: connected to ws://127.0.0.1:${port()}/device`,
			'wsclient: sent greeting "hello from test-board"',
			"wsclient: echoed text message of 7 characters",
			"wsclient: echoed binary message of 5000 bytes",
			"wsclient: echoed text message of 7 characters",
			"wsclient: echoed binary message of 0 bytes",
			"wsclient: state closing",
			'wsclient: closed 1000 "done"',
			"wsclient: state stopped",
		]);
	});

	test("clientReconnect: a lost connection is retried and greets again", async () => {
		const server = await greetedServer();
		probe = await startProbe();
		probe.app.start(JSON.stringify({ clientUrl: `ws://127.0.0.1:${port()}/`, clientReconnect: 100, clientGreeting: "again?" }));
		const first = await server.connection(1);
		assert.equal(String((await first.greeting).data), "again?");
		first.ws.terminate();
		const second = await server.connection(2);
		assert.equal(String((await second.greeting).data), "again?");
		await probe.traced(/^wsclient: state waiting to reconnect in 100 ms$/);
		assert.ok(probe.traces.includes("wsclient: error (lost): connection to ws://127.0.0.1:" + port() + " lost without a closing handshake"));
	});

	test("clientReconnect 0: a lost connection stops the client", async () => {
		const server = await greetedServer();
		probe = await startProbe();
		probe.app.start(JSON.stringify({ clientUrl: `ws://127.0.0.1:${port()}/`, clientReconnect: 0 }));
		(await server.connection(1)).ws.terminate();
		await probe.traced(/^wsclient: state stopped$/);
		assert.ok(probe.traces.includes("wsclient: closed 1006 (not clean)"));
	});

	test("wss:// with mutual TLS from the config (CA, client certificate and key as resource names)", async () => {
		const files = certificateFiles("rsa");
		httpsServer = https.createServer({
			cert: fs.readFileSync(files.chain),
			key: fs.readFileSync(files.key),
			ca: fs.readFileSync(files.ca),
			requestCert: true,
			rejectUnauthorized: true,
		});
		await new Promise<void>((resolve) => httpsServer!.listen(0, "127.0.0.1", resolve));
		const server = await greetedServer({ server: httpsServer });
		probe = await startProbe();
		probe.app.start(
			JSON.stringify({ clientUrl: `wss://127.0.0.1:${port()}/`, clientReconnect: 0, clientCertificate: "client.der", clientKey: "client-key.der", clientGreeting: "secure hello" }),
		);
		const { ws, greeting } = await server.connection(1);
		assert.equal(String((await greeting).data), "secure hello");
		ws.send("over TLS");
		assert.equal(String((await ws.receive()).data), "over TLS");
	});

	test("a missing clientUrl is a clear error", async () => {
		probe = await startProbe();
		assert.throws(() => probe!.app.start("{}"), /mc\/config clientUrl: the ws:\/\/ or wss:\/\/ URL the client connects to/);
	});
});
