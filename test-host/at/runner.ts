// Runs an AT script (see script.ts) over a port: each step in order, stopping at the first reply
// that differs, with a report that names the script line, the expected bytes and what came.
import fs from "node:fs";
import path from "node:path";
import { openPort, type AtPort } from "./port.ts";
import { parseScript, type Step } from "./script.ts";
import { AtMismatch, AtSession, show } from "./session.ts";

export interface RunResult {
	ok: boolean;
	/** Steps that ran to completion. */
	steps: number;
	/** The failure: where, and why. */
	failure?: { line: number; message: string };
	/** Everything the device printed. */
	received: string;
}

export async function runSteps(steps: Step[], session: AtSession): Promise<RunResult> {
	let done = 0;
	let line = 0;
	try {
		for (const step of steps) {
			line = step.line;
			switch (step.kind) {
				case "send":
					await session.send(step.bytes);
					break;
				case "expect":
					await session.expect(step.bytes);
					break;
				case "match":
					await session.read(step.pattern);
					break;
				case "discard":
					session.discard();
					break;
				case "any-order":
					await session.expectAnyOrder(step.items);
					break;
				case "urc":
					session.urc(step.bytes);
					break;
				case "ignore":
					session.ignore(step.pattern);
					break;
				case "settle":
					await session.settle();
					break;
				case "wait":
					await new Promise((resolve) => setTimeout(resolve, step.ms));
					break;
				case "timeout":
					session.timeout = step.ms;
					break;
			}
			done++;
		}
		line = steps.at(-1)?.line ?? 0;
		await session.settle();
		return { ok: true, steps: done, received: session.received };
	} catch (error) {
		if (!(error instanceof AtMismatch)) throw error;
		return { ok: false, steps: done, failure: { line, message: error.message }, received: session.received };
	}
}

export interface RunOptions {
	variables?: Record<string, string>;
	timeout?: number;
}

/** Parses and runs a script file over an open port. */
export async function runScriptFile(file: string, port: AtPort, options: RunOptions = {}): Promise<RunResult> {
	const steps = parseScript(fs.readFileSync(file, "utf8"), { variables: options.variables, folder: path.dirname(path.resolve(file)) });
	const session = new AtSession(port, { timeout: options.timeout });
	return runSteps(steps, session);
}

/** A result as a person reads it. */
export function report(file: string, result: RunResult): string {
	if (result.ok) return `PASS ${file} (${result.steps} steps)`;
	const failure = result.failure!;
	return [`FAIL ${file}:${failure.line}`, ...failure.message.split("\n").map((text) => `  ${text}`), `  device output: "${show(result.received, 2000)}"`].join("\n");
}

/** Opens the port, runs each script in turn, closes it. */
export async function runScripts(files: string[], portPath: string, options: RunOptions & { baud?: number } = {}): Promise<RunResult[]> {
	const results: RunResult[] = [];
	for (const file of files) {
		const port = await openPort(portPath, options.baud);
		try {
			results.push(await runScriptFile(file, port, options));
		} finally {
			await port.close();
		}
	}
	return results;
}
