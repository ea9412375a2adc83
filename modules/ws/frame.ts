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

/** One frame's header, as parsed. `mask` is the masking key (§5.3) of a masked frame. */
export interface Frame {
	fin: boolean;
	opcode: number;
	length: number;
	mask: Uint8Array | undefined;
}

/** Receives what the parser finds, in stream order. */
export interface FrameSink {
	frameStart(frame: Frame): void;
	/** Payload bytes at `offset` within the frame, still masked as on the wire: a view of the
	 *  bytes given to `parse`, valid only during the call (copy before unmasking, see applyMask). */
	framePayload(frame: Frame, bytes: Uint8Array, offset: number): void;
	frameEnd(frame: Frame): void;
}

export interface FrameParserOptions {
	/** "server" expects masked frames from its client, "client" unmasked ones (§5.1). */
	role: "server" | "client";
	/** Largest data message accepted, in payload bytes (a fragmented message counts whole). */
	maxMessage: number;
}

// Parser states: which part of the frame the next bytes belong to.
const ReadHeader = 0;
const ReadLength16 = 1;
const ReadLength64 = 2;
const ReadMask = 3;
const ReadPayload = 4;

export class FrameParser {
	readonly #expectMasked: boolean;
	readonly #maxMessage: number;
	#state = ReadHeader;
	// Header bytes gathered so far for the current state (a header may arrive byte by byte).
	readonly #scratch = new Uint8Array(8);
	#have = 0;
	#frame: Frame | undefined;
	#remaining = 0;
	#offset = 0;
	// The data message in progress (RFC 6455 §5.4): whether it awaits continuation frames, and
	// its payload length so far.
	#inMessage = false;
	#messageLength = 0;
	#stopped = false;

	constructor(options: FrameParserOptions) {
		this.#expectMasked = options.role === "server";
		this.#maxMessage = options.maxMessage;
	}

	/** Whether a fragmented data message has started and not yet ended. */
	get inMessage(): boolean {
		return this.#inMessage;
	}

	/** Ignores everything from now on (after a Close frame or a failure, RFC 6455 §5.5.1). */
	stop(): void {
		this.#stopped = true;
	}

	/** Parses all of `bytes` (or up to stop()); throws a WebSocketError at the first violation. */
	parse(bytes: Uint8Array, sink: FrameSink): void {
		const length = bytes.length;
		let i = 0;
		while (i < length && !this.#stopped) {
			if (this.#state === ReadPayload) {
				const frame = this.#frame!;
				const count = Math.min(this.#remaining, length - i);
				sink.framePayload(frame, bytes.subarray(i, i + count), this.#offset);
				i += count;
				this.#offset += count;
				this.#remaining -= count;
				if (this.#remaining === 0) this.#end(sink);
				continue;
			}
			const need = this.#state === ReadHeader || this.#state === ReadLength16 ? 2 : this.#state === ReadMask ? 4 : 8;
			const count = Math.min(need - this.#have, length - i);
			this.#scratch.set(bytes.subarray(i, i + count), this.#have);
			this.#have += count;
			i += count;
			if (this.#have < need) break;
			this.#have = 0;
			this.#headerPart(sink);
		}
	}

	#headerPart(sink: FrameSink) {
		const scratch = this.#scratch;
		switch (this.#state) {
			case ReadHeader: {
				const fin = (scratch[0] & 0x80) !== 0;
				const opcode = scratch[0] & 0x0f;
				const masked = (scratch[1] & 0x80) !== 0;
				const length7 = scratch[1] & 0x7f;
				// RFC 6455 §5.2: RSV1-3 must be 0 unless an extension says otherwise; we accept none.
				if (scratch[0] & 0x70) throw new ProtocolError("reserved bits set");
				if ((opcode > 2 && opcode < 8) || opcode > 10) throw new ProtocolError(`unknown opcode ${opcode}`);
				if (isControl(opcode)) {
					// §5.5: control frames are never fragmented and carry at most 125 bytes.
					if (!fin) throw new ProtocolError("fragmented control frame");
					if (length7 > maxControlPayload) throw new ProtocolError("control frame payload over 125 bytes");
				} else if (opcode === 0) {
					// §5.4: a continuation frame only continues a message that was started.
					if (!this.#inMessage) throw new ProtocolError("continuation frame without a message to continue");
				} else if (this.#inMessage) {
					throw new ProtocolError("new data frame inside a fragmented message");
				}
				// §5.1: a client masks every frame it sends, a server masks none.
				if (masked !== this.#expectMasked) throw new ProtocolError(masked ? "masked frame from a server" : "unmasked frame from a client");
				this.#frame = { fin, opcode, length: length7, mask: masked ? new Uint8Array(4) : undefined };
				if (length7 === 126) this.#state = ReadLength16;
				else if (length7 === 127) this.#state = ReadLength64;
				else this.#lengthKnown(sink);
				return;
			}
			case ReadLength16:
				this.#frame!.length = (scratch[0] << 8) | scratch[1];
				this.#lengthKnown(sink);
				return;
			case ReadLength64: {
				// §5.2: the most significant bit of a 64-bit length must be 0.
				if (scratch[0] & 0x80) throw new ProtocolError("64-bit payload length with the most significant bit set");
				const high = ((scratch[0] << 24) | (scratch[1] << 16) | (scratch[2] << 8) | scratch[3]) >>> 0;
				const low = ((scratch[4] << 24) | (scratch[5] << 16) | (scratch[6] << 8) | scratch[7]) >>> 0;
				this.#frame!.length = high * 0x100000000 + low;
				this.#lengthKnown(sink);
				return;
			}
			case ReadMask:
				this.#frame!.mask!.set(scratch.subarray(0, 4));
				this.#start(sink);
				return;
		}
	}

	#lengthKnown(sink: FrameSink) {
		const frame = this.#frame!;
		if (!isControl(frame.opcode)) {
			// The limit is decided from the header, before any payload byte is kept.
			const total = (frame.opcode === 0 ? this.#messageLength : 0) + frame.length;
			if (total > this.#maxMessage) throw new MessageTooBigError(`message of ${total} bytes over the limit of ${this.#maxMessage}`);
			this.#messageLength = total;
			this.#inMessage = !frame.fin;
		}
		if (frame.mask) this.#state = ReadMask;
		else this.#start(sink);
	}

	#start(sink: FrameSink) {
		const frame = this.#frame!;
		this.#remaining = frame.length;
		this.#offset = 0;
		this.#state = ReadPayload;
		sink.frameStart(frame);
		if (frame.length === 0 && !this.#stopped) this.#end(sink);
	}

	#end(sink: FrameSink) {
		const frame = this.#frame!;
		this.#state = ReadHeader;
		this.#frame = undefined;
		sink.frameEnd(frame);
	}
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

/** A frame header (RFC 6455 §5.2) in 2 to 14 bytes, with the minimal length encoding. */
export function encodeFrameHeader(opcode: number, fin: boolean, length: number, mask?: Uint8Array): Uint8Array {
	const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
	const header = new Uint8Array(2 + lengthBytes + (mask ? 4 : 0));
	header[0] = (fin ? 0x80 : 0) | opcode;
	header[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
	if (lengthBytes === 2) {
		header[2] = length >> 8;
		header[3] = length & 0xff;
	} else if (lengthBytes === 8) {
		const high = Math.floor(length / 0x100000000);
		const low = length >>> 0;
		for (let i = 0; i < 4; i++) {
			header[2 + i] = (high >>> (24 - 8 * i)) & 0xff;
			header[6 + i] = (low >>> (24 - 8 * i)) & 0xff;
		}
	}
	if (mask) header.set(mask, 2 + lengthBytes);
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
