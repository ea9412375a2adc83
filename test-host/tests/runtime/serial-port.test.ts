// The host tools' serial ports (test-host/serial-port.ts) mend two bugs of serialport on Linux
// and macOS. A port whose far end went away is reported as 'close': serialport alone sometimes
// spins instead (when the hung-up tty's read returns 0 before its poller reports the hang-up, it
// retries the read forever; about one time in ten here). And a read and a write can wait at once:
// serialport's poller watches only the latest event asked for, so one wait silences the other.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import readline from "node:readline";
import { openPtyPair } from "../../harness/pty.ts";
import { serialPort } from "../../serial-port.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a port whose far end goes away closes with a disconnection, 30 times out of 30", async () => {
	for (let attempt = 1; attempt <= 30; attempt++) {
		const pty = await openPtyPair();
		const port = serialPort({ path: pty.device, baudRate: 115200 });
		port.on("data", () => {});
		await new Promise<void>((resolve, reject) => {
			port.once("open", resolve);
			port.once("error", reject);
		});
		const closed = new Promise<Error | null | undefined>((resolve) => port.once("close", resolve));
		pty.close();
		let timer: NodeJS.Timeout | undefined;
		const outcome = await Promise.race([closed, new Promise<"no close">((resolve) => (timer = setTimeout(() => resolve("no close"), 3000)))]);
		clearTimeout(timer);
		if (outcome === "no close") port.destroy();
		assert.notEqual(outcome, "no close", `attempt ${attempt}: no 'close' within 3 s of the far end going away`);
		assert.ok(outcome instanceof Error && (outcome as Error & { disconnected?: boolean }).disconnected, `attempt ${attempt}: closed with a DisconnectedError`);
	}
});

test("reads still wait for bytes: a quiet port stays open and then delivers what arrives", async () => {
	const pty = await openPtyPair();
	const port = serialPort({ path: pty.device, baudRate: 115200 });
	const other = serialPort({ path: pty.host, baudRate: 115200 });
	let received = Buffer.alloc(0);
	port.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
	let closed = false;
	port.on("close", () => (closed = true));
	await new Promise((resolve) => setTimeout(resolve, 300));
	assert.equal(closed, false, "a port with nothing to read is not a port gone away");
	other.write("AT\r\n");
	const deadline = Date.now() + 3000;
	while (received.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
	assert.equal(received.toString(), "AT\r\n");
	await new Promise<void>((resolve) => other.close(() => resolve()));
	await new Promise<void>((resolve) => port.close(() => resolve()));
	pty.close();
});

// A pty whose master end Python holds and works on command: the far end of a serial line that
// reads nothing until told to, with no relay (socat) between it and the port under test.
const farEnd = String.raw`
import os, select, sys, tty
master, slave = os.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
for line in sys.stdin:
    if line.strip() == "send":
        os.write(master, b"x")
        print("sent", flush=True)
    elif line.strip() == "read":
        total = 0
        while select.select([master], [], [], 1.0)[0]:
            total += len(os.read(master, 65536))
        print(total, flush=True)
`;

test("a write waiting for room and a read waiting for bytes each hear of theirs", async () => {
	const python = spawn("python3", ["-c", farEnd], { stdio: ["pipe", "pipe", "inherit"] });
	const lines = readline.createInterface({ input: python.stdout! })[Symbol.asyncIterator]();
	const next = async () => String((await lines.next()).value);
	const port = serialPort({ path: await next(), baudRate: 115200 });
	try {
		await new Promise<void>((resolve, reject) => port.once("open", resolve).once("error", reject));
		let heard = 0;
		port.on("data", (chunk: Buffer) => (heard += chunk.length));
		// The far end reads nothing: the pty fills, and the write waits for room.
		const bytes = Buffer.alloc(256 * 1024, 0x55);
		let written = false;
		port.write(bytes, () => (written = true));
		await pause(300);
		assert.equal(written, false, "the write is waiting for room");
		// A byte comes the other way: the read waiting since the port opened gets it.
		python.stdin!.write("send\n");
		assert.equal(await next(), "sent");
		for (let tries = 0; heard === 0 && tries < 200; tries++) await pause(10);
		assert.equal(heard, 1, "the read heard the byte while the write waited");
		// Its next read waits too, after the write began to. The far end now reads everything
		// (until a second passes with nothing) and sends nothing more.
		await pause(100);
		python.stdin!.write("read\n");
		assert.equal(Number(await next()), bytes.length, "the far end received the whole write");
		assert.ok(written);
	} finally {
		if (port.isOpen) await new Promise((resolve) => port.close(resolve));
		python.kill();
	}
});
