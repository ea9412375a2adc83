// The RFC 6455 state machine of one connection, without I/O (after python-websockets'
// Protocol): it is fed the bytes that arrive (receiveData, receiveEof) and hands what to write
// and what happened to its handler, synchronously and in stream order: a message is delivered
// (and its echo written) before a frame that follows it can fail the connection. Without a
// handler it collects both, for dataToSend() and eventsReceived(). Framing, the close handshake
// and ping/pong live here once; ServerProtocol and ClientProtocol add only the opening handshake.
import type { MemoryBudget } from "ws/budget";
import { CloseCode, encodeClosePayload, isValidCloseCode, maxCloseReason, parseClosePayload } from "ws/close";
import { InvalidPayloadError, InvalidStateError, WebSocketError } from "ws/errors";
import { FrameParser, Opcode, type FrameRules, encodeFrame, frameHeaderSize, isControl, maxControlPayload, writeFrameHeader, type FrameSink } from "ws/frame";
import type { HttpRequest } from "ws/http";
import { Utf8Validator } from "ws/utf8";

// The states as constants, for the paths every message takes.
const Connecting = 0;
const Open = 1;

/** RFC 6455 §4.1, §7: the connection's states (the numbers of the WebSocket API's readyState). */
export const State = Object.freeze({
	Connecting: 0,
	Open: 1,
	/** This side has sent a Close frame and waits for the peer's. */
	Closing: 2,
	/** The close handshake is over (or the connection failed): no frame goes either way. */
	Closed: 3,
});

export type Role = "server" | "client";

export interface ProtocolOptions {
	/** `count` random bytes (masking keys, Sec-WebSocket-Key; RFC 6455 §5.3, §10.3). */
	random(count: number): Uint8Array;
	/** Largest data message accepted, in bytes (default 16384); larger fails with 1009. */
	maxMessage?: number;
	/** When set, data is delivered as "chunk" events of at most this many bytes as frames
	 *  arrive, instead of whole messages. */
	chunkSize?: number;
	/** Where the bytes to write and what happens go (default: collected for dataToSend() and
	 *  eventsReceived()). */
	handler?: ProtocolHandler;
	/** Counts what a message being assembled from pieces holds: from its first frame, its whole
	 *  length (or maxMessage, for a message in several frames: its end is not known), until it is
	 *  delivered or the connection ends, so a message once begun can always be completed. */
	budget?: MemoryBudget;
	/** The settings above, made once by protocolSettings() for many connections (a server's, a
	 *  client's attempts): kept by reference, and then random, maxMessage, chunkSize and budget
	 *  here are not read. */
	settings?: ProtocolSettings;
}

/** What the connections of a server (or the attempts of a client) share, kept by reference: a
 *  connection holds one field for them rather than copies of each. */
export interface ProtocolSettings extends FrameRules {
	readonly role: Role;
	readonly chunkSize: number;
	/** The most a message assembled from pieces may grow to (maxMessage, as a buffer allows). */
	readonly maxResizable: number;
	readonly random: (count: number) => Uint8Array;
	readonly budget: MemoryBudget | undefined;
}

/** What a shell gives the core: called synchronously, in stream order. */
export interface ProtocolHandler {
	/** Bytes to write, in order. They may be a view of the bytes given to receiveData (a pong's
	 *  payload, an echo framed in place): write them before that buffer is reused, or copy them. */
	write(bytes: Uint8Array): void;
	/** A whole data message (text is checked UTF-8). A view valid only during the call: keep a
	 *  copy, or send it back with send() during the call to echo it without a copy. */
	message(bytes: Uint8Array, binary: boolean): void;
	/** Every other event. */
	event(event: ProtocolEvent): void;
	/** In chunk mode, a piece of a data frame (opcode 0 for a continuation frame), as the "chunk"
	 *  event would carry it: a handler that has this method gets pieces here, without an event
	 *  object each and two calls shallower (the pieces come from deep inside the socket's
	 *  callback). */
	chunk?(opcode: number, fin: boolean, frameLength: number, offset: number, bytes: Uint8Array): void;
}

export type ProtocolEvent =
	/** Server: a valid upgrade request; answer with accept() or reject(). */
	| { type: "request"; request: HttpRequest; subprotocol: string | undefined }
	/** The opening handshake is complete (RFC 6455 §4.1, §4.2.2). */
	| { type: "open"; subprotocol: string | undefined }
	/** The opening handshake failed: the status the server answered (or, on a server, the one it
	 *  answers), its reason phrase, and what was wrong. A "close" event follows. */
	| { type: "handshakeFailed"; status: number; reason: string; message: string }
	/** A whole data message, as collected without a handler: text as a string, binary as an
	 *  ArrayBuffer of its own. */
	| { type: "message"; data: string | ArrayBuffer }
	/** In chunk mode: a piece of a data frame (opcode 0 for a continuation frame). */
	| { type: "chunk"; opcode: number; fin: boolean; frameLength: number; offset: number; bytes: Uint8Array }
	| { type: "ping"; data: Uint8Array }
	| { type: "pong"; data: Uint8Array }
	/** The connection failed with this error; its Close frame is queued. */
	| { type: "error"; error: WebSocketError }
	/** Last event of every connection: the peer's close code and reason for a clean close, else
	 *  the code of the failure (1006 when the transport ended without a close handshake). */
	| { type: "close"; code: number; reason: string; wasClean: boolean }
	/** Close the TCP connection once dataToSend() has been written (RFC 6455 §7.1.1: the server
	 *  closes first; the client after the server did, see receiveEof). */
	| { type: "closeTransport" };

export type Payload = string | ArrayBuffer | ArrayBufferView;

const noBytes = Object.freeze(new Uint8Array(0)) as Uint8Array;

// The last message echoed in place, and its frame view: shared by every connection (the parser's
// payload views are, ws/frame), so it costs no memory per connection.
let lastEchoed: Uint8Array | undefined;
let lastEchoFrame: Uint8Array | undefined;

// The UTF-8 check of a whole text message: shared by every connection (it is over before the
// message is delivered), so it costs no memory per connection. Made at run time: what a
// preloaded module makes at build time is read-only.
let wholeUtf8: Utf8Validator | undefined;

// Room kept in front of a message assembled from pieces, so that a server can frame it in place
// (a server header is at most 10 bytes).
const headroom = 10;

/** The settings of connections of `role` made with these options. */
export function protocolSettings(role: Role, options: ProtocolOptions): ProtocolSettings {
	if (options.chunkSize !== undefined && !(options.chunkSize >= 1)) throw new RangeError("chunkSize must be at least 1");
	const maxMessage = options.maxMessage ?? 16384;
	return Object.freeze({
		role,
		expectMasked: role === "server",
		maxMessage,
		maxResizable: Math.min(maxMessage, 0x7fffffff - headroom),
		chunkSize: options.chunkSize ?? 0,
		random: options.random,
		budget: options.budget,
	});
}

/** The handler of a Protocol made without one: it keeps everything for the caller to take. */
class Collector implements ProtocolHandler {
	output: Uint8Array[] = [];
	events: ProtocolEvent[] = [];

	write(bytes: Uint8Array): void {
		this.output.push(bytes);
	}

	message(bytes: Uint8Array, binary: boolean): void {
		// A copy of the realm's own (the bytes may be a view of the caller's buffer).
		const copy = new Uint8Array(bytes).buffer as ArrayBuffer;
		this.events.push({ type: "message", data: binary ? copy : copy.byteLength ? String.fromArrayBuffer(copy) : "" });
	}

	event(event: ProtocolEvent): void {
		this.events.push(event);
	}
}

export class Protocol implements FrameSink {
	/** Bytes received so far: the shells restart their idle (keep-alive) timer when it grows. */
	bytesReceived = 0;
	// (XS finds a private field by walking the class's fields in order: those every message
	// reads come first.)
	#state: number;
	readonly #parser: FrameParser;
	readonly #settings: ProtocolSettings;
	readonly #handler: ProtocolHandler;
	// The message being delivered, while the handler has it: sending it back frames it in place.
	#delivered: Uint8Array | undefined;
	#closeSent = false;
	// Whether a fragmented message is being sent (RFC 6455 §5.4: no other data frame until its end).
	#sending = false;
	// The UTF-8 check of a text message in pieces (made when one first comes; a whole message is
	// checked by the shared validator).
	#utf8: Utf8Validator | undefined;
	// The data message being received: its opcode, and (assembled from pieces) its buffer and fill.
	#messageOpcode = 0;
	#message: Uint8Array | undefined;
	#filled = 0;
	// What the message being assembled has taken from the budget.
	#reserved = 0;
	#closeEmitted = false;
	#closeTransport = false;

	constructor(role: Role, options: ProtocolOptions, state: number = State.Open) {
		const settings = options.settings ?? protocolSettings(role, options);
		if (settings.role !== role) throw new RangeError(`settings for a ${settings.role}, not a ${role}`);
		this.#settings = settings;
		this.#state = state;
		this.#parser = new FrameParser(settings);
		this.#handler = options.handler ?? new Collector();
	}

	get role(): Role {
		return this.#settings.role;
	}

	get state(): number {
		return this.#state;
	}

	/** Whether the shell should close the TCP connection (after writing what it was given). */
	get shouldCloseTransport(): boolean {
		return this.#closeTransport;
	}

	/** Whether a data message is being assembled from pieces (it holds its budget until it ends). */
	get assembling(): boolean {
		return this.#message !== undefined;
	}

	/** The most bytes receiveData can take without going past the end of the current frame (or
	 *  header): a shell short of memory reads a message it has begun to its end, and no further. */
	get bytesToFrameEnd(): number {
		return this.#parser.bytesToFrameEnd;
	}

	/** Feeds the bytes that arrived (the first `length` of them), split anywhere. Frame
	 *  payloads are unmasked in place. */
	receiveData(data: Uint8Array | ArrayBuffer, length?: number): void {
		const bytes = ArrayBuffer.isView(data) ? data : new Uint8Array(data);
		const end = length ?? bytes.length;
		this.bytesReceived += end;
		const state = this.#state;
		if (state === Open) {
			// receiveFrames(), on the path of every message.
			try {
				this.#parser.parse(bytes, this, end);
			} catch (error) {
				this.failWith(error);
			}
		} else if (state === Connecting) this.receiveHandshake(end === bytes.length ? bytes : bytes.subarray(0, end));
		else this.receiveFrames(bytes, end);
	}

	/** The transport ended (the peer closed TCP, or it broke). */
	receiveEof(): void {
		this.#parser.stop();
		this.dropMessage();
		if (this.#state !== State.Closed) {
			this.#state = State.Closed;
			this.emitClose(CloseCode.Abnormal, "", false);
		}
		this.setCloseTransport();
	}

	/** Without a handler: the bytes to write, in order; drained. */
	dataToSend(): Uint8Array[] {
		const collector = this.#handler as Collector;
		const output = collector.output;
		if (output?.length) collector.output = [];
		return output ?? [];
	}

	/** Without a handler: what happened since the last call; drained. */
	eventsReceived(): ProtocolEvent[] {
		const collector = this.#handler as Collector;
		const events = collector.events;
		if (events?.length) collector.events = [];
		return events ?? [];
	}

	/** Sends a whole message: a string as text, bytes as binary (or as text, when `binary` is
	 *  false: the bytes must then be UTF-8, e.g. a text message received). */
	send(data: Payload, binary = typeof data !== "string"): void {
		// (Tail calls throughout: an echo is sent from deep inside the receive path.)
		if (typeof data === "string") return this.sendText(data);
		const opcode = binary ? Opcode.Binary : Opcode.Text;
		// An echo, on one path: the message being delivered goes back framed where it lies (see
		// #writeFrame), in one write.
		const delivered = this.#delivered;
		if (data === delivered && this.#settings.role === "server" && this.#state === Open && !this.#closeSent && !this.#sending) {
			const length = delivered.length;
			const size = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
			const offset = delivered.byteOffset;
			if (offset >= size) {
				this.#delivered = undefined;
				// The frame view of the last echo serves again when the message lies in the same view.
				let frame = lastEchoFrame;
				if (delivered !== lastEchoed) {
					frame = lastEchoFrame = new Uint8Array(delivered.buffer, offset - size, size + length);
					lastEchoed = delivered;
				}
				frame![0] = 0x80 | opcode;
				if (size === 2) frame![1] = length;
				else writeFrameHeader(frame!, 0, opcode, true, length);
				return this.#handler.write(frame!);
			}
		}
		return this.sendData(opcode, data instanceof Uint8Array ? data : bytesOf(data), true, false);
	}

	/** A text frame; with fin false, the first fragment of a message (RFC 6455 §5.4). */
	sendText(text: string, fin = true): void {
		this.sendData(Opcode.Text, new Uint8Array(ArrayBuffer.fromString(text)), fin, true);
	}

	/** A binary frame; with fin false, the first fragment of a message. */
	sendBinary(data: ArrayBuffer | ArrayBufferView, fin = true): void {
		this.sendData(Opcode.Binary, bytesOf(data), fin, false);
	}
	/** A continuation frame of the message being sent; fin ends it. */
	sendContinuation(data: Payload, fin: boolean): void {
		if (typeof data === "string") this.sendData(Opcode.Continuation, new Uint8Array(ArrayBuffer.fromString(data)), fin, true);
		else this.sendData(Opcode.Continuation, bytesOf(data), fin, false);
	}

	/**
	 * Any one frame, as the ESP-AT bridge's AT+WSSEND asks for it (any opcode, fin as given); only
	 * the state and the control-frame limits (RFC 6455 §5.5) are checked. A Close frame sent this
	 * way starts the close handshake like close(). With `owned`, the caller gives the bytes up: a
	 * client masks them in place instead of copying them.
	 */
	sendFrame(opcode: number, data: Payload, fin = true, owned = false): void {
		this.checkCanSend();
		const payload = typeof data === "string" ? new Uint8Array(ArrayBuffer.fromString(data)) : bytesOf(data);
		if (opcode < 0 || opcode > 15) throw new RangeError(`opcode ${opcode}`);
		if (isControl(opcode) && (!fin || payload.length > maxControlPayload)) throw new RangeError("control frames are unfragmented and at most 125 bytes");
		if (opcode === Opcode.Close) {
			this.#closeSent = true;
			this.#state = State.Closing;
		} else if (opcode === Opcode.Text || opcode === Opcode.Binary || opcode === Opcode.Continuation) this.#sending = !fin;
		this.writeFrame(opcode, fin, payload, owned || typeof data === "string");
	}

	/** A Ping (RFC 6455 §5.5.2), e.g. for keep-alive; the peer answers with a "pong" event. */
	ping(data: Payload = noBytes): void {
		this.sendControl(Opcode.Ping, data);
	}

	/** An unsolicited Pong (RFC 6455 §5.5.3: a unidirectional heartbeat). */
	pong(data: Payload = noBytes): void {
		this.sendControl(Opcode.Pong, data);
	}

	/**
	 * Starts the close handshake (RFC 6455 §7.1.2): sends a Close frame with the code and reason
	 * (none when code is undefined); the peer's Close then ends the connection. Nothing happens
	 * when a Close frame was already sent.
	 */
	close(code?: number, reason = ""): void {
		if (this.#state === State.Connecting) throw new InvalidStateError("the opening handshake is not complete");
		if (this.#closeSent || this.#state === State.Closed) return;
		this.writeFrame(Opcode.Close, true, encodeClosePayload(code, reason), true);
		this.#closeSent = true;
		this.#state = State.Closing;
	}

	/**
	 * Fails the connection (RFC 6455 §7.1.7): a Close frame with the code if one may still be
	 * sent (none for 1006, e.g. after a keep-alive timeout), then the transport is to be closed.
	 */
	fail(code: number, reason = ""): void {
		if (this.#state === State.Closed) return;
		this.#parser.stop();
		this.dropMessage();
		if (this.#state !== State.Connecting && !this.#closeSent && isValidCloseCode(code))
			this.writeFrame(Opcode.Close, true, encodeClosePayload(code, fitReason(reason)), true);
		this.#closeSent = true;
		this.#state = State.Closed;
		this.emitClose(code, reason, false);
		this.setCloseTransport();
	}

	// --- for the handshake subclasses -------------------------------------------------------

	/** Bytes that arrive while CONNECTING (the opening handshake). */
	protected receiveHandshake(bytes: Uint8Array): void {
		this.receiveFrames(bytes);
	}

	protected write(bytes: Uint8Array): void {
		this.#handler.write(bytes);
	}

	protected emit(event: ProtocolEvent): void {
		this.#handler.event(event);
	}

	/** The opening handshake succeeded; `rest` holds the first frame bytes, if any came with it. */
	protected open(subprotocol: string | undefined, rest?: Uint8Array): void {
		this.#state = State.Open;
		this.emit({ type: "open", subprotocol });
		if (rest && rest.length) this.receiveFrames(rest);
	}

	/** The opening handshake failed: the connection ends here. */
	protected handshakeFailed(status: number, reason: string, message: string): void {
		this.#parser.stop();
		this.#state = State.Closed;
		this.emit({ type: "handshakeFailed", status, reason, message });
		this.emitClose(CloseCode.Abnormal, message, false);
		this.setCloseTransport();
	}

	protected receiveFrames(bytes: Uint8Array, end: number = bytes.length): void {
		if (this.#state === State.Closed) return;
		try {
			this.#parser.parse(bytes, this, end);
		} catch (error) {
			this.failWith(error);
		}
	}

	// A violation the parser or a check found fails the connection; anything else is a bug.
	private failWith(error: unknown) {
		if (!(error instanceof WebSocketError)) throw error;
		this.emit({ type: "error", error });
		this.fail(error.closeCode, error.message);
	}

	// --- FrameSink: what the parser found ---------------------------------------------------

	framePayload(opcode: number, fin: boolean, bytes: Uint8Array, offset: number, length: number): void {
		if (this.#settings.chunkSize) return this.chunk(opcode, fin, bytes, offset, length);
		const count = bytes.length;
		if (fin && opcode !== Opcode.Continuation && count === length) return this.wholeMessage(bytes, opcode === Opcode.Binary);
		// (Few locals here: XS reserves stack for all of a function's locals at each call, and the
		// echo of an assembled message goes on from inside this one.)
		if (offset === 0) this.growMessage(opcode, fin, length);
		if (count) {
			this.#message!.set(bytes, this.#filled);
			if (this.#messageOpcode === Opcode.Text) this.checkUtf8(bytes);
			this.#filled += count;
		}
		if (!fin || offset + count !== length) return;
		if (this.#messageOpcode === Opcode.Text) this.checkUtf8Complete();
		const message = this.#message!.subarray(headroom, this.#filled);
		this.dropMessage();
		// While the handler has the message, sending it back frames it in place (see send). An
		// exception from the handler leaves #delivered set; the next delivery replaces it.
		this.#delivered = message;
		this.#handler.message(message, this.#messageOpcode !== Opcode.Text);
		this.#delivered = undefined;
		// An assembled message is never delivered again: the shared echo cache must not keep it
		// (up to maxMessage bytes) alive.
		if (lastEchoed === message) lastEchoed = lastEchoFrame = undefined;
	}

	// A data frame's first piece: a message begins (a buffer for it), or a continuation frame
	// grows it.
	private growMessage(opcode: number, fin: boolean, length: number) {
		if (opcode !== Opcode.Continuation) {
			this.#messageOpcode = opcode;
			if (opcode === Opcode.Text) this.newUtf8Stream();
			// A message in several frames grows frame by frame: a resizable buffer, which XS
			// reallocates in place where it can, so each payload byte is copied once.
			const { maxResizable, budget } = this.#settings;
			const buffer = fin ? new ArrayBuffer(headroom + length) : new ArrayBuffer(headroom + length, { maxByteLength: headroom + maxResizable });
			if (budget) budget.take((this.#reserved = headroom + (fin ? length : maxResizable)));
			this.#message = new Uint8Array(buffer);
			this.#filled = headroom;
		} else if (length) {
			// The parser has already checked the grown size against maxMessage.
			const buffer = this.#message!.buffer as ArrayBuffer;
			buffer.resize(this.#filled + length);
			this.#message = new Uint8Array(buffer);
		}
	}

	// A whole message in one piece: checked and delivered where it lies, no copy.
	wholeMessage(bytes: Uint8Array, binary: boolean): void {
		if (this.#settings.chunkSize) {
			this.chunk(binary ? Opcode.Binary : Opcode.Text, true, bytes, 0, bytes.length);
			return;
		}
		if (!binary) {
			const utf8 = (wholeUtf8 ??= new Utf8Validator());
			utf8.reset();
			if (!utf8.write(bytes)) throw new InvalidPayloadError("text message is not UTF-8");
			if (!utf8.complete) throw new InvalidPayloadError("text message ends inside a UTF-8 sequence");
		}
		this.#delivered = bytes; // as in framePayload, on the path of every message
		this.#handler.message(bytes, binary);
		this.#delivered = undefined;
	}

	controlFrame(opcode: number, payload: Uint8Array): void {
		this.receiveControl(opcode, payload);
	}

	// The message being assembled is delivered, or will never be: its budget goes back.
	private dropMessage() {
		this.#message = undefined;
		const reserved = this.#reserved;
		if (reserved) {
			this.#reserved = 0;
			this.#settings.budget!.give(reserved);
		}
	}

	// Chunk mode: the payload as it comes, in copies of at most chunkSize bytes.
	private chunk(opcode: number, fin: boolean, bytes: Uint8Array, offset: number, length: number) {
		if (offset === 0 && opcode !== Opcode.Continuation) {
			this.#messageOpcode = opcode;
			if (opcode === Opcode.Text) this.newUtf8Stream();
		}
		const text = this.#messageOpcode === Opcode.Text;
		const handler = this.#handler;
		if (length === 0) {
			if (handler.chunk) handler.chunk(opcode, fin, 0, 0, new Uint8Array(0));
			else this.emit({ type: "chunk", opcode, fin, frameLength: 0, offset: 0, bytes: new Uint8Array(0) });
		}
		const chunkSize = this.#settings.chunkSize;
		for (let start = 0; start < bytes.length; start += chunkSize) {
			const piece = bytes.slice(start, start + chunkSize);
			if (text) this.checkUtf8(piece);
			if (handler.chunk) handler.chunk(opcode, fin, length, offset + start, piece);
			else this.emit({ type: "chunk", opcode, fin, frameLength: length, offset: offset + start, bytes: piece });
		}
		if (text && fin && offset + bytes.length === length) this.checkUtf8Complete();
	}

	private newUtf8Stream() {
		if (this.#utf8) this.#utf8.reset();
		else this.#utf8 = new Utf8Validator();
	}

	private checkUtf8(bytes: Uint8Array) {
		if (!this.#utf8!.write(bytes)) throw new InvalidPayloadError("text message is not UTF-8");
	}

	// RFC 6455 §8.1: the message must not end inside a code point.
	private checkUtf8Complete() {
		if (!this.#utf8!.complete) throw new InvalidPayloadError("text message ends inside a UTF-8 sequence");
	}

	private receiveControl(opcode: number, payload: Uint8Array) {
		if (opcode === Opcode.Ping) {
			// RFC 6455 §5.5.2: answer with a Pong carrying the same payload, unless closing.
			if (this.#state === State.Open) this.writeFrame(Opcode.Pong, true, payload, false);
			this.emit({ type: "ping", data: payload.slice() });
		} else if (opcode === Opcode.Pong) {
			this.emit({ type: "pong", data: payload.slice() });
		} else {
			const { code, reason } = parseClosePayload(payload);
			// RFC 6455 §5.5.1: nothing is read after a Close frame; §7.1.5 / §5.5.1: the reply echoes
			// the status code (none when there was none).
			this.#parser.stop();
			this.dropMessage();
			if (!this.#closeSent) {
				this.writeFrame(Opcode.Close, true, encodeClosePayload(code === CloseCode.NoStatus ? undefined : code), true);
				this.#closeSent = true;
			}
			this.#state = State.Closed;
			this.emitClose(code, reason, true);
			// RFC 6455 §7.1.1: the server closes TCP first; the client waits for it (receiveEof).
			if (this.#settings.role === "server") this.setCloseTransport();
		}
	}

	private checkCanSend() {
		if (this.#state === State.Connecting) throw new InvalidStateError("the opening handshake is not complete");
		// RFC 6455 §5.5.1: no data frame after the Close frame.
		if (this.#closeSent || this.#state !== State.Open) throw new InvalidStateError("the connection is closing");
	}

	private sendData(opcode: number, payload: Uint8Array, fin: boolean, owned: boolean) {
		if (this.#closeSent || this.#state !== Open) this.checkCanSend();
		if (opcode === Opcode.Continuation ? !this.#sending : this.#sending)
			throw new InvalidStateError(this.#sending ? "a fragmented message is being sent" : "no fragmented message to continue");
		this.#sending = !fin;
		return this.writeFrame(opcode, fin, payload, owned);
	}

	private sendControl(opcode: number, data: Payload) {
		this.checkCanSend();
		const owned = typeof data === "string";
		const payload = owned ? new Uint8Array(ArrayBuffer.fromString(data)) : bytesOf(data);
		if (payload.length > maxControlPayload) throw new RangeError("control frame payload over 125 bytes");
		this.writeFrame(opcode, true, payload, owned);
	}

	// RFC 6455 §5.3: a client masks each frame with a fresh, unpredictable key.
	private writeFrame(opcode: number, fin: boolean, payload: Uint8Array, owned: boolean) {
		const handler = this.#handler;
		if (this.#settings.role === "client") {
			const mask = new Uint8Array(4);
			mask.set(this.#settings.random(4));
			for (const piece of encodeFrame(opcode, fin, payload, mask, owned)) handler.write(piece);
			return;
		}
		// The message being delivered goes back framed where it lies: the room in front of it
		// (the peer's larger, masked header, or the headroom of an assembled message) takes the
		// header, and the frame is one write. Once per delivery: a second send must not rewrite a
		// header that may still wait to be written.
		const length = payload.length;
		const size = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
		// (A payload that begins its read buffer, its header stashed from the read before, has no
		// room: it goes the other way.)
		if (payload === this.#delivered && payload.byteOffset >= size) {
			this.#delivered = undefined;
			const frame = new Uint8Array(payload.buffer, payload.byteOffset - size, size + length);
			writeFrameHeader(frame, 0, opcode, fin, length);
			handler.write(frame);
			return;
		}
		const header = new Uint8Array(size);
		writeFrameHeader(header, 0, opcode, fin, length);
		handler.write(header);
		if (length) handler.write(payload);
	}

	private emitClose(code: number, reason: string, wasClean: boolean) {
		if (this.#closeEmitted) return;
		this.#closeEmitted = true;
		this.emit({ type: "close", code, reason, wasClean });
	}

	private setCloseTransport() {
		if (this.#closeTransport) return;
		this.#closeTransport = true;
		this.emit({ type: "closeTransport" });
	}
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	return new Uint8Array(data);
}

// A failure's message goes into the Close frame when it fits (RFC 6455 §5.5: 123 bytes).
function fitReason(reason: string): string {
	return ArrayBuffer.fromString(reason).byteLength <= maxCloseReason ? reason : "";
}
