// The one write path of the I/O shells: bytes wait here until an ECMA-419 socket grants a write
// budget (onWritable(count)); writing past the budget throws "would block" and, inside a
// callback, aborts XS. The queue is bounded: a peer that stops reading cannot make the device
// run out of memory, push() refuses instead and the shell drops that peer.
import type { MemoryBudget } from "ws/budget";

/** What takes the bytes: an ECMA-419 socket (its write() answers the budget left). */
export interface Writer {
	write(bytes: Uint8Array): unknown;
}

export class WriteQueue {
	// (Those every write reads first: XS finds private fields in order.)
	#queued = 0;
	#writable = 0;
	readonly #maxWrite: number;
	readonly #limit: number;
	readonly #budgeted: boolean;
	// Made when bytes first wait (an array is two slots that most connections never need).
	#pieces: Uint8Array[] | undefined;
	#failed = false;
	// Counts the bytes waiting here, with everything else the server holds.
	readonly #budget: MemoryBudget | undefined;

	/**
	 * @param limit most bytes queued at once
	 * @param maxWrite largest single write the transport takes (serial on lin: 1024)
	 * @param budgeted the writer answers every write with the budget left, and anything else
	 *   means the write failed: the SDK's TCP sockets on lin and lwIP, whose write() returns no
	 *   result when the connection is broken (and, on lin, no callback comes after that)
	 * @param budget counts the bytes waiting here (ws/budget)
	 */
	constructor(limit: number, maxWrite = 0x7fffffff, budgeted = false, budget?: MemoryBudget) {
		this.#limit = limit;
		this.#maxWrite = maxWrite;
		this.#budgeted = budgeted;
		this.#budget = budget;
	}

	/** Bytes waiting to be written. */
	get queued(): number {
		return this.#queued;
	}

	/** What the transport can take now without queueing (the budget left). */
	get writable(): number {
		return this.#writable;
	}

	/** A budgeted writer answered a write without a budget: the connection is broken. Nothing
	 *  is written after that; what is queued or sent is dropped. */
	get failed(): boolean {
		return this.#failed;
	}

	/** Queues bytes (not copied: the caller gives them up); false when they would exceed the limit. */
	push(bytes: Uint8Array): boolean {
		if (bytes.length === 0 || this.#failed) return true;
		if (this.#queued + bytes.length > this.#limit) return false;
		(this.#pieces ??= []).push(bytes);
		this.#queued += bytes.length;
		this.#budget?.take(bytes.length);
		return true;
	}

	/**
	 * Writes bytes at once when nothing waits and the budget allows; otherwise queues them and
	 * writes what the budget takes. Bytes in `transient` (a buffer the caller is about to reuse)
	 * are copied before they wait. False when they would exceed the limit.
	 */
	send(bytes: Uint8Array, writer: Writer, transient?: ArrayBufferLike): boolean {
		const size = bytes.length;
		if (this.#queued === 0 && size <= this.#writable && size <= this.#maxWrite) {
			this.written(writer.write(bytes), size);
			return true;
		}
		if (!this.push(bytes.buffer === transient ? bytes.slice() : bytes)) return false;
		this.flush(writer);
		return true;
	}

	/** onWritable(count): the transport can take `count` bytes now. Whether bytes wait. */
	grant(count: number): boolean {
		if (!this.#failed) this.#writable = count;
		return this.#queued !== 0;
	}

	/** Writes as much as the budget allows, in order. */
	flush(writer: Writer): void {
		const pieces = this.#pieces;
		if (!pieces) return;
		while (pieces.length && this.#writable > 0) {
			const piece = pieces[0];
			const size = Math.min(piece.length, this.#writable, this.#maxWrite);
			this.#queued -= size;
			this.#budget?.give(size);
			if (size === piece.length) {
				pieces.shift();
				this.written(writer.write(piece), size);
			} else {
				pieces[0] = piece.subarray(size);
				this.written(writer.write(piece.subarray(0, size)), size);
			}
		}
	}

	// The budget after a write: what the socket answers (ECMA-419 sockets on lin and lwip give
	// the budget left), or the grant less what was written.
	private written(left: unknown, size: number) {
		if (typeof left === "number") this.#writable = left;
		else if (this.#budgeted) this.fail();
		else this.#writable -= size;
	}

	private fail() {
		this.#failed = true;
		this.#writable = 0;
		this.clear();
	}

	/**
	 * Writes at most one buffer per grant: the next bytes, up to the budget and maxWrite, gathered
	 * into a fresh ArrayBuffer. For transports that take only a whole ArrayBuffer and no second
	 * write while one is still going out (serial on lin); the next onWritable grants again.
	 */
	flushOne(write: (buffer: ArrayBuffer) => void): void {
		const size = Math.min(this.#queued, this.#writable, this.#maxWrite);
		if (size <= 0) return;
		const out = new Uint8Array(size);
		const pieces = this.#pieces!;
		let filled = 0;
		while (filled < size) {
			const piece = pieces[0];
			const take = Math.min(piece.length, size - filled);
			out.set(take === piece.length ? piece : piece.subarray(0, take), filled);
			if (take === piece.length) pieces.shift();
			else pieces[0] = piece.subarray(take);
			filled += take;
		}
		this.#queued -= size;
		this.#budget?.give(size);
		this.#writable = 0;
		write(out.buffer);
	}

	/** Forgets everything queued (the connection is gone). */
	clear(): void {
		this.#budget?.give(this.#queued);
		this.#pieces = undefined;
		this.#queued = 0;
	}
}
