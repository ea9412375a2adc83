// A Socket.IO client on the WebSocket client (wsclient/client): the Manager owns the one Engine.IO
// session, its heartbeat, acks awaited and reconnecting with backoff; a Socket is one namespace
// on it, with the API of socket.io-client (on, emit, emitWithAck, connect, disconnect). The
// protocol itself is socketio/protocol; this is the shell that moves messages and keeps time.
//
//   const socket = io("http://192.168.1.10:3000", { auth: { token: "..." } });
//   socket.on("connect", () => socket.emit("hello", { board: "esp32" }));
//   socket.on("echo", (...args) => { const ack = args.pop(); ack(...args); });
import Timer from "timer";
import type { TlsOptions } from "wsclient/credentials";
import type { ClientError } from "wsclient/errors";
import { WebSocketClient } from "wsclient/client";
import { ClientState } from "wsclient/state";
import { SocketIOError, type SocketIOErrorKind } from "socketio/errors";
import { SocketIOProtocol, isReservedEvent, utf8Within, type ProtocolHandler } from "socketio/protocol";
import { engineUrl, reconnectDelay } from "socketio/url";

export interface ManagerOptions {
	/** The Engine.IO path on the server (default "/socket.io/"). */
	path?: string;
	/** More query parameters for the server, "a=1&b=2". */
	query?: string;
	/** Reconnect after a lost or failed connection (default true); never after disconnect(). */
	reconnection?: boolean;
	/** Attempts before giving up ("reconnect_failed"; default Infinity). */
	reconnectionAttempts?: number;
	/** First wait before reconnecting, doubled each attempt (default 1000 ms)... */
	reconnectionDelay?: number;
	/** ...up to this (default 5000 ms). */
	reconnectionDelayMax?: number;
	/** Each wait is spread by ± this fraction (default 0.5). */
	randomizationFactor?: number;
	/** The WebSocket and the Engine.IO open packet must be there within this (default 20000 ms). */
	timeout?: number;
	/** An ack that has not come within this fails with a "timeout" error (default 10000 ms). */
	ackTimeout?: number;
	/** Most acks awaited at once; an emit beyond fails with a "queue" error (default 16). */
	maxPendingAcks?: number;
	/** Largest message received, and largest total of one packet's attachments (default 16384). */
	maxMessage?: number;
	/** Most attachments of one received packet (default 10). */
	maxAttachments?: number;
	/** Deepest JSON nesting accepted (default 16): XS parses with its small native stack. */
	maxDepth?: number;
	/** Most bytes waiting to be written (default 2 × maxMessage + 1024). */
	maxQueue?: number;
	/** More request header fields for the WebSocket handshake. */
	headers?: Array<[string, string]>;
	/** wss:// and https://: the CA, the client certificate and key (wsclient/credentials). */
	tls?: TlsOptions;
}

export interface SocketOptions {
	/** The CONNECT packet's payload: what the server's middleware reads as `socket.handshake.auth`. */
	auth?: Record<string, unknown>;
}

export interface IoOptions extends ManagerOptions, SocketOptions {
	/** Connect at once (default true); otherwise socket.connect() does. */
	autoConnect?: boolean;
}

type Handler = (...args: any[]) => void;
type Handlers = Record<string, Handler | Handler[]>;

/** An ack callback: socket.io-client's form with an ack timeout, the error first. */
export type AckCallback = (error: SocketIOError | null, ...args: any[]) => void;

interface PendingAck {
	id: number;
	socket: Socket;
	at: number;
	callback: AckCallback;
}

function addHandler(handlers: Handlers | undefined, event: string, handler: Handler): Handlers {
	const table = handlers ?? {};
	const present = table[event];
	if (present === undefined) table[event] = handler;
	else if (typeof present === "function") table[event] = [present, handler];
	else present.push(handler);
	return table;
}

function removeHandler(handlers: Handlers | undefined, event?: string, handler?: Handler) {
	if (!handlers) return;
	if (event === undefined) {
		for (const name in handlers) delete handlers[name];
		return;
	}
	const present = handlers[event];
	if (present === undefined || handler === undefined || present === handler) {
		delete handlers[event];
		return;
	}
	if (typeof present !== "function") {
		const index = present.indexOf(handler);
		if (index >= 0) present.splice(index, 1);
		if (present.length === 0) delete handlers[event];
	}
}

function callHandlers(self: unknown, handlers: Handlers | undefined, event: string, args: unknown[]): boolean {
	const present = handlers?.[event];
	if (present === undefined) return false;
	if (typeof present === "function") present.apply(self, args);
	// A copy: a handler may remove itself.
	else for (const handler of present.slice()) handler.apply(self, args);
	return true;
}

/**
 * The Engine.IO session to one server, shared by the namespaces (Sockets) on it. States are
 * ESP-AT's link states (wsclient/state): 0 stopped, 1 connecting, 2 connected (the Engine.IO
 * session is open), 3 waiting to reconnect.
 */
export class Manager {
	/** The WebSocket URL of the Engine.IO session. */
	readonly uri: string;
	readonly #options: ManagerOptions;
	readonly #protocol: SocketIOProtocol;
	readonly #sockets: Socket[] = [];
	#handlers: Handlers | undefined;
	#state: number = ClientState.Stopped;
	#ws: WebSocketClient | undefined;
	/** Why the last connection attempt failed (reported to the sockets as connect_error). */
	#failure: SocketIOError | undefined;
	#attempts = 0;
	#sid: string | undefined;
	#pingWindow = 0;
	// Deadlines in Date.now() ms; one timer serves them and the acks'.
	#deadline = 0;
	#acks: PendingAck[] = [];
	#nextAckId = 0;
	#timer: Timer | undefined;
	#timerAt = 0;
	// Messages are decoded (and handlers run) from a timer of their own, not inside the WebSocket's
	// receive path: XS has 384 stack slots on ESP32 and 256 on ESP8266, and a handler that emits
	// from deep inside the socket callback overflows them. Reading pauses until the inbox is
	// empty, so it never holds more than one read's messages. One timer, rescheduled, not one
	// per message.
	#inbox: Array<string | ArrayBuffer> = [];
	/** The WebSocket ended: handled after the messages before it. */
	#ended: SocketIOError | undefined;
	#drainer: Timer | undefined;
	#drainPending = false;
	/** The inbox is being decoded: what handlers send waits for the drain to write it. */
	#draining = false;

	constructor(url: string, options: ManagerOptions = {}) {
		this.uri = engineUrl(url, options.path, options.query).url;
		this.#options = options;
		const manager = this;
		const handler: ProtocolHandler = {
			onOpen(sid, pingInterval, pingTimeout) {
				manager.onOpen(sid, pingInterval + pingTimeout);
			},
			onPing() {
				// engine.io-protocol v4: the session is dead once no ping comes within
				// pingInterval + pingTimeout; the timer moves on when it fires, not on each ping.
				manager.#deadline = Date.now() + manager.#pingWindow;
				manager.emit("ping");
			},
			onClose() {
				manager.lost(new SocketIOError("the server closed the Engine.IO session", "transport"), "transport close", true);
			},
			onConnect(nsp, sid) {
				const socket = manager.find(nsp);
				if (socket?.active) socket._onconnect(sid);
				else {
					// Admitted to a namespace nobody wants any more: leave it (the drain sends it).
					manager.#protocol.disconnect(nsp);
				}
			},
			onConnectError(nsp, message, data) {
				const socket = manager.find(nsp);
				if (!socket?.active) return;
				socket._onrefused(new SocketIOError(message, "refused", data));
				manager.idle();
			},
			onDisconnect(nsp) {
				const socket = manager.find(nsp);
				if (!socket?.connected) return;
				manager.failAcks(socket, "the server disconnected the namespace");
				socket._onclose("io server disconnect", false);
				manager.idle();
			},
			onEvent(nsp, args, id) {
				const socket = manager.find(nsp);
				if (socket?.connected) socket._onevent(args, id);
				else manager.error("state", `an event for ${nsp}, which is not connected`);
			},
			onAck(nsp, id, args) {
				manager.onAck(nsp, id, args);
			},
			onError(error) {
				if (manager.#protocol.opened) manager.emit("error", error);
				// Before the open packet nothing else can work: this attempt fails.
				else manager.lost(error, "parse error");
			},
		};
		this.#protocol = new SocketIOProtocol(handler, {
			maxDepth: options.maxDepth,
			maxAttachments: options.maxAttachments,
			maxBinary: options.maxMessage ?? 16384,
		});
	}

	/** 0 stopped, 1 connecting, 2 connected, 3 waiting to reconnect (wsclient/state). */
	get state(): number {
		return this.#state;
	}

	/** The Engine.IO session id, while connected. */
	get sid(): string | undefined {
		return this.#sid;
	}

	/** Acks awaited now. */
	get pendingAcks(): number {
		return this.#acks.length;
	}

	/**
	 * Manager events: "open" (the Engine.IO session), "close" (reason, SocketIOError), "error" (bad input from
	 * the server, a SocketIOError: the packet is dropped, the session goes on), "ping",
	 * "reconnect_attempt" (attempt), "reconnect" (attempt), "reconnect_failed", "state" (state).
	 */
	on(event: string, handler: Handler): this {
		this.#handlers = addHandler(this.#handlers, event, handler);
		return this;
	}

	off(event?: string, handler?: Handler): this {
		removeHandler(this.#handlers, event, handler);
		return this;
	}

	/** The Socket for a namespace on this session (one per namespace). */
	socket(nsp: string, options: SocketOptions = {}): Socket {
		const name = nsp.startsWith("/") ? nsp : "/" + nsp;
		let socket = this.find(name);
		if (!socket) {
			socket = new Socket(this, name, options);
			this.#sockets.push(socket);
		} else if (options.auth !== undefined) socket.auth = options.auth;
		return socket;
	}

	/** Ends the session and every namespace on it; nothing reconnects. */
	close(): void {
		for (const socket of this.#sockets) if (socket.active) socket.disconnect();
		this.stop("io client disconnect");
	}

	// --- what the Sockets ask for ----------------------------------------------------------------

	/** @internal A socket became active: connect it now, or once the session is open. */
	_activate(socket: Socket): void {
		switch (this.#state) {
			case ClientState.Stopped:
				this.#attempts = 0;
				this.open();
				break;
			case ClientState.Connected: {
				const mark = this.#protocol.output.length;
				this.#protocol.connect(socket.nsp, socket.auth);
				this.send(mark);
				break;
			}
			case ClientState.WaitingToReconnect:
				// Someone wants it now: no reason to wait out the backoff.
				this.open();
				break;
		}
	}

	/** @internal A socket disconnects on its own. */
	_deactivate(socket: Socket, wasConnected: boolean): void {
		if (wasConnected) {
			const mark = this.#protocol.output.length;
			this.#protocol.disconnect(socket.nsp);
			this.send(mark);
		}
		this.failAcks(socket, "the socket disconnected");
		this.idle();
	}

	/** @internal EVENT from a socket; the callback (if any) gets the ack or an error. */
	_emit(socket: Socket, args: unknown[], callback: AckCallback | undefined): boolean {
		if (!socket.connected) return this.refuse(callback, new SocketIOError(`${socket.nsp} is not connected`, "disconnected"));
		let id = -1;
		if (callback) {
			const max = this.#options.maxPendingAcks ?? 16;
			if (this.#acks.length >= max) return this.refuse(callback, new SocketIOError(`${max} acks are awaited already`, "queue"));
			id = this.#nextAckId;
			this.#nextAckId = (id + 1) & 0x7fffffff;
		}
		const mark = this.#protocol.output.length;
		const error = this.#protocol.emit(socket.nsp, args, id) ?? this.send(mark);
		if (error) return this.refuse(callback, error);
		if (callback) {
			const at = Date.now() + (this.#options.ackTimeout ?? 10_000);
			this.#acks.push({ id, socket, at, callback });
			if (!this.#timer || at < this.#timerAt) this.schedule(at);
		}
		return true;
	}

	/** @internal ACK from a socket to the server's packet `id`. */
	_ack(socket: Socket, id: number, args: unknown[]): boolean {
		if (!socket.connected) return false;
		const mark = this.#protocol.output.length;
		const error = this.#protocol.ack(socket.nsp, id, args) ?? this.send(mark);
		if (error) this.emit("error", error);
		return !error;
	}

	// --- the session -------------------------------------------------------------------------------

	private open() {
		this.release();
		this.#protocol.reset();
		this.#failure = undefined;
		const options = this.#options;
		const timeout = options.timeout ?? 20_000;
		const manager = this;
		this.setState(ClientState.Connecting);
		if (this.#attempts > 0) this.emit("reconnect_attempt", this.#attempts);
		this.#deadline = Date.now() + timeout;
		this.schedule(this.#deadline);
		const ws: WebSocketClient = new WebSocketClient({
			url: this.uri,
			headers: options.headers,
			tls: options.tls,
			maxMessage: options.maxMessage ?? 16384,
			maxQueue: options.maxQueue,
			connectTimeout: timeout,
			// Engine.IO has its own heartbeat, and reconnecting (with backoff) is done here.
			pingInterval: 0,
			reconnect: 0,
			onMessage(data) {
				if (ws !== manager.#ws) return;
				manager.#inbox.push(data);
				if (!manager.#drainPending) {
					ws.pauseReading();
					manager.post();
				}
			},
			onError(error: ClientError) {
				if (ws !== manager.#ws) return;
				const kind: SocketIOErrorKind = error.kind === "timeout" ? "timeout" : error.closeCode === 1009 ? "payload" : "transport";
				manager.#failure ??= new SocketIOError(`websocket: ${error.message}`, kind, error);
			},
			onClose(code, reason) {
				if (ws !== manager.#ws || manager.#ended) return;
				manager.#ended = manager.#failure ?? new SocketIOError(`the WebSocket closed (${code}${reason ? ` ${reason}` : ""})`, "transport");
				manager.post();
			},
		});
		this.#ws = ws;
	}

	private post() {
		this.#drainPending = true;
		// First at once, then (never, in practice) every 2^30 ms: a repeating timer is not
		// released after it fires, so it can be scheduled again.
		if (this.#drainer) Timer.schedule(this.#drainer, 0, 0x40000000);
		else this.#drainer = Timer.set(() => this.drain(), 0, 0x40000000);
	}

	private drain() {
		Timer.schedule(this.#drainer!);
		this.#drainPending = false;
		const ws = this.#ws;
		const inbox = this.#inbox;
		this.#draining = true;
		for (let index = 0; index < inbox.length && this.#ws === ws; index++) {
			this.#protocol.receive(inbox[index]);
			this.flush();
		}
		this.#draining = false;
		inbox.length = 0;
		// A handler ended the session (or the session ended before the drain).
		if (!ws || this.#ws !== ws) return;
		const ended = this.#ended;
		if (ended) this.lost(ended, "transport close");
		else ws.resumeReading();
	}

	private onOpen(sid: string, pingWindow: number) {
		this.#sid = sid;
		this.#pingWindow = pingWindow;
		this.#deadline = Date.now() + pingWindow;
		const attempts = this.#attempts;
		this.#attempts = 0;
		this.setState(ClientState.Connected);
		this.schedule(Math.min(this.#deadline, this.earliestAck()));
		if (attempts > 0) this.emit("reconnect", attempts);
		this.emit("open");
		// socket.io-protocol v5: each namespace is joined with its own CONNECT (the drain sends them).
		for (const socket of this.#sockets) if (socket.active && !socket.connected) this.#protocol.connect(socket.nsp, socket.auth);
	}

	private onAck(nsp: string, id: number, args: unknown[]) {
		const acks = this.#acks;
		for (let index = 0; index < acks.length; index++) {
			const pending = acks[index];
			if (pending.id !== id || pending.socket.nsp !== nsp) continue;
			acks.splice(index, 1);
			args.unshift(null);
			pending.callback.apply(pending.socket, args as never);
			return;
		}
		// An ack that came after its timeout, or one never asked for: nothing waits for it.
	}

	// The session ended without disconnect(): the sockets hear "disconnect" (or "connect_error"
	// if they never got in), then it reconnects after the backoff, unless nothing wants it.
	private lost(error: SocketIOError, reason: string, graceful = false) {
		const wasOpen = this.#state === ClientState.Connected;
		this.release(graceful);
		const options = this.#options;
		const wanted = options.reconnection !== false && this.#sockets.some((socket) => socket.active);
		const exhausted = wanted && this.#attempts >= (options.reconnectionAttempts ?? Infinity);
		const retry = wanted && !exhausted;
		// The state first: a handler below may connect() or disconnect() and must see it.
		if (retry) {
			const delay = reconnectDelay(this.#attempts, options.reconnectionDelay ?? 1000, options.reconnectionDelayMax ?? 5000, options.randomizationFactor ?? 0.5);
			this.#attempts++;
			this.#deadline = Date.now() + delay;
			this.setState(ClientState.WaitingToReconnect);
			this.schedule(this.#deadline);
		} else this.stopTimers();
		this.failAcks(undefined, `the connection ended (${reason})`);
		for (const socket of this.#sockets.slice()) {
			if (socket.connected) socket._onclose(reason, retry);
			else if (socket.active && !wasOpen) socket._onconnecterror(error, retry);
		}
		this.emit("close", reason, error);
		if (exhausted) this.emit("reconnect_failed");
	}

	// Nothing is active any more: the session ends (socket.io-client closes its Manager then too).
	private idle() {
		if (this.#sockets.some((socket) => socket.active)) return;
		this.stop("io client disconnect");
	}

	private stop(reason: string) {
		const hadSession = this.#ws !== undefined;
		this.release(true);
		this.failAcks(undefined, `the connection ended (${reason})`);
		this.stopTimers();
		if (hadSession) this.emit("close", reason);
	}

	// Stopped for good: no timer keeps the Manager alive.
	private stopTimers() {
		if (this.#timer) Timer.clear(this.#timer);
		this.#timer = undefined;
		if (this.#drainer) Timer.clear(this.#drainer);
		this.#drainer = undefined;
		this.#drainPending = false;
		this.setState(ClientState.Stopped);
	}

	// Lets go of the WebSocket: its later callbacks are ignored (they compare it with #ws). A
	// graceful end sends a Close frame; a failed session (no ping, bad input) is just dropped.
	private release(graceful = false) {
		const ws = this.#ws;
		// What a handler queued (its last DISCONNECT) goes out before the Close frame.
		if (graceful && ws?.state === ClientState.Connected) this.flush();
		this.#ws = undefined;
		this.#sid = undefined;
		this.#inbox.length = 0;
		this.#ended = undefined;
		if (!ws) return;
		if (graceful && ws.state === ClientState.Connected) ws.close(1000);
		else ws.terminate();
	}

	// Whether everything the protocol queued fits in the WebSocket's send queue now.
	private check(): SocketIOError | undefined {
		const ws = this.#ws;
		if (!ws || ws.state !== ClientState.Connected) return new SocketIOError("not connected", "disconnected");
		const maxMessage = this.#options.maxMessage ?? 16384;
		let room = (this.#options.maxQueue ?? 2 * maxMessage + 1024) - ws.bufferedAmount;
		for (const piece of this.#protocol.output) {
			// 14: the most a frame header takes.
			room -= 14;
			if (typeof piece !== "string") room -= piece.byteLength;
			else if (utf8Within(piece, room)) room -= piece.length;
			else room = -1;
			if (room < 0) return new SocketIOError("the send queue is full: the server does not read fast enough", "queue");
		}
		return undefined;
	}

	// Sends everything the protocol queued, or nothing: a packet and its attachments go together.
	private flush(): SocketIOError | undefined {
		const output = this.#protocol.output;
		if (output.length === 0) return undefined;
		const error = this.check();
		if (!error) for (const piece of output) this.#ws!.send(piece);
		output.length = 0;
		return error;
	}

	// A packet was just queued (the output from `mark` on): sent now, or, from a handler while the
	// inbox is decoded, by the drain once the handler returns, so that the WebSocket's send path
	// does not run on top of the decoding stack. Either way it fits, or it is taken back.
	private send(mark: number): SocketIOError | undefined {
		if (!this.#draining) return this.flush();
		const error = this.check();
		if (error) this.#protocol.output.length = mark;
		return error;
	}

	private failAcks(socket: Socket | undefined, why: string) {
		const acks = this.#acks;
		if (acks.length === 0) return;
		const failed = socket ? acks.filter((pending) => pending.socket === socket) : acks.slice();
		if (failed.length === 0) return;
		this.#acks = socket ? acks.filter((pending) => pending.socket !== socket) : [];
		for (const pending of failed) pending.callback.call(pending.socket, new SocketIOError(`no ack: ${why}`, "disconnected"));
	}

	private refuse(callback: AckCallback | undefined, error: SocketIOError): false {
		callback?.(error);
		return false;
	}

	private find(nsp: string): Socket | undefined {
		for (const socket of this.#sockets) if (socket.nsp === nsp) return socket;
		return undefined;
	}

	private emit(event: string, ...args: unknown[]) {
		callHandlers(this, this.#handlers, event, args);
	}

	private error(kind: SocketIOErrorKind, message: string) {
		this.emit("error", new SocketIOError(message, kind));
	}

	private setState(state: number) {
		if (this.#state === state) return;
		this.#state = state;
		this.emit("state", state);
	}

	// --- time ----------------------------------------------------------------------------------

	private earliestAck(): number {
		let at = Infinity;
		for (const pending of this.#acks) if (pending.at < at) at = pending.at;
		return at;
	}

	private schedule(at: number) {
		if (at === Infinity) return;
		if (this.#timer) Timer.clear(this.#timer);
		this.#timerAt = at;
		this.#timer = Timer.set(() => {
			this.#timer = undefined;
			this.tick();
		}, Math.max(0, at - Date.now()));
	}

	private tick() {
		const now = Date.now();
		if (now >= this.#deadline) {
			switch (this.#state) {
				case ClientState.Connecting:
					this.lost(this.#failure ?? new SocketIOError(`no Engine.IO session with ${this.uri} within ${this.#options.timeout ?? 20_000} ms`, "timeout"), "timeout");
					break;
				case ClientState.Connected:
					this.lost(new SocketIOError(`no ping from the server within pingInterval + pingTimeout (${this.#pingWindow} ms)`, "heartbeat"), "ping timeout");
					break;
				case ClientState.WaitingToReconnect:
					this.open();
					break;
			}
		}
		if (this.#acks.length) {
			const expired = this.#acks.filter((pending) => pending.at <= now);
			if (expired.length) {
				this.#acks = this.#acks.filter((pending) => pending.at > now);
				const timeout = this.#options.ackTimeout ?? 10_000;
				for (const pending of expired) pending.callback.call(pending.socket, new SocketIOError(`no ack within ${timeout} ms`, "timeout"));
			}
		}
		if (this.#timer) return; // something above scheduled already
		const next = Math.min(this.#state === ClientState.Stopped ? Infinity : this.#deadline, this.earliestAck());
		this.schedule(next);
	}
}

/** One namespace on a Manager's session: socket.io-client's Socket. */
export class Socket {
	readonly io: Manager;
	/** The namespace, "/" for the main one. */
	readonly nsp: string;
	/** The CONNECT payload, sent at each (re)connection; may be changed before connect(). */
	auth: Record<string, unknown> | undefined;
	/** The socket's id in its namespace, while connected. */
	id: string | undefined;
	connected = false;
	#active = false;
	#handlers: Handlers | undefined;
	#any: Handler | undefined;

	constructor(io: Manager, nsp: string, options: SocketOptions = {}) {
		this.io = io;
		this.nsp = nsp;
		this.auth = options.auth;
	}

	/** Whether the socket connects (or reconnects) whenever the session is up. */
	get active(): boolean {
		return this.#active;
	}

	/**
	 * Events: those the server emits (handler(...args), with an ack function last when the server
	 * asks for one), and "connect", "disconnect" (reason, willReconnect), "connect_error" (a
	 * SocketIOError: "refused" with the server's `data`, or why the connection failed).
	 */
	on(event: string, handler: Handler): this {
		this.#handlers = addHandler(this.#handlers, event, handler);
		return this;
	}

	off(event?: string, handler?: Handler): this {
		removeHandler(this.#handlers, event, handler);
		return this;
	}

	/** One handler for every event the server emits, before its own handlers: (event, ...args),
	 *  the ack function last when the server asks for one. Undefined removes it. */
	onAny(handler: ((event: string, ...args: any[]) => void) | undefined): this {
		this.#any = handler;
		return this;
	}

	/**
	 * Emits an event: emit(name, ...args), with a function last for an ack, called as
	 * (error, ...ackArgs): error is null, or a SocketIOError when no ack came within ackTimeout or
	 * the packet could not go. Bytes (ArrayBuffer, typed arrays) anywhere in args go as binary
	 * attachments. Returns whether the packet was queued: false when not connected, when it is
	 * larger than the server's maxPayload or when the send queue is full (nothing is buffered).
	 */
	emit(event: string, ...args: unknown[]): boolean {
		if (isReservedEvent(event)) return false;
		const last = args[args.length - 1];
		const callback = typeof last === "function" ? (args.pop() as AckCallback) : undefined;
		args.unshift(event);
		return this.io._emit(this, args, callback);
	}

	/** Emits and resolves with the ack's first argument (rejects with the SocketIOError). */
	emitWithAck(event: string, ...args: unknown[]): Promise<unknown> {
		return new Promise((resolve, reject) => {
			if (isReservedEvent(event)) {
				reject(new SocketIOError(`"${event}" is a reserved event name`, "state"));
				return;
			}
			args.unshift(event);
			this.io._emit(this, args, (error, value) => (error ? reject(error) : resolve(value)));
		});
	}

	/** Connects the namespace (and the session if needed); it reconnects until disconnect(). */
	connect(): this {
		if (this.#active) return this;
		this.#active = true;
		this.io._activate(this);
		return this;
	}

	open(): this {
		return this.connect();
	}

	/** Leaves the namespace (DISCONNECT); the session ends when no namespace is left. */
	disconnect(): this {
		if (!this.#active) return this;
		const wasConnected = this.connected;
		this.#active = false;
		if (wasConnected) this._onclose("io client disconnect", false);
		this.io._deactivate(this, wasConnected);
		return this;
	}

	close(): this {
		return this.disconnect();
	}

	/** Another namespace on the same session (socket.io-client: manager.socket(nsp)), connected
	 *  unless options.autoConnect is false. */
	of(nsp: string, options: SocketOptions & { autoConnect?: boolean } = {}): Socket {
		const socket = this.io.socket(nsp, options);
		if (options.autoConnect !== false) socket.connect();
		return socket;
	}

	// --- from the Manager ------------------------------------------------------------------------

	/** @internal */
	_onconnect(sid: string): void {
		this.id = sid;
		this.connected = true;
		callHandlers(this, this.#handlers, "connect", []);
	}

	/** @internal */
	_onclose(reason: string, willReconnect: boolean): void {
		if (!willReconnect) this.#active = false;
		if (!this.connected) return;
		this.connected = false;
		this.id = undefined;
		callHandlers(this, this.#handlers, "disconnect", [reason, willReconnect]);
	}

	/** @internal The server refused the namespace: no retry until connect() is called again. */
	_onrefused(error: SocketIOError): void {
		this.#active = false;
		callHandlers(this, this.#handlers, "connect_error", [error]);
	}

	/** @internal The session could not be opened; it is tried again unless reconnection is off. */
	_onconnecterror(error: SocketIOError, willRetry: boolean): void {
		if (!willRetry) this.#active = false;
		callHandlers(this, this.#handlers, "connect_error", [error]);
	}

	/** @internal */
	_onevent(args: unknown[], id: number): void {
		const event = args.shift() as string;
		if (id >= 0) {
			let sent = false;
			args.push((...ackArgs: unknown[]) => {
				if (sent) return false;
				sent = true;
				return this.io._ack(this, id, ackArgs);
			});
		}
		if (this.#any) this.#any.call(this, event, ...args);
		callHandlers(this, this.#handlers, event, args);
	}
}

/**
 * Connects to a Socket.IO server as socket.io-client's io() does: a Manager for the server and
 * the Socket of the namespace the URL's path names ("/" without one).
 */
export function io(url: string, options: IoOptions = {}): Socket {
	const manager = new Manager(url, options);
	const socket = manager.socket(engineUrl(url).nsp, { auth: options.auth });
	if (options.autoConnect !== false) socket.connect();
	return socket;
}
