// RFC 6455 §5: the frame format. A parser that is fed the byte stream in pieces of any size and
// checks every header rule before a payload byte is kept, and an encoder that writes the header
// into a few bytes and leaves the payload where it is (masked at most once, in one copy).
import Logical from "logical";
import { MessageTooBigError, ProtocolError } from "ws/errors";

/** RFC 6455 §5.2 / §11.8 opcodes. */
export const Opcode = Object.freeze({
	Continuation: 0,
	Text: 1,
	Binary: 2,
	Close: 8,
	Ping: 9,
	Pong: 10,
});

/** RFC 6455 §5.5: control frames have opcodes with the high bit set. */
export function isControl(opcode: number): boolean {
	return opcode >= 8;
}

/** RFC 6455 §5.5: control frame payloads are at most 125 bytes. */
export const maxControlPayload = 125;

/** Receives what the parser finds, in stream order. Every view is of the bytes given to
 *  `parse`, unmasked in place, and valid only during the call. */
export interface FrameSink {
	/** A whole unfragmented text or binary frame (a message in one piece). */
	wholeMessage(bytes: Uint8Array, binary: boolean): void;
	/** Payload bytes of a data frame: `bytes` start at `offset` within a payload of `length`
	 *  bytes. A frame without payload is one call with no bytes. */
	framePayload(opcode: number, fin: boolean, bytes: Uint8Array, offset: number, length: number): void;
	/** A whole control frame (§5.5), with its payload. */
	controlFrame(opcode: number, payload: Uint8Array): void;
}

/** The rules a parser checks frames against: kept by reference, so that the connections of a
 *  server share one object rather than each keeping copies. */
export interface FrameRules {
	/** A server expects masked frames from its client, a client unmasked ones (§5.1). */
	readonly expectMasked: boolean;
	/** Largest data message accepted, in payload bytes (a fragmented message counts whole). */
	readonly maxMessage: number;
}

// The longest header: 2 bytes, a 64-bit length and a masking key.
const maxHeader = 14;

// The payload view the fast path made last, of which bytes and where: shared by every parser
// rather than kept by each (a server's connections all read into one buffer, and a view is
// valid only during the call that hands it on), so it costs no memory per connection.
let lastView: Uint8Array | undefined;
let lastViewOf: Uint8Array | undefined;
let lastViewStart = 0;

// The masking key as bytes, for the call that unmasks with it: shared, like the view above (a
// parser keeps its key as a number between pieces). Made at run time: what a preloaded module
// makes at build time is read-only in flash.
let scratchMask: Uint8Array | undefined;

/**
 * Parses the byte stream, split anywhere. A header that arrives whole is read where it lies; one
 * split between pieces waits in a 14-byte stash. Payloads are unmasked in place and handed on as
 * views, so a frame that arrives whole costs no copy and no allocation beyond its view.
 */
export class FrameParser {
	// (XS finds a private field by walking the class's fields in order: those every message
	// reads come first.)
	#stopped = false;
	#inPayload = false;
	#headFill = 0;
	// The data message in progress (RFC 6455 §5.4): whether it awaits continuation frames, and
	// its payload length so far.
	#inMessage = false;
	readonly #rules: FrameRules;
	#messageLength = 0;
	// A header split between pieces waits here (made when one first is).
	#head: Uint8Array | undefined;
	// The frame being read: its first header byte (FIN and opcode), payload length, masking key
	// (a 32-bit number, first byte highest; -1 for none) and how much payload has passed. Numbers
	// rather than a 4-byte array: every connection has a parser, and an array costs it 7 slots.
	#first = 0;
	#length = 0;
	#mask = -1;
	#offset = 0;
	// A control frame split between pieces is gathered here (at most 125 bytes, §5.5).
	#control: Uint8Array | undefined;

	constructor(rules: FrameRules) {
		this.#rules = rules;
	}

	/** Whether a fragmented data message has started and not yet ended. */
	get inMessage(): boolean {
		return this.#inMessage;
	}

	/** The most bytes that can be parsed next without going past the end of the current frame:
	 *  the rest of its payload, or of its header (2 bytes when none has begun: they tell the
	 *  header's size). */
	get bytesToFrameEnd(): number {
		if (this.#inPayload) return this.#length - this.#offset;
		const fill = this.#headFill;
		return fill < 2 ? 2 - fill : headerSize(this.#head![1]) - fill;
	}

	/** Ignores everything from now on (after a Close frame or a failure, RFC 6455 §5.5.1). */
	stop(): void {
		this.#stopped = true;
	}

	/** Parses bytes[0...end] (or up to stop()), unmasking payloads in place; throws a
	 *  WebSocketError at the first violation. */
	parse(bytes: Uint8Array, sink: FrameSink, end: number = bytes.length): void {
		let at = 0;
		while (!this.#stopped) {
			if (!this.#inPayload) {
				if (at === end) return;
				// The common case, on one path: a whole unfragmented text or binary frame (up to
				// 64 KiB) lies here, header and payload; its payload goes on as one view.
				const first = bytes[at];
				if ((first === 0x81 || first === 0x82) && this.#headFill === 0 && !this.#inMessage && end - at >= 4) {
					const second = bytes[at + 1];
					let length = second & 0x7f;
					let start = at + 2;
					if (length === 126) {
						length = (bytes[at + 2] << 8) | bytes[at + 3];
						start = at + 4;
					}
					const masked = second >= 0x80;
					if (masked) start += 4;
					const rules = this.#rules;
					if (length !== 127 && masked === rules.expectMasked && start + length <= end) {
						if (length > rules.maxMessage) throw new MessageTooBigError(`message of ${length} bytes over the limit of ${rules.maxMessage}`);
						// The view of the last such frame is used again when this one lies at the same
						// place (a stream of same-sized messages allocates nothing here).
						let payload = lastView;
						if (bytes !== lastViewOf || start !== lastViewStart || length !== payload!.length) {
							payload = lastView = bytes.subarray(start, start + length);
							lastViewOf = bytes;
							lastViewStart = start;
						}
						if (masked && length) {
							const mask = (scratchMask ??= new Uint8Array(4));
							mask[0] = bytes[start - 4];
							mask[1] = bytes[start - 3];
							mask[2] = bytes[start - 2];
							mask[3] = bytes[start - 1];
							Logical.xor(payload!, mask);
						}
						at = start + length;
						sink.wholeMessage(payload!, first === 0x82);
						continue;
					}
				}
				at = this.readHeader(bytes, at, end);
				if (!this.#inPayload) return; // the rest of the header is still to come
			}
			const left = this.#length - this.#offset;
			const count = left < end - at ? left : end - at;
			if (count === 0 && left) return;
			this.payload(bytes.subarray(at, at + count), sink);
			at += count;
		}
	}

	// Reads a header from bytes[at...], or stashes the part that came; returns where it ended.
	private readHeader(bytes: Uint8Array, at: number, end: number): number {
		if (this.#headFill === 0) {
			const available = end - at;
			if (available >= 2) {
				const size = headerSize(bytes[at + 1]);
				if (available >= size) {
					this.parseHeader(bytes, at);
					return at + size;
				}
			}
			const head = (this.#head ??= new Uint8Array(maxHeader));
			head.set(bytes.subarray(at, end));
			this.#headFill = available;
			if (available >= 2) this.checkStart(head[0], head[1]);
			return end;
		}
		const head = this.#head!;
		let fill = this.#headFill;
		while (at < end) {
			head[fill++] = bytes[at++];
			if (fill === 2) this.checkStart(head[0], head[1]);
			if (fill >= 2 && fill === headerSize(head[1])) {
				this.#headFill = 0;
				this.parseHeader(head, 0);
				return at;
			}
		}
		this.#headFill = fill;
		return at;
	}

	// The rules the first two bytes decide (they fail a frame before the rest of its header).
	private checkStart(first: number, second: number) {
		const fin = (first & 0x80) !== 0;
		const opcode = first & 0x0f;
		// RFC 6455 §5.2: RSV1-3 must be 0 unless an extension says otherwise; we accept none.
		if (first & 0x70) throw new ProtocolError("reserved bits set");
		if ((opcode > 2 && opcode < 8) || opcode > 10) throw new ProtocolError(`unknown opcode ${opcode}`);
		if (isControl(opcode)) {
			// §5.5: control frames are never fragmented and carry at most 125 bytes.
			if (!fin) throw new ProtocolError("fragmented control frame");
			if ((second & 0x7f) > maxControlPayload) throw new ProtocolError("control frame payload over 125 bytes");
		} else if (opcode === 0) {
			// §5.4: a continuation frame only continues a message that was started.
			if (!this.#inMessage) throw new ProtocolError("continuation frame without a message to continue");
		} else if (this.#inMessage) {
			throw new ProtocolError("new data frame inside a fragmented message");
		}
		// §5.1: a client masks every frame it sends, a server masks none.
		const masked = (second & 0x80) !== 0;
		if (masked !== this.#rules.expectMasked) throw new ProtocolError(masked ? "masked frame from a server" : "unmasked frame from a client");
	}

	private parseHeader(bytes: Uint8Array, at: number) {
		const first = bytes[at];
		const second = bytes[at + 1];
		this.checkStart(first, second);
		const fin = (first & 0x80) !== 0;
		const opcode = first & 0x0f;
		const masked = (second & 0x80) !== 0;
		let length = second & 0x7f;
		let next = at + 2;
		if (length === 126) {
			length = (bytes[next] << 8) | bytes[next + 1];
			next += 2;
		} else if (length === 127) {
			// §5.2: the most significant bit of a 64-bit length must be 0.
			if (bytes[next] & 0x80) throw new ProtocolError("64-bit payload length with the most significant bit set");
			const high = ((bytes[next] << 24) | (bytes[next + 1] << 16) | (bytes[next + 2] << 8) | bytes[next + 3]) >>> 0;
			const low = ((bytes[next + 4] << 24) | (bytes[next + 5] << 16) | (bytes[next + 6] << 8) | bytes[next + 7]) >>> 0;
			length = high * 0x100000000 + low;
			next += 8;
		}
		if (!isControl(opcode)) {
			// The limit is decided from the header, before any payload byte is kept.
			const total = (opcode === 0 ? this.#messageLength : 0) + length;
			const maxMessage = this.#rules.maxMessage;
			if (total > maxMessage) throw new MessageTooBigError(`message of ${total} bytes over the limit of ${maxMessage}`);
			this.#messageLength = total;
			this.#inMessage = !fin;
		}
		this.#first = first;
		this.#length = length;
		this.#mask = masked ? ((bytes[next] << 24) | (bytes[next + 1] << 16) | (bytes[next + 2] << 8) | bytes[next + 3]) >>> 0 : -1;
		this.#offset = 0;
		this.#inPayload = true;
	}

	// The next piece of the current frame's payload (all of it, when the frame came whole).
	private payload(piece: Uint8Array, sink: FrameSink) {
		const offset = this.#offset;
		const count = piece.length;
		if (this.#mask >= 0 && count) this.unmask(piece, offset);
		this.#offset = offset + count;
		const last = this.#offset === this.#length;
		if (last) this.#inPayload = false;
		const first = this.#first;
		const opcode = first & 0x0f;
		// (Tail calls: this frame is gone while the sink delivers, and perhaps echoes.)
		if (!isControl(opcode)) return sink.framePayload(opcode, first >= 0x80, piece, offset, this.#length);
		if (offset === 0 && last) return sink.controlFrame(opcode, piece);
		this.#control ??= new Uint8Array(this.#length);
		this.#control.set(piece, offset);
		if (!last) return;
		const payload = this.#control;
		this.#control = undefined;
		return sink.controlFrame(opcode, payload);
	}

	// The key's bytes, rotated for a piece that starts inside a 4-byte group, into the shared
	// scratch mask.
	private unmask(bytes: Uint8Array, offset: number) {
		const key = this.#mask;
		const mask = (scratchMask ??= new Uint8Array(4));
		for (let i = 0; i < 4; i++) mask[i] = (key >>> (24 - 8 * ((offset + i) & 3))) & 0xff;
		Logical.xor(bytes, mask);
	}
}

// A header's size in bytes, from its second byte: the length field and the mask bit.
function headerSize(second: number): number {
	const length = second & 0x7f;
	return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
}

/**
 * Unmasks (or masks) bytes in place (RFC 6455 §5.3): byte i of the payload is XORed with
 * mask[i % 4]; `offset` is where `bytes` start within the payload.
 */
export function applyMask(bytes: Uint8Array, mask: Uint8Array, offset: number): void {
	if (bytes.length === 0) return;
	const shift = offset & 3;
	if (shift === 0) Logical.xor(bytes, mask);
	else Logical.xor(bytes, Uint8Array.of(mask[shift], mask[(shift + 1) & 3], mask[(shift + 2) & 3], mask[(shift + 3) & 3]));
}

/** The size of a frame header (RFC 6455 §5.2) with the minimal length encoding. */
export function frameHeaderSize(length: number, masked: boolean): number {
	return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes an unmasked frame header at target[at...]; returns its size. */
export function writeFrameHeader(target: Uint8Array, at: number, opcode: number, fin: boolean, length: number): number {
	target[at] = (fin ? 0x80 : 0) | opcode;
	if (length < 126) {
		target[at + 1] = length;
		return 2;
	}
	if (length < 0x10000) {
		target[at + 1] = 126;
		target[at + 2] = length >> 8;
		target[at + 3] = length & 0xff;
		return 4;
	}
	target[at + 1] = 127;
	const high = Math.floor(length / 0x100000000);
	const low = length >>> 0;
	for (let i = 0; i < 4; i++) {
		target[at + 2 + i] = (high >>> (24 - 8 * i)) & 0xff;
		target[at + 6 + i] = (low >>> (24 - 8 * i)) & 0xff;
	}
	return 10;
}

/** A frame header (RFC 6455 §5.2) in 2 to 14 bytes, with the minimal length encoding. */
export function encodeFrameHeader(opcode: number, fin: boolean, length: number, mask?: Uint8Array): Uint8Array {
	const header = new Uint8Array(frameHeaderSize(length, mask !== undefined));
	const size = writeFrameHeader(header, 0, opcode, fin, length);
	if (mask) {
		header[1] |= 0x80;
		header.set(mask, size);
	}
	return header;
}

/**
 * A whole frame as the pieces to write. Unmasked, the payload goes out as it is (no copy).
 * Masked, a payload the caller hands over (`owned`) is masked in place; otherwise it is copied
 * once, behind the header, and masked there.
 */
export function encodeFrame(opcode: number, fin: boolean, payload: Uint8Array, mask: Uint8Array | undefined, owned: boolean): Uint8Array[] {
	if (!mask) return payload.length ? [encodeFrameHeader(opcode, fin, payload.length), payload] : [encodeFrameHeader(opcode, fin, 0)];
	if (owned) {
		applyMask(payload, mask, 0);
		return payload.length ? [encodeFrameHeader(opcode, fin, payload.length, mask), payload] : [encodeFrameHeader(opcode, fin, 0, mask)];
	}
	const header = encodeFrameHeader(opcode, fin, payload.length, mask);
	const frame = new Uint8Array(header.length + payload.length);
	frame.set(header);
	const body = frame.subarray(header.length);
	body.set(payload);
	applyMask(body, mask, 0);
	return [frame];
}
