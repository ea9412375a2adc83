// The host tools' serial ports (test-host/serial-port.ts) report a port whose far end went away
// as 'close'. serialport alone, on Linux, sometimes spins instead: when the hung-up tty's read
// returns 0 before its poller reports the hang-up, it retries the read forever (about one time
// in ten here), and 'close' never comes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openPtyPair } from "../../harness/pty.ts";
import { serialPort } from "../../serial-port.ts";

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
