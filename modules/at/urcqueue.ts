// The URC path of the bridge (ESP-AT spec §1.10): every URC goes out whole, in the order it was
// made. The UART is the slowest link in the chain: `+WS_DATA` is written only while the UART's
// queue has room for it, so command answers always find room behind it; until then it waits here,
// in a bounded queue. Actions queued with after() (a command's final result) keep their place
// behind the URCs printed before them.
//
// Every URC is written from a timer of its own, never from inside the socket callback that made
// it: the chain from a link's socket through the WebSocket core to the UART is deeper than the
// ESP8266's XS stack (256 slots) allows (measured on lin with the stack fixed at 256: printing
// +WS_CONNECTED from the link's handshake overflowed it).
import type { MemoryBudget } from "ws/budget";
import type { UrcOutput } from "at/websocket";
import type { Output } from "at/writer";
import Timer from "timer";

export interface UrcQueueOptions {
	/** Writes one URC's parts, together. */
	writeUrc(parts: Output[]): void;
	/** Bytes the transport takes now without exceeding its share for URCs. */
	room(): number;
	/** Most `+WS_DATA` bytes waiting here. */
	limit: number;
	/** `+WS_DATA` refused because the queue is full: those bytes are lost. */
	onLost?(bytes: number): void;
	/** The app's memory budget: `+WS_DATA` waiting here counts against it. */
	budget?: MemoryBudget;
}

type Entry = { parts: Output[]; size: number; data: boolean } | { action: () => void };

export class UrcQueue implements UrcOutput {
	readonly #options: UrcQueueOptions;
	#entries: Entry[] = [];
	#waiting = 0;
	#resumes: Array<() => void> = [];
	// Drains what waits, from the run loop (made at the first data URC, then rescheduled).
	#drainer: Timer | undefined;
	#drainPending = false;

	constructor(options: UrcQueueOptions) {
		this.#options = options;
	}

	/** `+WS_DATA` bytes waiting for the UART. */
	get waiting(): number {
		return this.#waiting;
	}

	/** One URC, written from the drain timer. Data URCs (`+WS_DATA`) count against the limit;
	 *  the others always queue. */
	print(parts: Output[], data = false): void {
		let size = 0;
		for (const part of parts) size += part.length; // strings here are ASCII
		if (data) {
			if (this.#waiting + size > this.#options.limit) {
				this.#options.onLost?.(size);
				return;
			}
			this.#waiting += size;
			this.#options.budget?.take(size);
		}
		this.#entries.push({ parts, size, data });
		this.scheduleDrain();
	}

	// The drain is running now (or nothing is left to drain): the timer waits unscheduled.
	private cancelDrain() {
		if (!this.#drainPending) return;
		this.#drainPending = false;
		Timer.schedule(this.#drainer!);
	}

	private scheduleDrain() {
		if (this.#drainPending) return;
		this.#drainPending = true;
		// First at once, then (never, in practice) every 2^30 ms: a repeating timer is not
		// released after it fires, so it can be scheduled again.
		if (this.#drainer) Timer.schedule(this.#drainer, 0, 0x40000000);
		else this.#drainer = Timer.set(() => this.drain(), 0, 0x40000000);
	}

	/** Runs the action once every URC printed before it was written. */
	after(action: () => void): void {
		if (!this.#entries.length) action();
		else this.#entries.push({ action });
	}

	/** The transport has room again (or data URCs wait for their timer). */
	drain(): void {
		this.cancelDrain();
		while (this.#entries.length) {
			const entry = this.#entries[0];
			if ("action" in entry) {
				this.#entries.shift();
				entry.action();
				continue;
			}
			// A control URC never waits behind the limit for long: it goes when the UART has room.
			if (entry.size > this.#options.room()) break;
			this.#entries.shift();
			if (entry.data) {
				this.#waiting -= entry.size;
				this.#options.budget?.give(entry.size);
			}
			this.#options.writeUrc(entry.parts);
		}
		this.resumeIfRoom();
	}

	/** Whether `+WS_DATA` waits here past half the limit: the links should stop reading. */
	congested(): boolean {
		return this.#waiting * 2 >= this.#options.limit;
	}

	/** Calls `resume` once the queue has drained to a quarter of its limit. */
	whenRoom(resume: () => void): void {
		if (!this.#resumes.includes(resume)) this.#resumes.push(resume);
	}

	private resumeIfRoom() {
		if (!this.#resumes.length || this.#waiting * 4 > this.#options.limit) return;
		for (const resume of this.#resumes.splice(0)) resume();
	}

	/** A restart: nothing waiting is printed. */
	clear(): void {
		this.cancelDrain();
		this.#entries = [];
		this.#options.budget?.give(this.#waiting);
		this.#waiting = 0;
		this.#resumes = [];
	}
}
