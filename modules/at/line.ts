// ESP-AT spec §1.2: how command-mode bytes become command lines.
const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;

/** §1.2: a command line holds at most 256 bytes including its CR LF. */
export const maxLineLength = 256;

export class LineAssembler {
	readonly #buffer = new Uint8Array(maxLineLength);
	#length = 0;

	/** Takes bytes from `offset` on until a line is complete. Answers the index just past that
	 *  line's CR LF (then `line()` has it), or -1 when every byte was taken without completing one. */
	feed(bytes: Uint8Array, offset: number): number {
		const buffer = this.#buffer;
		let length = this.#length;
		for (let index = offset; index < bytes.length; index++) {
			const byte = bytes[index];
			// §1.2: a NUL discards everything buffered up to and including it.
			if (byte === NUL) {
				length = 0;
				continue;
			}
			buffer[length++] = byte;
			// §1.2: CR LF is the only terminator; a lone CR or LF is ordinary data.
			if (byte === LF && length >= 2 && buffer[length - 2] === CR) {
				this.#length = length;
				return index + 1;
			}
			// §1.2: 256 bytes without CR LF are dropped silently, keeping a final CR in case its
			// LF follows; the tail of the over-long line then ends as a line of its own (one ERROR).
			if (length >= maxLineLength) {
				if (byte === CR) {
					buffer[0] = CR;
					length = 1;
				} else length = 0;
			}
		}
		this.#length = length;
		return -1;
	}

	/** The line `feed` completed, without its CR LF; the assembler starts a new line. */
	line(): Uint8Array {
		const line = this.#buffer.slice(0, this.#length - 2);
		this.#length = 0;
		return line;
	}

	reset(): void {
		this.#length = 0;
	}
}
