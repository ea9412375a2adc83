// Echo benchmark: messages per second, round-trip latency percentiles and the firmware's CPU time
// per message, for a few message sizes and client counts, against any target (TARGET=sim|lin|
// device). Prints figures; asserts nothing.
//   npm run bench:echo                       sim, the default matrix
//   TARGET=lin npm run bench:echo            the mcconfig build under mcsim
//   npm run bench:echo -- --seconds 5 --sizes 16,1024 --clients 1,10
import os from "node:os";
import WebSocket from "ws";
import { startTarget, type Target } from "../harness/target.ts";
import { cpuMilliseconds } from "./cpu.ts";

interface Options {
	seconds: number;
	sizes: number[];
	clients: number[];
}

function parseOptions(argv: string[]): Options {
	const options: Options = { seconds: 3, sizes: [16, 1024, 16384], clients: [1, 10] };
	for (let i = 0; i < argv.length; i++) {
		const value = argv[++i];
		if (argv[i - 1] === "--seconds") options.seconds = Number(value);
		else if (argv[i - 1] === "--sizes") options.sizes = value.split(",").map(Number);
		else if (argv[i - 1] === "--clients") options.clients = value.split(",").map(Number);
		else throw new Error(`unknown option ${argv[i - 1]}`);
	}
	return options;
}

function percentile(sorted: number[], p: number): number {
	if (!sorted.length) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One client sending its next message when the previous echo is back (closed loop). */
function runClient(url: string, size: number, until: number, latencies: number[]): Promise<number> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		const payload = Buffer.alloc(size, 0x5a);
		let sentAt = 0;
		let count = 0;
		const send = () => {
			sentAt = performance.now();
			ws.send(payload, { binary: true });
		};
		ws.on("open", send);
		ws.on("message", (data: Buffer) => {
			if (data.length !== size) return reject(new Error(`echo of ${data.length} bytes for ${size}`));
			latencies.push(performance.now() - sentAt);
			count++;
			if (performance.now() < until) send();
			else ws.close(1000);
		});
		ws.on("close", () => resolve(count));
		ws.on("error", reject);
	});
}

async function measure(target: Target, size: number, clients: number, seconds: number) {
	const url = `ws://${target.host}:${target.port}/ws`;
	const latencies: number[] = [];
	const cpuBefore = cpuMilliseconds(target.pid);
	const start = performance.now();
	const counts = await Promise.all(Array.from({ length: clients }, () => runClient(url, size, start + seconds * 1000, latencies)));
	const elapsed = (performance.now() - start) / 1000;
	const cpuAfter = cpuMilliseconds(target.pid);
	const messages = counts.reduce((a, b) => a + b, 0);
	latencies.sort((a, b) => a - b);
	const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1000) / messages : undefined;
	return {
		size,
		clients,
		messages,
		perSecond: messages / elapsed,
		p50: percentile(latencies, 50),
		p90: percentile(latencies, 90),
		p99: percentile(latencies, 99),
		cpuMicrosecondsPerMessage: cpu,
	};
}

const options = parseOptions(process.argv.slice(2));
const target = await startTarget({ config: { wsMaxClients: Math.max(...options.clients) + 1, wsPingInterval: 0 } });
const kind = target.kind;
console.log(`echo benchmark: target ${kind}, ${os.cpus()[0]?.model ?? "?"}, ${options.seconds} s per row`);
console.log("size(B)  clients  messages  msg/s     p50(ms)  p90(ms)  p99(ms)  cpu(us/msg)");
try {
	for (const size of options.sizes)
		for (const clients of options.clients) {
			const row = await measure(target, size, clients, options.seconds);
			console.log(
				[
					String(row.size).padEnd(8),
					String(row.clients).padEnd(8),
					String(row.messages).padEnd(9),
					row.perSecond.toFixed(0).padEnd(9),
					row.p50.toFixed(2).padEnd(8),
					row.p90.toFixed(2).padEnd(8),
					row.p99.toFixed(2).padEnd(8),
					row.cpuMicrosecondsPerMessage === undefined ? "n/a" : row.cpuMicrosecondsPerMessage.toFixed(0),
				].join(" "),
			);
		}
} finally {
	await target.stop();
}
