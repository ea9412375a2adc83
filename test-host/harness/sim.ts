// The `sim` target: the firmware on the host runtime, in a child process like a board is a
// separate machine (an abort ends that process, not the test run).
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../runtime/realm.ts";
import { resolveManifest } from "../runtime/manifest.ts";
import { openPtyPair, type PtyPair } from "./pty.ts";
import type { Target, TargetOptions } from "./target.ts";
import { LogCollector } from "./log.ts";

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

export async function startSimTarget(options: TargetOptions): Promise<Target> {
	const port = Number(options.config?.wsPort ?? (await freePort()));
	// A build that serves TLS gets a port of its own too, so that targets run side by side.
	const manifestTls = Number(resolveManifest(options.manifest ?? path.join(projectRoot, "manifest.json"), "lin").config.wssPort ?? 0);
	const tlsPort = Number(options.config?.wssPort ?? (manifestTls ? await freePort() : 0));
	const pty: PtyPair | undefined = options.serial ? await openPtyPair() : undefined;
	const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "sim-data-"));
	const config = Object.entries({ ...options.config, wsPort: port, ...(tlsPort ? { wssPort: tlsPort } : {}) }).map(([key, value]) => `${key}=${value}`);
	const child = spawn(
		process.execPath,
		[
			"--experimental-vm-modules",
			"--no-warnings=ExperimentalWarning",
			"--import",
			"tsx",
			path.join(projectRoot, "test-host/cli.ts"),
			"run",
			"--serial",
			pty ? pty.device : "stdio",
			"--data",
			dataDirectory,
			...(options.manifest ? ["--manifest", options.manifest] : []),
			...config,
		],
		{ cwd: projectRoot, stdio: ["pipe", "pipe", "pipe"] },
	);
	const log = new LogCollector();
	log.attach(child.stdout!);
	log.attach(child.stderr!);
	let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
	const exited = new Promise<void>((resolve) =>
		child.once("exit", (code, signal) => {
			exit = { code, signal };
			log.end(`firmware exited (code ${code}, signal ${signal})`);
			resolve();
		}),
	);

	const target: Target = {
		kind: "sim",
		host: "127.0.0.1",
		port,
		tlsPort: tlsPort || undefined,
		pid: child.pid,
		serialPath: pty?.host,
		log: log.lines,
		waitForLog: (pattern, timeoutMs) => log.waitFor(pattern, timeoutMs),
		async stop() {
			if (!exit) {
				child.kill("SIGTERM");
				await exited;
			}
			pty?.close();
			fs.rmSync(dataDirectory, { recursive: true, force: true });
			const aborted = log.lines.find((line) => line.startsWith("XS abort"));
			if (aborted || (exit && exit.code !== 0 && exit.signal !== "SIGTERM"))
				throw new Error(`the firmware failed while running:\n${log.lines.slice(-30).join("\n")}`);
		},
	};
	try {
		// The server role says it listens; the client roles say they connect.
		// Generous: a loaded CI machine compiles the firmware's TypeScript slowly on a cold cache.
		const role = options.config?.role;
		await log.waitFor(role === "client" ? /^wsclient: / : role === "socketio" ? /^socketio: / : /^wsserver: listening on port \d+/, 60_000);
		// The CLI's last start-up line: the AT console's port is open, so nothing a test sends is
		// lost (opening a serial port discards what waited in it).
		await log.waitFor(/^AT console /, 60_000);
	} catch (error) {
		await target.stop().catch(() => {});
		throw new Error(`the sim target did not start: ${(error as Error).message}\n${log.lines.join("\n")}`);
	}
	return target;
}
