// Keep-alive (ESP-AT §3.8) and reconnect (ESP-AT §3.9) of the firmware's WebSocket client in the
// host runtime: servers that vanish, come back, or stop answering pings.
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startEchoServer, type EchoServer } from "../../servers/echo-server.ts";
import { Connected, Connecting, Stopped, WaitingToReconnect, options, parseClientFrames, startProbe, settle, startRawServer, type Probe } from "./helpers.ts";

let probe: Probe | undefined;
let server: EchoServer | undefined;
afterEach(async () => {
	probe?.stop();
	probe = undefined;
	await server?.close();
	server = undefined;
});

const Ping = 9;
const Pong = 10;

describe("reconnect (ESP-AT §3.9)", { timeout: 20_000 }, () => {
	test("a server that vanishes: connection lost, waiting, failed attempts while it is gone, connected again once it is back", async () => {
		server = await startEchoServer();
		const port = server.port;
		probe = await startProbe();
		probe.client.open(options(server.url, { reconnect: 100, connectTimeout: 2000 }));
		await probe.next("open");
		await server.close();
		server = undefined;
		const lost = await probe.next("error");
		assert.equal(lost.kind, "lost");
		assert.deepEqual(await probe.next("close"), { event: "close", code: 1006, reason: "", wasClean: false });
		// At least one attempt fails while the server is down, and is followed by another wait.
		await probe.next("error", 1, (event) => event.kind === "connect");
		await probe.next("state", 1, (event) => event.state === WaitingToReconnect && probe!.events.some((e) => e.event === "error" && e.kind === "connect"));
		server = await startEchoServer({ port });
		await probe.next("open", 2);
		const states = probe.states();
		assert.deepEqual(states.slice(0, 4), [Connected, WaitingToReconnect, Connecting, WaitingToReconnect]);
		assert.deepEqual(states.slice(-2), [Connecting, Connected]);
		// Between the first and the last entries the cycle is always wait, then connect.
		for (let i = 1; i < states.length - 1; i += 2) assert.deepEqual(states.slice(i, i + 2), [WaitingToReconnect, Connecting]);
		// Same URL, same request: the echo works on the new connection.
		probe.client.sendText("after reconnect");
		assert.equal((await probe.next("message")).text, "after reconnect");
	});

	test("without reconnect, a lost connection stops the client", async () => {
		server = await startEchoServer();
		probe = await startProbe();
		probe.client.open(options(server.url));
		await probe.next("open");
		await server.close();
		server = undefined;
		assert.equal((await probe.next("error")).kind, "lost");
		await probe.next("state", 1, (event) => event.state === Stopped);
		assert.deepEqual(probe.states(), [Connected, Stopped]);
	});

	test("a first attempt that fails is retried only with reconnectFirst", async () => {
		const gone = await startEchoServer();
		const port = gone.port;
		await gone.close();
		probe = await startProbe();
		probe.client.open(options(`ws://127.0.0.1:${port}/`, { reconnect: 50, reconnectFirst: true }));
		await probe.next("error", 2);
		server = await startEchoServer({ port });
		await probe.next("open");
		assert.deepEqual(probe.states().slice(0, 3), [WaitingToReconnect, Connecting, WaitingToReconnect]);
		assert.equal(probe.states().at(-1), Connected);
	});

	test("close() while waiting to reconnect stops the cycle", async () => {
		server = await startEchoServer();
		const port = server.port;
		probe = await startProbe();
		probe.client.open(options(server.url, { reconnect: 100 }));
		await probe.next("open");
		await server.close();
		server = undefined;
		await probe.next("state", 1, (event) => event.state === WaitingToReconnect);
		probe.client.close();
		assert.equal(probe.client.state(), Stopped);
		server = await startEchoServer({ port });
		await settle(500); // several reconnect intervals
		assert.equal(server.events.length, 0, "no attempt reached the server");
		assert.deepEqual(probe.states(), [Connected, WaitingToReconnect, Stopped]);
	});
});

describe("keep-alive (ESP-AT §3.8)", { timeout: 20_000 }, () => {
	test("an idle connection is pinged; a pong clears the deadline; no pong within pongTimeout aborts and reconnects", async () => {
		const raw = await startRawServer();
		try {
			probe = await startProbe();
			probe.client.open(options(raw.url, { pingInterval: 100, pongTimeout: 300, reconnect: 50 }));
			const connection = await raw.waitForConnection();
			connection.accept();
			await probe.next("open");
			// The first ping: answered with a pong, the connection stays.
			const first = parseClientFrames(await connection.receivedAtLeast(6));
			assert.deepEqual(first.map((frame) => [frame.opcode, frame.masked, frame.payload.length]), [[Ping, true, 0]]);
			connection.socket.write(Buffer.from([0x80 | Pong, 0]));
			// The second ping comes after another idle interval and is not answered.
			const second = parseClientFrames(await connection.receivedAtLeast(12));
			assert.deepEqual(second.map((frame) => frame.opcode), [Ping, Ping]);
			const error = await probe.next("error");
			assert.equal(error.kind, "keepalive");
			assert.match(error.message, /no pong from ws:\/\/127\.0\.0\.1:\d+ within 300 ms/);
			assert.equal(probe.events.filter((event) => event.event === "error").length, 1, "the answered ping caused no error");
			assert.deepEqual(await probe.next("close"), { event: "close", code: 1006, reason: error.message, wasClean: false });
			// The reconnect cycle: a new connection arrives at the server.
			const again = await raw.waitForConnection(2);
			again.accept();
			await probe.next("open", 2);
			assert.deepEqual(probe.states(), [Connected, WaitingToReconnect, Connecting, Connected]);
		} finally {
			await raw.close();
		}
	});

	test("received data restarts the idle timer: a chatty server is never pinged", async () => {
		const raw = await startRawServer();
		try {
			probe = await startProbe();
			probe.client.open(options(raw.url, { pingInterval: 1000, pongTimeout: 300 }));
			const connection = await raw.waitForConnection();
			connection.accept();
			await probe.next("open");
			// A text frame every ~50 ms for 20 frames: never a second of silence.
			for (let i = 0; i < 20; i++) {
				connection.socket.write(Buffer.from([0x81, 1, 0x30 + (i % 10)]));
				await probe.next("message", i + 1);
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
			assert.deepEqual(parseClientFrames(connection.received), [], "no ping was sent");
			// Silence: now the ping comes.
			const frames = parseClientFrames(await connection.receivedAtLeast(6));
			assert.deepEqual(frames.map((frame) => frame.opcode), [Ping]);
		} finally {
			await raw.close();
		}
	});

	test("a server ping does not clear the client's pong deadline (only a pong does)", async () => {
		const raw = await startRawServer();
		try {
			probe = await startProbe();
			probe.client.open(options(raw.url, { pingInterval: 100, pongTimeout: 400 }));
			const connection = await raw.waitForConnection();
			connection.accept();
			await probe.next("open");
			await connection.receivedAtLeast(6);
			// The server pings instead of answering: the client pongs it, and still times out.
			connection.socket.write(Buffer.from([0x80 | Ping, 2, 0x68, 0x69]));
			const frames = parseClientFrames(await connection.receivedAtLeast(6 + 8));
			assert.deepEqual(frames.map((frame) => [frame.opcode, frame.payload.toString()]), [[Ping, ""], [Pong, "hi"]]);
			assert.equal((await probe.next("error")).kind, "keepalive");
		} finally {
			await raw.close();
		}
	});
});
