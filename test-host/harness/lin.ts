// The `lin` target: the real mcconfig build of the app for Moddable's Linux simulator, run under
// mcsim (needs MODDABLE). The build is cached per configuration (build/lin/<hash>/).
//
// lin facts this leans on: trace() goes to mcsim's stdout; an uncaught exception prints
// "XS abort: ..." and the VM stops while mcsim keeps running, so the log is the only witness;
// the listener binds all interfaces and polls sockets every 20 ms.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveManifest } from "../runtime/manifest.ts";
import { buildLin } from "../toolchain/build.ts";
import { acquireLock, type Lock } from "../toolchain/lock.ts";
import { buildRoot, findSdk, projectRoot } from "../toolchain/sdk.ts";
import { ensureDisplay, killOnExit } from "../toolchain/xvfb.ts";
import { LogCollector } from "./log.ts";
import { openPtyPair, type PtyPair } from "./pty.ts";
import type { Target, TargetOptions } from "./target.ts";

/** The line the echo server traces once it listens (the sim target waits for the same). */
export const listeningPattern = /^wsserver: listening on port \d+/;
const abortPattern = /^XS abort/;
/** mcsim's own once-a-second instrumentation lines (debug builds); not the firmware's trace. */
const instrumentsPattern = /^instruments( key)?:/;

export interface LinTarget extends Target {
	/** mcsim's "instruments key:" line and then one "instruments:" line a second (heap, sockets). */
	readonly instruments: string[];
	/** The mc.so that runs. */
	readonly mcSo: string;
}

/** The app's own mc/config, as the manifests set it for lin (before command-line overrides). */
function manifestConfig(manifest: string): Record<string, unknown> {
	try {
		return resolveManifest(manifest, "lin").config;
	} catch {
		return {};
	}
}

/**
 * LIN_HEAP=N: the app in a fixed heap of N slots, as a chip's heap is fixed (an app that
 * outgrows it stops with "memory full"). A wrapper manifest in build/lin-heap/ adds the creation
 * setting; the app's own manifests are not changed.
 */
function withFixedHeap(manifest: string): string {
	const setting = process.env.LIN_HEAP;
	if (!setting) return manifest;
	const heap = Number(setting);
	if (!Number.isInteger(heap) || heap <= 0) throw new Error(`LIN_HEAP=${setting}: a number of XS slots`);
	const folder = path.join(buildRoot, "lin-heap", `${path.basename(path.dirname(manifest))}-${heap}`);
	fs.mkdirSync(folder, { recursive: true });
	const file = path.join(folder, "manifest.json");
	const wrapper = { include: [manifest], platforms: { lin: { creation: { heap: { initial: heap, incremental: 0 } } } } };
	const text = JSON.stringify(wrapper, null, "\t") + "\n";
	// Rewritten only when it changes: make rebuilds what depends on a newer manifest.
	if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) fs.writeFileSync(file, text);
	return file;
}

export async function startLinTarget(options: TargetOptions): Promise<LinTarget> {
	findSdk();
	const manifest = options.manifest ?? path.join(projectRoot, "manifest.json");
	const defaults = manifestConfig(manifest);
	const config: Record<string, string | number | boolean> = { ...options.config };
	// LIN_WS_PORT moves every lin run of this process tree to another port (its own builds and its
	// own port lock), so that two checkouts on one machine can run their lin tests side by side.
	if (config.wsPort === undefined && process.env.LIN_WS_PORT) config.wsPort = Number(process.env.LIN_WS_PORT);
	const port = Number(config.wsPort ?? defaults.wsPort ?? 8080);
	// The TLS port moves with it (the port lock covers both).
	if (config.wssPort === undefined && defaults.wssPort && process.env.LIN_WS_PORT) config.wssPort = port + 363;
	const tlsPort = Number(config.wssPort ?? defaults.wssPort ?? 0);
	const role = String(config.role ?? defaults.role ?? "server");

	// One mcsim per port on this machine: parallel test files would otherwise fight over it.
	const cleanups: Array<() => void> = [];
	const cleanup = () => {
		for (const step of cleanups.splice(0).reverse()) step();
	};
	const portLock: Lock = await acquireLock(path.join(os.tmpdir(), `moddable-lin-port-${port}.lock`), `port ${port} for mcsim`);
	cleanups.push(() => portLock.release());
	try {
		let serial: PtyPair | undefined;
		if (options.serial) {
			serial = await openPtyPair(path.join(os.tmpdir(), `moddable-lin-port-${port}`));
			cleanups.push(() => serial!.close());
			config.atDevice = serial.device;
			config.at = "true";
		}
		const build = await buildLin({ manifest: withFixedHeap(manifest), config });
		return await startMcsim(build.mcSo, {
			port,
			tlsPort: tlsPort || undefined,
			// With TLS the TLS listener starts last.
			ready: role === "server" ? (tlsPort ? /^wsserver: listening on port \d+ \(TLS\)/ : listeningPattern) : undefined,
			serialPath: serial?.host,
			cleanup,
		});
	} catch (error) {
		cleanup();
		throw error;
	}
}

export interface McsimOptions {
	/** The line that says the app is up; without one, mcsim's first instruments line (the VM
	 *  has loaded the app). */
	ready?: RegExp;
	/** What the Target reports (the app's server port, the AT console's far end). */
	port?: number;
	tlsPort?: number;
	serialPath?: string;
	/** Runs once mcsim has stopped (releases what the caller set up for it). */
	cleanup?: () => void;
	timeoutMs?: number;
}

/** Runs a built mc.so under mcsim, on this process's X display (an Xvfb if DISPLAY is unset). */
export async function startMcsim(mcSo: string, run: McsimOptions = {}): Promise<LinTarget> {
	const display = await ensureDisplay();
	const sdk = findSdk();
	// mcsim's stdout is a pipe here, so libc would buffer trace output in 4 KB blocks; stdbuf
	// makes it line-buffered so each trace arrives as it happens.
	const mcsim = spawn("stdbuf", ["-oL", "-eL", "mcsim", mcSo], {
		cwd: path.dirname(mcSo),
		env: { ...sdk.env, DISPLAY: display },
		stdio: ["ignore", "pipe", "pipe"],
	});
	killOnExit(mcsim);
	const log = new LogCollector();
	const instruments: string[] = [];
	const stderr: string[] = [];
	let partial = "";
	mcsim.stdout!.setEncoding("utf8");
	mcsim.stdout!.on("data", (chunk: string) => {
		const lines = (partial + chunk).split("\n");
		partial = lines.pop()!;
		for (const raw of lines) {
			const line = raw.replace(/\r$/, "");
			if (instrumentsPattern.test(line)) instruments.push(line);
			else log.push(line);
		}
	});
	mcsim.stderr!.setEncoding("utf8");
	mcsim.stderr!.on("data", (chunk: string) => stderr.push(...chunk.split("\n").filter(Boolean)));

	let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
	const exited = new Promise<void>((resolve) => {
		mcsim.once("error", (error) => {
			stderr.push(`mcsim could not start: ${error.message}`);
		});
		mcsim.once("close", (code, signal) => {
			exit = { code, signal };
			if (partial) log.push(partial);
			partial = "";
			log.end(`mcsim exited (code ${code}, signal ${signal})`);
			resolve();
		});
	});

	const describe = () =>
		[
			...log.lines.slice(-30),
			...(stderr.length ? ["mcsim stderr:", ...stderr.slice(-10)] : []),
		].join("\n");

	let stopped: Promise<void> | undefined;
	const target: LinTarget = {
		kind: "lin",
		pid: mcsim.pid,
		host: "127.0.0.1",
		port: run.port ?? 0,
		tlsPort: run.tlsPort,
		serialPath: run.serialPath,
		log: log.lines,
		instruments,
		mcSo,
		waitForLog: (pattern, timeoutMs) => log.waitFor(pattern, timeoutMs),
		stop() {
			stopped ??= (async () => {
				const diedEarlier = exit !== undefined;
				if (!exit) {
					mcsim.kill("SIGTERM");
					await exited;
				}
				run.cleanup?.();
				const aborted = log.lines.find((line) => abortPattern.test(line));
				if (aborted) throw new Error(`the firmware aborted under mcsim (${aborted}):\n${describe()}`);
				if (diedEarlier) throw new Error(`mcsim died while running (code ${exit!.code}, signal ${exit!.signal}):\n${describe()}`);
			})();
			return stopped;
		},
	};

	// An abort or an early exit ends the wait too.
	const ready = () => (run.ready ? log.lines.some((line) => run.ready!.test(line)) : instruments.length > 0);
	const failed = () => log.lines.find((line) => abortPattern.test(line)) ?? (exit ? `mcsim exited (code ${exit.code}, signal ${exit.signal})` : undefined);
	try {
		await waitFor(ready, failed, run.timeoutMs ?? 60_000);
	} catch (error) {
		await target.stop().catch(() => {});
		throw new Error(`the lin target did not start (${(error as Error).message}):\n${describe()}`);
	}
	return target;
}

/** Polls (no long timer is left behind to hold the process open once the target runs). */
function waitFor(ready: () => boolean, failed: () => string | undefined, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	return new Promise((resolve, reject) => {
		const poll = () => {
			const failure = failed();
			if (failure) reject(new Error(failure));
			else if (ready()) resolve();
			else if (Date.now() > deadline) reject(new Error(`not ready within ${timeoutMs} ms`));
			else setTimeout(poll, 50);
		};
		poll();
	});
}
