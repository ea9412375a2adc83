// One count of the bytes the app holds for data (WebSocket messages being assembled, bytes waiting
// to be written, HTTP bodies and their answers, the AT links' data on its way to the UART), shared
// by everything that holds such bytes, against one limit. On a chip the XS heap is fixed and
// `memory full` reboots the board: each part checks the room left before it reads, and stops
// reading (TCP or the UART prompt then holds the peer back) instead of letting bursts from every
// side at once exhaust the heap. Those that stopped ask to be called back once bytes come back.
import Timer from "timer";

export class MemoryBudget {
	/** Bytes held now. */
	held = 0;
	/** The most held at once since start (for /api/status and the benchmarks). */
	peak = 0;
	readonly limit: number;
	// Who waits for room, each once, called in order once bytes come back: from a timer of the
	// budget's own, since a give() happens deep inside somebody else's call (a write, a close).
	#waiting: Array<() => void> | undefined;
	#wake: Timer | undefined;
	#wakePending = false;

	constructor(limit: number) {
		if (!(limit > 0)) throw new RangeError("a memory budget must be above 0 bytes");
		this.limit = limit;
	}

	/** Whether `count` more bytes fit now. */
	fits(count: number): boolean {
		return this.held + count <= this.limit;
	}

	take(count: number): void {
		const held = (this.held += count);
		if (held > this.peak) this.peak = held;
	}

	give(count: number): void {
		this.held -= count;
		if (this.#waiting?.length && !this.#wakePending) this.scheduleWake();
	}

	/** Calls `resume` once, after bytes next come back (a function registered twice is called once). */
	whenRoom(resume: () => void): void {
		const waiting = (this.#waiting ??= []);
		if (!waiting.includes(resume)) waiting.push(resume);
	}

	/** How many wait for room. */
	get waiting(): number {
		return this.#waiting?.length ?? 0;
	}

	private scheduleWake() {
		this.#wakePending = true;
		// At once, then (never, in practice) every 2^30 ms: a repeating timer is kept after it
		// fires, so it is scheduled again rather than made again.
		if (this.#wake) Timer.schedule(this.#wake, 0, 0x40000000);
		else this.#wake = Timer.set(() => this.wake(), 0, 0x40000000);
	}

	private wake() {
		this.#wakePending = false;
		Timer.schedule(this.#wake!);
		const waiting = this.#waiting!;
		// Each may take bytes and wait again: the list is taken whole first.
		this.#waiting = undefined;
		for (const resume of waiting) resume();
	}
}
