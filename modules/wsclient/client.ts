// A WebSocket client on ECMA-419 sockets: a thin shell that moves bytes between a TCP or TLS
// socket and the RFC 6455 core (ws/client), and adds what the core leaves to the shell: name
// resolution, an overall connect timeout, keep-alive and reconnect with the states ESP-AT reports
// (ESP-AT §3.8, §3.9), and one bounded write path against onWritable.
import Timer from "timer";
import { CloseCode } from "ws/close";
import { ClientProtocol } from "ws/client";
import { Opcode } from "ws/frame";
import { State, protocolSettings, type Payload, type ProtocolEvent, type ProtocolHandler, type ProtocolSettings } from "ws/protocol";
import { parseUri, type WebSocketUri } from "ws/uri";
import { WriteQueue } from "ws/writequeue";
import type { MemoryBudget } from "ws/budget";
import { secureOptions, type TlsOptions } from "wsclient/credentials";
import { ClientError, type ClientErrorKind } from "wsclient/errors";
import { random } from "wsclient/random";
import { resolveIPv4 } from "wsclient/resolve";
import { ClientState } from "wsclient/state";
import { tlsAvailable } from "wsclient/tls";
import { openTransport, type Transport, type TransportOwner } from "wsclient/transport";

export interface WebSocketClientOptions {
	/** ws:// or wss:// with host, port, path and query; user:password@ becomes Basic authorization. */
	url: string;
	/** Offered subprotocols (RFC 6455 §4.1); the server's choice is given to onOpen. */
	subprotocols?: string[];
	/** More request header fields, in order. */
	headers?: Array<[string, string]>;
	/** Largest message received, in bytes (default 16384); larger fails the connection with 1009. */
	maxMessage?: number;
	/** Deliver received data as onChunk pieces of at most this many bytes instead of onMessage. */
	chunkSize?: number;
	/** Name resolution, TCP, TLS and the opening handshake must be done within this (default 10 s). */
	connectTimeout?: number;
	/** Ping after this long without receiving anything (default 30 s; 0: never). ESP-AT §3.8. */
	pingInterval?: number;
	/** Abort when the pong has not come this long after a ping (default 10 s). ESP-AT §3.8. */
	pongTimeout?: number;
	/** After a lost connection, try again after this long (default 0: no reconnect). ESP-AT §3.9:
	 *  not after a clean close, and only once a connection was open (see reconnectFirst). */
	reconnect?: number;
	/** Also retry when the very first attempt fails (ESP-AT does not; a device app may want to). */
	reconnectFirst?: boolean;
	/** After the closing handshake, wait this long for the server to close TCP (default 5 s). */
	closeTimeout?: number;
	/** Most bytes waiting to be written (default 2 × maxMessage + 1024). */
	maxQueue?: number;
	/** A memory budget shared with the rest of the app (ws/budget): messages being assembled and
	 *  bytes waiting to be written count against it, and while it has no room for what waits in
	 *  the socket, the client does not read (TCP holds the server back). */
	budget?: MemoryBudget;
	/** wss:// only: the CA, the client certificate and key, and whether to verify the server. */
	tls?: TlsOptions;
	/** Whatever the application finds its own state by in the callbacks, as `this.context`: so
	 *  the callbacks can be shared functions instead of closures made per client. */
	context?: unknown;
	onOpen?: (this: WebSocketClient, subprotocol: string | undefined) => void;
	/** A whole message: text as a string, binary as an ArrayBuffer. */
	onMessage?: (this: WebSocketClient, data: string | ArrayBuffer) => void;
	/** With chunkSize: a piece of a data frame, in the order of ESP-AT's +WS_DATA fields (§3.7). */
	onChunk?: (this: WebSocketClient, opcode: number, fin: boolean, frameLength: number, offset: number, bytes: Uint8Array) => void;
	/** The end of every connection attempt, opened or not: the server's code and reason after a
	 *  clean close, else 1006 (or the code the client failed the connection with). */
	onClose?: (this: WebSocketClient, code: number, reason: string, wasClean: boolean) => void;
	onError?: (this: WebSocketClient, error: ClientError) => void;
	/** Every state change after construction (the client starts in ClientState.Connecting). */
	onStateChange?: (this: WebSocketClient, state: number) => void;
}

export class WebSocketClient {
	readonly url: string;
	readonly #uri: WebSocketUri;
	readonly #options: WebSocketClientOptions;
	readonly #secure: Record<string, unknown> | undefined;
	// What every attempt's core shares.
	readonly #settings: ProtocolSettings;
	#state: number = ClientState.Connecting;
	// The connection attempt in progress: its number (stale socket and resolver callbacks compare
	// it), its core, its socket and its write queue.
	#attempt = 0;
	#protocol: ClientProtocol | undefined;
	#transport: Transport | undefined;
	#queue: WriteQueue | undefined;
	/** The socket has granted a first write budget: TCP (and TLS) are up. */
	#transportUp = false;
	#closeAfterFlush = false;
	/** The attempt's end was reported (onClose): the connection was clean, or it failed. */
	#closeReported = false;
	#wasClean = false;
	#everOpen = false;
	/** close() was called: no reconnect. */
	#stopping = false;
	#subprotocol: string | undefined;
	// Deadlines, in Date.now() milliseconds, and the one timer that serves them.
	#deadline = 0;
	#lastHeard = 0;
	#pingSentAt = 0;
	// Backpressure: while paused, received bytes stay in the socket (TCP holds the server back).
	#paused = false;
	#unread = false;
	// Not reading until the memory budget has room for what waits in the socket (as many bytes
	// as the socket last reported).
	#waitingForMemory = false;
	#unreadCount = 0;
	#timer: Timer | undefined;
	#timerAt = 0;

	/** One connection attempt: what its socket and its core report, passed on while it is the
	 *  client's current attempt (a class, made once at preload, in place of closures made per
	 *  connection; one object per attempt serves both). */
	static readonly #Attempt = class implements TransportOwner, ProtocolHandler {
		readonly client: WebSocketClient;
		readonly attempt: number;

		constructor(client: WebSocketClient, attempt: number) {
			this.client = client;
			this.attempt = attempt;
		}

		onReadable(count: number) {
			if (this.attempt === this.client.#attempt) this.client.receive(count);
		}

		onWritable(count: number) {
			const client = this.client;
			if (this.attempt !== client.#attempt) return;
			client.#transportUp = true;
			client.#queue!.grant(count);
			client.flush();
		}

		onError() {
			if (this.attempt === this.client.#attempt) this.client.transportEnded();
		}

		onTlsFailure(error: unknown) {
			const client = this.client;
			if (this.attempt !== client.#attempt) return;
			client.#transport = undefined;
			client.fail("tls", `TLS with ${client.label()} failed: ${(error as Error)?.message ?? error} (${client.tlsHint()})`);
		}

		write(bytes: Uint8Array) {
			const client = this.client;
			if (this.attempt !== client.#attempt || !client.#queue) return;
			// Views of received bytes (a pong's payload) may be kept: every read is a fresh buffer.
			if (!client.#queue.push(bytes)) client.fail("overflow", `${client.label()} does not read what is sent: the send queue is full (${client.maxQueue} bytes)`);
		}

		message(bytes: Uint8Array, binary: boolean) {
			const client = this.client;
			if (this.attempt !== client.#attempt || !client.#queue) return;
			const copy = bytes.slice().buffer as ArrayBuffer;
			client.#options.onMessage?.call(client, binary ? copy : copy.byteLength ? String.fromArrayBuffer(copy) : "");
		}

		event(event: ProtocolEvent) {
			const client = this.client;
			if (this.attempt === client.#attempt && client.#queue) client.event(event);
		}

		chunk(opcode: number, fin: boolean, frameLength: number, offset: number, bytes: Uint8Array) {
			const client = this.client;
			if (this.attempt === client.#attempt && client.#queue) client.#options.onChunk?.call(client, opcode, fin, frameLength, offset, bytes);
		}
	};

	// The timing and the queue bound, read from the options when needed rather than copied into
	// every client (on XS each field is a slot of every instance; a getter is in flash).
	private get maxQueue(): number {
		return this.#options.maxQueue ?? 2 * this.#settings.maxMessage + 1024;
	}
	private get connectTimeout(): number {
		return this.#options.connectTimeout ?? 10_000;
	}
	private get pingInterval(): number {
		return this.#options.pingInterval ?? 30_000;
	}
	private get pongTimeout(): number {
		return this.#options.pongTimeout ?? 10_000;
	}
	private get reconnect(): number {
		return this.#options.reconnect ?? 0;
	}
	private get closeTimeout(): number {
		return this.#options.closeTimeout ?? 5_000;
	}

	constructor(options: WebSocketClientOptions) {
		// An unparsable URL or another scheme throws here (SyntaxError), before anything starts.
		this.#uri = parseUri(options.url);
		if (this.#uri.host.includes(":")) throw new SyntaxError(`${options.url}: IPv6 addresses are not supported (embedded:io/socket/tcp takes IPv4)`);
		this.url = options.url;
		this.#options = options;
		this.#settings = protocolSettings("client", { random, maxMessage: options.maxMessage, chunkSize: options.chunkSize, budget: options.budget });
		// A build without TLS (wsclient/notls) refuses wss:// now, not at every reconnect.
		if (this.#uri.secure && !tlsAvailable) throw new Error(`${options.url}: wss:// is not in this build (it has no TLS)`);
		// Certificates and keys are checked now: what the SDK's TLS cannot use throws here.
		this.#secure = this.#uri.secure ? secureOptions(options.tls) : undefined;
		// The first attempt starts from the run loop, so that no callback runs inside the constructor.
		this.schedule(0);
	}

	/** The options' context. */
	get context(): unknown {
		return this.#options.context;
	}

	/** ClientState: 0 stopped, 1 connecting, 2 connected, 3 waiting to reconnect, 4 closing. */
	get state(): number {
		return this.#state;
	}

	/** The subprotocol the server chose, while connected. */
	get subprotocol(): string | undefined {
		return this.#subprotocol;
	}

	/** Bytes queued and not yet handed to the socket. */
	get bufferedAmount(): number {
		return this.#queue?.queued ?? 0;
	}

	/** Stops taking received bytes from the socket until resumeReading(): the consumer cannot keep
	 *  up (the AT bridge's UART), so TCP flow control holds the server back instead of this device
	 *  buffering without bound. */
	pauseReading(): void {
		this.#paused = true;
	}

	resumeReading(): void {
		if (!this.#paused) return;
		this.#paused = false;
		this.readUnread();
	}

	/** MemoryWaiter: the memory budget has room again (the client reads what waited). */
	roomAgain(): void {
		this.#waitingForMemory = false;
		this.readUnread();
	}

	private readUnread() {
		if (this.#unread && this.#transport && !this.#paused && !this.#waitingForMemory) {
			this.#unread = false;
			this.receive(this.#unreadCount);
		}
	}

	/** Sends a whole message, a string as text and bytes as binary. False when not connected or
	 *  when it does not fit in the send queue now (nothing is sent then). */
	send(data: Payload): boolean {
		return typeof data === "string" ? this.sendText(data) : this.sendBinary(data);
	}

	/** A text frame; with fin false, the first fragment of a message (RFC 6455 §5.4). */
	sendText(text: string, fin = true): boolean {
		if (!this.fits(text)) return false;
		this.#protocol!.sendText(text, fin);
		this.process();
		return true;
	}

	/** A binary frame; with fin false, the first fragment of a message. */
	sendBinary(data: ArrayBuffer | ArrayBufferView, fin = true): boolean {
		if (!this.fits(data)) return false;
		this.#protocol!.sendBinary(data, fin);
		this.process();
		return true;
	}

	/** A continuation frame of the message being sent; fin ends the message. */
	sendContinuation(data: Payload, fin: boolean): boolean {
		if (!this.fits(data)) return false;
		this.#protocol!.sendContinuation(data, fin);
		this.process();
		return true;
	}

	/** Any one frame as given (the AT bridge's AT+WSSEND); a Close frame starts closing. With
	 *  `owned`, the caller gives the bytes up: they are masked in place, not copied. */
	sendFrame(opcode: number, data: Payload, fin = true, owned = false): boolean {
		if (!this.fits(data)) return false;
		this.#protocol!.sendFrame(opcode, data, fin, owned);
		if (opcode === Opcode.Close) this.startClosing();
		this.process();
		return true;
	}

	/** A Ping (RFC 6455 §5.5.2); it does not count as the keep-alive ping. */
	ping(data: Payload = ""): boolean {
		if (!this.fits(data)) return false;
		this.#protocol!.ping(data);
		this.process();
		return true;
	}

	/**
	 * Ends the client for good. Connected: the closing handshake (RFC 6455 §7.1.2) with this code
	 * and reason; connecting: the attempt is abandoned (onClose 1006); waiting to reconnect: the
	 * wait ends. No reconnect follows.
	 */
	close(code: number = CloseCode.Normal, reason = ""): void {
		this.#stopping = true;
		switch (this.#state) {
			case ClientState.Connected:
				this.#protocol!.close(code, reason);
				this.startClosing();
				this.process();
				break;
			case ClientState.Connecting:
				this.abandon("closed before the opening handshake completed");
				this.finish();
				break;
			case ClientState.WaitingToReconnect:
				this.setState(ClientState.Stopped);
				this.reschedule();
				break;
		}
	}

	/** Ends at once: the socket closes without a Close frame, nothing reconnects and no callback
	 *  follows (ESP-AT AT+WSCLOSE, §3.6). */
	terminate(): void {
		this.#stopping = true;
		this.#attempt++;
		this.release();
		this.#state = ClientState.Stopped;
		this.reschedule();
	}

	// --- one connection attempt ---------------------------------------------------------------

	private connect() {
		const attempt = ++this.#attempt;
		const uri = this.#uri;
		const options = this.#options;
		this.#transportUp = false;
		this.#closeAfterFlush = false;
		this.#closeReported = false;
		this.#wasClean = false;
		this.#subprotocol = undefined;
		this.#pingSentAt = 0;
		this.#queue = new WriteQueue(this.maxQueue, undefined, false, this.#settings.budget);
		const current = new WebSocketClient.#Attempt(this, attempt);
		// A fresh core per attempt: a new Sec-WebSocket-Key, the upgrade request already queued.
		// It reports as things happen, in stream order; what a stale attempt (or one already
		// released) reports is ignored.
		this.#protocol = new ClientProtocol({
			...uri,
			random,
			settings: this.#settings,
			subprotocols: options.subprotocols,
			headers: options.headers,
			handler: current,
		});
		// The upgrade request waits in the queue for the socket's first write budget.
		this.process();
		this.setState(ClientState.Connecting);
		this.#deadline = Date.now() + this.connectTimeout;
		this.reschedule();
		resolveIPv4(uri.host, (address) => {
			if (attempt !== this.#attempt) return;
			if (address === undefined)
				this.fail("resolve", `cannot resolve "${uri.host}" to an IPv4 address (Net.resolve answered none; on lin "localhost" may resolve to ::1 first: use 127.0.0.1)`);
			else this.open(current, address);
		});
	}

	private open(owner: TransportOwner, address: string) {
		const uri = this.#uri;
		try {
			this.#transport = openTransport(owner, { address, port: uri.port, host: uri.host, secure: this.#secure });
		} catch (error) {
			const message = (error as Error).message;
			if (this.#secure) {
				// ssl_cert.js checks the CA's dates when the socket is made: a clock not yet set by
				// SNTP makes even a good CA fail.
				const clock = /date/i.test(message) ? " (certificate dates are checked against the clock: set it by SNTP first)" : "";
				this.fail("tls", `cannot create the TLS socket for ${this.label()}: ${message}${clock}`);
			} else this.fail("connect", `cannot connect to ${address}:${uri.port}: ${message}`);
		}
	}

	private receive(count: number) {
		const budget = this.#settings.budget;
		if (!this.#paused && !this.#waitingForMemory && budget && !budget.admits(count)) {
			this.#waitingForMemory = true;
			budget.whenRoom(this);
		}
		if (this.#paused || this.#waitingForMemory) {
			// Data has arrived: the link is alive (keep-alive), it is just not read yet.
			this.#unread = true;
			this.#unreadCount = count;
			this.#lastHeard = Date.now();
			return;
		}
		const buffer = this.#transport!.read();
		if (!buffer) return;
		this.#lastHeard = Date.now();
		this.#protocol!.receiveData(buffer);
		this.process();
	}

	// After the core was called: the close it asked for, and what is queued goes out.
	private process() {
		const protocol = this.#protocol;
		if (!protocol) return;
		if (protocol.shouldCloseTransport) this.#closeAfterFlush = true;
		this.flush();
		// A failed connection does not wait for its Close frame to drain: what the budget took
		// goes out, then the socket closes (RFC 6455 §7.1.7).
		if (this.#closeAfterFlush && !this.#wasClean && protocol === this.#protocol) this.finish();
	}

	private event(event: ProtocolEvent) {
		const options = this.#options;
		switch (event.type) {
			case "open":
				this.#everOpen = true;
				this.#subprotocol = event.subprotocol;
				this.#lastHeard = Date.now();
				this.setState(ClientState.Connected);
				this.reschedule();
				options.onOpen?.call(this, event.subprotocol);
				break;
			case "handshakeFailed":
				this.error("handshake", `${this.label()}: ${event.message}`, event.status);
				break;
			case "message":
				options.onMessage?.call(this, event.data);
				break;
			case "pong":
				// ESP-AT §3.8: only a pong clears the deadline.
				this.#pingSentAt = 0;
				this.reschedule();
				break;
			case "error":
				this.error("protocol", `${this.label()}: ${event.error.message}`, 0, event.error.closeCode);
				break;
			case "close":
				this.#closeReported = true;
				this.#wasClean = event.wasClean;
				// RFC 6455 §7.1.1: after a clean close the server closes TCP; the client waits.
				if (event.wasClean) this.startClosing();
				options.onClose?.call(this, event.code, event.reason, event.wasClean);
				break;
		}
	}

	private flush() {
		const transport = this.#transport;
		const queue = this.#queue;
		if (!transport || !queue) return;
		// One write per flush: on wss:// every write is a TLS record with its own overhead,
		// charged to the TCP budget; the budget left is what the socket's write() answers.
		const pieces: Uint8Array[] = [];
		queue.flush({
			write(bytes: Uint8Array) {
				pieces.push(bytes);
			},
		});
		if (pieces.length) {
			let bytes = pieces[0];
			if (pieces.length > 1) {
				let length = 0;
				for (const piece of pieces) length += piece.length;
				bytes = new Uint8Array(length);
				let offset = 0;
				for (const piece of pieces) {
					bytes.set(piece, offset);
					offset += piece.length;
				}
			}
			const left = transport.write(bytes);
			if (left !== undefined) queue.grant(left);
		}
		if (this.#closeAfterFlush && queue.queued === 0) this.finish();
	}

	// The socket reported an error: refused, TLS failure, reset, or the server closed TCP.
	private transportEnded() {
		const protocol = this.#protocol!;
		if (protocol.state === State.Connecting) {
			if (!this.#transportUp) {
				if (this.#secure)
					this.fail("tls", `TLS with ${this.label()} failed: the connection was refused, or the TLS handshake failed (${this.tlsHint()})`);
				else this.fail("connect", `cannot connect to ${this.label()}: refused, unreachable or closed`);
			} else this.fail("handshake", `${this.label()} closed the connection without answering the opening handshake`);
			return;
		}
		if (!this.#closeReported) this.error("lost", `connection to ${this.label()} lost without a closing handshake`);
		// Nothing more can be written; the core reports the end (1006 unless it was clean).
		this.#queue!.clear();
		protocol.receiveEof();
		this.finish();
	}

	// Fails the attempt from the shell's side: onError, then onClose (1006) and the end.
	private fail(kind: ClientErrorKind, message: string) {
		this.error(kind, message);
		if (this.abandon(message)) this.finish();
	}

	// Fails the core without a Close frame (1006); its close event is reported meanwhile. False
	// when a callback ended the attempt.
	private abandon(reason: string): boolean {
		const protocol = this.#protocol;
		if (!protocol) return true;
		if (protocol.state !== State.Closed) protocol.fail(CloseCode.Abnormal, reason);
		return protocol === this.#protocol;
	}

	private error(kind: ClientErrorKind, message: string, status = 0, closeCode: number = CloseCode.Abnormal) {
		this.#options.onError?.call(this, new ClientError(message, kind, status, closeCode));
	}

	// The attempt is over: the socket closes, then reconnect or stop.
	private finish() {
		if (this.#state === ClientState.Stopped || this.#state === ClientState.WaitingToReconnect) return;
		this.release();
		const retry = !this.#stopping && !this.#wasClean && this.reconnect > 0 && (this.#everOpen || this.#options.reconnectFirst === true);
		if (retry) {
			this.#deadline = Date.now() + this.reconnect;
			this.setState(ClientState.WaitingToReconnect);
		} else this.setState(ClientState.Stopped);
		this.reschedule();
	}

	private release() {
		const transport = this.#transport;
		this.#transport = undefined;
		const protocol = this.#protocol;
		this.#protocol = undefined;
		this.#queue?.clear();
		this.#queue = undefined;
		this.#subprotocol = undefined;
		// Nothing more is parsed, even when this comes from within the core's own call.
		protocol?.receiveEof();
		transport?.close();
	}

	private startClosing() {
		if (this.#state === ClientState.Closing) return;
		this.#deadline = Date.now() + this.closeTimeout;
		this.setState(ClientState.Closing);
		this.reschedule();
	}

	private setState(state: number) {
		if (this.#state === state) return;
		this.#state = state;
		this.#options.onStateChange?.call(this, state);
	}

	// Whether a payload fits in the send queue, counting its frame header (at most 14 bytes). The
	// core may have failed already while the events that say so wait behind the one being handled
	// (a message and then an oversized frame in one read): it takes nothing more then.
	private fits(data: Payload): boolean {
		if (this.#state !== ClientState.Connected || !this.#queue || this.#protocol?.state !== State.Open) return false;
		const room = this.maxQueue - this.#queue.queued - 14;
		if (typeof data !== "string") return data.byteLength <= room;
		// A UTF-16 code unit is at most 3 UTF-8 bytes: count exactly only when that bound is too much.
		return data.length * 3 <= room || ArrayBuffer.fromString(data).byteLength <= room;
	}

	// --- time: the connect deadline, keep-alive, the close wait and the reconnect wait ---------

	private nextDeadline(): number | undefined {
		switch (this.#state) {
			case ClientState.Connected:
				if (this.#pingSentAt) return this.#pingSentAt + this.pongTimeout;
				return this.pingInterval ? this.#lastHeard + this.pingInterval : undefined;
			case ClientState.Connecting:
				return this.#protocol ? this.#deadline : undefined;
			case ClientState.Closing:
			case ClientState.WaitingToReconnect:
				return this.#deadline;
		}
		return undefined;
	}

	private reschedule() {
		const at = this.nextDeadline();
		if (at === undefined) {
			if (this.#timer) Timer.clear(this.#timer);
			this.#timer = undefined;
			return;
		}
		if (this.#timer && this.#timerAt === at) return;
		this.schedule(at - Date.now(), at);
	}

	private schedule(delay: number, at = Date.now() + delay) {
		if (this.#timer) Timer.clear(this.#timer);
		this.#timerAt = at;
		this.#timer = Timer.set(() => {
			this.#timer = undefined;
			this.tick();
		}, Math.max(0, delay));
	}

	private tick() {
		const now = Date.now();
		switch (this.#state) {
			case ClientState.Connecting:
				if (!this.#protocol) this.connect();
				else if (now >= this.#deadline) {
					const unnoticed = this.#secure && !this.#transportUp ? " (the SDK's TLS reports a refused client certificate only this way)" : "";
					this.fail("timeout", `no opening handshake with ${this.label()} within ${this.connectTimeout} ms${unnoticed}`);
				}
				break;
			case ClientState.Connected:
				if (this.#pingSentAt) {
					// While reading is paused with data waiting, the pong may be among it: not a dead link.
					if ((this.#paused || this.#waitingForMemory) && this.#unread) this.#pingSentAt = now;
					else if (now - this.#pingSentAt >= this.pongTimeout) this.fail("keepalive", `no pong from ${this.label()} within ${this.pongTimeout} ms`);
				} else if (this.pingInterval && now - this.#lastHeard >= this.pingInterval) {
					// ESP-AT §3.8: an empty ping after the idle interval; its pong deadline starts.
					this.#pingSentAt = now;
					this.#protocol!.ping();
					this.process();
				}
				break;
			case ClientState.Closing:
				if (now >= this.#deadline) {
					// The server did not close TCP (or answer the Close frame) in time: the client does.
					if (this.abandon("no answer to the Close frame")) this.finish();
				}
				break;
			case ClientState.WaitingToReconnect:
				if (now >= this.#deadline) this.connect();
				break;
		}
		this.reschedule();
	}

	private label(): string {
		const uri = this.#uri;
		return `${uri.secure ? "wss" : "ws"}://${uri.host}:${uri.port}`;
	}

	private tlsHint(): string {
		const secure = this.#secure!;
		const name = `"${this.#uri.host}"`;
		const server = secure.verify === false ? "" : `server certificate not signed by tls.ca, expired, or not issued for ${name}; `;
		return `${server}TLS 1.2 with P-256 only${secure.clientCertificates ? "; or the server refused the client certificate" : "; or the server requires a client certificate"}`;
	}
}
