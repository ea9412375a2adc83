// The AT links share the server's memory budget (wsMemoryBudget): while the server holds it for a
// large message, AT+WSSEND's prompt waits for room for its data (ESP-AT hosts send the data only
// after the `>`), and once everything is delivered the budget is back to 0: the links' +WS_DATA and
// the UART's output give back what they took.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startEchoServer, type EchoServer } from "../../servers/echo-server.ts";
import { eventually } from "../http/helpers.ts";
import { budgetOf, holdBudget } from "../echo/hold-budget.ts";
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

test("AT+WSSEND's prompt waits while the budget has no room for its data, then the data goes and comes back", async () => {
	const { at, target } = bridge;
	await command(at, `AT+WSOPEN=0,"ws://127.0.0.1:${echo.port}/"`, `+WS_CONNECTED:0\r\n${OK}`);
	const held = async () => (await budgetOf(target.host, target.port)).held;
	// A large message begun and not finished holds maxMessage of the budget.
	const slow = await holdBudget(target.host, target.port, maxMessage);
	try {
		const room = budget - (await held());
		const length = room + 500;

		await at.send(`AT+WSSEND=0,${length}\r\n`);
		const early = await at.drain(500);
		assert.equal(early, "", "no prompt while the data would not fit");

		await slow.finish();
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
	await eventually(async () => (await held()) === 0, "the budget is back to 0");
});
