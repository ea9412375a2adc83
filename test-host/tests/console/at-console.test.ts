// The AT console on a UART, from the outside: pyserial on the far end of a pseudo-terminal pair
// (a real port with TARGET=device), as host software would drive an ESP-AT module.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { python3 } from "../../harness/python.ts";
import { startTarget, type Target } from "../../harness/target.ts";

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../clients/serial-exchange.py");
let target: Target;

before(async () => {
	target = await startTarget({ serial: true });
});
after(async () => {
	await target?.stop();
});

async function exchange(...requests: string[]): Promise<string[]> {
	const args = [script, target.serialPath!, ...requests.flatMap((request) => ["--send", Buffer.from(request, "latin1").toString("hex")])];
	const { stdout } = await promisify(execFile)(python3, args, { timeout: 30_000 });
	return stdout.trim().split("\n").map((hex) => Buffer.from(hex, "hex").toString("latin1"));
}

test("AT answers OK, echoed while echo is on (the default)", async () => {
	assert.deepEqual(await exchange("AT\r\n"), ["AT\r\n\r\nOK\r\n"]);
});

test("ATE0 turns the echo off; commands still answer", async () => {
	assert.deepEqual(await exchange("ATE0\r\n", "AT\r\n", "ATE1\r\n", "AT\r\n"), ["ATE0\r\n\r\nOK\r\n", "\r\nOK\r\n", "\r\nOK\r\n", "AT\r\n\r\nOK\r\n"]);
});

test("an unknown command is an ERROR and the console keeps answering", async () => {
	const [unknown, ok] = await exchange("AT+NOSUCHTHING\r\n", "AT\r\n");
	assert.equal(unknown.startsWith("AT+NOSUCHTHING\r\n\r\nERROR\r\n"), true, JSON.stringify(unknown));
	assert.equal(ok, "AT\r\n\r\nOK\r\n");
});
