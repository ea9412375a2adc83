// Incremental UTF-8 validation (RFC 6455 §8.1: text payloads must be valid UTF-8; RFC 3629 §4
// and Unicode Table 3-7 give the well-formed byte sequences). It keeps only the state of one
// partial sequence, so a code point split across TCP segments or fragments is fine, and it
// reports the first ill-formed byte at once: RFC 6455 §8.1 fails the connection as soon as the
// payload cannot become valid, without waiting for the end of the message.

export class Utf8Validator {
	// Continuation bytes still expected, and the range the next one must fall in (Table 3-7
	// narrows the second byte after E0, ED, F0 and F4 to exclude overlongs, surrogates and code
	// points beyond U+10FFFF).
	#need = 0;
	#low = 0x80;
	#high = 0xbf;

	/** Checks the next bytes of the stream; false at the first byte that makes it ill-formed. */
	write(bytes: Uint8Array): boolean {
		let need = this.#need, low = this.#low, high = this.#high;
		const length = bytes.length;
		for (let i = 0; i < length; i++) {
			const byte = bytes[i];
			if (need) {
				if (byte < low || byte > high) return false;
				need--;
				low = 0x80;
				high = 0xbf;
				continue;
			}
			if (byte < 0x80) continue;
			if (byte < 0xc2) return false; // a stray continuation byte, or C0/C1 (overlong ASCII)
			if (byte < 0xe0) need = 1;
			else if (byte < 0xf0) {
				need = 2;
				if (byte === 0xe0) low = 0xa0; // overlong 3-byte form
				else if (byte === 0xed) high = 0x9f; // U+D800..U+DFFF, surrogates
			} else if (byte < 0xf5) {
				need = 3;
				if (byte === 0xf0) low = 0x90; // overlong 4-byte form
				else if (byte === 0xf4) high = 0x8f; // beyond U+10FFFF
			} else return false; // F5..FF never occur
		}
		this.#need = need;
		this.#low = low;
		this.#high = high;
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
}

/** Whether bytes are one whole, well-formed UTF-8 text (e.g. a close reason, RFC 6455 §5.5.1). */
export function isValidUtf8(bytes: Uint8Array): boolean {
	const validator = new Utf8Validator();
	return validator.write(bytes) && validator.complete;
}
