// The real Moddable toolchain: mcconfig builds for lin run under mcsim, and the compile checks
// for esp32 and esp (tsc + xsc + xsl without the chips' C toolchains). Needs MODDABLE; without
// it every test skips.
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { BuildError, buildLin } from "../../toolchain/build.ts";
import { projectRoot, sdkAvailable, sdkMissingMessage } from "../../toolchain/sdk.ts";
import { startLinTarget, startMcsim } from "../../harness/lin.ts";
import { openPtyPair } from "../../harness/pty.ts";
import { python3 } from "../../harness/python.ts";

const probe = path.join(projectRoot, "test-host/tests/toolchain/fixtures/probe/manifest.json");
const serialEcho = path.join(projectRoot, "test-host/tests/toolchain/fixtures/serial-echo/manifest.json");
const cli = path.join(projectRoot, "test-host/toolchain/cli.ts");

function needsSdk(t: { skip(message: string): void }): boolean {
	if (sdkAvailable()) return true;
	t.skip(sdkMissingMessage);
	return false;
}

/** A variant of the probe app, in a fixed place outside the project so its build is reused. */
function probeVariant(name: string, change: (manifest: any, folder: string) => void): string {
	const folder = path.join(os.tmpdir(), `moddable-toolchain-${name}`);
	fs.mkdirSync(folder, { recursive: true });
	const manifest = JSON.parse(fs.readFileSync(probe, "utf8"));
	fs.copyFileSync(path.join(path.dirname(probe), "main.ts"), path.join(folder, "main.ts"));
	change(manifest, folder);
	fs.writeFileSync(path.join(folder, "manifest.json"), JSON.stringify(manifest, null, "\t"));
	return path.join(folder, "manifest.json");
}

const typeErrorApp = () =>
	probeVariant("type-error", (_, folder) =>
		fs.appendFileSync(path.join(folder, "main.ts"), '\nconst port: number = "8080";\ntrace(`${port}\\n`);\n'),
	);

const throwingPreloadApp = () =>
	probeVariant("throwing-preload", (manifest, folder) => {
		manifest.modules.failing = "./failing";
		manifest.preload = ["failing"];
		fs.writeFileSync(path.join(folder, "failing.ts"), 'throw new Error("thrown while preloading");\nexport {};\n');
	});

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		child.stdout.on("data", (chunk) => (output += chunk));
		child.stderr.on("data", (chunk) => (output += chunk));
		child.once("error", reject);
		child.once("close", (code) => resolve({ code, output }));
	});
}

test("XS evaluates main's top level, then calls its default export; mcconfig's name=value arrive as strings", async (t) => {
	if (!needsSdk(t)) return;
	const build = await buildLin({ manifest: probe, config: { count: 3 } });
	const target = await startMcsim(build.mcSo, { ready: /^probe: running/ });
	await target.stop();
	assert.deepEqual(target.log, [
		"probe: top level",
		"probe: config answer number 42",
		// The manifest's count is the number 1; on the command line it becomes the string "3".
		"probe: config count string 3",
		"probe: default export called",
		"probe: running",
	]);
	assert.ok(target.instruments[0]?.startsWith("instruments key:"), "a debug build reports instruments on stdout");
});

test("stop() rejects when the firmware aborted under mcsim", async (t) => {
	if (!needsSdk(t)) return;
	const build = await buildLin({ manifest: probe, config: { abortAfterStart: 200 } });
	const target = await startMcsim(build.mcSo, { ready: /^probe: default export called/ });
	await target.waitForLog(/^XS abort/, 10_000);
	await assert.rejects(target.stop(), /the firmware aborted under mcsim \(XS abort: unhandled exception\)[\s\S]*main\.ts:\d+: exception/);
});

test("a type error stops the lin build, and the next build does not pass on stale output", async (t) => {
	if (!needsSdk(t)) return;
	const manifest = typeErrorApp();
	for (let attempt = 1; attempt <= 2; attempt++)
		await assert.rejects(buildLin({ manifest }), (error: unknown) => {
			assert.ok(error instanceof BuildError);
			assert.match(error.output, /main\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
			return true;
		});
});

test("the lin target's pty pair reaches the firmware's serial port: bytes written to one end come back", async (t) => {
	if (!needsSdk(t)) return;
	const pair = await openPtyPair(path.join(os.tmpdir(), "moddable-toolchain-serial-echo"));
	try {
		const build = await buildLin({ manifest: serialEcho, config: { atDevice: pair.device } });
		const target = await startMcsim(build.mcSo, { ready: /^serial-echo: open / });
		// pyserial on the far end, as the AT tests use it.
		const script = [
			"import serial, sys",
			"port = serial.Serial(sys.argv[1], 115200, timeout=10)",
			"port.write(b'AT+GMR\\r\\n')",
			"sys.stdout.write(repr(port.read(8)))",
		].join("\n");
		const answer = await new Promise<string>((resolve, reject) => {
			const child = spawn(python3, ["-c", script, pair.host], { stdio: ["ignore", "pipe", "inherit"] });
			let output = "";
			child.stdout.on("data", (chunk) => (output += chunk));
			child.once("error", reject);
			child.once("close", () => resolve(output));
		});
		await target.stop();
		assert.equal(answer, "b'AT+GMR\\r\\n'");
	} finally {
		pair.close();
	}
});

test("the app builds for lin and starts under mcsim without an XS abort", async (t) => {
	if (!needsSdk(t)) return;
	const target = await startLinTarget({});
	assert.equal(target.kind, "lin");
	await target.stop();
	assert.equal(target.log.find((line) => line.startsWith("XS abort")), undefined);
});

for (const chip of ["esp32", "esp"] as const) {
	test(`check:${chip} compiles the app for ${chip}: tsc, xsc and xsl with its preloads`, async (t) => {
		if (!needsSdk(t)) return;
		const { code, output } = await runCli(["check", chip]);
		assert.equal(code, 0, output);
		assert.match(output, new RegExp(`^${chip} compile check \\((debug|release)\\) passed`, "m"));
	});

	test(`check:${chip} fails on a type error`, async (t) => {
		if (!needsSdk(t)) return;
		const { code, output } = await runCli(["check", chip, "--manifest", typeErrorApp()]);
		assert.equal(code, 1);
		assert.match(output, /error TS2322/);
		assert.match(output, new RegExp(`the ${chip} compile check failed`));
	});
}

test("check:esp32 runs the preloads: one that throws fails the check", async (t) => {
	if (!needsSdk(t)) return;
	const { code, output } = await runCli(["check", "esp32", "--manifest", throwingPreloadApp()]);
	assert.equal(code, 1);
	assert.match(output, /# xsl modules[\s\S]*Error: thrown while preloading/);
});
