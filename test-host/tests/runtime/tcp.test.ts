// embedded:io/socket/tcp and embedded:io/socket/listener keep the I/O rules of the SDK's lin
// sockets (modules/io/socket/lin/tcp.c) against real Node peers.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import net from "node:net";
import { bytes, openRealm, thrown, until } from "./helpers.ts";

async function peer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; server: net.Server }> {
	const server = net.createServer(onConnection);
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return { port: (server.address() as net.AddressInfo).port, server };
}

async function closedPort(): Promise<number> {
	const { port, server } = await peer(() => {});
	await new Promise((resolve) => server.close(resolve));
	return port;
}

test("the write budget is 1536 bytes; a write past it throws 'would block'; the budget comes back once drained", async () => {
	let received = Buffer.alloc(0);
	const { port, server } = await peer((socket) => socket.on("data", (chunk) => (received = Buffer.concat([received, chunk]))));
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const grants: number[] = [];
	const socket = new TCP({ address: "127.0.0.1", port, onWritable: (count: number) => grants.push(count) });
	assert.deepEqual(thrown(() => socket.write(new Uint8Array(1))), { name: "Error", message: "would block" }, "no budget before the connection is up");
	await until(() => grants.length === 1, "the first onWritable");
	assert.equal(grants[0], 1536);
	const first = Buffer.alloc(1000, 1);
	assert.equal(socket.write(first), 536, "write returns what is left of the budget");
	const error = (() => {
		try {
			socket.write(new Uint8Array(537));
		} catch (error) {
			return error as Error;
		}
	})();
	assert.ok(error instanceof t.realm.services.global.Error, "the error is the firmware realm's Error");
	assert.equal(error.message, "would block");
	socket.write(Buffer.alloc(536, 2));
	await until(() => grants.length === 2, "onWritable after the kernel took the bytes");
	assert.equal(grants[1], 1536);
	socket.write(Buffer.alloc(1536, 3));
	await until(() => received.length === 3072, "all bytes at the peer");
	assert.deepEqual(received, Buffer.concat([first, Buffer.alloc(536, 2), Buffer.alloc(1536, 3)]));
	socket.close();
	t.stop();
	server.close();
});

test("firmware writing past the budget inside onWritable aborts", async () => {
	const { port, server } = await peer(() => {});
	const t = await openRealm();
	const { flood } = await t.load("flood");
	flood("127.0.0.1", port);
	const abort = await t.realm.aborted;
	assert.match(abort.message, /^XS abort: unhandled exception\nError: would block/);
	assert.equal(t.realm.running, false);
	server.close();
});

test("bytes sent before a peer closes are read first, then the close arrives as onError only", async () => {
	const { port, server } = await peer((socket) => socket.end("last words"));
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const events: string[] = [];
	new TCP({
		address: "127.0.0.1",
		port,
		onReadable(this: any, count: number) {
			events.push(`readable ${count}: ${bytes(this.read()).toString()}`);
		},
		onWritable: () => events.push("writable"),
		onError: () => events.push("error"),
	});
	await until(() => events.includes("error"), "onError");
	await new Promise((resolve) => setTimeout(resolve, 50)); // anything else would come now
	assert.deepEqual(events.filter((event) => event !== "writable"), ["readable 10: last words", "error"]);
	t.stop();
	server.close();
});

test("a write to a peer that reset the connection returns no budget, and nothing is reported again, not even onError", async () => {
	// lin tcp.c: write(2) fails, the error flag is set inside write() and its task returns early
	// from then on; the firmware has only the missing budget to go by.
	let peerSocket: net.Socket | undefined;
	const { port, server } = await peer((socket) => (peerSocket = socket));
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const { channels } = await import("../../runtime/modules/tcp.ts");
	const events: string[] = [];
	const socket = new TCP({
		address: "127.0.0.1",
		port,
		onReadable: (count: number) => events.push(`readable ${count}`),
		onWritable: (count: number) => events.push(`writable ${count}`),
		onError: () => events.push("error"),
	});
	await until(() => events.includes("writable 1536") && peerSocket !== undefined, "connected");
	peerSocket!.write("bye");
	await until(() => events.includes("readable 3"), "the peer's bytes");
	// The bytes stay unread while the reset arrives, so the reset cannot be reported yet.
	peerSocket!.resetAndDestroy();
	await until(() => channels.get(socket)?.error === true, "the reset seen by the host socket");
	events.length = 0;
	assert.equal(bytes(socket.read()).toString(), "bye");
	assert.equal(socket.write(new Uint8Array(10)), undefined, "a failed write returns no budget");
	await new Promise((resolve) => setTimeout(resolve, 100));
	assert.deepEqual(events, [], "no onError, no onWritable");
	assert.ok(t.traces.includes("write failed"));
	socket.close();
	t.stop();
	server.close();
});

test("a reset behind unread bytes stays behind them; a write then fails at once, and nothing follows", async () => {
	// lin reads at most 1536 bytes per poll; the rest stays in the kernel, the reset behind it.
	// write(2) meets the reset all the same and fails: the write returns no budget, and no
	// callback comes after it, neither the bytes nor onError.
	let peerReset = false;
	const { port, server } = await peer((socket) =>
		socket.write(crypto.randomBytes(200_000), () => undefined) &&
		setTimeout(() => {
			socket.resetAndDestroy();
			peerReset = true;
		}, 100),
	);
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const events: string[] = [];
	const socket = new TCP({
		address: "127.0.0.1",
		port,
		onReadable: (count: number) => events.push(`readable ${count}`),
		onError: () => events.push("error"),
	});
	await until(() => peerReset && events.length > 0, "the peer's bytes, then its reset");
	await new Promise((resolve) => setTimeout(resolve, 50));
	assert.deepEqual(events, ["readable 1536"], "only what lin's buffer holds, and no error while bytes wait");
	assert.equal(socket.write(new Uint8Array(4)), undefined, "the write fails");
	assert.equal(bytes(socket.read()).length, 1536, "what was read into the buffer can still be taken");
	await new Promise((resolve) => setTimeout(resolve, 100));
	assert.deepEqual(events, ["readable 1536"], "nothing is reported after the failed write");
	socket.close();
	t.stop();
	server.close();
});

test("after the peer's FIN, writes still go out (the socket is half-open, as on lin)", async () => {
	let received = "";
	const server = net.createServer({ allowHalfOpen: true }, (socket) => {
		socket.on("data", (chunk) => (received += chunk));
		socket.end();
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as net.AddressInfo).port;
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	let ended = false;
	const socket = new TCP({ address: "127.0.0.1", port, onError: () => (ended = true) });
	await until(() => ended, "onError for the FIN");
	assert.equal(typeof socket.write(new TextEncoder().encode("late")), "number");
	await until(() => received === "late", "the bytes at the peer");
	socket.close();
	t.stop();
	server.close();
});

test("a refused connection arrives as onError, without onWritable", async () => {
	const port = await closedPort();
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const events: string[] = [];
	let self: unknown;
	const socket = new TCP({
		address: "127.0.0.1",
		port,
		onWritable: () => events.push("writable"),
		onError(this: unknown) {
			self = this;
			events.push("error");
		},
	});
	await until(() => events.length > 0, "a callback");
	assert.deepEqual(events, ["error"]);
	assert.equal(self, socket, "`this` in a callback is the socket");
	t.stop();
});

test("read() returns all, read(n) n bytes, read(buffer) fills it; more than buffered throws; nothing buffered is undefined", async () => {
	const { port, server } = await peer((socket) => socket.write("0123456789"));
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	let readable = 0;
	const socket = new TCP({ address: "127.0.0.1", port, onReadable: (count: number) => (readable = count) });
	await until(() => readable === 10, "ten bytes");
	assert.equal(bytes(socket.read(3)).toString(), "012");
	assert.deepEqual(thrown(() => socket.read(8)), { name: "Error", message: "invalid" });
	assert.deepEqual(thrown(() => socket.read(0)), { name: "Error", message: "invalid" });
	const into = new t.realm.services.global.Uint8Array(2);
	assert.equal(socket.read(into), 2);
	assert.equal(Buffer.from(into).toString(), "34");
	socket.format = "number";
	assert.equal(socket.read(), "5".charCodeAt(0));
	socket.format = "buffer";
	const rest = socket.read();
	assert.ok(rest instanceof t.realm.services.global.ArrayBuffer, "an ArrayBuffer of the firmware realm");
	assert.equal(bytes(rest).toString(), "6789");
	assert.equal(socket.read(), undefined);
	assert.equal(socket.read(1), undefined);
	t.stop();
	server.close();
});

test("at most 1536 received bytes are visible at a time; the rest waits until firmware reads them", async () => {
	const sent = Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7) & 0xff));
	const { port, server } = await peer((socket) => socket.write(sent));
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const counts: number[] = [];
	const chunks: Buffer[] = [];
	new TCP({
		address: "127.0.0.1",
		port,
		onReadable(this: any, count: number) {
			counts.push(count);
			// Read in two steps: the first leaves room, so lin's next poll may fill it and report again.
			chunks.push(bytes(this.read(Math.min(count, 700))));
			if (count > 700) chunks.push(bytes(this.read()));
		},
	});
	await until(() => Buffer.concat(chunks).length === sent.length, "all bytes read");
	assert.ok(Math.max(...counts) <= 1536, `onReadable never reports more than lin's 1536-byte buffer (saw ${Math.max(...counts)})`);
	assert.deepEqual(Buffer.concat(chunks), sent);
	t.stop();
	server.close();
});

test("after close() nothing is delivered and calls throw as on XS; a second close() does nothing", async () => {
	let peerSocket: net.Socket | undefined;
	const { port, server } = await peer((socket) => (peerSocket = socket));
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const events: string[] = [];
	let connected = false;
	const socket = new TCP({
		address: "127.0.0.1",
		port,
		onWritable: () => (connected = true),
		onReadable: () => events.push("readable"),
		onError: () => events.push("error"),
	});
	await until(() => connected && peerSocket !== undefined, "connected");
	assert.equal(socket.remoteAddress, "127.0.0.1");
	assert.equal(socket.remotePort, port);
	socket.close();
	peerSocket!.write("too late");
	peerSocket!.end();
	await new Promise((resolve) => setTimeout(resolve, 50));
	assert.deepEqual(events, []);
	assert.deepEqual(thrown(() => socket.read()), { name: "SyntaxError", message: "C: xsGetHostData: invalid host data" });
	assert.deepEqual(thrown(() => socket.write(new Uint8Array(1))), { name: "SyntaxError", message: "C: xsGetHostData: invalid host data" });
	socket.close();
	t.stop();
	server.close();
});

test("the options are checked as on lin: a name is not an address, the port is required", async () => {
	const t = await openRealm();
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	assert.deepEqual(thrown(() => new TCP({ host: "localhost", port: 80 })), { name: "Error", message: "invalid address" });
	assert.deepEqual(thrown(() => new TCP({ address: "localhost", port: 80 })), { name: "Error", message: "invalid address" });
	assert.deepEqual(thrown(() => new TCP({ address: "127.0.0.1" })), { name: "Error", message: "invalid" });
	assert.deepEqual(thrown(() => new TCP({ address: "127.0.0.1", port: 70000 })), { name: "RangeError", message: "invalid port" });
	assert.deepEqual(thrown(() => new TCP({ address: "127.0.0.1", port: 1, onReadable: 5 })), { name: "Error", message: "not a function" });
	t.stop();
});

test("the listener binds loopback on port 0, hands out connections, and firmware echoes within its budget", async () => {
	const t = await openRealm();
	const { listen } = await t.load("echo-server");
	const port = listen();
	assert.ok(port > 0, "the port getter reports the port the system chose");
	const client = net.connect(port, "127.0.0.1");
	const sent = Buffer.from(Array.from({ length: 50000 }, (_, i) => (i * 13) & 0xff));
	let echoed = Buffer.alloc(0);
	client.on("data", (chunk) => (echoed = Buffer.concat([echoed, chunk])));
	client.write(sent);
	await until(() => echoed.length >= sent.length, "the echo");
	assert.deepEqual(echoed, sent);
	assert.equal(t.aborts.length, 0);
	client.destroy();
	t.stop();
});

test("the listener binds 127.0.0.1 unless asked for another address; read() with none pending is undefined", async () => {
	const t = await openRealm();
	const { default: Listener } = await t.load("embedded:io/socket/listener");
	const listener = new Listener({ port: 0 });
	assert.equal(listener.read(), undefined);
	const port = listener.port;
	const other = net.createServer();
	// The same port on another address is free: the listener holds only loopback.
	const addresses = Object.values((await import("node:os")).networkInterfaces()).flat().filter((entry) => entry?.family === "IPv4" && !entry.internal);
	if (addresses.length) {
		await new Promise<void>((resolve, reject) => {
			other.once("error", reject);
			other.listen(port, addresses[0]!.address, resolve);
		});
		other.close();
	}
	const busy = thrown(() => new Listener({ port }));
	assert.deepEqual(busy, { name: "Error", message: "bind socket failed" });
	listener.close();
	assert.deepEqual(thrown(() => listener.port), { name: "SyntaxError", message: "C: xsGetHostData: invalid host data" });
	t.stop();
});
