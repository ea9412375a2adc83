// Test support for end-to-end AT tests: the firmware on a target (TARGET=sim by default) with its
// AT console on a pseudo-terminal, and an AT session on the far end, echo off.
import { openPort } from "../../at/port.ts";
import { AtSession } from "../../at/session.ts";
import { startTarget, type Target } from "../../harness/target.ts";

export const OK = "\r\nOK\r\n";
export const ERROR = "\r\nERROR\r\n";
export const SEND_OK = "\r\nSEND OK\r\n";
export const BUSY = "\r\nbusy p...\r\n";
export const PROMPT = "\r\nOK\r\n\r\n>";

export interface Bridge {
	target: Target;
	at: AtSession;
	stop(): Promise<void>;
}

export async function startBridge(config: Record<string, string | number | boolean> = {}): Promise<Bridge> {
	const target = await startTarget({ serial: true, config });
	let at: AtSession | undefined;
	try {
		at = new AtSession(await openPort(target.serialPath!), { timeout: 20_000 });
		// The boot banner may already have gone out before the port was opened; start from a known state.
		await at.send("ATE0\r\n");
		await at.drain(300);
		await at.send("AT\r\n");
		await at.expect(OK);
	} catch (error) {
		// A firmware left running would keep the test process alive after the failure.
		at?.close();
		await target.stop().catch(() => {});
		throw error;
	}
	const session = at;
	return {
		target,
		at: session,
		async stop() {
			session.close();
			await target.stop();
		},
	};
}

/** One command with exact bytes back. */
export async function command(at: AtSession, line: string, reply: string): Promise<void> {
	await at.send(line + "\r\n");
	await at.expect(reply);
}

/** Bytes as a binary string. */
export function latin1(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("latin1");
}
