// "embedded:io/socket/tcp" on Node, with the I/O rules of the SDK's lin implementation
// (modules/io/socket/lin/tcp.c), which the chip's lwIP version shares:
// - the write budget is kBufferSize (1536) bytes, granted by onWritable(1536) once connected and
//   granted again each time the kernel has taken everything written (Node's writableLength back
//   to 0 stands for lin's select() reporting the socket writable); a write over it throws
//   "would block";
// - at most 1536 received bytes are visible at a time: onReadable(count) reports them all, and
//   nothing more is read from the kernel while firmware has not read them, so the peer is held
//   back and a reset behind those bytes is found only once they are read, as on lin;
// - end of stream, reset and connection refused are all onError, after the buffered bytes are read;
//   there is no onClose;
// - a write that fails (the peer reset the connection) returns no budget and sets tcp.c's error
//   flag, after which its task returns early: no callback comes again, onError included. Firmware
//   must notice the failed write itself. A write after the peer's FIN still goes out, as the
//   kernel takes it (the sockets are half-open, as lin's are);
// - callbacks run from the run loop, never inside a call firmware is making; `this` is the socket.
import net from "node:net";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { bytesOf, callbackOption, closedError, nextTurn, realmArrayBuffer, realmError, toInteger } from "./realm-values.ts";

/** lin tcp.c kBufferSize: the write budget and the receive buffer. */
export const kBufferSize = 1536;

const kWritable = 1;
const kReadable = 2;
const kError = 4;

type Format = "buffer" | "number";

interface Callbacks {
	onReadable?: (...args: any[]) => unknown;
	onWritable?: (...args: any[]) => unknown;
	onError?: (...args: any[]) => unknown;
}

/** One Node socket with lin's TCPRecord state. An accepted socket lives here, without callbacks,
 *  from the listener's read() until firmware adopts it with `new TCP({from})`. */
export class Channel {
	bytesWritable = 0;
	/** Received bytes not yet read by firmware; the first `bytesReadable` of them are visible. */
	#received: Buffer[] = [];
	#receivedLength = 0;
	bytesReadable = 0;
	/** lin's tcp->error: the stream ended or failed; no more onWritable. */
	error = false;
	/** A write failed: lin's task no longer runs for this socket, nothing is reported again. */
	silenced = false;
	errorText: string | undefined;
	#errorReported = false;
	connected: boolean;
	done = false;
	#triggered = 0;
	#reportScheduled = false;
	#callbacks: Callbacks = {};
	#target: unknown;

	constructor(
		readonly realm: RealmServices,
		readonly socket: net.Socket,
		connected: boolean,
	) {
		this.connected = connected;
		socket.on("data", (chunk: Buffer) => this.#onData(chunk));
		socket.on("end", () => this.#fail(undefined));
		socket.on("error", (error: Error) => this.#fail(error.message));
		socket.on("close", () => this.#fail(undefined));
		socket.on("drain", () => this.#replenish());
		if (!connected)
			socket.once("connect", () => {
				this.connected = true;
				this.#replenish();
			});
		realm.onStop(() => this.destroy());
	}

	/** Gives the channel to a firmware socket object: from now on its callbacks are called. */
	attach(target: unknown, callbacks: Callbacks) {
		this.#target = target;
		this.#callbacks = callbacks;
		// tcp.c, constructor with `from`: whatever happened before adoption is reported now.
		if (this.connected) this.#replenish();
		this.#refill();
		if (this.#triggered && !this.#reportScheduled) {
			this.#reportScheduled = true;
			nextTurn(() => this.#report());
		}
	}

	read(count: number): Buffer {
		const out = Buffer.allocUnsafe(count);
		let filled = 0;
		while (filled < count) {
			const head = this.#received[0];
			const take = Math.min(head.length, count - filled);
			head.copy(out, filled, 0, take);
			filled += take;
			if (take === head.length) this.#received.shift();
			else this.#received[0] = head.subarray(take);
		}
		this.#receivedLength -= count;
		this.bytesReadable -= count;
		// The next poll on lin reads more from the kernel once there is room in readBuf.
		nextTurn(() => this.#refill());
		if (this.error && !this.bytesReadable) this.#checkError();
		return out;
	}

	/** False when the write failed (tcp.c: write(2) returned -1). */
	write(bytes: Uint8Array): boolean {
		this.bytesWritable -= bytes.length;
		const socket = this.socket;
		if (!socket.destroyed && !socket.writableEnded && !socket.errored) {
			socket.write(Buffer.from(bytes), () => this.#replenish());
			// Node tries the write at once; when the kernel refuses it (a reset has arrived), the
			// stream is errored before write() returns (the error event comes a turn later).
			if (!socket.destroyed && !socket.errored) return true;
		}
		// lin: write(2) to a reset socket fails (EPIPE, ECONNRESET); tcp.c traces, sets its error
		// flag and returns without a budget. Its task returns early from then on, so nothing is
		// reported again: neither onError nor more bytes or budget.
		this.realm.trace("write failed\n");
		this.error = true;
		this.silenced = true;
		this.#triggered = 0;
		return false;
	}

	close() {
		if (this.done) return;
		this.done = true;
		this.#callbacks = {};
		this.#triggered = 0;
		// lin close(2)s the descriptor. Linux answers a close with received bytes nobody read with
		// RST at once; otherwise what was written still goes out, then FIN. The kernel would keep
		// a write backlog the peer never reads only until its timeouts: the host lingers a while
		// for the peer to take it, then resets.
		const socket = this.socket;
		if (socket.destroyed) return;
		if (this.#receivedLength > 0 || socket.readableLength > 0) socket.resetAndDestroy();
		else if (socket.writableLength === 0) socket.destroy();
		else {
			const linger = setTimeout(() => socket.resetAndDestroy(), 5000);
			linger.unref();
			socket.once("close", () => clearTimeout(linger));
			socket.end();
		}
	}

	destroy() {
		this.done = true;
		this.#callbacks = {};
		this.socket.destroy();
	}

	#onData(chunk: Buffer) {
		this.#received.push(chunk);
		this.#receivedLength += chunk.length;
		// lin's readBuf is full: nothing more is read from the kernel until firmware reads. Pausing
		// the stream is not enough (Node reads ahead, and would find a reset before firmware has
		// read the bytes in front of it): the handle stops reading, and with a high-water mark of
		// 0 nothing reads ahead.
		if (this.#receivedLength >= kBufferSize) {
			this.socket.pause();
			const handle = (this.socket as unknown as { _handle?: { reading: boolean; readStop(): number } })._handle;
			if (handle?.reading) {
				handle.reading = false;
				handle.readStop();
			}
		}
		this.#refill();
	}

	// lin tcpTask: read from the kernel into readBuf while it has room, then onReadable(all).
	#refill() {
		if (this.done) return;
		const visible = Math.min(this.#receivedLength, kBufferSize);
		if (visible > this.bytesReadable) {
			this.bytesReadable = visible;
			this.#trigger(kReadable);
		}
		if (this.#receivedLength < kBufferSize && this.socket.isPaused() && !this.socket.destroyed) this.socket.resume();
	}

	// lin tcpTask: the socket is writable again, the whole budget is granted again.
	#replenish() {
		if (this.done || this.error || !this.connected) return;
		if (this.socket.writableLength !== 0) return;
		if (this.bytesWritable === kBufferSize) return;
		this.bytesWritable = kBufferSize;
		this.#trigger(kWritable);
	}

	#fail(text: string | undefined) {
		if (this.error) return;
		this.error = true;
		this.errorText = text;
		this.#checkError();
	}

	// tcp.c: the error is reported once no received byte is left to read.
	#checkError() {
		if (this.#errorReported || !this.error || this.#receivedLength) return;
		this.#errorReported = true;
		this.#trigger(kError);
	}

	#trigger(bits: number) {
		if (this.silenced) return;
		if (bits & kError) this.error = true;
		this.#triggered |= bits;
		if (this.#reportScheduled) return;
		this.#reportScheduled = true;
		nextTurn(() => this.#report());
	}

	// tcp.c reportTrigger: writable, then readable, then error.
	#report() {
		this.#reportScheduled = false;
		if (!this.#target) return; // not adopted yet: attach() reports what is pending
		const triggered = this.#triggered;
		this.#triggered = 0;
		// A report under way goes on with what it took (tcp.c reportTrigger), even when a write
		// in one of its callbacks fails; a later one never starts.
		if (this.done || this.silenced) return;
		const { onReadable, onWritable, onError } = this.#callbacks;
		if (triggered & kWritable && this.bytesWritable && !this.error && onWritable)
			this.realm.invoke(onWritable, this.#target, this.bytesWritable);
		if (this.done) return;
		if (triggered & kReadable && this.bytesReadable && onReadable) this.realm.invoke(onReadable, this.#target, this.bytesReadable);
		if (this.done) return;
		if (triggered & kError && onError) this.realm.invoke(onError, this.#target);
	}
}

/** Which Node socket a TCP object (or a listener's handle) stands for. Shared with listener.ts. */
export const channels = new WeakMap<object, Channel>();

/** The realm's TCP class, made once per realm so that the listener hands out instances of it. */
const classes = new WeakMap<RealmServices, unknown>();

export function tcpClass(realm: RealmServices): new (options?: Record<string, unknown>) => object {
	let TCP = classes.get(realm) as ReturnType<typeof tcpClass> | undefined;
	if (!TCP) {
		TCP = makeTCP(realm);
		classes.set(realm, TCP);
	}
	return TCP;
}

/** The dotted IPv4 and port checks of tcp.c's constructor, shared with the TLS socket. */
export function addressOptions(realm: RealmServices, options: Record<string, unknown>): { address: string; port: number } {
	// inet_aton(): a name ("localhost", or a `host` option alone) is not an address on lin.
	const address = String(options.address);
	if (!net.isIPv4(address)) throw realmError(realm, "Error", "invalid address");
	if (options.port === undefined) throw realmError(realm, "Error", "invalid");
	const port = toInteger(options.port);
	if (port < 0 || port > 65535) throw realmError(realm, "RangeError", "invalid port");
	return { address, port };
}

function formatOption(realm: RealmServices, options: Record<string, unknown>): Format {
	if (!("format" in options) || !options.format) return "buffer";
	const format = String(options.format);
	if (format !== "buffer" && format !== "number") throw realmError(realm, "RangeError", "unimplemented");
	return format;
}

/**
 * Host TLS (tls.ts) makes its TCP socket with the firmware's `TCP.io` class, as tlssocket.js does,
 * but with this option: the socket connects nowhere (node:tls carries the bytes) and only keeps
 * its callbacks, so TLS can throw inside them as the SDK's TLS stack does.
 */
export const carrierOption = Symbol("host TLS carrier");
const carriers = new WeakMap<object, Callbacks>();

/** The callbacks a carrier socket was made with (wrapped by whatever class the firmware gave). */
export function carrierCallbacks(socket: object): Callbacks | undefined {
	return carriers.get(socket);
}

function makeTCP(realm: RealmServices) {
	return class TCP {
		#format: Format = "buffer";

		constructor(options?: Record<string, unknown>) {
			if (options === undefined) return; // lin: an empty socket, filled by the listener's read()
			const format = formatOption(realm, options);
			const callbacks: Callbacks = {
				onReadable: callbackOption(realm, options, "onReadable"),
				onWritable: callbackOption(realm, options, "onWritable"),
				onError: callbackOption(realm, options, "onError"),
			};
			if (options[carrierOption as unknown as string]) {
				carriers.set(this, callbacks);
				return;
			}
			let channel: Channel;
			if ("from" in options) {
				const from = options.from as object;
				const adopted = (typeof from === "object" || typeof from === "function") && from !== null ? channels.get(from) : undefined;
				if (!adopted) throw closedError(realm);
				channels.delete(from);
				channel = adopted;
			} else {
				const { address, port } = addressOptions(realm, options);
				channel = new Channel(realm, net.connect({ host: address, port, family: 4, allowHalfOpen: true, highWaterMark: 0 } as net.NetConnectOpts), false);
			}
			if ("nodelay" in options) channel.socket.setNoDelay(Boolean(options.nodelay));
			if ("target" in options) (this as Record<string, unknown>).target = options.target;
			this.#format = format;
			channels.set(this, channel);
			channel.attach(this, callbacks);
		}

		#channel(): Channel {
			const channel = channels.get(this);
			if (!channel || channel.done) throw closedError(realm);
			return channel;
		}

		close() {
			const channel = channels.get(this);
			if (!channel) return; // closing twice does nothing (tcp.c doClose)
			channels.delete(this);
			channel.close();
		}

		read(into?: unknown): unknown {
			const channel = this.#channel();
			if (!channel.bytesReadable) return undefined;
			if (this.#format === "number") return channel.read(1)[0];
			if (arguments.length === 0) return realmArrayBuffer(realm, channel.read(channel.bytesReadable));
			const target = typeof into === "object" && into !== null ? bytesOf(into) : undefined;
			if (typeof into === "object" && into !== null && !target) throw realmError(realm, "TypeError", "not a buffer");
			const requested = target ? target.byteLength : toInteger(into);
			if (requested <= 0 || requested > channel.bytesReadable) throw realmError(realm, "Error", "invalid");
			const bytes = channel.read(requested);
			if (target) {
				target.set(bytes);
				return requested;
			}
			return realmArrayBuffer(realm, bytes);
		}

		write(data: unknown): number | undefined {
			const channel = this.#channel();
			let bytes: Uint8Array | undefined;
			if (this.#format === "number") bytes = Uint8Array.of(toInteger(data) & 0xff);
			else {
				bytes = bytesOf(data);
				if (!bytes) throw realmError(realm, "TypeError", "not a buffer");
			}
			if (bytes.length > channel.bytesWritable) throw realmError(realm, "Error", "would block");
			// tcp.c sets no result when write(2) fails.
			if (!channel.write(bytes)) return undefined;
			return channel.bytesWritable;
		}

		get remoteAddress(): string | undefined {
			const address = this.#channel().socket.remoteAddress;
			return address?.replace(/^::ffff:/, "");
		}

		get remotePort(): number | undefined {
			return this.#channel().socket.remotePort;
		}

		get format(): Format {
			this.#channel();
			return this.#format;
		}

		set format(value: string) {
			this.#channel();
			const format = String(value);
			if (format !== "buffer" && format !== "number") throw realmError(realm, "RangeError", "unimplemented");
			this.#format = format;
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: tcpClass(realm) });
export default factory;
