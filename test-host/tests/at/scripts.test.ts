// The AT scripts in test-host/at/scripts, run by the script runner over the pseudo-terminal
// against the firmware, with the Python servers of ESP-AT's walkthroughs (seed 002).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startPythonServer, type PythonServer } from "../../clients/peers.ts";
import { startTarget, type Target } from "../../harness/target.ts";
import { openPort } from "../../at/port.ts";
import { report, runScriptFile } from "../../at/runner.ts";

const scripts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../at/scripts");
let target: Target;
let ws: PythonServer;
let wss: PythonServer;
let wssServerOnly: PythonServer;

before(async () => {
	[target, ws, wss, wssServerOnly] = await Promise.all([
		startTarget({ serial: true }),
		startPythonServer("ws-server.py"),
		startPythonServer("wss-server.py"),
		startPythonServer("wss-server.py", ["--client-cert", "none"]),
	]);
});
after(async () => {
	await target?.stop();
	await Promise.all([ws?.stop(), wss?.stop(), wssServerOnly?.stop()]);
});

async function run(name: string) {
	const port = await openPort(target.serialPath!);
	try {
		const result = await runScriptFile(path.join(scripts, name), port, {
			timeout: 20_000,
			variables: {
				WS_HOST: "127.0.0.1",
				WS_PORT: String(ws.port),
				WSS_HOST: "127.0.0.1",
				WSS_PORT: String(wss.port),
				WSS_SERVER_ONLY_PORT: String(wssServerOnly.port),
			},
		});
		assert.ok(result.ok, report(name, result));
	} finally {
		await port.close();
	}
}

test("the walkthrough over TCP", () => run("walkthrough-tcp.at"));
test("the walkthrough over TLS with mutual authentication (CERT_REQUIRED)", () => run("walkthrough-tls.at"));

for (const file of fs.readdirSync(scripts).filter((name) => name.endsWith(".at") && !name.startsWith("walkthrough-")).sort())
	test(`script ${file}`, () => run(file));
