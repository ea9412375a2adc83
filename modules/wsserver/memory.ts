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
 * The heap figures for /api/status. Made at run time: the instrumentation's functions are native,
 * not there while modules preload. Where the build keeps the figures, it samples the peaks from
 * then on.
 */
export class HeapMonitor {
	readonly #slots: number | undefined;
	readonly #chunks: number | undefined;
	readonly #collections: number | undefined;
	readonly #free: number | undefined;
	#peakSlots = 0;
	#peakChunks = 0;

	constructor() {
		this.#free = Instrumentation.map("System Free Memory");
		const slots = Instrumentation.map("XS Slot Heap Used");
		const chunks = Instrumentation.map("XS Chunk Heap Used");
		if (read(slots) === undefined || read(chunks) === undefined) return;
		this.#slots = slots;
		this.#chunks = chunks;
		this.#collections = Instrumentation.map("XS Garbage Collection Count");
		this.sample();
		Timer.repeat(() => this.sample(), samplePeriod);
	}

	private sample() {
		const slots = read(this.#slots)!;
		const chunks = read(this.#chunks)!;
		if (slots > this.#peakSlots) this.#peakSlots = slots;
		if (chunks > this.#peakChunks) this.#peakChunks = chunks;
	}

	/** Collects garbage first (where the figures are kept): the live figures are what the app holds. */
	report(): HeapReport {
		// 0 where the platform does not keep it (lin): the chips report the system heap's free bytes.
		const systemFree = read(this.#free) || null;
		if (this.#slots === undefined)
			return { instrumented: false, note: "this build keeps no XS heap figures (they need the SDK's instrumentation: mcconfig -d or -i)", systemFree };
		this.sample();
		Debug.gc();
		return {
			instrumented: true,
			slotHeap: { live: read(this.#slots)!, peak: this.#peakSlots },
			chunkHeap: { live: read(this.#chunks)!, peak: this.#peakChunks },
			collections: read(this.#collections) ?? null,
			systemFree,
		};
	}
}
