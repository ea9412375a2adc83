// The TLS server on the real XS engine (lin, under mcsim): what a handshake costs the server,
// what an established session holds of the XS heap, and the CPU per echoed message over wss://
// beside ws:// on the same build; then, on a build that requires client certificates
// (wssClientCA), what a mutual-TLS handshake costs.
//
//   npm run bench:tls [-- --handshakes 20 --messages 2000 --size 32]
//
// Needs the Moddable SDK (MODDABLE). Heap figures are /api/status's live bytes right after a
// collection, with 0, 1 and 2 sessions open and idle; lin's instrumentation counts 32 bytes a
// slot (64-bit), turned into slots here as a chip counts them (16 bytes each on the ESP32).
// Chunk bytes on lin are a 64-bit build's: an upper bound for the chip's.
import http from "node:http";
import tls from "node:tls";
import WebSocket from "ws";
import { startLinTarget } from "../harness/lin.ts";
import { SdkMissingError } from "../toolchain/sdk.ts";
import { cert, read } from "../clients/peers.ts";
import { cpuMilliseconds } from "./cpu.ts";

const linSlotBytes = 32;
const chipSlotBytes = 16;

function option(name: string, fallback: number): number {
	const index = process.argv.indexOf(`--${name}`);
	return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const handshakes = option("handshakes", 20);
const messages = option("messages", 2000);
const size = option("size", 32);
const ca = read("ca.pem");
const clientIdentity = { cert: read("client.pem"), key: read("client-key.pem") };

function getJson(port: number, path: string): Promise<any> {
	return new Promise((resolve, reject) => {
		http
			.get({ host: "127.0.0.1", port, path }, (response) => {
				let body = "";
				response.setEncoding("utf8").on("data", (chunk) => (body += chunk));
				response.on("end", () => resolve(JSON.parse(body)));
			})
			.on("error", reject);
	});
}

/** One TLS handshake, closed at once; resolves with its wall time in ms. */
function handshake(port: number, identity?: typeof clientIdentity): Promise<number> {
	return new Promise((resolve, reject) => {
		const started = process.hrtime.bigint();
		const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost", maxVersion: "TLSv1.2", ...identity }, () => {
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			socket.end();
			resolve(ms);
		});
		socket.on("error", reject);
	});
}

function open(url: string): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { ca, perMessageDeflate: false });
		ws.once("open", () => resolve(ws)).once("error", reject);
	});
}

/** mcsim's own CPU while the app idles (its timers, its window), in ms per ms of wall time. */
async function idleRate(pid: number): Promise<number> {
	const before = cpuMilliseconds(pid)!;
	const started = performance.now();
	await new Promise((resolve) => setTimeout(resolve, 3000));
	return (cpuMilliseconds(pid)! - before) / (performance.now() - started);
}

/** Sends `count` messages one after another's echo; resolves with the server's CPU ms per
 *  message, less what mcsim spends idle over the same wall time. */
async function echoCpu(ws: WebSocket, pid: number, count: number, idle: number): Promise<number> {
	const payload = Buffer.alloc(size, 0x61);
	const started = performance.now();
	const before = cpuMilliseconds(pid)!;
	await new Promise<void>((resolve, reject) => {
		let left = count;
		ws.on("message", () => {
			if (--left === 0) resolve();
			else ws.send(payload);
		});
		ws.once("error", reject);
		ws.send(payload);
	});
	return (cpuMilliseconds(pid)! - before - idle * (performance.now() - started)) / count;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** `handshakes` handshakes one after another: their median wall time and the server's CPU each. */
async function handshakeCost(port: number, pid: number, identity?: typeof clientIdentity) {
	await handshake(port, identity); // the first one warms nothing up on XS, but the peer's side
	const times: number[] = [];
	const cpuBefore = cpuMilliseconds(pid)!;
	for (let i = 0; i < handshakes; i++) times.push(await handshake(port, identity));
	const cpu = (cpuMilliseconds(pid)! - cpuBefore) / handshakes;
	return `${median(times).toFixed(1)} ms median wall time over ${handshakes} (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), server CPU ${cpu.toFixed(1)} ms each`;
}

/** The same on a build whose clients must present a certificate. */
async function mutualHandshakeCost(): Promise<string> {
	const target = await startLinTarget({ config: { wssClientCA: "ca.der" } });
	try {
		return await handshakeCost(target.tlsPort!, target.pid!, clientIdentity);
	} finally {
		await target.stop();
	}
}

async function main() {
	let target;
	try {
		target = await startLinTarget({});
	} catch (error) {
		if (error instanceof SdkMissingError) {
			console.log(`bench:tls skipped: ${error.message}`);
			return;
		}
		throw error;
	}
	const { port, tlsPort, pid } = target;
	try {
		if (!tlsPort) throw new Error("the build serves no TLS (wssPort)");
		const handshakeFigures = await handshakeCost(tlsPort, pid!);

		const heap = async () => (await getJson(port, "/api/status")).memory;
		const before = await heap();
		const first = await open(`wss://localhost:${tlsPort}/ws`);
		const one = await heap();
		const second = await open(`wss://localhost:${tlsPort}/ws`);
		const two = await heap();
		const slots = (bytes: number) => Math.round(bytes / linSlotBytes);
		const perSession = {
			slots: slots(two.slotHeap.live - before.slotHeap.live) / 2,
			chunks: (two.chunkHeap.live - before.chunkHeap.live) / 2,
		};
		const idle = await idleRate(pid!);
		const tlsCpu = await echoCpu(first, pid!, messages, idle);
		second.close();
		first.close();
		const plain = await open(`ws://127.0.0.1:${port}/ws`);
		const plainCpu = await echoCpu(plain, pid!, messages, idle);
		plain.close();

		console.log(`TLS server on lin (the SDK's TLS session under mcsim), certificate ${cert("server-rsa.der").split("/").pop()} (RSA 2048)`);
		console.log(`handshake: ${handshakeFigures}`);
		console.log(`heap: idle ${slots(before.slotHeap.live)} slots + ${before.chunkHeap.live} chunk bytes; with 1 session +${slots(one.slotHeap.live - before.slotHeap.live)} slots +${one.chunkHeap.live - before.chunkHeap.live} chunk bytes; with 2 +${slots(two.slotHeap.live - before.slotHeap.live)} slots +${two.chunkHeap.live - before.chunkHeap.live} chunk bytes`);
		const chipBytes = perSession.slots * chipSlotBytes + perSession.chunks;
		console.log(`per established session: ${perSession.slots} slots + ${perSession.chunks} chunk bytes = ${(chipBytes / 1024).toFixed(1)} KB on a 32-bit chip (chunks counted at lin's 64-bit size); target 12 KB`);
		console.log(`echo CPU per ${size}-byte message: wss:// ${(tlsCpu * 1000).toFixed(0)} µs, ws:// ${(plainCpu * 1000).toFixed(0)} µs (${(tlsCpu / plainCpu).toFixed(2)}x), ${messages} messages each, mcsim's idle CPU (${(idle * 1000).toFixed(0)} µs/s) taken off`);
	} finally {
		await target.stop();
	}
	console.log(`mutual TLS handshake (wssClientCA, client.pem): ${await mutualHandshakeCost()}`);
}

await main();
