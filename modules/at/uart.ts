// The AT console's transport: moves bytes between an ECMA-419 serial port and the AT engine.
// Output waits in a bounded queue for the port's write budget (onWritable) and goes out as one
// ArrayBuffer per grant, never larger than the port takes at once (1024 bytes on lin).
import Serial from "embedded:io/serial";
import { WriteQueue } from "ws/writequeue";
import type { MemoryBudget } from "ws/budget";

export interface UartOptions {
	/** lin and the host runtime: the device path ("stdio" on the host runtime: the terminal). */
	device?: string;
	/** ESP32 / ESP8266: the UART number and its pins. */
	port?: number;
	receive?: number;
	transmit?: number;
	baud: number;
	/** Most output bytes waiting for the port (default 16 KiB). */
	maxQueue?: number;
	/** The app's memory budget: output waiting for the port counts against it. */
	budget?: MemoryBudget;
	/** The bytes the host sent (a fresh buffer each time: it may be kept). */
	onReceive(bytes: Uint8Array): void;
	/** Output was refused because the queue was full: those bytes are lost. */
	onOverflow?(lost: number): void;
	/** The port took bytes and has room again (after each write budget). */
	onDrain?(): void;
}

// lin's serial rejects a single write over 1024 bytes; the chips' UART drivers take no more at
// once either, so one limit serves everywhere.
const maxWrite = 1024;
const defaultMaxQueue = 16384;

export class UartTransport {
	readonly #serial: InstanceType<typeof Serial>;
	readonly #queue: WriteQueue;
	readonly #options: UartOptions;

	constructor(options: UartOptions) {
		this.#options = options;
		this.#queue = new WriteQueue(options.maxQueue ?? defaultMaxQueue, maxWrite, false, options.budget);
		const transport = this;
		// Only the keys the configuration gives are passed: a device path where the platform's
		// manifest config names one (lin), a port and pins where it names those (the chips).
		const settings: Record<string, unknown> = { baud: options.baud, format: "buffer" };
		for (const key of ["device", "port", "receive", "transmit"] as const)
			if (options[key] !== undefined && options[key] !== "") settings[key] = options[key];
		this.#serial = new Serial({
			...settings,
			onReadable(count: number) {
				const buffer = transport.#serial.read(count) as ArrayBuffer | undefined;
				if (buffer && buffer.byteLength) transport.#options.onReceive(new Uint8Array(buffer));
			},
			onWritable(count: number) {
				transport.#queue.grant(count);
				transport.flush();
				transport.#options.onDrain?.();
			},
		} as unknown as ConstructorParameters<typeof Serial>[0]);
	}

	/** Queues output; the bytes must not change afterwards (the engine guarantees that). */
	write(bytes: Uint8Array): void {
		if (!this.#queue.push(bytes)) {
			this.#options.onOverflow?.(bytes.length);
			return;
		}
		this.flush();
	}

	/** Bytes still waiting for the port. */
	get queued(): number {
		return this.#queue.queued;
	}

	/** The most bytes that may wait for the port. */
	get maxQueue(): number {
		return this.#options.maxQueue ?? defaultMaxQueue;
	}

	private flush() {
		const serial = this.#serial;
		// lin's serial takes only an ArrayBuffer, and no second write while one is going out.
		this.#queue.flushOne((buffer) => serial.write(buffer));
	}
}
