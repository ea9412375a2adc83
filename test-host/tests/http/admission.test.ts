// Who gets a connection when connections are scarce: a request head has a short deadline, a slow
// or idle connection makes room for a new one, and a connection that cannot be admitted is
// answered 503, never just closed. Two places in all, so that a few peers fill them. Runs
// against any target (TARGET).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type Target } from "../../harness/target.ts";
import { nodeExchange } from "../../clients/peers.ts";
import { Opcode, RawConnection, frame, upgradeRequest } from "../../clients/raw.ts";
import { eventually, parseResponses, pause } from "./helpers.ts";

const headTimeout = 1500;
// The request timeout stays at its 10 s default: what closes sooner here is the head deadline.
const config = { wsMaxClients: 2, wsMaxConnections: 2, wsHeadTimeout: headTimeout };
let target: Target;

before(async () => {
	target = await startTarget({ config });
});
after(async () => {
	await target?.stop();
});

async function connect(): Promise<RawConnection> {
	return RawConnection.connect(target.host, target.port);
}

const status = (close = true) => `GET /api/status HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n${close ? "Connection: close\r\n" : ""}\r\n`;

async function responses(connection: RawConnection, count: number) {
	await connection.until(() => parseResponses(connection.received).responses.length >= count, 10_000, `${count} responses`);
	return parseResponses(connection.received).responses;
}

/** Waits until the server holds no connection but the one asking. */
async function settle() {
	await eventually(async () => {
		const connection = await connect();
		await connection.write(status());
		const [answer] = await responses(connection, 1).catch(() => []);
		connection.destroy();
		return answer?.status === 200 && JSON.parse(answer.body.toString()).connections === 1;
	}, "earlier connections are gone");
}

describe("the request head deadline", () => {
	test("a begun head gets 408 and a silent connection is closed at the head deadline, long before the request timeout", async () => {
		await settle();
		const partial = await connect();
		await partial.write(`GET /api/status HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n`);
		const silent = await connect();
		const response = await partial.response(headTimeout + 4000);
		assert.equal(response.status, 408);
		assert.equal(response.headers["connection"], "close");
		await partial.closed(4000);
		await silent.closed(4000);
		assert.equal(silent.received.length, 0, "nothing to answer: no request began");
	});
});

describe("admission when every place is taken", () => {
	test("the oldest idle kept-alive connection makes room for a new one", async () => {
		await settle();
		const first = await connect();
		await first.write(status(false));
		await responses(first, 1);
		const second = await connect();
		await second.write(status(false));
		await responses(second, 1);
		const third = await connect();
		await third.write(status());
		assert.equal((await responses(third, 1))[0].status, 200);
		await first.closed(5000);
		assert.equal(parseResponses(first.received).responses.length, 1, "closed idle, without an answer (RFC 9112 §9.5)");
		await second.write(status());
		assert.equal((await responses(second, 2))[1].status, 200, "the newer one is still served");
		for (const connection of [first, second, third]) connection.destroy();
	});

	test("with every place held by WebSocket clients, a request and an upgrade are answered 503 and closed", async () => {
		await settle();
		const clients = [await connect(), await connect()];
		for (const client of clients) await client.upgrade(target.host, target.port);
		for (const request of [status(), upgradeRequest(target.host, target.port).bytes]) {
			const refused = await connect();
			await refused.write(request).catch(() => {});
			const response = await refused.response(5000);
			assert.equal(response.status, 503);
			assert.equal(response.headers["connection"], "close");
			assert.ok(Number(response.headers["retry-after"]) >= 1, "Retry-After (RFC 9110 §10.2.3)");
			await refused.closed(5000);
		}
		for (const [index, client] of clients.entries()) {
			await client.write(frame(Opcode.Text, `client ${index}`));
			assert.deepEqual(await client.waitForFrame((e) => e.type === "message"), { type: "message", data: Buffer.from(`client ${index}`), isBinary: false });
			client.destroy();
		}
	});

	test("a request that came with its connection is not closed for slow heads that come right behind it", async () => {
		await settle();
		const holder = await connect(); // a WebSocket client holds the other place and keeps it
		await holder.upgrade(target.host, target.port);
		// Until the server has read the request (lin reads a new socket 20 ms after its accept,
		// later than the listener takes the next connections), it looks as fresh as the slow
		// heads; it must not be the one closed to make room for them.
		const fresh = await connect();
		const sent = fresh.write(status());
		const slow = await Promise.all([connect(), connect()]);
		try {
			for (const connection of slow) await connection.write(`GET /api/status HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n`).catch(() => {});
			await sent;
			assert.equal((await responses(fresh, 1))[0].status, 200);
			// The slow heads are answered, not just closed: 503 when there is no room, or 408 at
			// the head deadline.
			for (const connection of slow) assert.ok([408, 503].includes((await connection.response(headTimeout + 4000)).status));
		} finally {
			for (const connection of [holder, fresh, ...slow]) connection.destroy();
		}
	});

	test("slow request heads that reconnect as soon as they are closed do not keep fresh clients out", async () => {
		await settle();
		let attacking = true;
		let attacks = 0;
		// Slowloris: a head that never ends, a line at a time, and a new one at once when closed.
		const slowloris = async () => {
			while (attacking) {
				const connection = await connect().catch(() => undefined);
				if (!connection) continue;
				attacks++;
				await connection.write(`GET /api/status HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n`).catch(() => {});
				while (attacking && !connection.ended) {
					await pause(200);
					await connection.write("X-Slow: 1\r\n").catch(() => {});
				}
				connection.destroy();
			}
		};
		const attackers = Array.from({ length: 4 }, () => slowloris());
		await pause(1000);
		const served: boolean[] = [];
		try {
			for (let round = 0; round < 10; round++) {
				if (round % 2) {
					const { echoes } = await nodeExchange(`ws://${target.host}:${target.port}/ws`, [`fresh ${round}`]).catch(() => ({ echoes: [] }));
					served.push(String(echoes[0]?.data) === `fresh ${round}`);
				} else {
					const connection = await connect();
					await connection.write(status());
					const [answer] = await responses(connection, 1).catch(() => []);
					served.push(answer?.status === 200);
					connection.destroy();
				}
				await pause(200);
			}
		} finally {
			attacking = false;
			await Promise.all(attackers);
		}
		assert.ok(attacks > 4, "the slow heads were closed and came back");
		assert.deepEqual(served, Array(10).fill(true), "every fresh request and upgrade was served");
	});
});
