// `npm run at` as a person runs it: --list to find a board's port, then scripts against the port,
// opened through serialport (here the far end of the pseudo-terminal the firmware's AT console
// is on; a board's port on TARGET=device).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describePort } from "../../at/port.ts";
import { startTarget, type Target } from "../../harness/target.ts";
import { projectRoot } from "../../runtime/realm.ts";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (...args: string[]) => promisify(execFile)(npm, ["run", "--silent", "at", "--", ...args], { cwd: projectRoot, timeout: 60_000 });
let target: Target;

before(async () => {
	target = await startTarget({ serial: true });
});
after(async () => {
	await target?.stop();
});

test("a port is described by its path, then its USB vendor:product and maker where known", () => {
	assert.equal(describePort({ path: "/dev/ttyS0" }), "/dev/ttyS0");
	assert.equal(
		describePort({ path: "/dev/ttyUSB0", vendorId: "10c4", productId: "ea60", manufacturer: "Silicon Labs", serialNumber: "0001" }),
		"/dev/ttyUSB0  USB 10c4:ea60, Silicon Labs, serial 0001",
	);
	assert.equal(describePort({ path: "COM3", vendorId: "1A86", productId: "7523" }), "COM3  USB 1A86:7523");
});

test("--list names the ports this machine has (each path exists), or says there are none", async () => {
	const { stdout } = await run("--list");
	const lines = stdout.trimEnd().split("\n");
	assert.ok(lines.length > 0);
	if (lines[0] === "no serial ports found") assert.equal(lines.length, 1);
	else for (const line of lines) assert.ok(process.platform === "win32" || fs.existsSync(line.split("  ")[0]), `${line}: no such device`);
});

test("a script run against the AT console passes, and a wrong expectation fails with where", async () => {
	const { stdout } = await run(path.join(projectRoot, "test-host/at/scripts/at.at"), "--port", target.serialPath!);
	assert.match(stdout, /^PASS .*at\.at \(\d+ steps\)$/m);

	const folder = fs.mkdtempSync(path.join(os.tmpdir(), "at-script-"));
	try {
		const wrong = path.join(folder, "wrong.at");
		fs.writeFileSync(wrong, "send ATE0\\r\\n\nwait 300\ndiscard\nsend AT\\r\\n\nexpect \\r\\nERROR\\r\\n\n");
		const failed = await run(wrong, "--port", target.serialPath!).then(
			() => undefined,
			(error: { code: number; stdout: string }) => error,
		);
		assert.equal(failed?.code, 1);
		assert.match(failed!.stdout, /^FAIL .*wrong\.at:5\n {2}expected "\\r\\nERROR\\r\\n"/m);
	} finally {
		fs.rmSync(folder, { recursive: true, force: true });
	}
});

test("a port that cannot be opened is named with the system's reason", async () => {
	const failed = await run(path.join(projectRoot, "test-host/at/scripts/at.at"), "--port", "/nonexistent/ttyUSB9").then(
		() => undefined,
		(error: { code: number; stderr: string }) => error,
	);
	assert.equal(failed?.code, 1);
	assert.match(failed!.stderr, /No such file or directory.*\/nonexistent\/ttyUSB9/);
});
