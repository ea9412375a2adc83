// The XS heap as the SDK's instrumentation (modules/base/instrumentation) reports it, for
// /api/status: what is live after a garbage collection, and the most that was in use since start.
// Builds with instrumentation (-d, -i) have it; a release build does not, and then the report says
// so instead of giving numbers. The figures are bytes: slots × the slot size (16 bytes on the
// ESP32 and ESP8266, 32 on 64-bit lin), and chunk bytes.
import Debug from "debug";
import Instrumentation from "instrumentation";
import Timer from "timer";

export interface HeapFigures {
	/** After Debug.gc(): what the app holds. */
	live: number;
	/** The most seen in use since start, garbage included (sampled, so at least this much). */
	peak: number;
}

export type HeapReport =
	| { instrumented: true; slotHeap: HeapFigures; chunkHeap: HeapFigures; collections: number | null; systemFree: number | null }
	| { instrumented: false; note: string; systemFree: number | null };

/** How often the peaks are sampled between reports, in ms. */
const samplePeriod = 250;

function read(index: number | undefined): number | undefined {
	if (index === undefined) return undefined;
	const value = Instrumentation.get(index);
	return typeof value === "number" ? value : undefined;
}

/**
 * Starts sampling (where the build keeps the figures) and returns the report function. Called
 * at run time: the instrumentation's functions are native, not there while modules preload.
 */
export function heapMonitor(): () => HeapReport {
	const slotIndex = Instrumentation.map("XS Slot Heap Used");
	const chunkIndex = Instrumentation.map("XS Chunk Heap Used");
	const collectionIndex = Instrumentation.map("XS Garbage Collection Count");
	const freeIndex = Instrumentation.map("System Free Memory");
	// 0 where the platform does not keep it (lin): the chips report the system heap's free bytes.
	const systemFree = () => read(freeIndex) || null;
	if (read(slotIndex) === undefined || read(chunkIndex) === undefined)
		return () => ({ instrumented: false, note: "this build keeps no XS heap figures (they need the SDK's instrumentation: mcconfig -d or -i)", systemFree: systemFree() });
	let peakSlots = 0;
	let peakChunks = 0;
	const sample = () => {
		const slots = read(slotIndex)!;
		const chunks = read(chunkIndex)!;
		if (slots > peakSlots) peakSlots = slots;
		if (chunks > peakChunks) peakChunks = chunks;
	};
	sample();
	Timer.repeat(sample, samplePeriod);
	return () => {
		sample();
		Debug.gc();
		return {
			instrumented: true,
			slotHeap: { live: read(slotIndex)!, peak: peakSlots },
			chunkHeap: { live: read(chunkIndex)!, peak: peakChunks },
			collections: read(collectionIndex) ?? null,
			systemFree: systemFree(),
		};
	};
}
