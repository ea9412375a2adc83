// "embedded:io/serial" on Node, after the SDK's lin serial (modules/io/serial/lin/serial.c):
// - options {device, baud, format, onReadable, onWritable, onError}; the chip's {port, receive,
//   transmit, baud} are accepted too and then the device is the run's host option serialDevice;
// - the device is a path (a socat pty, a real port) opened as a terminal in raw mode, or "stdio"
//   for this process's terminal (stdin raw when it is a TTY, stdout);
// - onReadable(count) reports all waiting bytes; read() returns them all, read(n) at most n, and
//   undefined when none waits;
// - onWritable(1024) once the port is open and again after each write has gone out; one write
//   over 1024 bytes, or a write while the previous one is still going out, throws "would overflow".
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import tty from "node:tty";
import type { Readable, Writable } from "node:stream";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { bytesOf, closedError, nextTurn, realmArrayBuffer, realmError, toInteger } from "./realm-values.ts";

/** lin serial.c kWriteBufferSize. */
export const kWriteBufferSize = 1024;

type Format = "buffer" | "string;ascii";

interface Port {
	input: Readable;
	output: Writable;
	close(): void;
}

function formatOf(realm: RealmServices, value: unknown): Format {
	const format = String(value);
	if (format === "buffer" || format === "string;ascii") return format;
	if (format === "number") throw realmError(realm, "Error", "unimplemented format");
	throw realmError(realm, "Error", "invalid format");
}

function openDevice(realm: RealmServices, device: string, baud: number): Port {
	if (device === "stdio") {
		const input = process.stdin;
		const raw = input.isTTY ? (input as tty.ReadStream) : undefined;
		raw?.setRawMode(true);
		return {
			input,
			output: process.stdout,
			close() {
				raw?.setRawMode(false);
				input.pause();
			},
		};
	}
	let fd: number;
	try {
		fd = fs.openSync(device, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
	} catch (error) {
		// serial.c xsElseThrow: strerror(errno) as the message.
		throw realmError(realm, "Error", (error as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (error as Error).message);
	}
	if (!tty.isatty(fd)) {
		fs.closeSync(fd);
		throw realmError(realm, "Error", "Inappropriate ioctl for device");
	}
	// A real port needs its speed; a pty ignores it (stty may refuse an odd rate there).
	if (baud > 0) {
		try {
			execFileSync("stty", ["-F", device, String(baud)], { stdio: "ignore" });
		} catch {
			if (!fs.realpathSync(device).startsWith("/dev/pts/")) {
				fs.closeSync(fd);
				throw realmError(realm, "Error", `cannot set ${baud} baud on ${device}`);
			}
		}
	}
	// A tty stream reads and writes through libuv without blocking a thread; raw mode as serial.c's
	// tcsetattr (no echo, no line editing, no CR/LF translation).
	const stream = new tty.ReadStream(fd);
	stream.setRawMode(true);
	return {
		input: stream,
		output: stream as unknown as Writable,
		close() {
			stream.destroy();
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
			const port = openDevice(realm, device, baud);
			const state: SerialState = { port, format, received: [], available: 0, writing: false, closed: false, onReadable, onWritable, onError, reportReadable: false, writableScheduled: false };
			states.set(this, state);
			realm.onStop(() => closeState(this, state));

			port.input.on("data", (chunk: Buffer) => {
				if (state.closed) return;
				state.received.push(chunk);
				state.available += chunk.length;
				if (state.reportReadable || !state.onReadable) return;
				state.reportReadable = true;
				nextTurn(() => {
					state.reportReadable = false;
					if (!state.closed && state.available) realm.invoke(state.onReadable!, this, state.available);
				});
			});
			const failed = () => {
				if (state.closed) return;
				// serial.c read callback on G_IO_ERR: onError, then close().
				if (state.onError) realm.invoke(state.onError, this);
				closeState(this, state);
			};
			port.input.on("error", failed);
			if ((port.output as unknown) !== port.input) port.output.on("error", failed);
			port.input.on("end", failed);
			this.#scheduleWritable(state);
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
			const output = state.port.output;
			output.write(Buffer.from(bytes), () => {
				state.writing = false;
				this.#scheduleWritable(state);
			});
			// serial.c keeps what write(2) did not take and refuses the next write until it is out;
			// what the kernel took at once leaves the port free.
			state.writing = output.writableLength > 0;
		}

		purge(): void {}

		set(_signals: unknown): void {
			stateOf(this); // RTS and DTR mean nothing on a pty or the terminal
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
