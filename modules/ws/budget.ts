// One count of the bytes the app holds for data (WebSocket messages being assembled, bytes waiting
// to be written, HTTP bodies and their answers, the AT links' data on its way to the UART), shared
// by everything that holds such bytes, against one limit. On a chip the XS heap is fixed and
// `memory full` reboots the board: each part checks the room left before it reads, and stops
// reading (TCP or the UART prompt then holds the peer back) instead of letting bursts from every
// side at once exhaust the heap. Those that stopped ask to be called back once bytes come back.
import Timer from "timer";

/** What waits for room: called once, after bytes next come back. */
export interface MemoryWaiter {
	roomAgain(): void;
}

export class MemoryBudget {
	/** Bytes held now. */
	held = 0;
	/** The most held at once since start (for /api/status and the benchmarks). */
	peak = 0;
	readonly limit: number;
	// Who waits for room, each once, called in order once bytes come back: from a timer of the
	// budget's own, since a give() happens deep inside somebody else's call (a write, a close).
	// (TypeScript-private: a #private field costs every instance a slot more on XS.)
	private waiters: MemoryWaiter[] | undefined = undefined;
	private wakeTimer: Timer | undefined = undefined;

	constructor(limit: number) {
		if (!(limit > 0)) throw new RangeError("a memory budget must be above 0 bytes");
		this.limit = limit;
	}

	/** Whether a reader may take `count` more bytes now: they fit, or nothing is held (one always
	 *  goes, even one larger than the limit, so that nothing waits for ever). */
	admits(count: number): boolean {
		return this.held === 0 || this.held + count <= this.limit;
	}

	take(count: number): void {
		const held = (this.held += count);
		if (held > this.peak) this.peak = held;
	}

	give(count: number): void {
		this.held -= count;
		if (this.waiters) this.scheduleWake();
	}

	/** Calls `waiter.roomAgain()` once, after bytes next come back (a waiter registered twice is
	 *  called once). */
	whenRoom(waiter: MemoryWaiter): void {
		const waiters = (this.waiters ??= []);
		if (!waiters.includes(waiter)) waiters.push(waiter);
	}

	private scheduleWake() {
		// At once, then (never, in practice) every 2^30 ms: a repeating timer is kept after it
		// fires, so it is scheduled again rather than made again.
		if (this.wakeTimer) Timer.schedule(this.wakeTimer, 0, 0x40000000);
		else this.wakeTimer = Timer.set(() => this.wake(), 0, 0x40000000);
	}

	private wake() {
		Timer.schedule(this.wakeTimer!);
		const waiters = this.waiters;
		// Each may take bytes and wait again: the list is taken whole first.
		this.waiters = undefined;
		if (waiters) for (const waiter of waiters) waiter.roomAgain();
	}
}
