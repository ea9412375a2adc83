// Shared by the memory budget tests: a WebSocket client that begins a large message and sends only
// its header and 100 bytes of it. The server reserves the whole message from its header, so the
// message holds that much of the budget until the rest comes.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Opcode, RawConnection, frame } from "../../clients/raw.ts";
import { eventually } from "../http/helpers.ts";

export interface Budget {
	held: number;
	peak: number;
	limit: number;
	waiting: number;
}

/** The memory budget as GET /api/status reports it. */
export async function budgetOf(host: string, port: number): Promise<Budget> {
	const response = await fetch(`http://${host}:${port}/api/status`);
	assert.equal(response.status, 200);
	return ((await response.json()) as { websocket: { budget: Budget } }).websocket.budget;
}

/** Resolves once the begun message of `size` bytes holds the budget. */
export async function holdBudget(host: string, port: number, size: number) {
	const connection = await RawConnection.connect(host, port);
	await connection.upgrade(host, port);
	const payload = crypto.randomBytes(size);
	const bytes = frame(Opcode.Binary, payload);
	const split = bytes.length - size + 100;
	await connection.write(bytes.subarray(0, split));
	await eventually(async () => (await budgetOf(host, port)).held >= size, "the large message holds the budget");
	return {
		/** Sends the rest of the message; resolves once it came back whole. */
		async finish(): Promise<void> {
			await connection.write(bytes.subarray(split));
			const echo = await connection.waitForFrame((event) => event.type === "message");
			assert.ok(echo.type === "message" && echo.data.equals(payload), "the large message echoed whole");
		},
		destroy: () => connection.destroy(),
	};
}
