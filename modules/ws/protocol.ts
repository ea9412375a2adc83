// The RFC 6455 state machine of one connection, without I/O (after python-websockets'
// Protocol): it is fed the bytes that arrive (receiveData, receiveEof), and hands back the bytes
// to write (dataToSend) and what happened (eventsReceived). Framing, the close handshake and
// ping/pong live here once; ServerProtocol and ClientProtocol add only the opening handshake.
import { CloseCode, encodeClosePayload, isValidCloseCode, maxCloseReason, parseClosePayload } from "ws/close";
import { InvalidPayloadError, InvalidStateError, WebSocketError } from "ws/errors";
import { FrameParser, Opcode, applyMask, encodeFrame, isControl, maxControlPayload, type Frame, type FrameSink } from "ws/frame";
import type { HttpRequest } from "ws/http";
import { Utf8Validator } from "ws/utf8";

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
	 *  arrive, instead of whole "message" events. */
	chunkSize?: number;
}

export type ProtocolEvent =
	/** Server: a valid upgrade request; answer with accept() or reject(). */
	| { type: "request"; request: HttpRequest; subprotocol: string | undefined }
	/** The opening handshake is complete (RFC 6455 §4.1, §4.2.2). */
	| { type: "open"; subprotocol: string | undefined }
	/** The opening handshake failed: the status the server answered (or, on a server, the one it
	 *  answers), its reason phrase, and what was wrong. A "close" event follows. */
	| { type: "handshakeFailed"; status: number; reason: string; message: string }
	/** A whole data message: text as a string, binary as an ArrayBuffer (a resizable one when
	 *  the message came in several frames; its byteLength is the message's). */
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

export class Protocol implements FrameSink {
	readonly role: Role;
	/** Bytes received so far: the shells restart their idle (keep-alive) timer when it grows. */
	bytesReceived = 0;
	#state: number;
	readonly #random: (count: number) => Uint8Array;
	readonly #chunkSize: number;
	readonly #maxResizable: number;
	readonly #parser: FrameParser;
	#output: Uint8Array[] = [];
	#events: ProtocolEvent[] = [];
	// The data message being received: its opcode, and in message mode its buffer and fill.
	#messageOpcode = 0;
	#message: ArrayBuffer | undefined;
	#filled = 0;
	readonly #utf8 = new Utf8Validator();
	#control: Uint8Array = noBytes;
	// Whether a fragmented message is being sent (RFC 6455 §5.4: no other data frame until its end).
	#sending = false;
	#closeSent = false;
	#closeEmitted = false;
	#closeTransport = false;

	constructor(role: Role, options: ProtocolOptions, state: number = State.Open) {
		this.role = role;
		this.#state = state;
		this.#random = options.random;
		this.#chunkSize = options.chunkSize ?? 0;
		if (options.chunkSize !== undefined && !(options.chunkSize >= 1)) throw new RangeError("chunkSize must be at least 1");
		const maxMessage = options.maxMessage ?? 16384;
		this.#maxResizable = Math.min(maxMessage, 0x7fffffff);
		this.#parser = new FrameParser({ role, maxMessage });
	}

	get state(): number {
		return this.#state;
	}

	/** Whether the shell should close the TCP connection (after writing dataToSend()). */
	get shouldCloseTransport(): boolean {
		return this.#closeTransport;
	}

	/** Feeds the bytes that arrived, split anywhere. */
	receiveData(data: Uint8Array | ArrayBuffer): void {
		const bytes = ArrayBuffer.isView(data) ? data : new Uint8Array(data);
		this.bytesReceived += bytes.length;
		if (this.#state === State.Connecting) this.receiveHandshake(bytes);
		else this.receiveFrames(bytes);
	}

	/** The transport ended (the peer closed TCP, or it broke). */
	receiveEof(): void {
		this.#parser.stop();
		if (this.#state !== State.Closed) {
			this.#state = State.Closed;
			this.#emitClose(CloseCode.Abnormal, "", false);
		}
		this.#setCloseTransport();
	}

	/** The bytes to write, in order; drained. */
	dataToSend(): Uint8Array[] {
		const output = this.#output;
		if (output.length) this.#output = [];
		return output;
	}

	/** What happened since the last call; drained. */
	eventsReceived(): ProtocolEvent[] {
		const events = this.#events;
		if (events.length) this.#events = [];
		return events;
	}

	/** Sends a whole message: a string as text, bytes as binary. */
	send(data: Payload): void {
		if (typeof data === "string") this.sendText(data);
		else this.sendBinary(data);
	}

	/** A text frame; with fin false, the first fragment of a message (RFC 6455 §5.4). */
	sendText(text: string, fin = true): void {
		this.#sendData(Opcode.Text, new Uint8Array(ArrayBuffer.fromString(text)), fin, true);
	}

	/** A binary frame; with fin false, the first fragment of a message. */
	sendBinary(data: ArrayBuffer | ArrayBufferView, fin = true): void {
		this.#sendData(Opcode.Binary, bytesOf(data), fin, false);
	}

	/** A continuation frame of the message being sent; fin ends it. */
	sendContinuation(data: Payload, fin: boolean): void {
		if (typeof data === "string") this.#sendData(Opcode.Continuation, new Uint8Array(ArrayBuffer.fromString(data)), fin, true);
		else this.#sendData(Opcode.Continuation, bytesOf(data), fin, false);
	}

	/**
	 * Any one frame, as the ESP-AT bridge's AT+WSSEND asks for it (any opcode, fin as given); only
	 * the state and the control-frame limits (RFC 6455 §5.5) are checked. A Close frame sent this
	 * way starts the close handshake like close().
	 */
	sendFrame(opcode: number, data: Payload, fin = true): void {
		this.#checkCanSend();
		const payload = typeof data === "string" ? new Uint8Array(ArrayBuffer.fromString(data)) : bytesOf(data);
		if (opcode < 0 || opcode > 15) throw new RangeError(`opcode ${opcode}`);
		if (isControl(opcode) && (!fin || payload.length > maxControlPayload)) throw new RangeError("control frames are unfragmented and at most 125 bytes");
		if (opcode === Opcode.Close) {
			this.#closeSent = true;
			this.#state = State.Closing;
		} else if (opcode === Opcode.Text || opcode === Opcode.Binary || opcode === Opcode.Continuation) this.#sending = !fin;
		this.#writeFrame(opcode, fin, payload, typeof data === "string");
	}

	/** A Ping (RFC 6455 §5.5.2), e.g. for keep-alive; the peer answers with a "pong" event. */
	ping(data: Payload = noBytes): void {
		this.#sendControl(Opcode.Ping, data);
	}

	/** An unsolicited Pong (RFC 6455 §5.5.3: a unidirectional heartbeat). */
	pong(data: Payload = noBytes): void {
		this.#sendControl(Opcode.Pong, data);
	}

	/**
	 * Starts the close handshake (RFC 6455 §7.1.2): sends a Close frame with the code and reason
	 * (none when code is undefined); the peer's Close then ends the connection. Nothing happens
	 * when a Close frame was already sent.
	 */
	close(code?: number, reason = ""): void {
		if (this.#state === State.Connecting) throw new InvalidStateError("the opening handshake is not complete");
		if (this.#closeSent || this.#state === State.Closed) return;
		this.#writeFrame(Opcode.Close, true, encodeClosePayload(code, reason), true);
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
		if (this.#state !== State.Connecting && !this.#closeSent && isValidCloseCode(code))
			this.#writeFrame(Opcode.Close, true, encodeClosePayload(code, fitReason(reason)), true);
		this.#closeSent = true;
		this.#state = State.Closed;
		this.#emitClose(code, reason, false);
		this.#setCloseTransport();
	}

	// --- for the handshake subclasses -------------------------------------------------------

	/** Bytes that arrive while CONNECTING (the opening handshake). */
	protected receiveHandshake(bytes: Uint8Array): void {
		this.receiveFrames(bytes);
	}

	protected write(bytes: Uint8Array): void {
		this.#output.push(bytes);
	}

	protected emit(event: ProtocolEvent): void {
		this.#events.push(event);
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
		this.#emitClose(CloseCode.Abnormal, message, false);
		this.#setCloseTransport();
	}

	protected receiveFrames(bytes: Uint8Array): void {
		if (this.#state === State.Closed) return;
		try {
			this.#parser.parse(bytes, this);
		} catch (error) {
			if (!(error instanceof WebSocketError)) throw error;
			this.emit({ type: "error", error });
			this.fail(error.closeCode, error.message);
		}
	}

	// --- FrameSink: what the parser found ---------------------------------------------------

	frameStart(frame: Frame): void {
		if (isControl(frame.opcode)) {
			this.#control = frame.length ? new Uint8Array(frame.length) : noBytes;
			return;
		}
		if (frame.opcode !== Opcode.Continuation) {
			this.#messageOpcode = frame.opcode;
			this.#utf8.reset();
			if (!this.#chunkSize) {
				// A message in several frames grows frame by frame: a resizable buffer, which XS
				// reallocates in place where it can, so each payload byte is copied once, from the
				// network buffer into the message.
				this.#message = frame.fin ? new ArrayBuffer(frame.length) : new ArrayBuffer(frame.length, { maxByteLength: this.#maxResizable });
				this.#filled = 0;
			}
		} else if (!this.#chunkSize && frame.length) {
			// The parser has already checked the grown size against maxMessage.
			this.#message!.resize(this.#filled + frame.length);
		}
		if (this.#chunkSize && frame.length === 0) this.emit({ type: "chunk", opcode: frame.opcode, fin: frame.fin, frameLength: 0, offset: 0, bytes: new Uint8Array(0) });
	}

	framePayload(frame: Frame, bytes: Uint8Array, offset: number): void {
		if (isControl(frame.opcode)) {
			this.#control.set(bytes, offset);
			return;
		}
		const text = this.#messageOpcode === Opcode.Text;
		if (this.#chunkSize) {
			for (let start = 0; start < bytes.length; start += this.#chunkSize) {
				const piece = bytes.slice(start, start + this.#chunkSize);
				if (frame.mask) applyMask(piece, frame.mask, offset + start);
				if (text) this.#checkUtf8(piece);
				this.emit({ type: "chunk", opcode: frame.opcode, fin: frame.fin, frameLength: frame.length, offset: offset + start, bytes: piece });
			}
			return;
		}
		const target = new Uint8Array(this.#message!, this.#filled, bytes.length);
		target.set(bytes);
		this.#filled += bytes.length;
		if (frame.mask) applyMask(target, frame.mask, offset);
		if (text) this.#checkUtf8(target);
	}

	frameEnd(frame: Frame): void {
		if (isControl(frame.opcode)) {
			const payload = this.#control;
			this.#control = noBytes;
			if (frame.mask) applyMask(payload, frame.mask, 0);
			this.#receiveControl(frame.opcode, payload);
			return;
		}
		if (!frame.fin) return;
		// RFC 6455 §8.1: the message must not end inside a code point.
		if (this.#messageOpcode === Opcode.Text && !this.#utf8.complete) throw new InvalidPayloadError("text message ends inside a UTF-8 sequence");
		if (this.#chunkSize) return;
		const message = this.#message!;
		this.#message = undefined;
		this.emit({ type: "message", data: this.#messageOpcode === Opcode.Text ? decodeText(message) : message });
	}

	#checkUtf8(bytes: Uint8Array) {
		if (!this.#utf8.write(bytes)) throw new InvalidPayloadError("text message is not UTF-8");
	}

	#receiveControl(opcode: number, payload: Uint8Array) {
		if (opcode === Opcode.Ping) {
			// RFC 6455 §5.5.2: answer with a Pong carrying the same payload, unless closing.
			if (this.#state === State.Open) this.#writeFrame(Opcode.Pong, true, payload, false);
			this.emit({ type: "ping", data: payload });
		} else if (opcode === Opcode.Pong) {
			this.emit({ type: "pong", data: payload });
		} else {
			const { code, reason } = parseClosePayload(payload);
			// RFC 6455 §5.5.1: nothing is read after a Close frame; §7.1.5 / §5.5.1: the reply echoes
			// the status code (none when there was none).
			this.#parser.stop();
			if (!this.#closeSent) {
				this.#writeFrame(Opcode.Close, true, encodeClosePayload(code === CloseCode.NoStatus ? undefined : code), true);
				this.#closeSent = true;
			}
			this.#state = State.Closed;
			this.#emitClose(code, reason, true);
			// RFC 6455 §7.1.1: the server closes TCP first; the client waits for it (receiveEof).
			if (this.role === "server") this.#setCloseTransport();
		}
	}

	#checkCanSend() {
		if (this.#state === State.Connecting) throw new InvalidStateError("the opening handshake is not complete");
		// RFC 6455 §5.5.1: no data frame after the Close frame.
		if (this.#closeSent || this.#state !== State.Open) throw new InvalidStateError("the connection is closing");
	}

	#sendData(opcode: number, payload: Uint8Array, fin: boolean, owned: boolean) {
		this.#checkCanSend();
		if (opcode === Opcode.Continuation ? !this.#sending : this.#sending)
			throw new InvalidStateError(this.#sending ? "a fragmented message is being sent" : "no fragmented message to continue");
		this.#sending = !fin;
		this.#writeFrame(opcode, fin, payload, owned);
	}

	#sendControl(opcode: number, data: Payload) {
		this.#checkCanSend();
		const owned = typeof data === "string";
		const payload = owned ? new Uint8Array(ArrayBuffer.fromString(data)) : bytesOf(data);
		if (payload.length > maxControlPayload) throw new RangeError("control frame payload over 125 bytes");
		this.#writeFrame(opcode, true, payload, owned);
	}

	// RFC 6455 §5.3: a client masks each frame with a fresh, unpredictable key.
	#writeFrame(opcode: number, fin: boolean, payload: Uint8Array, owned: boolean) {
		let mask: Uint8Array | undefined;
		if (this.role === "client") {
			mask = new Uint8Array(4);
			mask.set(this.#random(4));
		}
		for (const piece of encodeFrame(opcode, fin, payload, mask, owned)) this.#output.push(piece);
	}

	#emitClose(code: number, reason: string, wasClean: boolean) {
		if (this.#closeEmitted) return;
		this.#closeEmitted = true;
		this.emit({ type: "close", code, reason, wasClean });
	}

	#setCloseTransport() {
		if (this.#closeTransport) return;
		this.#closeTransport = true;
		this.emit({ type: "closeTransport" });
	}
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	return new Uint8Array(data);
}

function decodeText(buffer: ArrayBuffer): string {
	return buffer.byteLength ? String.fromArrayBuffer(buffer) : "";
}

// A failure's message goes into the Close frame when it fits (RFC 6455 §5.5: 123 bytes).
function fitReason(reason: string): string {
	return ArrayBuffer.fromString(reason).byteLength <= maxCloseReason ? reason : "";
}
