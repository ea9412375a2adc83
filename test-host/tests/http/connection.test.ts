// HTTP/1.1 connection handling on the WebSocket port: keep-alive, pipelining, Connection: close,
// HTTP/1.0, an h2c upgrade answered in HTTP/1.1 (libyimmo), the console page, the WebSocket
// greeting, and the bound on connections. Runs against any target (TARGET).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { startTarget, type Target } from "../../harness/target.ts";
import { projectRoot } from "../../runtime/realm.ts";
import { RawConnection, upgradeRequest } from "../../clients/raw.ts";
import { curl, eventually, parseResponses } from "./helpers.ts";

const greeting = "Hello!";
const maxClients = 2;
const config = { wsGreeting: greeting, wsMaxClients: maxClients, wsHandshakeTimeout: 2000 };
const page = fs.readFileSync(path.join(projectRoot, "modules/wsserver/console.html"));
let target: Target;
let base: string;

before(async () => {
	target = await startTarget({ config });
	base = `http://${target.host}:${target.port}`;
});
after(async () => {
	await target?.stop();
});

const host = () => `Host: ${target.host}:${target.port}`;

async function connect(): Promise<RawConnection> {
	return RawConnection.connect(target.host, target.port);
}

async function responses(connection: RawConnection, count: number) {
	await connection.until(() => parseResponses(connection.received).responses.length >= count, 10_000, `${count} responses`);
	return parseResponses(connection.received).responses;
}

describe("persistent connections (RFC 9112 §9)", () => {
	test("HTTP/1.1 keeps the connection for request after request", async () => {
		const connection = await connect();
		for (let i = 1; i <= 3; i++) {
			await connection.write(`POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Type: text/plain\r\nContent-Length: ${String(i).length + 8}\r\n\r\nrequest ${i}`);
			const all = await responses(connection, i);
			assert.equal(all[i - 1].status, 200);
			assert.equal(JSON.parse(all[i - 1].body.toString()).body, `request ${i}`);
			assert.equal(all[i - 1].headers["connection"], undefined);
			assert.equal(connection.ended, false);
		}
		connection.destroy();
	});

	test("pipelined requests are answered in order", async () => {
		const connection = await connect();
		const body = (text: string) => `POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`;
		const chunked = `POST /api/echo HTTP/1.1\r\n${host()}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nthird\r\n0\r\n\r\n`;
		await connection.write(
			[body("first"), `GET /api/status HTTP/1.1\r\n${host()}\r\n\r\n`, `GET /nothing HTTP/1.1\r\n${host()}\r\n\r\n`, chunked, `GET / HTTP/1.1\r\n${host()}\r\n\r\n`, body("last")].join(""),
		);
		const all = await responses(connection, 6);
		assert.deepEqual(all.map((r) => r.status), [200, 200, 404, 200, 200, 200]);
		assert.equal(JSON.parse(all[0].body.toString()).body, "first");
		assert.equal(typeof JSON.parse(all[1].body.toString()).version, "string");
		assert.equal(JSON.parse(all[3].body.toString()).body, "third");
		assert.deepEqual(all[4].body, page);
		assert.equal(JSON.parse(all[5].body.toString()).body, "last");
		connection.destroy();
	});

	test("Connection: close ends the connection after the answer", async () => {
		const connection = await connect();
		await connection.write(`GET /api/status HTTP/1.1\r\n${host()}\r\nConnection: close\r\n\r\n`);
		const [response] = await responses(connection, 1);
		assert.equal(response.headers["connection"], "close");
		await connection.closed();
	});

	test("HTTP/1.0 closes by default, and keeps the connection when it asks for keep-alive", async () => {
		const plain = await connect();
		await plain.write("GET /api/status HTTP/1.0\r\n\r\n");
		assert.equal((await responses(plain, 1))[0].status, 200);
		await plain.closed();
		const kept = await connect();
		await kept.write("GET /api/status HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
		const [first] = await responses(kept, 1);
		assert.equal(first.headers["connection"], "keep-alive");
		await kept.write("GET /api/status HTTP/1.0\r\n\r\n");
		assert.equal((await responses(kept, 2))[1].status, 200);
		await kept.closed();
	});

	test("an idle kept-alive connection is closed after the request timeout", async () => {
		const connection = await connect();
		await connection.write(`GET /api/status HTTP/1.1\r\n${host()}\r\n\r\n`);
		await responses(connection, 1);
		await connection.closed(10_000);
	});
});

describe("upgrades that are not WebSocket, and WebSocket elsewhere", () => {
	test("curl --http2 against http:// (an h2c upgrade) is answered as plain HTTP/1.1", async () => {
		const result = await curl(["--http2", `${base}/api/status`]);
		assert.equal(result.responses.length, 1, "no 101 Switching Protocols");
		assert.equal(result.responses[0].version, "HTTP/1.1");
		assert.equal(result.status, 200);
		assert.equal(typeof JSON.parse(result.body.toString()).version, "string");
	});

	test("a raw h2c upgrade request gets 200 in HTTP/1.1 and the connection goes on in HTTP/1.1", async () => {
		const connection = await connect();
		await connection.write(`GET / HTTP/1.1\r\n${host()}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`);
		const [response] = await responses(connection, 1);
		assert.equal(response.version, "HTTP/1.1");
		assert.equal(response.status, 200);
		await connection.write(`GET /api/status HTTP/1.1\r\n${host()}\r\n\r\n`);
		assert.equal((await responses(connection, 2))[1].status, 200);
		connection.destroy();
	});

	test("a WebSocket upgrade on another path gets 404", async () => {
		const status = await new Promise<number>((resolve, reject) => {
			const ws = new WebSocket(`ws://${target.host}:${target.port}/elsewhere`);
			ws.once("unexpected-response", (_request, response) => {
				resolve(response.statusCode!);
				ws.terminate();
			});
			ws.once("open", () => reject(new Error("opened")));
			ws.once("error", () => {});
		});
		assert.equal(status, 404);
	});
});

describe("the console page and the greeting", () => {
	test("GET / is the console page, whole, as text/html with its length (fetch, curl)", async () => {
		const response = await fetch(`${base}/`);
		assert.equal(response.status, 200);
		assert.match(response.headers.get("content-type")!, /^text\/html/);
		assert.equal(Number(response.headers.get("content-length")), page.length);
		assert.deepEqual(Buffer.from(await response.arrayBuffer()), page);
		const head = await curl(["-I", `${base}/`]);
		assert.equal(Number(head.headers["content-length"]), page.length);
		assert.equal(head.body.length, 0);
	});

	test("each new WebSocket client is greeted first, then echoed", async () => {
		const ws = new WebSocket(`ws://${target.host}:${target.port}/ws`);
		const received: string[] = [];
		await new Promise<void>((resolve, reject) => {
			ws.on("message", (data) => {
				received.push(String(data));
				if (received.length === 1) ws.send("echo me");
				if (received.length === 2) resolve();
			});
			ws.once("error", reject);
			// A firmware that stops (on lin: a stack overflow in the handshake) fails, not hangs.
			ws.once("close", (code) => reject(new Error(`closed (${code}) after ${JSON.stringify(received)}`)));
		});
		ws.close();
		assert.deepEqual(received, [greeting, "echo me"]);
	});
});

describe("bounded connections", () => {
	test("held connections never keep a new one out: the oldest idle one makes room", async () => {
		// Connections of earlier tests (fetch keeps its own alive) end first: then curl's request is
		// the only one the server holds.
		await eventually(async () => JSON.parse((await curl([`${base}/api/status`])).body.toString()).connections === 1, "earlier connections are gone");
		// Each kept alive after its answer: idle, it waits for a request head, and such connections
		// hold at most maxClients places (wsMaxPending).
		const held: RawConnection[] = [];
		for (let i = 0; i < maxClients + 4; i++) {
			const connection = await connect();
			await connection.write(`GET /api/status HTTP/1.1\r\n${host()}\r\n\r\n`);
			assert.equal((await responses(connection, 1))[0].status, 200, `connection ${i + 1} is served`);
			held.push(connection);
		}
		// Every new one pushed out the oldest idle one, which was closed without an answer.
		for (const connection of held.slice(0, -maxClients)) {
			await connection.closed(5000);
			assert.equal(parseResponses(connection.received).responses.length, 1);
		}
		for (const connection of held.slice(-maxClients)) {
			await connection.write(`GET /api/status HTTP/1.1\r\n${host()}\r\n\r\n`);
			assert.equal((await responses(connection, 2))[1].status, 200, "the newest are still served");
		}
		const upgrade = await connect();
		await upgrade.write(upgradeRequest(target.host, target.port).bytes);
		assert.equal((await upgrade.response()).status, 101, "a WebSocket upgrade is accepted");
		for (const connection of [...held, upgrade]) connection.destroy();
	});
});
