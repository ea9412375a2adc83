// The memory budget of WebSocket data (wsMemoryBudget): what every client holds for messages
// being received and echoes waiting to go out counts against one limit, and when it is reached
// the server stops reading (TCP holds the peers back) and refuses new clients with 503, instead
// of running out of heap. Nothing is lost: every message is echoed once there is room.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import WebSocket from "ws";
import { startTarget, type Target } from "../../harness/target.ts";
import { eventually } from "../http/helpers.ts";
import { holdBudget, type Budget } from "./hold-budget.ts";

const maxMessage = 8192;
const readBuffer = 1536;
// Room for one message being received (and the 10 bytes a server frames it in) and a read buffer
// of echoes, and a little more: while one large message is on its way in, nobody else reads.
const budget = maxMessage + 10 + readBuffer + 2000;
const maxClients = 4;
const config = { wsMaxClients: maxClients, wsMaxMessage: maxMessage, wsMemoryBudget: budget };
let target: Target;

before(async () => {
	target = await startTarget({ config });
});
after(async () => {
	await target?.stop();
});

async function status(): Promise<{ websocket: { clients: number; budget: Budget }; limits: Record<string, number> }> {
	const response = await fetch(`http://${target.host}:${target.port}/api/status`);
	assert.equal(response.status, 200);
	return (await response.json()) as never;
}

function open(): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(`ws://${target.host}:${target.port}/ws`, { perMessageDeflate: false });
		ws.once("open", () => resolve(ws));
		ws.once("error", reject);
		ws.once("unexpected-response", (_request, response) => reject(new Error(`upgrade answered ${response.statusCode}`)));
	});
}

function close(ws: WebSocket): Promise<void> {
	return new Promise((resolve) => {
		if (ws.readyState === WebSocket.CLOSED) return resolve();
		ws.once("close", () => resolve());
		ws.close(1000);
	});
}

/** Collects the next `count` messages a client receives. */
function receive(ws: WebSocket, count: number, timeoutMs = 20_000): Promise<Buffer[]> {
	return new Promise((resolve, reject) => {
		const received: Buffer[] = [];
		const timer = setTimeout(() => reject(new Error(`${received.length} of ${count} echoes within ${timeoutMs} ms`)), timeoutMs);
		const onMessage = (data: Buffer) => {
			received.push(Buffer.from(data));
			if (received.length === count) {
				clearTimeout(timer);
				ws.off("message", onMessage);
				resolve(received);
			}
		};
		ws.on("message", onMessage);
		ws.once("close", (code) => reject(new Error(`closed (${code}) after ${received.length} of ${count} echoes`)));
	});
}

describe("the memory budget of WebSocket data", () => {
	test("status reports the budget, empty at rest", async () => {
		const { websocket, limits } = await status();
		assert.equal(limits.memoryBudget, budget);
		assert.deepEqual({ ...websocket.budget, peak: 0 }, { held: 0, peak: 0, limit: budget, waiting: 0 });
	});

	test("every client sending the largest messages at once: all echoed intact, the budget kept", async () => {
		const clients = await Promise.all(Array.from({ length: maxClients }, () => open()));
		const rounds = 3;
		try {
			const sent = clients.map(() => Array.from({ length: rounds }, () => crypto.randomBytes(maxMessage)));
			const echoes = clients.map((ws, index) => receive(ws, rounds).then((received) => ({ index, received })));
			clients.forEach((ws, index) => sent[index].forEach((message) => ws.send(message, { binary: true })));
			for (const { index, received } of await Promise.all(echoes))
				received.forEach((echo, round) => assert.ok(echo.equals(sent[index][round]), `client ${index}, message ${round}: the same bytes back, in order`));
			const { websocket } = await status();
			assert.ok(websocket.budget.peak >= maxMessage, `the budget counted the messages (peak ${websocket.budget.peak})`);
			assert.ok(websocket.budget.peak <= budget, `peak ${websocket.budget.peak} bytes within the budget of ${budget}`);
		} finally {
			await Promise.all(clients.map(close));
		}
		await eventually(async () => (await status()).websocket.budget.held === 0, "the budget is back to 0");
	});

	test("while a large message is on its way in, others wait (WebSocket bytes and a POST), a new client gets 503, and nothing is lost", async () => {
		const other = await open();
		// A message of maxMessage bytes, of which only the header and 100 bytes come for now:
		// the server reserves the whole message from its header.
		const slow = await holdBudget(target.host, target.port, maxMessage);
		try {

			// Another client's message waits in its socket: no echo while the budget is taken.
			const echoed = receive(other, 1);
			other.send("waits its turn");
			const early = await Promise.race([echoed.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 500))]);
			assert.equal(early, false, "no echo while the budget has no room");
			assert.equal((await status()).websocket.budget.waiting, 1, "one connection waits for room");

			// A new client is refused with an answer, not reset.
			await assert.rejects(open(), /upgrade answered 503/);

			// A POST whose body and answer do not fit waits too, its body unread; a GET is answered.
			const body = crypto.randomBytes(1500).toString("hex").slice(0, 1500);
			const posted = fetch(`http://${target.host}:${target.port}/api/echo`, { method: "POST", body, headers: { "Content-Type": "text/plain" } }).then(async (response) => ({ status: response.status, json: (await response.json()) as any }));
			await eventually(async () => (await status()).websocket.budget.waiting === 2, "the POST waits for room");
			const answeredEarly = await Promise.race([posted.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 300))]);
			assert.equal(answeredEarly, false, "no answer while the budget has no room");

			// The rest of the large message comes: it is echoed, then the waiting ones go on.
			await slow.finish();
			assert.equal(String((await echoed)[0]), "waits its turn");
			const answer = await posted;
			assert.deepEqual([answer.status, answer.json.length, answer.json.body], [200, 1500, body]);
			await eventually(async () => (await status()).websocket.budget.held === 0, "the budget is back to 0");
			const fresh = await open();
			await close(fresh);
		} finally {
			slow.destroy();
			await close(other);
		}
	});
});
