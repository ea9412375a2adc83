// The AT links share the server's memory budget (wsMemoryBudget): while the server holds it for a
// large message, AT+WSSEND's prompt waits for room for its data (ESP-AT hosts send the data only
// after the `>`), and once everything is delivered the budget is back to 0: the links' +WS_DATA and
// the UART's output give back what they took.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startEchoServer, type EchoServer } from "../../servers/echo-server.ts";
import { Opcode, RawConnection, frame } from "../../clients/raw.ts";
import { OK, PROMPT, SEND_OK, command, startBridge, type Bridge } from "./target.ts";

const maxMessage = 8192;
const budget = maxMessage + 10 + 1536 + 2000;
let bridge: Bridge;
let echo: EchoServer;

before(async () => {
	[bridge, echo] = await Promise.all([startBridge({ wsMaxMessage: maxMessage, wsMemoryBudget: budget }), startEchoServer()]);
});
after(async () => {
	await bridge?.stop();
	await echo?.close();
});

async function held(): Promise<{ held: number; limit: number }> {
	const response = await fetch(`http://${bridge.target.host}:${bridge.target.port}/api/status`);
	return ((await response.json()) as any).websocket.budget;
}

async function until(condition: () => Promise<boolean>, what: string) {
	const deadline = Date.now() + 10_000;
	while (!(await condition())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

test("AT+WSSEND's prompt waits while the budget has no room for its data, then the data goes and comes back", async () => {
	const { at, target } = bridge;
	await command(at, `AT+WSOPEN=0,"ws://127.0.0.1:${echo.port}/"`, `+WS_CONNECTED:0\r\n${OK}`);
	const slow = await RawConnection.connect(target.host, target.port);
	try {
		await slow.upgrade(target.host, target.port);
		// A large message begun and not finished holds maxMessage of the budget.
		const payload = crypto.randomBytes(maxMessage);
		const bytes = frame(Opcode.Binary, payload);
		const split = bytes.length - maxMessage + 100;
		await slow.write(bytes.subarray(0, split));
		await until(async () => (await held()).held >= maxMessage, "the large message holds the budget");
		const room = budget - (await held()).held;
		const length = room + 500;

		await at.send(`AT+WSSEND=0,${length}\r\n`);
		const early = await at.drain(500);
		assert.equal(early, "", "no prompt while the data would not fit");

		await slow.write(bytes.subarray(split));
		const echoed = await slow.waitForFrame((event) => event.type === "message");
		assert.ok(echoed.type === "message" && echoed.data.equals(payload));
		await at.expect(PROMPT);
		const data = "x".repeat(length);
		await at.send(data);
		await at.expect(SEND_OK);
		let received = "";
		while (received.length < length) {
			const [, size] = await at.read(/\+WS_DATA:0,(\d+),/);
			received += await at.readBytes(Number(size));
			await at.expect("\r\n");
		}
		assert.equal(received, data);
	} finally {
		slow.destroy();
	}
	await command(at, "AT+WSCLOSE=0", OK);
	await until(async () => (await held()).held === 0, "the budget is back to 0");
});
