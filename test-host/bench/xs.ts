// CPU per echoed message on the real XS engine, this firmware beside Moddable's own
// websocket.js, in one run (needs MODDABLE and an X display or Xvfb). Both are built with
// `mcconfig -d -m -p lin` and run under mcsim at the same time; each load runs against one of
// them while the other idles. What is printed is each process's CPU time (utime + stime) per
// echoed message, minus that process's own idle polling CPU over the same time.
//
// Moddable's server is examples/network/websocket/websocketserver, copied into build/ (never into
// the repository) with its main.js reduced to the echo: `this.write(value)` in Server.receive, no
// trace. It breaks above 1,016-byte messages, so the 16 KB rows are ours alone.
//
// A third server, the floor (test-host/bench/floor), is about the least JavaScript a WebSocket
// echo on ECMA-419 TCP can run: one whole frame per read, unmasked in place, echoed in one write,
// no checks. Its column is what the engine and the socket cost before any protocol work, so
// "floor / websocket.js" bounds from below what any strict server on the same API can reach.
//   npm run bench:xs
//   npm run bench:xs -- --messages 500 --clients 1,8 --manifest profiles/esp32/manifest.json
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { startMcsim, type LinTarget } from "../harness/lin.ts";
import { buildLin } from "../toolchain/build.ts";
import { buildRoot, findSdk, projectRoot, runCommand, tail } from "../toolchain/sdk.ts";
import { cpuMilliseconds } from "./cpu.ts";

interface Workload {
	name: string;
	size: number;
	binary: boolean;
	/** Moddable's websocket.js cannot take it. */
	oursOnly?: boolean;
}

const workloads: Workload[] = [
	{ name: "32 B binary", size: 32, binary: true },
	{ name: "1,000 B binary", size: 1000, binary: true },
	{ name: "1,000 B text", size: 1000, binary: false },
	{ name: "16 KB binary", size: 16384, binary: true, oursOnly: true },
];

interface Options {
	messages: number;
	clients: number[];
	manifest?: string;
	idleSeconds: number;
}

function parseOptions(argv: string[]): Options {
	const options: Options = { messages: 1000, clients: [1, 8], idleSeconds: 2 };
	for (let i = 0; i < argv.length; i++) {
		const name = argv[i];
		const value = argv[++i];
		if (value === undefined) throw new Error(`${name} needs a value`);
		if (name === "--messages") options.messages = Number(value);
		else if (name === "--clients") options.clients = value.split(",").map(Number);
		else if (name === "--manifest") options.manifest = path.resolve(value);
		else if (name === "--idle-seconds") options.idleSeconds = Number(value);
		else throw new Error(`unknown option ${name}`);
	}
	return options;
}

const oursPort = 8091;
const theirsPort = 8090;
const floorPort = 8092;

/** `mcconfig -d -m -p lin` of a manifest into `output`; the path of the app's mc.so. */
async function buildApp(manifest: string, output: string, name: string, args: string[] = []): Promise<string> {
	const sdk = findSdk();
	fs.mkdirSync(output, { recursive: true });
	const result = await runCommand("mcconfig", ["-d", "-m", "-t", "build", "-o", output, "-p", "lin", manifest, ...args], { cwd: path.dirname(manifest), env: sdk.env });
	const mcSo = path.join(output, "bin", "lin", "mc", "debug", name, "mc.so");
	if (result.code !== 0 || !fs.existsSync(mcSo)) throw new Error(`building ${manifest} for lin failed:\n${tail(result.output)}`);
	return mcSo;
}

/** Moddable's websocketserver example, reduced to the echo, built for lin into build/reference. */
async function buildReference(): Promise<string> {
	const sdk = findSdk();
	const example = path.join(sdk.root, "examples", "network", "websocket", "websocketserver");
	const folder = path.join(buildRoot, "reference", "websocketserver");
	fs.rmSync(folder, { recursive: true, force: true });
	fs.mkdirSync(folder, { recursive: true });
	fs.copyFileSync(path.join(example, "manifest.json"), path.join(folder, "manifest.json"));
	fs.writeFileSync(
		path.join(folder, "main.js"),
		[
			'import {Server} from "websocket"',
			`const server = new Server({port: ${theirsPort}});`,
			"server.callback = function (message, value) {",
			"\tif (Server.receive === message) this.write(value);",
			"};",
			"",
		].join("\n"),
	);
	return buildApp(path.join(folder, "manifest.json"), path.join(buildRoot, "reference", "out"), "websocketserver");
}

/** The floor echo (see the top of this file), built for lin into build/reference. */
function buildFloor(): Promise<string> {
	const manifest = path.join(projectRoot, "test-host", "bench", "floor", "manifest.json");
	return buildApp(manifest, path.join(buildRoot, "reference", "floor-out"), "floor", [`port=${floorPort}`]);
}

function openClient(url: string): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		ws.once("open", () => resolve(ws));
		ws.once("error", reject);
	});
}

/** Sends the next message once the previous echo is back, `messages` times. */
function roundTrips(ws: WebSocket, workload: Workload, messages: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const payload = workload.binary ? Buffer.alloc(workload.size, 0x5a) : "x".repeat(workload.size);
		let count = 0;
		const onMessage = (data: Buffer, isBinary: boolean) => {
			if (data.length !== workload.size || isBinary !== workload.binary) {
				ws.off("message", onMessage);
				return reject(new Error(`${workload.name}: echo of ${data.length} bytes (binary ${isBinary})`));
			}
			if (++count < messages) ws.send(payload, { binary: workload.binary });
			else {
				ws.off("message", onMessage);
				resolve();
			}
		};
		ws.on("message", onMessage);
		ws.once("close", () => count < messages && reject(new Error(`${workload.name}: closed after ${count} of ${messages} echoes`)));
		ws.send(payload, { binary: workload.binary });
	});
}

interface Server {
	name: string;
	target: LinTarget;
	url: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Net CPU microseconds per echoed message: the clients connect, the server's CPU is measured
 * idle with them connected (lin polls every socket every 20 ms, so idle cost grows with them),
 * then over the round trips; the idle rate over the same time is subtracted.
 */
async function measure(server: Server, workload: Workload, clients: number, messages: number, idleSeconds: number): Promise<number> {
	const pid = server.target.pid;
	const sockets = await Promise.all(Array.from({ length: clients }, () => openClient(server.url))).catch((error: Error) => {
		throw new Error(`${server.name}: connecting ${clients} clients: ${error.message}\n${server.target.log.slice(-15).join("\n")}`);
	});
	try {
		await sleep(300);
		let before = cpuMilliseconds(pid)!;
		let start = performance.now();
		await sleep(idleSeconds * 1000);
		const idleRate = (cpuMilliseconds(pid)! - before) / (performance.now() - start);
		before = cpuMilliseconds(pid)!;
		start = performance.now();
		await Promise.all(sockets.map((ws) => roundTrips(ws, workload, messages)));
		const elapsed = performance.now() - start;
		const cpu = cpuMilliseconds(pid)! - before - idleRate * elapsed;
		return (cpu * 1000) / (clients * messages);
	} finally {
		// A closing handshake, as a browser ends; a socket that does not finish it is reset.
		await Promise.all(
			sockets.map(
				(ws) =>
					new Promise<void>((resolve) => {
						const timer = setTimeout(() => (ws.terminate(), resolve()), 2000);
						ws.once("close", () => (clearTimeout(timer), resolve()));
						ws.close(1000);
					}),
			),
		);
		await sleep(200);
	}
}

const options = parseOptions(process.argv.slice(2));
findSdk();
console.log(`building for lin: ${path.relative(projectRoot, options.manifest ?? path.join(projectRoot, "manifest.json"))} and Moddable's websocketserver ...`);
const [ours, theirs, floor] = await Promise.all([
	buildLin({ manifest: options.manifest, config: { wsPort: oursPort, wsMaxClients: Math.max(8, ...options.clients), wsPingInterval: 0, at: false } }),
	buildReference(),
	buildFloor(),
]);
const servers: Server[] = [];
try {
	const oursTarget = await startMcsim(ours.mcSo, { port: oursPort, ready: /^wsserver: listening on port/ });
	servers.push({ name: "this project", target: oursTarget, url: `ws://127.0.0.1:${oursPort}/ws` });
	const theirsTarget = await startMcsim(theirs, { port: theirsPort });
	servers.push({ name: "websocket.js", target: theirsTarget, url: `ws://127.0.0.1:${theirsPort}/` });
	const floorTarget = await startMcsim(floor, { port: floorPort, ready: /^floor: listening/ });
	servers.push({ name: "floor", target: floorTarget, url: `ws://127.0.0.1:${floorPort}/` });
	await sleep(1000);
	console.log(`${os.cpus()[0]?.model ?? "?"}; idle CPU measured per process with the clients connected, ${options.idleSeconds} s each`);
	console.log(`net server CPU per echoed message (µs), ${options.messages} round trips per client\n`);
	console.log("workload          clients  this project  websocket.js  ratio   floor  floor/websocket.js");
	for (const workload of workloads)
		for (const clients of options.clients) {
			const mine = await measure(servers[0], workload, clients, options.messages, options.idleSeconds);
			const reference = workload.oursOnly ? undefined : await measure(servers[1], workload, clients, options.messages, options.idleSeconds);
			// The floor takes one whole frame per read: a 16 KB frame arrives in several.
			const least = workload.oursOnly ? undefined : await measure(servers[2], workload, clients, options.messages, options.idleSeconds);
			console.log(
				[
					workload.name.padEnd(17),
					String(clients).padEnd(8),
					mine.toFixed(1).padStart(12),
					(reference === undefined ? "(breaks)" : reference.toFixed(1)).padStart(13),
					(reference === undefined ? "" : (mine / reference).toFixed(2) + "x").padStart(7),
					(least === undefined ? "" : least.toFixed(1)).padStart(7),
					reference === undefined || least === undefined ? "" : ((least / reference).toFixed(2) + "x").padStart(19),
				].join(" "),
			);
		}
} finally {
	for (const server of servers) await server.target.stop().catch((error: Error) => console.error(`${server.name}: ${error.message}`));
}
