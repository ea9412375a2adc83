// Peers that vanish, stop reading or come all at once must not keep others out: a reset under a
// write frees the client's place, a client that reads nothing is dropped by time, and every
// upgrade beyond the limits is answered 503. Runs against any target (TARGET); keep-alive pings
// are off, so none of this is the ping's doing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import { startTarget, type Target } from "../../harness/target.ts";
import { nodeExchange } from "../../clients/peers.ts";
import { Opcode, RawConnection, frame, upgradeRequest } from "../../clients/raw.ts";
import { eventually, pause } from "../http/helpers.ts";

const maxClients = 2;
const maxMessage = 65536;
const writeTimeout = 2000;
// A memory budget with room for every client's largest message (the profile's is made for its own
// wsMaxMessage): here the limits on time are tested, not the budget (tests/echo/budget.test.ts).
const memoryBudget = (maxClients + 1) * (maxMessage + 10 + 1536);
const config = { wsMaxClients: maxClients, wsMaxMessage: maxMessage, wsMemoryBudget: memoryBudget, wsPingInterval: 0, wsWriteTimeout: writeTimeout };
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

async function websocketClients(): Promise<number> {
	const response = await fetch(`http://${target.host}:${target.port}/api/status`, { headers: { Connection: "close" } });
	return ((await response.json()) as { websocket: { clients: number } }).websocket.clients;
}

async function stillServing() {
	const { echoes } = await nodeExchange(`ws://${target.host}:${target.port}/ws`, ["still there?"]);
	assert.equal(String(echoes[0]?.data), "still there?");
}

describe("peers that vanish", () => {
	test("clients that reset while the server writes to them free their places within about a second", async () => {
		await eventually(async () => (await websocketClients()) === 0, "no client is left from before");
		for (let i = 0; i < maxClients; i++) {
			const connection = await connect();
			await connection.upgrade(target.host, target.port);
			// More than lin's 1536-byte receive buffer: the server is still reading the message
			// when the reset comes behind it, and then writes the echo to a connection that is gone.
			// On lin write(2) fails there, and no onError follows.
			await connection.write(frame(Opcode.Binary, crypto.randomBytes(16000)));
			connection.socket.resetAndDestroy();
		}
		// Free again after the server's once-a-second check (the reset itself reaches lin within
		// its 20 ms poll); before, the places stayed taken until keep-alive gave up on them.
		await eventually(async () => (await websocketClients()) === 0, "every place is free", 2500);
		const upgrades = await Promise.all(Array.from({ length: maxClients }, () => connect()));
		for (const connection of upgrades) await connection.upgrade(target.host, target.port);
		for (const connection of upgrades) connection.destroy();
	});
});

/** What the kernel holds between the server and a peer (Linux /proc/net/tcp, what ss shows as
 *  Send-Q and Recv-Q): `echoed`, sent by the server and not taken by the peer; `unread`, sent by
 *  the peer and not yet read by the server. */
function kernelQueues(serverPort: number, peerPort: number): { echoed: number; unread: number } {
	const hex = (port: number) => ":" + port.toString(16).toUpperCase().padStart(4, "0");
	let echoed = 0;
	let unread = 0;
	for (const line of fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
		const [, local, remote, , queues] = line.trim().split(/\s+/);
		if (!queues) continue;
		const [tx, rx] = queues.split(":").map((field) => parseInt(field, 16));
		if (local.endsWith(hex(serverPort)) && remote.endsWith(hex(peerPort))) {
			echoed += tx;
			unread += rx;
		}
		if (local.endsWith(hex(peerPort)) && remote.endsWith(hex(serverPort))) {
			echoed += rx;
			unread += tx;
		}
	}
	return { echoed, unread };
}

describe("a client that does not read", () => {
	test("is dropped once nothing it is sent goes out for the write timeout, though its queue is under the bound", async () => {
		await eventually(async () => (await websocketClients()) === 0, "no client is left from before");
		const greedy = await connect();
		await greedy.upgrade(target.host, target.port);
		greedy.socket.pause(); // never reads again
		const peerPort = greedy.socket.localPort!;
		// Linux takes megabytes into a socket's buffers before the budget stops coming (a board's
		// lwIP a few KiB). The server is fed as fast as it reads (lin: 76 KB/s) until the kernel
		// stops taking its echoes: a plateau while the server read 32 KiB more. Then what waits in
		// the server's queue is far under its bound (2 × maxMessage + 1024), and only time can
		// tell the server that this peer is stuck.
		const payload = frame(Opcode.Binary, crypto.randomBytes(16384));
		let sent = 0;
		let plateau = { echoed: -1, consumed: 0 };
		const deadline = Date.now() + 180_000;
		for (;;) {
			const { echoed, unread } = kernelQueues(target.port, peerPort);
			const consumed = sent - unread;
			if (echoed !== plateau.echoed) plateau = { echoed, consumed };
			else if (consumed - plateau.consumed >= 32 * 1024) break;
			assert.ok(Date.now() < deadline, `the kernel still takes echoes after ${sent} bytes`);
			if (unread < 20_000) {
				greedy.socket.write(payload);
				sent += payload.length;
			}
			await pause(20);
		}
		assert.equal(await websocketClients(), 1, "the client is connected while its echoes wait");
		await eventually(async () => (await websocketClients()) === 0, "the server dropped the client", writeTimeout + 5000);
		greedy.destroy();
		await stillServing();
	});
});

describe("upgrades beyond the limits", () => {
	test("twelve upgrades at once: two are accepted, every other one is answered 503, none is just closed", async () => {
		await eventually(async () => (await websocketClients()) === 0, "no client is left from before");
		const connections = await Promise.all(Array.from({ length: 12 }, () => connect()));
		await Promise.all(connections.map((connection) => connection.write(upgradeRequest(target.host, target.port).bytes).catch(() => {})));
		const statuses = await Promise.all(
			connections.map((connection) =>
				connection.response(10_000).then(
					(response) => response.status,
					() => 0,
				),
			),
		);
		for (const connection of connections) connection.destroy();
		assert.equal(statuses.filter((status) => status === 101).length, maxClients, `statuses: ${statuses.join(", ")}`);
		assert.equal(statuses.filter((status) => status === 503).length, 12 - maxClients, `statuses: ${statuses.join(", ")}`);
		await stillServing();
	});
});
