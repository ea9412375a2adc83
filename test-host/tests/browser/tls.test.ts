// The board's TLS port in a real browser: headless Chromium (Debian's chromium, driven by
// playwright-core) with the test CA in its certificate store (an NSS database made with
// certutil, as a person would import a CA), no certificate errors ignored. It loads the web
// console over https://, whose page opens wss:// to the same port, and exchanges messages.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTarget, type Target } from "../../harness/target.ts";
import { cert } from "../../clients/peers.ts";
import { chromiumMissing, launchChromium } from "./chromium.ts";

const certutil = "/usr/bin/certutil";
const skip = chromiumMissing
	? chromiumMissing
	: !fs.existsSync(certutil)
		? `${certutil} is missing (apt-get install -y libnss3-tools)`
		: false;

type Context = import("playwright-core").BrowserContext;
let target: Target;
let context: Context;
let home: string;

before(async () => {
	if (skip) return;
	target = await startTarget({});
	// Chromium on Linux trusts what $HOME/.pki/nssdb trusts.
	home = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-home-"));
	const nssdb = path.join(home, ".pki/nssdb");
	fs.mkdirSync(nssdb, { recursive: true });
	execFileSync(certutil, ["-N", "-d", `sql:${nssdb}`, "--empty-password"]);
	execFileSync(certutil, ["-A", "-d", `sql:${nssdb}`, "-n", "moddable-ws-at-bridge test CA", "-t", "C,,", "-i", cert("ca.pem")]);
	context = await launchChromium(path.join(home, "profile"), { env: { ...process.env, HOME: home } });
});
after(async () => {
	await context?.close();
	await target?.stop();
	if (home) fs.rmSync(home, { recursive: true, force: true });
});

test("Chromium trusting the test CA loads https:// and echoes over wss://", { skip }, async () => {
	const page = await context.newPage();
	const response = await page.goto(`https://127.0.0.1:${target.tlsPort}/`);
	assert.equal(response?.status(), 200);
	assert.equal(await page.title(), "WebSocket console");
	await page.locator("#state", { hasText: "open" }).waitFor({ timeout: 20_000 });
	const security = await response!.securityDetails();
	assert.equal(security?.protocol, "TLS 1.2");

	await page.evaluate("globalThis.__name = (fn) => fn");
	const echoed = await page.evaluate(async (url: string) => {
		const ws = new WebSocket(url);
		ws.binaryType = "arraybuffer";
		await new Promise((resolve, reject) => {
			ws.onopen = resolve;
			ws.onerror = () => reject(new Error("the WebSocket did not open"));
		});
		const results: boolean[] = [];
		for (const size of [1, 125, 1000, 5000, 16384]) {
			const sent = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
			const echo = await new Promise<ArrayBuffer>((resolve) => {
				ws.onmessage = (event) => resolve(event.data as ArrayBuffer);
				ws.send(sent);
			});
			const got = new Uint8Array(echo);
			results.push(got.length === size && got.every((byte, i) => byte === sent[i]));
		}
		const text = await new Promise<string>((resolve) => {
			ws.onmessage = (event) => resolve(String(event.data));
			ws.send("héllo over wss");
		});
		ws.close();
		return { results, text };
	}, `wss://127.0.0.1:${target.tlsPort}/ws`);
	assert.deepEqual(echoed.results, [true, true, true, true, true]);
	assert.equal(echoed.text, "héllo over wss");
});
