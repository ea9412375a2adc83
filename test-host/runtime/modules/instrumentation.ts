// "instrumentation" on Node, after the SDK's modules/base/instrumentation: map(name) gives the
// index of a name in modInstrumentation.c's table, name(index) the reverse, get(index) the value.
// The host runtime has no XS heap: V8 keeps objects and strings in one heap of its own, and its
// figures say nothing about a chip's slots and chunks. So get() answers undefined for the XS heap
// figures and the system's free memory, as an SDK build answers for what it does not keep, and
// the firmware reports them as not available. The other counters read 0.
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

const notKept = new Set(["System Free Memory", "XS Slot Heap Used", "XS Chunk Heap Used", "XS Keys Used", "XS Stack Used"]);

function value(name: string): number | undefined {
	return notKept.has(name) ? undefined : 0;
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
