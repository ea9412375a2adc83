// The ESP8266 profile from the outside, on any target (TARGET; on lin the profile's own build):
// its limits, one AT link, and wss:// left out with a clear refusal.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import WebSocket from "ws";
import { openPort } from "../../at/port.ts";
import { AtSession } from "../../at/session.ts";
import { startTarget, type Target } from "../../harness/target.ts";
import { projectRoot } from "../../runtime/realm.ts";
import { startEchoServer, type EchoServer } from "../../servers/echo-server.ts";

const manifest = path.join(projectRoot, "profiles/esp8266/manifest.json");
const OK = "\r\nOK\r\n";
const ERROR = "\r\nERROR\r\n";
let target: Target;
let at: AtSession;
let server: EchoServer;

before(async () => {
	[target, server] = await Promise.all([startTarget({ manifest, serial: true }), startEchoServer()]);
	at = new AtSession(await openPort(target.serialPath!), { timeout: 20_000 });
	await at.send("ATE0\r\n");
	await at.drain(300);
	await at.send("AT\r\n");
	await at.expect(OK);
});
after(async () => {
	at?.close();
	await target?.stop();
	await server?.close();
});

function open(): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(`ws://${target.host}:${target.port}/ws`, { perMessageDeflate: false });
		ws.once("open", () => resolve(ws));
		ws.once("error", reject);
	});
}

test("/api/status names the profile and its limits", async () => {
	const status: any = await (await fetch(`http://${target.host}:${target.port}/api/status`)).json();
	assert.equal(status.profile, "esp8266");
	assert.equal(status.limits.maxClients, 2);
	assert.equal(status.limits.maxMessage, 4096);
});

test("two WebSocket clients echo messages up to 4096 bytes; a third client gets 503", async () => {
	const clients = [await open(), await open()];
	const third = await new Promise<number | string>((resolve) => {
		const ws = new WebSocket(`ws://${target.host}:${target.port}/ws`);
		ws.once("unexpected-response", (_request, response) => resolve(response.statusCode!));
		ws.once("open", () => resolve("opened"));
		ws.once("error", (error) => resolve(error.message));
	});
	assert.equal(third, 503);
	const payload = Buffer.alloc(4096, 0x5a);
	const echoes = await Promise.all(
		clients.map((ws) => new Promise<Buffer>((resolve) => (ws.once("message", (data: Buffer) => resolve(data)), ws.send(payload)))),
	);
	for (const echo of echoes) assert.deepEqual(echo, payload);
	const closed = new Promise<number>((resolve) => clients[0].once("close", (code) => resolve(code)));
	clients[0].send(Buffer.alloc(4097));
	assert.equal(await closed, 1009);
	clients[1].close();
});

test("the AT bridge has one link: AT+WSOPEN on link 1 is an ERROR, link 0 connects", async () => {
	await at.send(`AT+WSOPEN=1,"ws://127.0.0.1:${server.port}/"\r\n`);
	await at.expect(ERROR);
	await at.send(`AT+WSOPEN=0,"ws://127.0.0.1:${server.port}/"\r\n`);
	await at.expect(`+WS_CONNECTED:0\r\n${OK}`);
	await at.send("AT+WSCLOSE=0\r\n");
	await at.expect(OK);
});

test("wss:// is not in this build: AT+WSOPEN fails as a TLS connection would, and the firmware says why", async () => {
	await at.send(`AT+WSOPEN=0,"wss://127.0.0.1:${server.port}/"\r\n`);
	await at.expect(`+WS_DISCONNECTED:0\r\n${ERROR}`);
	await target.waitForLog(/^at: link 0: wss:\/\/127\.0\.0\.1:\d+\/: wss:\/\/ is not in this build/, 5000);
});
