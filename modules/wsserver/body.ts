// A request body as it arrives (RFC 9112 §6, §7.1): fed bytes split anywhere, hands the body's
// pieces on as they come and says how many bytes were its own (the rest is the next pipelined
// request). Nothing is buffered but a chunk-size or trailer line, and the limit is checked from
// Content-Length or the chunk size before any byte of that data is taken.
import { HttpError, type BodyFraming } from "ws/http";

const LF = 10;

// A chunk-size line with its extensions (RFC 9112 §7.1.1) and one trailer field line
// (§7.1.2) are read byte by byte; longer ones are refused rather than buffered.
const maxLine = 256;
const maxTrailerBytes = 1024;

const State = Object.freeze({ Size: 0, Data: 1, DataEnd: 2, Trailer: 3, Done: 4 });

export class BodyReader {
	readonly chunked: boolean;
	readonly #limit: number;
	#tooLarge = false;
	#state: number;
	// Data bytes still to come: the whole body (Content-Length) or the current chunk.
	#remaining: number;
	#received = 0;
	#line = "";
	#trailerBytes = 0;

	/** A Content-Length over `limit` makes the reader tooLarge at once, before any byte is read. */
	constructor(framing: BodyFraming, limit: number) {
		this.#limit = limit;
		this.chunked = framing.kind === "chunked";
		if (framing.kind === "length") {
			this.#remaining = framing.length;
			this.#state = framing.length ? State.Data : State.Done;
			this.#tooLarge = framing.length > limit;
		} else {
			this.#remaining = 0;
			this.#state = State.Size;
		}
	}

	/** Whether the body is over the limit (RFC 9110 §15.5.14: answered 413). Reading stops there. */
	get tooLarge(): boolean {
		return this.#tooLarge;
	}

	/** Whether the whole body (and, when chunked, its trailer section) has been read. */
	get done(): boolean {
		return this.#state === State.Done;
	}

	/** Body bytes received so far (the decoded length when chunked). */
	get received(): number {
		return this.#received;
	}

	/**
	 * Takes bytes; calls `onData` with each piece of body data (a view into `bytes`), and returns
	 * how many of `bytes` it read: all that belong to the body, or fewer when it stopped at the
	 * limit (tooLarge). Throws HttpError 400 for a malformed chunked body.
	 */
	receive(bytes: Uint8Array, onData: (piece: Uint8Array) => void): number {
		let offset = 0;
		while (offset < bytes.length && this.#state !== State.Done && !this.#tooLarge) {
			if (this.#state === State.Data) {
				const take = Math.min(this.#remaining, bytes.length - offset);
				const piece = bytes.subarray(offset, offset + take);
				offset += take;
				this.#remaining -= take;
				this.#received += take;
				onData(piece);
				if (this.#remaining === 0) this.#state = this.chunked ? State.DataEnd : State.Done;
				continue;
			}
			const line = this.readLine(bytes[offset++]);
			if (line === undefined) continue;
			if (this.#state === State.Size) this.chunkSize(line);
			else if (this.#state === State.DataEnd) {
				// RFC 9112 §7.1: chunk-data is followed by CRLF.
				if (line !== "") throw new HttpError(400, "chunk data longer than its size");
				this.#state = State.Size;
			} else if (line === "") this.#state = State.Done;
			// §7.1.2: trailer fields are read and dropped (nothing here uses them).
		}
		return offset;
	}

	// Collects one line; returns it (without CRLF) once complete. A bare LF or CR is refused, as in
	// the head (RFC 9112 §2.2).
	private readLine(byte: number): string | undefined {
		const line = this.#line;
		if (line.endsWith("\r")) {
			if (byte !== LF) throw new HttpError(400, "bare CR in a chunked body");
			this.#line = "";
			return line.slice(0, -1);
		}
		if (byte === LF) throw new HttpError(400, "bare LF in a chunked body");
		if (line.length >= maxLine) throw new HttpError(400, "chunk-size or trailer line too long");
		if (this.#state === State.Trailer && ++this.#trailerBytes > maxTrailerBytes) throw new HttpError(400, "trailer section too large");
		this.#line = line + String.fromCharCode(byte);
		return undefined;
	}

	// RFC 9112 §7.1: chunk-size is 1*HEXDIG, then optional ";" extensions (ignored, §7.1.1).
	private chunkSize(line: string) {
		const semicolon = line.indexOf(";");
		const digits = (semicolon < 0 ? line : line.slice(0, semicolon)).replace(/[ \t]+$/, "");
		if (!/^[0-9A-Fa-f]{1,8}$/.test(digits)) throw new HttpError(400, "malformed chunk size");
		const size = parseInt(digits, 16);
		if (this.#received + size > this.#limit) this.#tooLarge = true;
		if (size === 0) {
			this.#state = State.Trailer;
			return;
		}
		this.#remaining = size;
		this.#state = State.Data;
	}
}
