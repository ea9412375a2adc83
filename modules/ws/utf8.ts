// Incremental UTF-8 validation (RFC 6455 §8.1: text payloads must be valid UTF-8; RFC 3629 §4
// and Unicode Table 3-7 give the well-formed byte sequences). A code point may be split across
// TCP segments or fragments, and RFC 6455 §8.1 fails the connection as soon as the payload cannot
// become valid, without waiting for the end of the message.
//
// The bulk of each piece is checked by the SDK's TextDecoder in fatal mode (native code, strict
// per Table 3-7): a JavaScript loop costs about 0.12 µs a byte on XS, the native one a fraction
// of that. JavaScript handles only the edges a native call cannot see: the bytes that finish a
// sequence begun in the previous piece, and the start of one the piece leaves unfinished, which
// is checked as far as it goes so that an impossible prefix fails at once.
import TextDecoder from "text/decoder";

// One decoder for the whole firmware, made at run time: the SDK's TextDecoder is a native object,
// which a preloaded module cannot create, and without `stream` it keeps no state between calls.
let nativeDecoder: TextDecoder | undefined;

/** Whether bytes are well-formed UTF-8 in the native decoder's view (a whole text). */
function nativeValid(bytes: Uint8Array): boolean {
	nativeDecoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
	try {
		nativeDecoder.decode(bytes);
		return true;
	} catch {
		return false;
	}
}

// Below this many bytes a JavaScript pass is cheaper than a native call and its string.
const nativeThreshold = 16;

export class Utf8Validator {
	// Continuation bytes still expected, and the range the next one must fall in (Table 3-7
	// narrows the second byte after E0, ED, F0 and F4 to exclude overlongs, surrogates and code
	// points beyond U+10FFFF).
	#need = 0;
	#low = 0x80;
	#high = 0xbf;

	/** Checks the next bytes of the stream; false at the first byte that makes it ill-formed. */
	write(bytes: Uint8Array): boolean {
		const length = bytes.length;
		// Finish the sequence the previous piece left open.
		let start = 0;
		while (this.#need && start < length) if (!this.step(bytes[start++])) return false;
		if (start === length) return true;
		// The piece's last sequence may be unfinished: find where it begins (at most 3 bytes back).
		let end = length;
		for (let back = length - 1; back >= start && back >= length - 3; back--) {
			const byte = bytes[back];
			if (byte < 0x80) break;
			if (byte >= 0xc0) {
				const size = byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4;
				if (back + size > length) end = back;
				break;
			}
		}
		if (end - start >= nativeThreshold) {
			if (!nativeValid(start === 0 && end === length ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start))) return false;
			start = end;
		}
		while (start < length) if (!this.step(bytes[start++])) return false;
		return true;
	}

	/** Whether the bytes so far end on a code point boundary (a message must, RFC 6455 §8.1). */
	get complete(): boolean {
		return this.#need === 0;
	}

	reset(): void {
		this.#need = 0;
		this.#low = 0x80;
		this.#high = 0xbf;
	}

	// One byte of the stream.
	private step(byte: number): boolean {
		if (this.#need) {
			if (byte < this.#low || byte > this.#high) return false;
			this.#need--;
			this.#low = 0x80;
			this.#high = 0xbf;
			return true;
		}
		if (byte < 0x80) return true;
		if (byte < 0xc2) return false; // a stray continuation byte, or C0/C1 (overlong ASCII)
		if (byte < 0xe0) this.#need = 1;
		else if (byte < 0xf0) {
			this.#need = 2;
			if (byte === 0xe0) this.#low = 0xa0; // overlong 3-byte form
			else if (byte === 0xed) this.#high = 0x9f; // U+D800..U+DFFF, surrogates
		} else if (byte < 0xf5) {
			this.#need = 3;
			if (byte === 0xf0) this.#low = 0x90; // overlong 4-byte form
			else if (byte === 0xf4) this.#high = 0x8f; // beyond U+10FFFF
		} else return false; // F5..FF never occur
		return true;
	}
}

/** Whether bytes are one whole, well-formed UTF-8 text (e.g. a close reason, RFC 6455 §5.5.1). */
export function isValidUtf8(bytes: Uint8Array): boolean {
	const validator = new Utf8Validator();
	return validator.write(bytes) && validator.complete;
}
