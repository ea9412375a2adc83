// The app's memory on the real XS engine: a profile (profiles/<name>/manifest.json) built for lin
// with the memory probe (test-host/bench/memory/probe) and, when asked, a fixed slot heap, then a
// fixed scenario against it. The wrapper manifest that adds both lives in build/memory/ and is
// never part of what a user builds or flashes. Used by `npm run bench:memory` and the memory tests.
//
// Figures: lin's instrumentation counts slot heap bytes at 32 bytes a slot (64-bit); they are
// turned into slots here, which is what a chip counts too (at 16 bytes a slot). Chunk bytes are
// lin's; on a 32-bit chip they are somewhat smaller (pointers inside chunks are half the size).
import { request as httpRequest } from "node:http";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { openPort } from "../at/port.ts";
import { AtSession } from "../at/session.ts";
import { resolveManifest } from "../runtime/manifest.ts";
import { startEchoServer, type EchoServer } from "../servers/echo-server.ts";
import { buildLin, type LinBuild } from "../toolchain/build.ts";
import { acquireLock, type Lock } from "../toolchain/lock.ts";
import { buildRoot, projectRoot } from "../toolchain/sdk.ts";
import { listeningPattern, startMcsim, type LinTarget } from "./lin.ts";
import { openPtyPair, type PtyPair } from "./pty.ts";

export type Profile = "esp32" | "esp8266";
export const profiles: readonly Profile[] = ["esp32", "esp8266"];

/** Bytes of one XS slot on lin (64-bit) and on the ESP32 / ESP8266 (32-bit). */
export const linSlotBytes = 32;
export const chipSlotBytes = 16;

const probeManifest = path.join(projectRoot, "test-host/bench/memory/probe/manifest.json");
const probeReady = /^memoryprobe: listening on port \d+, its own cost (\d+) slot bytes/;
const wsPort = 8080;
const probePort = 8099;

export function profileManifest(profile: Profile): string {
	return path.join(projectRoot, "profiles", profile, "manifest.json");
}

/** What the profile sets, as mcconfig merges it for lin. */
export interface ProfileLimits {
	maxClients: number;
	maxMessage: number;
	maxBody: number;
	links: number;
	/** Whether the build has wss:// (the TLS modules). */
	wss: boolean;
	/** wss:// clients of the board's TLS server (wssMaxClients; 0 without one), on tlsPort: of
	 *  maxClients, not beside them. */
	tlsClients: number;
	tlsPort: number;
}

export function profileLimits(profile: Profile): ProfileLimits {
	const resolved = resolveManifest(profileManifest(profile), "lin");
	const config = resolved.config;
	return {
		maxClients: Number(config.wsMaxClients ?? 8),
		maxMessage: Number(config.wsMaxMessage ?? 16384),
		maxBody: Number(config.wsMaxBody ?? 4096),
		links: Number(config.atLinks ?? 3),
		wss: resolved.modules.has("embedded:io/socket/tcp/tls"),
		tlsClients: Number(config.wssPort ?? 0) ? Number(config.wssMaxClients ?? 2) : 0,
		tlsPort: Number(config.wssPort ?? 0),
	};
}

/**
 * Writes the wrapper manifest (the profile, the probe, and a fixed slot heap when `heap` is given)
 * and builds it for lin (debug: the SDK's instrumentation). One wrapper per profile and kind, so
 * that another heap size rebuilds incrementally in the same folder.
 */
export async function buildProfile(profile: Profile, options: { heap?: number; chunk?: number; device: string; echo?: boolean }): Promise<LinBuild> {
	const fixed = options.heap !== undefined || options.chunk !== undefined;
	const folder = path.join(buildRoot, "memory", fixed ? `${profile}-fixed-heap` : profile);
	fs.mkdirSync(folder, { recursive: true });
	const manifest: Record<string, unknown> = { include: [profileManifest(profile), probeManifest] };
	// Fixed: XS never grows the slot heap (or the chunk heap); an app that outgrows it stops with
	// "memory full", as a chip does.
	const creation: Record<string, unknown> = {};
	if (options.heap !== undefined) creation.heap = { initial: options.heap, incremental: 0 };
	if (options.chunk !== undefined) creation.chunk = { initial: options.chunk, incremental: 0 };
	if (fixed) manifest.platforms = { lin: { creation } };
	const file = path.join(folder, "manifest.json");
	const text = JSON.stringify(manifest, null, "\t") + "\n";
	const changed = !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text;
	if (changed) fs.writeFileSync(file, text);
	return buildLin({
		manifest: file,
		config: { at: "true", atDevice: options.device, memoryProbePort: probePort },
		fresh: changed,
		echo: options.echo,
	});
}

/** Figures the probe answers, in bytes as lin counts them. */
export interface ProbeAnswer {
	slots: number;
	chunks: number;
	peakSlots: number;
	peakChunks: number;
	gcs: number;
}

export interface ProfileTarget {
	readonly profile: Profile;
	readonly limits: ProfileLimits;
	readonly mcsim: LinTarget;
	readonly at: AtSession;
	/** The probe's own listener and timer, in slot bytes: taken off the live figures. */
	readonly probeCost: number;
	/** The fixed slot heap it runs in, if any. */
	readonly heap?: number;
	/** Collects garbage in the firmware and reads the figures. */
	probe(): Promise<ProbeAnswer>;
	/** Whether XS stopped (memory full, or another abort) or mcsim died. */
	aborted(): string | undefined;
	stop(): Promise<void>;
}

/** Builds and starts a profile under mcsim with its AT console on a pty and the probe listening. */
export async function startProfile(profile: Profile, options: { heap?: number; chunk?: number; echo?: boolean } = {}): Promise<ProfileTarget> {
	const locks: Lock[] = [];
	let pair: PtyPair | undefined;
	const release = () => {
		pair?.close();
		for (const lock of locks.splice(0).reverse()) lock.release();
	};
	try {
		// The same port locks as the lin target's: one mcsim per port on this machine.
		for (const port of [wsPort, probePort]) locks.push(await acquireLock(path.join(os.tmpdir(), `moddable-lin-port-${port}.lock`), `port ${port} for mcsim`));
		// A fixed folder: the device path is compiled into the build, which is then reused.
		pair = await openPtyPair(path.join(os.tmpdir(), `moddable-memory-${profile}`));
		const build = await buildProfile(profile, { heap: options.heap, chunk: options.chunk, device: pair.device, echo: options.echo });
		const mcsim = await startMcsim(build.mcSo, { port: wsPort, ready: listeningPattern, serialPath: pair.host, cleanup: release });
		const ready = await mcsim.waitForLog(probeReady, 10_000);
		const probeCost = Number(probeReady.exec(ready)![1]);
		const port = await openPort(pair.host);
		const at = new AtSession(port, { timeout: 20_000 });
		await at.send("ATE0\r\n");
		await at.drain(300);
		await at.send("AT\r\n");
		await at.expect("\r\nOK\r\n");
		const aborted = () => mcsim.log.find((line) => /^XS abort|^# Slot allocation: failed|^# Chunk allocation: failed|^mcsim exited/.test(line));
		return {
			profile,
			limits: profileLimits(profile),
			mcsim,
			at,
			probeCost,
			heap: options.heap,
			probe: () => askProbe(),
			aborted,
			async stop() {
				at.close();
				await mcsim.stop();
			},
		};
	} catch (error) {
		release();
		throw error;
	}
}

function askProbe(): Promise<ProbeAnswer> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(probePort, "127.0.0.1");
		let text = "";
		socket.setEncoding("utf8");
		socket.setTimeout(10_000, () => socket.destroy(new Error("the memory probe did not answer")));
		socket.on("data", (chunk: string) => (text += chunk));
		socket.once("error", reject);
		socket.once("close", () => {
			try {
				resolve(JSON.parse(text));
			} catch {
				reject(new Error(`the memory probe answered ${JSON.stringify(text)}`));
			}
		});
	});
}

/** What one scenario run measured, in slots (not bytes) and chunk bytes. */
export interface ScenarioFigures {
	idle: { slots: number; chunks: number };
	perClient: { slots: number; chunks: number };
	perLink: { slots: number; chunks: number };
	/** An idle wss:// client of the TLS server, after its handshake (0 without one). */
	perTlsSession: { slots: number; chunks: number };
	peak: { slots: number; chunks: number };
	/** Idle again once every client and link is gone: more than idle means something is kept. */
	idleAfter: { slots: number; chunks: number };
	/** XS's slot and chunk heaps as reserved at the end (what the instrumentation calls available). */
	reserved: { slots: number; chunks: number };
	/** The deepest the XS stack went since start, and its size, in slots (an overflow aborts XS:
	 *  on a chip, a reboot). */
	stack: { peak: number; size: number };
	collections: number;
}

const slots = (bytes: number) => Math.round(bytes / linSlotBytes);

function openClient(url: string): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		// wss:// trusts the test CA the board's TLS server is built with.
		const ws = new WebSocket(url, { perMessageDeflate: false, ...(url.startsWith("wss:") ? { ca: fs.readFileSync(path.join(projectRoot, "certs/ca.pem")) } : {}) });
		ws.once("open", () => resolve(ws));
		ws.once("error", reject);
		ws.once("unexpected-response", (_request, response) => reject(new Error(`upgrade answered ${response.statusCode}`)));
	});
}

/** Sends each message and waits for the same bytes back, one at a time. */
async function echoAll(ws: WebSocket, messages: Array<string | Buffer>, timeoutMs: number): Promise<void> {
	for (const message of messages) {
		const echoed = new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no echo of a ${message.length}-byte message within ${timeoutMs} ms`)), timeoutMs);
			ws.once("message", (data: Buffer, isBinary: boolean) => {
				clearTimeout(timer);
				const expected = typeof message === "string" ? Buffer.from(message) : message;
				if (isBinary !== (typeof message !== "string") || !Buffer.from(data).equals(expected)) reject(new Error(`a wrong echo of a ${message.length}-byte message`));
				else resolve();
			});
			ws.once("close", (code) => reject(new Error(`closed (${code}) while echoing`)));
		});
		ws.send(message, { binary: typeof message !== "string" });
		await echoed;
	}
}

function closeClient(ws: WebSocket): Promise<void> {
	return new Promise((resolve) => {
		if (ws.readyState === WebSocket.CLOSED) return resolve();
		ws.once("close", () => resolve());
		ws.close(1000);
		setTimeout(() => {
			ws.terminate();
			resolve();
		}, 5000).unref();
	});
}

/** One request on its own connection, closed after the answer (no keep-alive connection stays
 *  open in the firmware to count as retained memory). */
function http(method: string, url: string, body?: Buffer, type?: string): Promise<{ status: number; body: Buffer }> {
	return new Promise((resolve, reject) => {
		const headers: Record<string, string | number> = { Connection: "close" };
		if (type) headers["Content-Type"] = type;
		if (body) headers["Content-Length"] = body.length;
		const request = httpRequest(url, { method, headers, agent: false }, (response) => {
			const chunks: Buffer[] = [];
			response.on("data", (chunk: Buffer) => chunks.push(chunk));
			response.once("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
			response.once("error", reject);
		});
		request.once("error", reject);
		request.end(body);
	});
}

/** Message sizes up to the maximum: every frame-length encoding (RFC 6455 §5.2) and the limit. */
export function messageSizes(maxMessage: number): number[] {
	return [...new Set([1, 125, 126, 1000, Math.floor(maxMessage / 2), maxMessage].filter((size) => size <= maxMessage))];
}

function messages(maxMessage: number, seed: number): Array<string | Buffer> {
	return messageSizes(maxMessage).map((size, index) =>
		index % 2 ? Buffer.alloc(size, (seed + index) & 0xff) : "abcdefghijklmnopqrstuvwxyz0123456789".repeat(Math.ceil(size / 36)).slice(0, size),
	);
}

/** The AT link commands of the scenario: open (ws:// to the echo server), send, get the echo. */
async function atOpen(at: AtSession, link: number, url: string) {
	await at.send(`AT+WSOPEN=${link},"${url}"\r\n`);
	await at.expect(`+WS_CONNECTED:${link}\r\n`);
	await at.expect("\r\nOK\r\n");
}

async function atEcho(at: AtSession, link: number, size: number) {
	const payload = Buffer.alloc(size, 0x41 + link);
	await at.send(`AT+WSSEND=${link},${size}\r\n`);
	await at.prompt();
	await at.send(payload.toString("latin1"));
	await at.expect("\r\nSEND OK\r\n");
	// The echo comes back in buffer_size (1024) pieces: +WS_DATA:<link>,<length>,<data>\r\n.
	let received = 0;
	while (received < size) {
		const header = await at.read(new RegExp(`\\+WS_DATA:${link},(\\d+),`));
		const length = Number(header[1]);
		const bytes = await at.readBytes(length);
		if (bytes !== payload.toString("latin1").slice(received, received + length)) throw new Error(`AT link ${link}: a wrong echo`);
		received += length;
		await at.expect("\r\n");
	}
}

export interface ScenarioOptions {
	/** Called between steps (the bench prints progress). */
	progress?(step: string): void;
}

/**
 * The fixed scenario: idle; every WebSocket client the profile allows, connected and idle; every
 * AT link open to a ws:// echo server; then all at once: each client echoing messages up to the
 * configured maximum, each AT link sending and receiving, and the HTTP API and the console page
 * asked for; then everything closed, and idle again. Throws if an echo is wrong or missing.
 */
export async function runScenario(target: ProfileTarget, options: ScenarioOptions = {}): Promise<ScenarioFigures> {
	const { limits, at } = target;
	const step = (name: string) => options.progress?.(name);
	const base = `127.0.0.1:${wsPort}`;
	const live = (answer: ProbeAnswer) => ({ slots: slots(answer.slots - target.probeCost), chunks: answer.chunks });
	let server: EchoServer | undefined;
	const clients: WebSocket[] = [];
	try {
		step("idle");
		const idle = live(await target.probe());

		// The TLS server's clients count among the server's (wsMaxClients): the rest are plain.
		const plainClients = limits.maxClients - limits.tlsClients;
		step(`${plainClients} WebSocket clients`);
		for (let i = 0; i < plainClients; i++) clients.push(await openClient(`ws://${base}/ws`));
		const withClients = live(await target.probe());

		step(`${limits.links} AT links`);
		server = await startEchoServer();
		for (let link = 0; link < limits.links; link++) await atOpen(at, link, `ws://127.0.0.1:${server.port}/`);
		const withLinks = live(await target.probe());

		step(`${limits.tlsClients} wss:// clients`);
		for (let i = 0; i < limits.tlsClients; i++) clients.push(await openClient(`wss://localhost:${limits.tlsPort}/ws`));
		const withTls = live(await target.probe());

		step("load");
		await target.probe(); // the peak counts from here
		const echoTimeout = 30_000;
		const load = [
			...clients.map((ws, index) => echoAll(ws, messages(limits.maxMessage, index), echoTimeout)),
			(async () => {
				for (let link = 0; link < limits.links; link++) for (const size of [16, 1024, 2048]) await atEcho(at, link, size);
			})(),
			(async () => {
				const status = await http("GET", `http://${base}/api/status`);
				if (status.status !== 200) throw new Error(`GET /api/status answered ${status.status}`);
				const page = await http("GET", `http://${base}/`);
				if (page.status !== 200 || !page.body.includes("<html")) throw new Error(`GET / answered ${page.status}`);
				const body = Buffer.alloc(limits.maxBody, 0x62);
				const echo = await http("POST", `http://${base}/api/echo`, body, "text/plain");
				if (echo.status !== 200 || JSON.parse(echo.body.toString()).length !== limits.maxBody) throw new Error(`POST /api/echo answered ${echo.status}`);
			})(),
		];
		const results = await Promise.allSettled(load);
		const failed = results.find((result) => result.status === "rejected");
		if (failed) throw (failed as PromiseRejectedResult).reason;
		const afterLoad = await target.probe();

		step("closing");
		await Promise.all(clients.splice(0).map(closeClient));
		for (let link = 0; link < limits.links; link++) {
			await at.send(`AT+WSCLOSE=${link}\r\n`);
			await at.expect("\r\nOK\r\n");
		}
		await server.close();
		server = undefined;
		// The server notices the closed connections on its next poll.
		await new Promise((resolve) => setTimeout(resolve, 500));
		const idleAfter = live(await target.probe());

		const samples = target.mcsim.instruments.filter((line) => line.startsWith("instruments: ")).map((line) => line.slice("instruments: ".length).split(",").map(Number));
		const instruments = samples.at(-1) ?? [];
		return {
			idle,
			perClient: {
				slots: Math.round((withClients.slots - idle.slots) / Math.max(1, plainClients)),
				chunks: Math.round((withClients.chunks - idle.chunks) / Math.max(1, plainClients)),
			},
			perLink: {
				slots: Math.round((withLinks.slots - withClients.slots) / Math.max(1, limits.links)),
				chunks: Math.round((withLinks.chunks - withClients.chunks) / Math.max(1, limits.links)),
			},
			perTlsSession: {
				slots: Math.round((withTls.slots - withLinks.slots) / Math.max(1, limits.tlsClients)),
				chunks: Math.round((withTls.chunks - withLinks.chunks) / Math.max(1, limits.tlsClients)),
			},
			peak: { slots: slots(afterLoad.peakSlots - target.probeCost), chunks: afterLoad.peakChunks },
			idleAfter,
			// instruments key: ..., Chunk used, Chunk available, Slot used, Slot available, ...
			reserved: { slots: slots(instruments[12] ?? 0), chunks: instruments[10] ?? 0 },
			// ..., Stack used, Stack available, ...: mcsim samples once a second the deepest the
			// stack went in that second.
			stack: { peak: slots(Math.max(0, ...samples.map((values) => values[13] ?? 0))), size: slots(instruments[14] ?? 0) },
			collections: afterLoad.gcs,
		};
	} finally {
		for (const ws of clients) ws.terminate();
		await server?.close();
	}
}

/** Runs the scenario in a fixed slot heap: whether it passes (every echo right, no abort). */
export async function passesInHeap(profile: Profile, heap: number, options: { chunk?: number; echo?: boolean } = {}): Promise<{ passed: boolean; reason?: string }> {
	let target: ProfileTarget;
	try {
		target = await startProfile(profile, { heap, chunk: options.chunk, echo: options.echo });
	} catch (error) {
		return { passed: false, reason: `did not start: ${firstLine(error)}` };
	}
	let reason: string | undefined;
	try {
		await runScenario(target);
	} catch (error) {
		reason = firstLine(error);
	}
	reason = target.aborted() ?? reason;
	await target.stop().catch((error) => (reason ??= firstLine(error)));
	return { passed: reason === undefined, reason };
}

function firstLine(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	const abort = message.split("\n").find((line) => /XS abort|allocation: failed/.test(line));
	return abort ?? message.split("\n")[0];
}

/** What a burst left: the server's memory budget as /api/status reports it afterwards. */
export interface BurstFigures {
	budget: { held: number; peak: number; limit: number; waiting: number };
	messages: number;
}

/**
 * Every client the profile allows sends `rounds` messages of the largest allowed size at once,
 * without waiting for echoes: the worst burst of data the server can be handed. Resolves once every
 * echo came back with the same bytes, in order; rejects on a wrong or missing echo.
 */
export async function runBurst(target: ProfileTarget, rounds = 3): Promise<BurstFigures> {
	const { limits } = target;
	const base = `127.0.0.1:${wsPort}`;
	const clients: WebSocket[] = [];
	try {
		for (let i = 0; i < limits.maxClients; i++) clients.push(await openClient(`ws://${base}/ws`));
		const load = clients.map(async (ws, index) => {
			const sent = Array.from({ length: rounds }, (_, round) => Buffer.alloc(limits.maxMessage, (index * rounds + round) & 0xff));
			const received: Buffer[] = [];
			const done = new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`client ${index}: ${received.length} of ${rounds} echoes within 60 s`)), 60_000);
				ws.on("message", (data: Buffer) => {
					received.push(Buffer.from(data));
					if (received.length === rounds) {
						clearTimeout(timer);
						resolve();
					}
				});
				ws.once("close", (code) => reject(new Error(`client ${index}: closed (${code}) during the burst`)));
			});
			for (const message of sent) ws.send(message, { binary: true });
			await done;
			received.forEach((echo, round) => {
				if (!echo.equals(sent[round])) throw new Error(`client ${index}: a wrong echo of message ${round}`);
			});
		});
		await Promise.all(load);
		const status = await http("GET", `http://${base}/api/status`);
		if (status.status !== 200) throw new Error(`GET /api/status answered ${status.status}`);
		const budget = JSON.parse(status.body.toString()).websocket.budget;
		return { budget, messages: limits.maxClients * rounds };
	} finally {
		await Promise.all(clients.map(closeClient));
	}
}
