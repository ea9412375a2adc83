// `npm start` as a person uses it: in a real terminal (a pseudo-terminal made by Python's pty
// support, test-host/clients/terminal.py), typing AT commands and reading the answers on the
// screen, then quitting with the keys the start-up lines name. And with a pipe on standard input,
// as a script would drive it: bytes pass unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { python3 } from "../../harness/python.ts";
import { freePort } from "../../harness/sim.ts";
import { projectRoot } from "../../runtime/realm.ts";

const relay = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../clients/terminal.py");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
// Generous: a loaded CI machine compiles the firmware's TypeScript slowly on a cold cache.
const startTimeout = 60_000;
const timeout = 20_000;

/** What a terminal shows for what a program wrote: with the terminal's output processing (ONLCR),
 *  the device's CR LF arrives as CR CR LF, and reads the same on screen. */
function screenText(bytes: string): string {
	return bytes.replaceAll("\r\r\n", "\r\n");
}

class Terminal {
	/** Everything shown on the screen, as a binary string. */
	screen = "";
	/** The terminal device and its settings when the command started (`stty -g`). */
	readonly started: Promise<{ tty: string; stty: string }>;
	/** The command's exit status and the terminal's settings after it. */
	readonly exited: Promise<{ status: number; stty: string }>;
	readonly #relay;
	#wake: (() => void) | undefined;

	constructor(command: string[], cwd: string) {
		this.#relay = spawn(python3, [relay, "--cwd", cwd, "--", ...command], { stdio: ["pipe", "pipe", "pipe"] });
		this.#relay.stdout.on("data", (chunk: Buffer) => {
			this.screen += chunk.toString("latin1");
			this.#wake?.();
		});
		let reports = "";
		const lines: Array<(value: any) => void> = [];
		this.started = new Promise((resolve) => lines.push(resolve));
		this.exited = new Promise((resolve) => lines.push(resolve));
		this.#relay.stderr.setEncoding("utf8");
		this.#relay.stderr.on("data", (chunk: string) => {
			reports += chunk;
			let end;
			while ((end = reports.indexOf("\n")) >= 0) {
				const line = reports.slice(0, end);
				reports = reports.slice(end + 1);
				if (line.startsWith("{")) lines.shift()?.(JSON.parse(line));
				else process.stderr.write(`terminal.py: ${line}\n`);
			}
		});
	}

	/** Keys as a terminal sends them. */
	type(keys: string) {
		this.#relay.stdin.write(Buffer.from(keys, "latin1"));
	}

	/** Waits until the screen, from `from` on, shows the text; answers where it ends. */
	async waitFor(text: string | RegExp, from = 0, ms = timeout): Promise<number> {
		const deadline = Date.now() + ms;
		for (;;) {
			const shown = screenText(this.screen.slice(from));
			const found = typeof text === "string" ? shown.indexOf(text) : shown.search(text);
			if (found >= 0) {
				const length = typeof text === "string" ? text.length : shown.match(text)![0].length;
				// Back to a position in the raw screen: count what precedes the match there.
				let raw = from;
				for (let shownAt = 0; shownAt < found + length; raw++, shownAt++) if (this.screen.startsWith("\r\r\n", raw)) raw++;
				return raw;
			}
			if (Date.now() > deadline) throw new Error(`the screen never showed ${JSON.stringify(String(text))}; it shows:\n${screenText(this.screen)}`);
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, 100);
				this.#wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
		}
	}

	kill() {
		this.#relay.kill();
	}
}

async function npmStartInTerminal(...args: string[]) {
	const port = await freePort();
	const data = fs.mkdtempSync(path.join(os.tmpdir(), "terminal-data-"));
	const terminal = new Terminal([npm, "start", "--", "--port", String(port), "--data", data, ...args], projectRoot);
	return {
		terminal,
		port,
		cleanup() {
			terminal.kill();
			fs.rmSync(data, { recursive: true, force: true });
		},
	};
}

test("in a terminal: AT and Enter answers OK, a WebSocket exchange with the echo server, Ctrl-C quits and restores the terminal", async () => {
	const { terminal, port, cleanup } = await npmStartInTerminal();
	try {
		const { tty, stty: before } = await terminal.started;
		// The start-up lines name the servers and the keys.
		await terminal.waitFor(`echo server  ws://127.0.0.1:${port}/ws\r\n`, 0, startTimeout);
		await terminal.waitFor(`web console  http://127.0.0.1:${port}/\r\n`);
		await terminal.waitFor(/AT console {3}this terminal: .*Enter sends CR LF.*Ctrl-C or Ctrl-\] quits\r\n/);
		// The boot banner (ESP-AT's "ready") may come before or after the start-up lines.
		await terminal.waitFor("\r\nready\r\n");
		// The console owns the terminal now: no local echo, no line editing.
		const during = execFileSync("stty", ["-g", "-F", tty], { encoding: "utf8" }).trim();
		assert.notEqual(during, before, "the terminal is in raw mode while the console runs");

		// Enter is CR from a terminal; the device gets CR LF and echoes what it got (ATE1), so
		// what was typed shows once, then the answer.
		let at = terminal.screen.length;
		terminal.type("AT\r");
		const answered = await terminal.waitFor("\r\nOK\r\n", at);
		assert.equal(screenText(terminal.screen.slice(at, answered)), "AT\r\n\r\nOK\r\n");
		at = answered;

		terminal.type(`AT+WSOPEN=0,"ws://127.0.0.1:${port}/ws"\r`);
		at = await terminal.waitFor(`AT+WSOPEN=0,"ws://127.0.0.1:${port}/ws"\r\n`, at);
		at = await terminal.waitFor("+WS_CONNECTED:0\r\n\r\nOK\r\n", at);
		terminal.type("AT+WSSEND=0,5\r");
		at = await terminal.waitFor("AT+WSSEND=0,5\r\n\r\nOK\r\n\r\n>", at);
		// The data phase takes exactly 5 bytes, as typed, without echo (spec §1.8).
		terminal.type("hello");
		await terminal.waitFor("\r\nSEND OK\r\n", at);
		await terminal.waitFor("+WS_DATA:0,5,hello\r\n", at);

		terminal.type("\x03");
		const { status, stty: after } = await terminal.exited;
		assert.equal(status, 0, "Ctrl-C quits with status 0");
		assert.equal(after, before, "the terminal's settings are back as they were");
	} finally {
		cleanup();
	}
});

test("in a terminal: Ctrl-] quits too, and --eol names what Enter sends", async () => {
	const { terminal, cleanup } = await npmStartInTerminal("--eol", "lf");
	try {
		const { stty: before } = await terminal.started;
		await terminal.waitFor(/AT console {3}this terminal: .*Enter sends LF.*\r\n/, 0, startTimeout);
		terminal.type("\x1d");
		const { status, stty: after } = await terminal.exited;
		assert.equal(status, 0);
		assert.equal(after, before);
	} finally {
		cleanup();
	}
});

test("with a pipe on standard input, bytes pass unchanged both ways and traces stay off stdout", async () => {
	const port = await freePort();
	const data = fs.mkdtempSync(path.join(os.tmpdir(), "terminal-data-"));
	// Its own process group: npm passes a signal to its shell, which does not pass it on to node.
	const child = spawn(npm, ["--silent", "start", "--", "--port", String(port), "--data", data], { cwd: projectRoot, stdio: ["pipe", "pipe", "pipe"], detached: true });
	try {
		let stdout = "";
		let stderr = "";
		child.stdout.setEncoding("latin1");
		child.stderr.setEncoding("utf8");
		child.stdout.on("data", (chunk: string) => (stdout += chunk));
		child.stderr.on("data", (chunk: string) => (stderr += chunk));
		const until = (check: () => boolean, what: string, ms: number) =>
			new Promise<void>((resolve, reject) => {
				const poll = () => {
					if (!check()) return;
					clearTimeout(timer);
					child.stdout.off("data", poll);
					child.stderr.off("data", poll);
					resolve();
				};
				const timer = setTimeout(() => {
					child.stdout.off("data", poll);
					child.stderr.off("data", poll);
					reject(new Error(`no ${what} within ${ms} ms; stdout "${stdout}", stderr:\n${stderr}`));
				}, ms);
				child.stdout.on("data", poll);
				child.stderr.on("data", poll);
				poll();
			});
		await until(() => /^AT console {3}standard input and output$/m.test(stderr) && stdout.includes("\r\nready\r\n"), "start-up", startTimeout);
		// No translation on a pipe: CR LF goes as CR LF (a terminal's Enter would add an LF), and
		// the end of the input still gets its answer.
		child.stdin.end("AT\r\n");
		await until(() => stdout.endsWith("\r\nOK\r\n"), "answer", timeout);
		assert.equal(stdout, "\r\nready\r\nAT\r\n\r\nOK\r\n");
		assert.match(stderr, /^wsserver: listening on port \d+/m);
	} finally {
		const exited = new Promise((resolve) => child.once("close", resolve));
		process.kill(-child.pid!, "SIGTERM");
		await exited;
		fs.rmSync(data, { recursive: true, force: true });
	}
});
