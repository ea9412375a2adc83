// "embedded:io/serial" on Node, after the SDK's lin serial (modules/io/serial/lin/serial.c):
// - options {device, baud, format, onReadable, onWritable, onError}; the chip's {port, receive,
//   transmit, baud} are accepted too and then the device is the run's host option serialDevice;
// - the device is a serial port or pseudo-terminal, opened through the npm `serialport` package
//   (baud, 8N1, no flow control, set natively on Linux, macOS and Windows), or "stdio": the run's
//   host option stdio (the CLI's terminal console), by default this process's stdin and stdout;
// - onReadable(count) reports all waiting bytes; read() returns them all, read(n) at most n, and
//   undefined when none waits;
// - onWritable(1024) once the port is open and again after each write has gone out; one write
//   over 1024 bytes, or a write while the previous one is still going out, throws "would overflow".
import fs from "node:fs";
import type { Writable } from "node:stream";
import { serialPort } from "../../serial-port.ts";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { bytesOf, closedError, nextTurn, realmArrayBuffer, realmError, toInteger } from "./realm-values.ts";

/** lin serial.c kWriteBufferSize. */
export const kWriteBufferSize = 1024;

type Format = "buffer" | "string;ascii";

interface PortEvents {
	data(chunk: Buffer): void;
	/** The port takes writes from now on. */
	open(): void;
	/** The port failed or went away (a board unplugged, the far end of a pty closed). */
	failed(reason: string): void;
}

interface Port {
	start(events: PortEvents): void;
	/** Queues the bytes; done() once they have gone out. Answers whether they are still going out. */
	write(bytes: Buffer, done: () => void): boolean;
	close(): void;
}

function formatOf(realm: RealmServices, value: unknown): Format {
	const format = String(value);
	if (format === "buffer" || format === "string;ascii") return format;
	if (format === "number") throw realmError(realm, "Error", "unimplemented format");
	throw realmError(realm, "Error", "invalid format");
}

function writeTo(output: Writable, bytes: Buffer, done: () => void): boolean {
	output.write(bytes, () => done());
	// serial.c keeps what write(2) did not take and refuses the next write until it is out;
	// what was taken at once (a terminal's synchronous write) leaves the port free.
	return output.writableLength > 0;
}

function stdioPort(realm: RealmServices): Port {
	const { input, output } = realm.options.stdio ?? { input: process.stdin, output: process.stdout };
	let events: PortEvents | undefined;
	const data = (chunk: Buffer) => events?.data(chunk);
	const failed = (error: Error) => events?.failed(error.message);
	return {
		start(listeners) {
			events = listeners;
			// The end of piped input is a receive line gone quiet, not a closed port: the answers
			// to what was piped in still go out.
			input.on("data", data);
			input.on("error", failed);
			output.on("error", failed);
			listeners.open();
		},
		write: (bytes, done) => writeTo(output, bytes, done),
		close() {
			events = undefined;
			input.off("data", data);
			input.off("error", failed);
			output.off("error", failed);
			input.pause();
		},
	};
}

// serial.c's xsElseThrow(strerror(errno)) for the failures that show before opening.
const reasons: Record<string, string> = { ENOENT: "No such file or directory", EACCES: "Permission denied" };

function devicePort(realm: RealmServices, device: string, baud: number): Port {
	// lin opens the device inside the constructor, so a missing or forbidden one throws there;
	// serialport opens in the background, so check what can be checked now. Windows names ports
	// (COM3) that are not paths: there everything shows when the port opens.
	if (process.platform !== "win32") {
		try {
			fs.accessSync(device, fs.constants.R_OK | fs.constants.W_OK);
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code ?? "";
			throw realmError(realm, "Error", reasons[code] ?? (error as Error).message);
		}
	}
	const port = serialPort({ path: device, baudRate: baud > 0 ? baud : 115200, dataBits: 8, parity: "none", stopBits: 1, rtscts: false, autoOpen: false });
	let closed = false;
	return {
		start(events) {
			port.on("data", (chunk: Buffer) => events.data(chunk));
			// serialport's reasons read "Error: Inappropriate ioctl for device, ...".
			const reason = (error: Error) => error.message.replace(/^Error: /, "");
			port.on("error", (error: Error) => events.failed(reason(error)));
			port.on("close", (error?: Error | null) => {
				if (!closed) events.failed(error ? reason(error) : "closed");
			});
			port.open((error) => {
				if (closed) {
					if (!error) port.close(() => {});
				} else if (error) events.failed(`cannot open ${device}: ${reason(error)}`);
				else events.open();
			});
		},
		write: (bytes, done) => writeTo(port, bytes, done),
		close() {
			if (closed) return;
			closed = true;
			if (port.isOpen) port.close(() => {});
		},
	};
}

function makeSerial(realm: RealmServices) {
	interface SerialState {
		port: Port;
		format: Format;
		received: Buffer[];
		available: number;
		writing: boolean;
		closed: boolean;
		onReadable?: (...args: any[]) => unknown;
		onWritable?: (...args: any[]) => unknown;
		onError?: (...args: any[]) => unknown;
		reportReadable: boolean;
		writableScheduled: boolean;
	}
	const states = new WeakMap<object, SerialState>();

	function stateOf(serial: object): SerialState {
		const state = states.get(serial);
		if (!state) throw closedError(realm);
		return state;
	}

	function closeState(serial: object, state: SerialState) {
		if (state.closed) return;
		state.closed = true;
		states.delete(serial);
		state.port.close();
	}

	return class Serial {
		constructor(options: Record<string, unknown> = {}) {
			// serial.c takes the callbacks with xsTest: any truthy value is the callback.
			const onReadable = options.onReadable ? (options.onReadable as SerialState["onReadable"]) : undefined;
			const onWritable = options.onWritable ? (options.onWritable as SerialState["onWritable"]) : undefined;
			const onError = options.onError ? (options.onError as SerialState["onError"]) : undefined;
			const format = "format" in options ? formatOf(realm, options.format) : "buffer";
			if ("target" in options) (this as Record<string, unknown>).target = options.target;
			const baud = toInteger(options.baud);
			let device: string | undefined;
			if (options.device !== undefined) device = String(options.device);
			else if ("port" in options || "receive" in options || "transmit" in options) device = realm.options.serialDevice;
			if (device === undefined)
				throw realmError(realm, "Error", options.device === undefined && !("port" in options) ? "No such file or directory" : "no serial device: the host option serialDevice is not set");
			const port = device === "stdio" ? stdioPort(realm) : devicePort(realm, device, baud);
			const state: SerialState = { port, format, received: [], available: 0, writing: false, closed: false, onReadable, onWritable, onError, reportReadable: false, writableScheduled: false };
			states.set(this, state);
			realm.onStop(() => closeState(this, state));

			let opened = false;
			let settle: { resolve(): void; reject(error: Error): void } | undefined;
			if (realm.options.onSerialOpen) realm.options.onSerialOpen(device, new Promise<void>((resolve, reject) => (settle = { resolve, reject })));
			port.start({
				data: (chunk) => {
					if (state.closed) return;
					state.received.push(chunk);
					state.available += chunk.length;
					if (state.reportReadable || !state.onReadable) return;
					state.reportReadable = true;
					nextTurn(() => {
						state.reportReadable = false;
						if (!state.closed && state.available) realm.invoke(state.onReadable!, this, state.available);
					});
				},
				open: () => {
					opened = true;
					settle?.resolve();
					this.#scheduleWritable(state);
				},
				failed: (reason) => {
					if (!opened) settle?.reject(new Error(reason));
					if (state.closed) return;
					// lin would have thrown in the constructor for a port that does not open; here it
					// opens in the background, so say why where a person looks.
					realm.trace(`serial: ${reason}\n`);
					// serial.c read callback on G_IO_ERR: onError, then close().
					if (state.onError) realm.invoke(state.onError, this);
					closeState(this, state);
				},
			});
		}

		#writable(state: SerialState) {
			state.writableScheduled = false;
			if (!state.closed && state.onWritable) realm.invoke(state.onWritable, this, kWriteBufferSize);
		}

		// serial.c: one G_IO_OUT watch at a time, so writes in one turn earn one onWritable.
		#scheduleWritable(state: SerialState) {
			if (state.writableScheduled || !state.onWritable) return;
			state.writableScheduled = true;
			nextTurn(() => this.#writable(state));
		}

		read(count?: unknown): unknown {
			const state = stateOf(this);
			if (!state.available) return undefined;
			let wanted = state.available;
			if (arguments.length) wanted = Math.min(Math.max(toInteger(count), 0), state.available);
			const out = Buffer.allocUnsafe(wanted);
			let filled = 0;
			while (filled < wanted) {
				const head = state.received[0];
				const take = Math.min(head.length, wanted - filled);
				head.copy(out, filled, 0, take);
				filled += take;
				if (take === head.length) state.received.shift();
				else state.received[0] = head.subarray(take);
			}
			state.available -= wanted;
			if (state.format === "buffer") return realmArrayBuffer(realm, out);
			return out.toString("latin1");
		}

		write(data: unknown): void {
			const state = stateOf(this);
			let bytes: Uint8Array | undefined;
			if (state.format === "buffer") {
				// lin serial.c takes the argument with xsToArrayBuffer: a view is refused.
				const global = realm.global as unknown as { ArrayBuffer: ArrayBufferConstructor; SharedArrayBuffer: SharedArrayBufferConstructor };
				if (!(data instanceof global.ArrayBuffer || data instanceof global.SharedArrayBuffer))
					throw realmError(realm, "TypeError", "not an ArrayBuffer instance");
				bytes = bytesOf(data)!;
			} else bytes = Buffer.from(String(data), "utf8");
			if (!bytes.length) return;
			if (bytes.length > kWriteBufferSize || state.writing) throw realmError(realm, "Error", "would overflow");
			state.writing = state.port.write(Buffer.from(bytes), () => {
				state.writing = false;
				this.#scheduleWritable(state);
			});
		}

		purge(): void {}

		set(_signals: unknown): void {
			stateOf(this); // RTS and DTR: lin's serial.js passes its native set() no signals either
		}

		close(): void {
			const state = states.get(this);
			if (state) closeState(this, state);
		}

		get format(): Format | undefined {
			return states.get(this)?.format;
		}

		set format(value: unknown) {
			const state = states.get(this);
			if (state) state.format = formatOf(realm, value);
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makeSerial(realm) });
export default factory;
