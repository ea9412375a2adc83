// One count of the bytes that connections hold for data (messages being assembled, bytes waiting
// to be written), shared by every connection of a server, against one limit. On a chip the XS heap
// is fixed and `memory full` reboots the board: a shell checks the room left before it reads, and
// stops reading (TCP then holds the peer back) instead of letting a burst from every client at
// once exhaust the heap.

export class MemoryBudget {
	/** Bytes held now: reserved for messages being received, and waiting in write queues. */
	held = 0;
	/** The most held at once since start (for /api/status and the benchmarks). */
	peak = 0;
	readonly limit: number;

	constructor(limit: number) {
		if (!(limit > 0)) throw new RangeError("a memory budget must be above 0 bytes");
		this.limit = limit;
	}

	take(count: number): void {
		const held = (this.held += count);
		if (held > this.peak) this.peak = held;
	}

	give(count: number): void {
		this.held -= count;
	}
}
