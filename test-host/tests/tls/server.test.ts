// The TLS port (wss://, https://) from the outside, with clients nobody here wrote: Python
// websockets with an ssl context, Node's ws, curl and openssl s_client, each trusting the test
// CA; then what must fail (another CA, a wrong name, no common suite) and what must not take the
// server down (garbage, plain HTTP, half a handshake). Runs against any target (TARGET): on lin
// the SDK's own TLS session answers, on sim node:tls with the SDK's rules.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { startTarget, type Target } from "../../harness/target.ts";
import { cert, nodeConnectError, nodeExchange, opensslClient, pythonExchange, read, trustCA } from "../../clients/peers.ts";
import { recordProxy, type RecordProxy } from "./record-proxy.ts";

// Python's default context offers no RSA key exchange, the only kind the SDK's server has.
const rsaSuite = "AES128-SHA256";
const maxMessage = 16384;
let target: Target;
let port: number;

before(async () => {
	target = await startTarget({ config: { wsMaxMessage: maxMessage } });
	assert.ok(target.tlsPort, "the build serves TLS (wssPort)");
	port = target.tlsPort!;
});
after(async () => {
	await target?.stop();
});

const url = () => `wss://localhost:${port}/ws`;

/** What a raw TCP peer gets back for `bytes` before the server closes (or `waitMs` passes). */
function rawExchange(bytes: Buffer, options: { waitMs?: number; closeAfterMs?: number } = {}): Promise<{ answer: Buffer; closedByServer: boolean }> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(port, "127.0.0.1");
		const chunks: Buffer[] = [];
		let closedByServer = false;
		const finish = () => resolve({ answer: Buffer.concat(chunks), closedByServer });
		const timer = setTimeout(() => {
			socket.destroy();
			finish();
		}, options.closeAfterMs ?? options.waitMs ?? 5000);
		socket.on("connect", () => socket.write(bytes));
		socket.on("data", (chunk) => chunks.push(chunk));
		socket.on("error", () => undefined);
		socket.on("close", () => {
			clearTimeout(timer);
			closedByServer = true;
			finish();
		});
		socket.on("timeout", reject);
	});
}

function curl(path: string, ca = cert("ca.pem")): { status: number; body: string; stderr: string } {
	const result = spawnSync("curl", ["-sS", "--cacert", ca, "-w", "\n%{http_code}", `https://localhost:${port}${path}`], { encoding: "utf8", timeout: 20_000 });
	const lines = result.stdout.split("\n");
	return { status: Number(lines.pop()), body: lines.join("\n"), stderr: result.stderr };
}

describe("clients trusting the test CA", () => {
	test("Python websockets echoes text and binary up to the largest message", async () => {
		const binary = [crypto.randomBytes(1).toString("hex"), crypto.randomBytes(1400).toString("hex"), crypto.randomBytes(maxMessage).toString("hex")];
		const { lines, status } = await pythonExchange(url(), { ca: cert("ca.pem"), ciphers: rsaSuite, text: ["héllo wss", "x".repeat(5000)], binary });
		assert.equal(status, 0, JSON.stringify(lines[0]));
		assert.deepEqual(lines.slice(0, 5), [{ text: "héllo wss" }, { text: "x".repeat(5000) }, ...binary.map((hex) => ({ binary: hex }))]);
		assert.deepEqual(lines[5], { tls: "TLSv1.2", cipher: rsaSuite });
	});

	test("Node's ws with `ca` echoes, over a TLS_RSA suite of TLS 1.2 (its default offer)", async () => {
		const messages = ["one", crypto.randomBytes(3000), "z".repeat(maxMessage)];
		const { echoes, tls } = await nodeExchange(url(), messages, { ...trustCA });
		assert.deepEqual(
			echoes.map((echo) => echo.data),
			messages.map((message) => Buffer.from(message)),
		);
		assert.equal(tls?.version, "TLSv1.2");
		assert.match(tls?.cipher ?? "", /^TLS_RSA_WITH_AES_(128|256)_CBC_SHA(256)?$/);
	});

	test("a client whose record headers arrive in pieces, during the handshake and after, is echoed", async () => {
		const proxy = await headerSplittingProxy(port);
		try {
			const messages = ["split", crypto.randomBytes(2000), "x".repeat(maxMessage)];
			const { echoes } = await nodeExchange(`wss://localhost:${proxy.port}/ws`, messages, { ...trustCA });
			assert.deepEqual(
				echoes.map((echo) => echo.data),
				messages.map((message) => Buffer.from(message)),
			);
			// The ClientHello, the key exchange, ChangeCipherSpec, Finished, the upgrade and three messages.
			assert.ok(proxy.split() >= 8, `records split: ${proxy.split()}`);
		} finally {
			proxy.close();
		}
	});

	test("two clients echoing 16 KB messages at once leave nothing counted in the memory budget", async () => {
		const messages = Array.from({ length: 6 }, (_, i) => crypto.randomBytes(i % 2 ? maxMessage : 3000));
		await Promise.all([0, 1].map(() => nodeExchange(url(), messages, { ...trustCA })));
		const budget = async () => ((await (await fetch(`http://127.0.0.1:${target.port}/api/status`)).json()) as any).websocket.budget as { held: number; peak: number };
		const deadline = Date.now() + 3000;
		for (let now = await budget(); now.held !== 0; now = await budget()) {
			if (Date.now() > deadline) assert.fail(`still held: ${JSON.stringify(now)}`);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	});

	test("connections that end, during the handshake or after, leave nothing behind in the XS heap", async (t) => {
		const memory = async () => ((await (await fetch(`http://127.0.0.1:${target.port}/api/status`)).json()) as any).memory;
		if (!(await memory()).instrumented) return t.skip("no XS heap to measure on this target (the host runtime)");
		const handshake = () =>
			new Promise<void>((resolve, reject) => {
				const socket = tls.connect({ host: "127.0.0.1", port, ca: read("ca.pem"), servername: "localhost", maxVersion: "TLSv1.2" }, () => socket.end());
				socket.on("close", () => resolve()).on("error", reject);
			});
		const rounds = async () => {
			for (let i = 0; i < 10; i++) await handshake();
			await nodeExchange(url(), ["and a WebSocket session"], { ...trustCA });
			await rawExchange(Buffer.from([0x16, 3, 1, 0, 0x50, 1, 0]), { closeAfterMs: 100 });
			await new Promise((resolve) => setTimeout(resolve, 300));
		};
		await rounds(); // whatever is made once (first use) is made here
		const before = (await memory()).slotHeap.live;
		await rounds();
		await rounds();
		const grown = ((await memory()).slotHeap.live - before) / 32;
		// A connection whose socket is never closed keeps its objects: about 10 slots each.
		assert.ok(grown < 20, `the slot heap grew by ${grown} slots over 24 connections`);
	});

	test("curl --cacert fetches the console page and /api/status, which says the build carries the test PKI", () => {
		const page = curl("/");
		assert.equal(page.status, 200, page.stderr);
		assert.match(page.body, /<html/i);
		const status = curl("/api/status");
		assert.equal(status.status, 200, status.stderr);
		const json = JSON.parse(status.body);
		assert.equal(json.tls, true);
		assert.equal(json.testCertificates, true);
		assert.ok(target.log.some((line) => /^TLS: this build carries the test PKI/.test(line)), "a trace line says so at start");
	});

	test("openssl s_client -tls1_2 verifies the chain and shows the suite and secure renegotiation", async () => {
		const result = await opensslClient(port, { extra: ["-tls1_2"] });
		assert.equal(result.verify, "0 (ok)", result.output);
		assert.equal(result.protocol, "TLSv1.2");
		assert.match(result.cipher, /^AES(128|256)-SHA(256)?$/);
		// RFC 5746: without it OpenSSL 3 clients refuse the server (tlsserver/hello adds it).
		assert.match(result.output, /Secure Renegotiation IS supported/);
	});
});

describe("what must fail", () => {
	test("a client that trusts another CA refuses the server", async () => {
		const error = await nodeConnectError(url(), { ca: read("other-ca.pem") });
		assert.match(String(error.code ?? error.message), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED|certificate/i);
		assert.notEqual(curl("/api/status", cert("other-ca.pem")).status, 200);
	});

	test("a name the certificate does not carry fails the client's check", async () => {
		const { lines, status } = await pythonExchange(`wss://127.0.0.1:${port}/ws`, { ca: cert("ca.pem"), ciphers: rsaSuite, serverName: "wrong.example", text: ["x"] });
		assert.equal(status, 2);
		assert.match((lines[0] as { error: string }).error, /CERTIFICATE_VERIFY_FAILED|match/i);
	});

	test("a client offering a session to resume gets a full handshake (the server keeps no sessions)", async () => {
		const connect = (session?: Buffer) =>
			new Promise<{ session: Buffer | undefined; reused: boolean }>((resolve, reject) => {
				let saved: Buffer | undefined;
				const socket = tls.connect({ host: "127.0.0.1", port, ca: read("ca.pem"), servername: "localhost", maxVersion: "TLSv1.2", session });
				socket.on("session", (ticket: Buffer) => (saved = ticket));
				socket.once("secureConnect", () => {
					const reused = socket.isSessionReused();
					// The session arrives with the handshake's end in TLS 1.2.
					setImmediate(() => {
						socket.end();
						resolve({ session: saved ?? socket.getSession(), reused });
					});
				});
				socket.once("error", reject);
			});
		const first = await connect();
		assert.ok(first.session, "the client has a session it could offer");
		const second = await connect(first.session);
		assert.equal(second.reused, false);
	});

	test("a handshake message only a server sends, from a client, gets unexpected_message", async () => {
		// A ServerHelloDone where the ClientHello belongs: the SDK's session would act on it by
		// sending a client's flight; the server refuses it (tlsserver/flight).
		const { answer, closedByServer } = await rawExchange(Buffer.from([22, 3, 3, 0, 4, 14, 0, 0, 0]));
		assert.ok(closedByServer);
		assert.deepEqual([...answer.subarray(0, 7)], [0x15, 3, 3, 0, 2, 2, 10]);
	});

	test("a client offering no TLS_RSA suite gets a handshake_failure alert", async () => {
		const result = await opensslClient(port, { extra: ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"] });
		assert.match(result.output, /alert handshake failure|alert number 40/);
		assert.ok(target.log.some((line) => /^TLS: /.test(line) && /RSA|cipher|shared/i.test(line)), target.log.join("\n"));
	});
});

describe("what must not take the server down", () => {
	test("plain HTTP, garbage and half a ClientHello are refused one connection at a time while a wss client goes on", async () => {
		// An established client throughout.
		const steady = new (await import("ws")).default(url(), { ...trustCA, perMessageDeflate: false });
		await new Promise((resolve, reject) => steady.once("open", resolve).once("error", reject));
		const echo = (text: string) =>
			new Promise<string>((resolve, reject) => {
				steady.once("message", (data) => resolve(String(data)));
				steady.once("error", reject);
				steady.send(text);
			});

		const http = await rawExchange(Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
		assert.ok(http.closedByServer, "plain HTTP is closed");
		// A fatal alert in the clear (decode_error), when one is sent at all.
		if (http.answer.length) assert.deepEqual([...http.answer.subarray(0, 6)], [0x15, 3, 3, 0, 2, 2]);
		assert.equal(await echo("after http"), "after http");

		const garbage = await rawExchange(crypto.randomBytes(3000));
		assert.ok(garbage.closedByServer, "garbage is closed");
		assert.equal(await echo("after garbage"), "after garbage");

		// The first bytes of a ClientHello record, then the client goes away.
		const half = await rawExchange(Buffer.from([0x16, 3, 1, 0, 0x50, 1, 0]), { closeAfterMs: 300 });
		assert.equal(half.answer.length, 0);
		assert.equal(await echo("after half"), "after half");

		// A whole handshake from a client that then sends nothing: closed by the head timeout.
		steady.close();
		const { echoes } = await nodeExchange(url(), ["still serving"], { ...trustCA });
		assert.equal(String(echoes[0].data), "still serving");
	});

	test("more than wssMaxClients WebSocket clients: the next upgrade gets 503", async () => {
		const WebSocket = (await import("ws")).default;
		const open = await Promise.all(
			[0, 1].map(
				() =>
					new Promise<InstanceType<typeof WebSocket>>((resolve, reject) => {
						const ws = new WebSocket(url(), { ...trustCA, perMessageDeflate: false });
						ws.once("open", () => resolve(ws)).once("error", reject);
					}),
			),
		);
		try {
			const error = await nodeConnectError(url(), { ...trustCA });
			assert.match(error.message, /unexpected response 503/);
		} finally {
			for (const ws of open) ws.close();
		}
	});
});

/**
 * A proxy that cuts every record the client sends inside its 5-byte header (after 1, 2, 3 or 4
 * bytes in turn) and holds the rest back for longer than lin's 20 ms poll, so the server finds
 * part of a header and must wait for the rest.
 */
async function headerSplittingProxy(serverPort: number): Promise<RecordProxy & { split(): number }> {
	let split = 0;
	const sending = new WeakMap<net.Socket, Promise<void>>();
	const proxy = await recordProxy(serverPort, (record, upstream) => {
		const cut = 1 + (split++ % 4);
		const previous = sending.get(upstream) ?? Promise.resolve();
		sending.set(
			upstream,
			previous.then(async () => {
				upstream.write(record.subarray(0, cut));
				await new Promise((resolve) => setTimeout(resolve, 40));
				upstream.write(record.subarray(cut));
			}),
		);
	});
	return { ...proxy, split: () => split };
}
