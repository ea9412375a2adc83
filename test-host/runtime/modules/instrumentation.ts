// "instrumentation" on Node, after the SDK's modules/base/instrumentation: map(name) gives the
// index of a name in modInstrumentation.c's table, name(index) the reverse, get(index) the value.
// The XS heap figures are approximations from the host's V8 heap (process.memoryUsage()): useful
// to see growth (a leak), not to predict a chip's memory. The other counters read 0.
import type { HostModuleFactory } from "../host-module.ts";

const names = [
	"",
	"Pixels Drawn",
	"Frames Drawn",
	"Network Bytes Read",
	"Network Bytes Written",
	"Network Sockets",
	"Timers",
	"Files",
	"Poco Display List Used",
	"Piu Command List Used",
	"System Free Memory",
	"XS Slot Heap Used",
	"XS Chunk Heap Used",
	"XS Keys Used",
	"XS Garbage Collection Count",
	"XS Modules Loaded",
	"XS Stack Used",
	"XS Promises Settled",
];

function value(name: string): number {
	const memory = process.memoryUsage();
	switch (name) {
		// V8 keeps objects and strings in one heap; XS splits slots (objects) from chunks (strings,
		// buffers). Heap used stands for slots, array buffers (external memory) for chunks.
		case "XS Slot Heap Used":
			return memory.heapUsed;
		case "XS Chunk Heap Used":
			return memory.arrayBuffers;
		case "System Free Memory":
			return Math.max(0, memory.heapTotal - memory.heapUsed);
		default:
			return 0;
	}
}

const factory: HostModuleFactory = () => ({
	default: class Instrumentation {
		static get(what: unknown): number | undefined {
			const index = Math.trunc(Number(what));
			if (!(index >= 0 && index < names.length)) return undefined;
			return value(names[index]);
		}
		static map(name: unknown): number | undefined {
			const index = names.indexOf(String(name));
			return index >= 0 ? index : undefined;
		}
		static name(what: unknown): string | undefined {
			const index = Math.trunc(Number(what));
			return index >= 0 && index < names.length ? names[index] : undefined;
		}
	},
});
export default factory;
