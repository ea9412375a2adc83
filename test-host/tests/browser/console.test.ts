// The web console served at "/", in a real browser: headless Chromium (Debian's chromium) driven
// by playwright-core. The page is loaded from the target, used as a person would (text, binary,
// "Trigger async", disconnect, reconnect, a failing connection), and photographed; then the
// browser's own WebSocket exchanges 1000 messages of mixed sizes with the server, byte for byte.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTarget, type Target } from "../../harness/target.ts";
import { projectRoot } from "../../runtime/realm.ts";
import { chromiumMissing, launchChromium } from "./chromium.ts";

const skip = chromiumMissing;
const maxMessage = 16384;
const artifacts = path.join(projectRoot, "test-host/artifacts");

type Context = import("playwright-core").BrowserContext;
type Page = import("playwright-core").Page;
let target: Target;
let context: Context;
let userDataDir: string;
let base: string;

before(async () => {
	if (skip) return;
	target = await startTarget({ config: { wsMaxMessage: maxMessage } });
	base = `http://${target.host}:${target.port}`;
	userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
	context = await launchChromium(userDataDir, { viewport: { width: 1000, height: 760 } });
});
after(async () => {
	await context?.close();
	if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
	await target?.stop();
});

async function openConsole(): Promise<Page> {
	const page = await context.newPage();
	const response = await page.goto(`${base}/`);
	assert.equal(response?.status(), 200);
	await page.locator("#state", { hasText: "open" }).waitFor();
	return page;
}

describe("the web console in Chromium", { skip }, () => {
	test("sends text and binary, shows the echoes with their round-trip time, and the async data", async () => {
		const page = await openConsole();
		assert.equal(await page.title(), "WebSocket console");
		await page.fill("#text", "hello from chromium");
		await page.click("#send-text");
		const textEcho = page.locator('li[data-kind="echo-text"]', { hasText: "echo: hello from chromium" });
		await textEcho.waitFor();
		assert.match(await textEcho.locator(".rtt").innerText(), /^\d+\.\d ms$/);

		await page.fill("#size", "1000");
		await page.selectOption("#pattern", "counter");
		await page.click("#send-binary");
		await page.locator('li[data-kind="echo-binary"]', { hasText: "1000 bytes, identical [00 01 02 03 04 05 06 07 …]" }).waitFor();
		await page.fill("#size", String(maxMessage));
		await page.selectOption("#pattern", "random");
		await page.click("#send-binary");
		await page.locator('li[data-kind="echo-binary"]', { hasText: `${maxMessage} bytes, identical` }).waitFor();

		await page.click("#async");
		await page.locator('li[data-kind="echo-text"]', { hasText: "echo: Trigger async" }).waitFor();
		await page.locator('li[data-kind="server-text"]', { hasText: "server: Async data" }).waitFor();

		fs.mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: path.join(artifacts, "console.png"), fullPage: true });
		await page.close();
	});

	test("shows the state and close codes, reconnects when asked, and says when the connection fails", async () => {
		const page = await openConsole();
		await page.click("#disconnect");
		await page.locator("#state", { hasText: "closed" }).waitFor();
		assert.match(await page.locator("#close-info").innerText(), /^closed: code 1000.*, clean$/);
		await page.click("#reconnect");
		await page.locator("#state", { hasText: "open" }).waitFor();
		await page.fill("#text", "after reconnect");
		await page.click("#send-text");
		await page.locator('li[data-kind="echo-text"]', { hasText: "echo: after reconnect" }).waitFor();

		// A path the server does not upgrade (404): the handshake fails, and the page says so.
		await page.evaluate("wsPath = '/not-a-websocket'; connect()");
		const failure = page.locator("#failure");
		await failure.waitFor({ state: "visible" });
		assert.match(await failure.innerText(), /Could not connect to ws:\/\/.*\/not-a-websocket \(close code 1006\)/);
		assert.equal(await page.locator("#state").innerText(), "closed");
		await page.screenshot({ path: path.join(artifacts, "console-failure.png") });
		await page.close();
	});

	test("the browser's WebSocket exchanges 1000 messages of mixed sizes, every byte compared", async () => {
		const page = await context.newPage();
		await page.goto(`${base}/api/status`);
		// tsx compiles this file with esbuild's keepNames, which wraps named functions in __name();
		// the function below runs in the page, where that helper must exist too.
		await page.evaluate("globalThis.__name = (fn) => fn");
		const result = await page.evaluate(
			async ({ url, maxMessage }) => {
				// A fixed pseudo-random sequence (LCG), so a failure can be replayed.
				let seed = 12345;
				const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
				const boundaries = [0, 1, 125, 126, 127, 65535 % (maxMessage + 1), maxMessage];
				const encoder = new TextEncoder();
				const messages: Array<string | Uint8Array> = [];
				for (let i = 0; i < 1000; i++) {
					const size = i < boundaries.length * 2 ? boundaries[i >> 1] : Math.floor(next() ** 3 * (maxMessage + 1));
					if (i % 2) {
						const bytes = new Uint8Array(size);
						for (let j = 0; j < size; j++) bytes[j] = (next() * 256) | 0;
						messages.push(bytes);
					} else {
						// Text of at most `size` UTF-8 bytes, with 1-, 2-, 3- and 4-byte characters.
						const alphabet = ["a", "Z", " ", "é", "ß", "€", "中", "😀"];
						let text = "";
						let length = 0;
						for (;;) {
							const char = alphabet[(next() * alphabet.length) | 0];
							const bytes = encoder.encode(char).length;
							if (length + bytes > size) break;
							text += char;
							length += bytes;
						}
						messages.push(text);
					}
				}
				const ws = new WebSocket(url);
				ws.binaryType = "arraybuffer";
				await new Promise((resolve, reject) => {
					ws.onopen = resolve;
					ws.onerror = () => reject(new Error("the WebSocket did not open"));
				});
				const sizeOf = (message: string | Uint8Array) => (typeof message === "string" ? encoder.encode(message).length : message.length);
				let sent = 0;
				let received = 0;
				let inFlight = 0;
				let bytes = 0;
				const mismatches: number[] = [];
				const started = performance.now();
				await new Promise<void>((resolve, reject) => {
					// At most one maximum message in flight (at least one message), so the server's
					// bounded send queue is never the limit.
					const pump = () => {
						while (sent < messages.length && (inFlight === 0 || inFlight + sizeOf(messages[sent]) <= maxMessage)) {
							inFlight += sizeOf(messages[sent]);
							ws.send(messages[sent++]);
						}
					};
					ws.onmessage = (event) => {
						const expected = messages[received];
						const data = event.data;
						let same: boolean;
						if (typeof expected === "string") same = data === expected;
						else {
							const got = data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
							same = got !== undefined && got.length === expected.length && got.every((value, index) => value === expected[index]);
						}
						if (!same) mismatches.push(received);
						inFlight -= sizeOf(expected);
						bytes += sizeOf(expected);
						received++;
						if (received === messages.length) resolve();
						else pump();
					};
					ws.onclose = (event) => reject(new Error(`closed after ${received} echoes: ${event.code} ${event.reason}`));
					pump();
				});
				ws.onclose = null;
				ws.close(1000);
				return { received, mismatches, bytes, ms: performance.now() - started };
			},
			{ url: `ws://${target.host}:${target.port}/ws`, maxMessage },
		);
		assert.equal(result.received, 1000);
		assert.deepEqual(result.mismatches, []);
		console.log(`# chromium: 1000 echoes, ${result.bytes} bytes each way in ${result.ms.toFixed(0)} ms (${target.kind})`);
		await page.close();
	});
});
