// embedded:io/serial keeps the rules of the SDK's lin serial (modules/io/serial/lin/serial.c),
// checked across a socat pseudo-terminal pair whose both ends are opened through serialport, as
// a board's port would be.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SerialPort } from "serialport";
import { serialPort } from "../../serial-port.ts";
import { openPtyPair } from "../../harness/pty.ts";
import { bytes, openRealm, realmBuffer, thrown, until } from "./helpers.ts";

function openOtherEnd(path: string): SerialPort {
	return serialPort({ path, baudRate: 115200 });
}

test("bytes round-trip over a pty pair, every byte value intact", async () => {
	const pty = await openPtyPair();
	const t = await openRealm();
	const { default: Serial } = await t.load("embedded:io/serial");
	const received: Buffer[] = [];
	const serial = new Serial({
		device: pty.device,
		baud: 115200,
		onReadable(this: any, count: number) {
			received.push(bytes(this.read()));
			void count;
		},
	});
	const other = openOtherEnd(pty.host);
	let atOther = Buffer.alloc(0);
	other.on("data", (chunk: Buffer) => (atOther = Buffer.concat([atOther, chunk])));
	const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
	serial.write(realmBuffer(t, all));
	other.write(Buffer.concat([all, all]));
	await until(() => atOther.length === 256 && Buffer.concat(received).length === 512, "both directions");
	assert.deepEqual(atOther, all);
	assert.deepEqual(Buffer.concat(received), Buffer.concat([all, all]));
	other.close();
	t.stop();
	pty.close();
});

test("onWritable grants 1024 bytes; one write over 1024 throws 'would overflow'", async () => {
	const pty = await openPtyPair();
	const t = await openRealm();
	const { default: Serial } = await t.load("embedded:io/serial");
	const grants: number[] = [];
	const serial = new Serial({ device: pty.device, baud: 115200, onWritable: (count: number) => grants.push(count) });
	await until(() => grants.length === 1, "the first onWritable");
	assert.equal(grants[0], 1024);
	assert.deepEqual(thrown(() => serial.write(realmBuffer(t, new Uint8Array(1025)))), { name: "Error", message: "would overflow" });
	// lin serial.c takes an ArrayBuffer (xsToArrayBuffer): a view is refused.
	assert.deepEqual(thrown(() => serial.write(new Uint8Array(4))), { name: "TypeError", message: "not an ArrayBuffer instance" });
	serial.write(realmBuffer(t, new Uint8Array(1024)));
	// One write at a time: the next waits for onWritable.
	assert.deepEqual(thrown(() => serial.write(realmBuffer(t, new Uint8Array(1)))), { name: "Error", message: "would overflow" });
	await until(() => grants.length === 2, "onWritable after the write went out");
	serial.write(realmBuffer(t, new Uint8Array(1)));
	serial.close();
	assert.deepEqual(thrown(() => serial.read()), { name: "SyntaxError", message: "C: xsGetHostData: invalid host data" });
	t.stop();
	pty.close();
});

test("read(n) returns at most n bytes; nothing waiting is undefined; the chip's options use the host's serialDevice", async () => {
	const pty = await openPtyPair();
	const t = await openRealm({ serialDevice: pty.device });
	const { default: Serial } = await t.load("embedded:io/serial");
	let readable = 0;
	const serial = new Serial({ port: 1, receive: 16, transmit: 17, baud: 115200, onReadable: (count: number) => (readable = count) });
	assert.equal(serial.read(), undefined);
	const other = openOtherEnd(pty.host);
	other.write("AT\r\n");
	await until(() => readable === 4, "four bytes");
	assert.equal(bytes(serial.read(2)).toString(), "AT");
	assert.equal(bytes(serial.read(10)).toString(), "\r\n", "read(n) past what waits returns what waits (lin)");
	assert.equal(serial.read(), undefined);
	other.close();
	t.stop();
	pty.close();
});

test("a device that does not exist throws at construction", async () => {
	const t = await openRealm();
	const { default: Serial } = await t.load("embedded:io/serial");
	assert.deepEqual(thrown(() => new Serial({ device: "/nonexistent/tty", baud: 115200 })), { name: "Error", message: "No such file or directory" });
	t.stop();
});

test("a path that is not a serial port fails when opening: traced, then onError", async () => {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), "serial-"));
	const file = path.join(folder, "not-a-port");
	fs.writeFileSync(file, "");
	const t = await openRealm();
	const { default: Serial } = await t.load("embedded:io/serial");
	let errors = 0;
	const serial = new Serial({ device: file, baud: 115200, onError: () => errors++, onWritable() {} });
	await until(() => errors === 1, "onError");
	assert.match(t.traces.join("\n"), /^serial: cannot open .*not-a-port: Inappropriate ioctl for device/m);
	// serial.c closes the port after onError.
	assert.deepEqual(thrown(() => serial.read()), { name: "SyntaxError", message: "C: xsGetHostData: invalid host data" });
	t.stop();
	fs.rmSync(folder, { recursive: true });
});

test("the far end going away is onError", async () => {
	const pty = await openPtyPair();
	const t = await openRealm();
	const { default: Serial } = await t.load("embedded:io/serial");
	let writable = false;
	let errors = 0;
	new Serial({ device: pty.device, baud: 115200, onWritable: () => (writable = true), onError: () => errors++ });
	await until(() => writable, "the port open");
	pty.close();
	await until(() => errors === 1, "onError");
	t.stop();
});
