// What the Socket.IO client costs on the real XS engine (Moddable's lin simulator; needs MODDABLE):
// slots and chunk bytes live after a collection, the Socket.IO layer alone (its session with two
// namespaces, less a bare WebSocket to the same server), after an echo load of acked binary
// events, and the deepest the XS stack went. Figures, not a test: it prints and asserts nothing.
//
//   npm run bench:socketio [-- --count 200 --size 1024]
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { startMcsim } from "../harness/lin.ts";
import { freePort } from "../harness/sim.ts";
import { buildLin } from "../toolchain/build.ts";
import { startSocketIOServer } from "../tests/socketio/servers.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "200" }, size: { type: "string", default: "1024" } } });
const count = Number(values.count);
const size = Number(values.size);
const here = path.dirname(fileURLToPath(import.meta.url));

const port = await freePort();
const server = await startSocketIOServer("node", { port });
const build = await buildLin({ manifest: path.join(here, "../tests/socketio/fixtures/memory/manifest.json"), config: { url: `http://127.0.0.1:${port}` } });
const target = await startMcsim(build.mcSo, { ready: /^memory: base/ });
try {
	await target.waitForLog(/^memory: socketio /, 30_000);
	const payload = Buffer.alloc(size, 0x5a).toString("hex");
	const started = Date.now();
	for (let i = 0; i < count; i++) {
		const answer = await server.command({ op: "emit", event: "echo", args: [i, { $hex: payload }], ack: true });
		if (answer.type !== "ack") throw new Error(JSON.stringify(answer));
	}
	const elapsed = Date.now() - started;
	await server.command({ op: "emit", event: "measure", args: [] });
	await target.waitForLog(/^memory: after-load /, 30_000);

	const figures = new Map<string, { slots: number; chunks: number }>();
	for (const line of target.log) {
		const match = /^memory: (\S+) slots=(\d+) chunks=(\d+)/.exec(line);
		if (match) figures.set(match[1], { slots: Number(match[2]), chunks: Number(match[3]) });
	}
	// lin is 64-bit: a slot is 32 bytes there and 16 on the chips.
	const slots = (bytes: number) => Math.round(bytes / 32);
	const key = target.instruments[0]?.replace(/^instruments key: /, "").split(",") ?? [];
	const stackColumn = key.indexOf("Stack used");
	const stackPeak = Math.max(0, ...target.instruments.slice(1).map((line) => Number(line.replace(/^instruments: /, "").split(",")[stackColumn]) || 0));
	const row = (name: string, live: { slots: number; chunks: number }) =>
		console.log(`${name.padEnd(46)} ${String(slots(live.slots)).padStart(6)} slots (${((slots(live.slots) * 16) / 1024).toFixed(1).padStart(5)} KB on a chip) ${String(live.chunks).padStart(7)} chunk bytes`);
	const get = (name: string) => figures.get(name)!;
	const diff = (a: string, b: string) => ({ slots: get(a).slots - get(b).slots, chunks: get(a).chunks - get(b).chunks });
	console.log(`Socket.IO client on lin (mcsim, debug build), npm socket.io 4 server, ${count} acked echoes of ${size} binary bytes in ${elapsed} ms\n`);
	row("idle, nothing connected", get("base"));
	row("+ a bare WebSocket to /socket.io/", diff("websocket", "base"));
	row("+ Socket.IO session, / and /admin connected", diff("socketio", "before-socketio"));
	const layer = { slots: diff("socketio", "before-socketio").slots - diff("websocket", "base").slots, chunks: diff("socketio", "before-socketio").chunks - diff("websocket", "base").chunks };
	row("  of which the Socket.IO layer", layer);
	row("after the echo load (live, after a collection)", diff("after-load", "before-socketio"));
	const perSecond = target.instruments.slice(1).map((line) => slots(Number(line.replace(/^instruments: /, "").split(",")[stackColumn]) || 0));
	console.log(`XS stack used, each second: ${perSecond.join(" ")} slots`);
	console.log(`deepest XS stack during the run: ${slots(stackPeak)} of ${slots(Number(target.instruments[1]?.split(",")[stackColumn + 1] ?? 0))} slots`);
} finally {
	await target.stop().catch((error) => console.error(String(error)));
	await server.stop();
}
