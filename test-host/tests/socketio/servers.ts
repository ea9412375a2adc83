// The real Socket.IO servers the firmware is tested against, as child processes: npm socket.io
// (test-host/servers/socketio-server.ts) and python-socketio (socketio-server.py). Both speak the
// same JSON lines, so a test drives either; a child process can be paused (SIGSTOP: its pings
// stop while TCP stays up) and restarted on the same port.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { serversFolder } from "../../clients/peers.ts";
import { python3 } from "../../harness/python.ts";
import type { Target } from "../../harness/target.ts";

export type ServerKind = "node" | "python";
export const serverKinds: ServerKind[] = ["node", "python"];

export interface ServerOptions {
	/** 0: any free port. */
	port?: number;
	/** What "/admin" requires as auth.token (default "secret"). */
	token?: string;
	/** What "/" requires as auth.token (default: anything but "bad"). */
	mainToken?: string;
	pingInterval?: number;
	pingTimeout?: number;
	/** Never ack hello. */
	silentHello?: boolean;
	/** node only: maxHttpBufferSize, which the open packet announces as maxPayload. */
	maxPayload?: number;
}

export type Line = Record<string, any>;

export interface SocketIOServer {
	kind: ServerKind;
	port: number;
	/** Everything it reported, in order. */
	lines: Line[];
	/** The first line from index `from` on that matches. */
	waitFor(match: (line: Line) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<Line>;
	/** Sends a command and resolves with its answer (ack, ackError or done). */
	command(request: Line, timeoutMs?: number): Promise<Line>;
	/** SIGSTOP and SIGCONT: a server that hangs with its connections open. */
	pause(): void;
	resume(): void;
	stop(): Promise<void>;
}

export async function startSocketIOServer(kind: ServerKind, options: ServerOptions = {}): Promise<SocketIOServer> {
	const args = ["--port", String(options.port ?? 0)];
	if (options.token !== undefined) args.push("--token", options.token);
	if (options.mainToken !== undefined) args.push("--main-token", options.mainToken);
	if (options.silentHello) args.push("--silent-hello");
	if (options.pingInterval !== undefined) args.push("--ping-interval", String(options.pingInterval));
	if (options.pingTimeout !== undefined) args.push("--ping-timeout", String(options.pingTimeout));
	if (options.maxPayload !== undefined) {
		if (kind !== "node") throw new Error("python-engineio 4 does not announce maxPayload");
		args.push("--max-payload", String(options.maxPayload));
	}
	const child: ChildProcess =
		kind === "node"
			? spawn(process.execPath, ["--import", "tsx", path.join(serversFolder, "socketio-server.ts"), ...args], { stdio: ["pipe", "pipe", "pipe"] })
			: spawn(python3, [path.join(serversFolder, "socketio-server.py"), ...args], { stdio: ["pipe", "pipe", "pipe"] });
	let stderr = "";
	child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
	const lines: Line[] = [];
	const waiters = new Set<() => void>();
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	let nextTag = 1;
	const port = await new Promise<number>((resolve, reject) => {
		const input = readline.createInterface({ input: child.stdout! });
		let listening = false;
		input.on("line", (line) => {
			if (!listening) {
				const match = /^listening \S+ (\d+)$/.exec(line);
				if (!match) return reject(new Error(`the ${kind} Socket.IO server said "${line}"`));
				listening = true;
				resolve(Number(match[1]));
				return;
			}
			lines.push(JSON.parse(line));
			for (const waiter of [...waiters]) waiter();
		});
		child.once("exit", (status) => {
			if (!listening) reject(new Error(`the ${kind} Socket.IO server exited (${status}) before listening: ${stderr}`));
			for (const waiter of [...waiters]) waiter();
		});
		child.once("error", reject);
	});
	const server: SocketIOServer = {
		kind,
		port,
		lines,
		waitFor(match, { from = 0, timeoutMs = 15_000 } = {}) {
			return new Promise((resolve, reject) => {
				const timer = setTimeout(() => {
					waiters.delete(waiter);
					reject(new Error(`the ${kind} server reported nothing matching within ${timeoutMs} ms; it reported:\n${lines.map((line) => JSON.stringify(line)).join("\n")}\n${stderr}`));
				}, timeoutMs);
				const waiter = () => {
					const found = lines.slice(from).find(match);
					if (found) {
						clearTimeout(timer);
						waiters.delete(waiter);
						resolve(found);
					} else if (child.exitCode !== null || child.signalCode !== null) {
						clearTimeout(timer);
						waiters.delete(waiter);
						reject(new Error(`the ${kind} server exited: ${stderr}`));
					}
				};
				waiters.add(waiter);
				waiter();
			});
		},
		command(request, timeoutMs = 15_000) {
			const tag = nextTag++;
			child.stdin!.write(JSON.stringify({ ...request, tag }) + "\n");
			return server.waitFor((line) => line.tag === tag, { timeoutMs });
		},
		pause() {
			child.kill("SIGSTOP");
		},
		resume() {
			child.kill("SIGCONT");
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill("SIGCONT");
				child.kill("SIGTERM");
			}
			await exited;
		},
	};
	return server;
}

/** The 256 byte values, as the servers' JSON carries bytes. */
export const allBytesHex = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("hex");

/** The firmware's trace of bytes (socketio/app describe()): length and FNV-1a. */
export function describedBytes(bytes: Buffer): string {
	let hash = 0x811c9dc5;
	for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
	return `<binary ${bytes.length} bytes fnv1a ${(hash >>> 0).toString(16).padStart(8, "0")}>`;
}

/** The first firmware log line from index `from` on that matches. */
export function logAfter(target: Target, from: number, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	return new Promise((resolve, reject) => {
		const poll = () => {
			const found = target.log.slice(from).find((line) => pattern.test(line));
			if (found !== undefined) resolve(found);
			else if (Date.now() > deadline) reject(new Error(`the firmware logged nothing matching ${pattern} within ${timeoutMs} ms:\n${target.log.slice(from).join("\n")}`));
			else setTimeout(poll, 20);
		};
		poll();
	});
}
