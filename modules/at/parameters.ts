// ESP-AT spec §1.4: the one parameter parser. The text after `=` is split into fields; handlers
// ask for each field as an integer or a string and never look at the text themselves.
import { ErrorCode } from "at/results";

const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const QUOTE = 0x22;
const MINUS = 0x2d;

/** §1.4: at most 16 fields. */
export const maxParameters = 16;

/** §1.4: a field that is not what the handler asked for, or an index beyond those supplied.
 *  The engine answers `ERR CODE:0x010800NN` (with AT+SYSLOG=1) and `ERROR`. */
export class ParameterError extends Error {
	override name = "ParameterError";
	constructor(readonly index: number) {
		super(`parameter ${index} does not parse`);
	}

	get code(): number {
		return ErrorCode.ParameterParse | this.index;
	}
}

export class Parameters {
	readonly #text: Uint8Array;
	readonly #bounds: number[]; // start and end of each field in #text

	private constructor(text: Uint8Array, bounds: number[]) {
		this.#text = text;
		this.#bounds = bounds;
	}

	/** §1.4: splits at every comma not preceded by a backslash (double quotes do not protect
	 *  commas). More than 16 fields: undefined. */
	static split(text: Uint8Array): Parameters | undefined {
		const bounds = [0];
		for (let index = 0; index < text.length; index++) {
			const byte = text[index];
			if (byte === BACKSLASH) index++; // the escaped byte stays in the field
			else if (byte === COMMA) {
				if (bounds.length === maxParameters * 2 - 1) return undefined;
				bounds.push(index, index + 1);
			}
		}
		bounds.push(text.length);
		return new Parameters(text, bounds);
	}

	/** How many fields were given (`AT+X=1,,3` has 3). */
	get count(): number {
		return this.#bounds.length >> 1;
	}

	/** §1.4: an empty field, or one left off at the end, is "omitted". */
	omitted(index: number): boolean {
		return index >= this.count || this.#bounds[index * 2] === this.#bounds[index * 2 + 1];
	}

	/** §1.4: an integer field: optional `-` (decimal only), `0x`/`0X` hex or decimal, leading zeros
	 *  allowed, nothing else; it must fit 32 bits (hex up to 0xffffffff, read as int32_t). An empty
	 *  field answers undefined; an index beyond those supplied, or a malformed field, throws. */
	int(index: number): number | undefined {
		const [start, end] = this.field(index);
		if (start === end) return undefined;
		const text = this.#text;
		let position = start;
		if (text[position] === 0x30 && (text[position + 1] | 0x20) === 0x78 && end - position > 2) {
			let value = 0;
			for (position += 2; position < end; position++) {
				const digit = hexDigit(text[position]);
				if (digit < 0) throw new ParameterError(index);
				value = value * 16 + digit;
				if (value > 0xffffffff) throw new ParameterError(index);
			}
			return value | 0;
		}
		const negative = text[position] === MINUS;
		if (negative) position++;
		if (position === end) throw new ParameterError(index);
		let value = 0;
		for (; position < end; position++) {
			const digit = text[position] - 0x30;
			if (digit < 0 || digit > 9) throw new ParameterError(index);
			value = value * 10 + digit;
			if (value > 0x80000000) throw new ParameterError(index);
		}
		if (!negative && value > 0x7fffffff) throw new ParameterError(index);
		return negative ? 0 - value : value;
	}

	/** §1.4: a string field, as UTF-8 text. See bytes(). */
	string(index: number): string | undefined {
		const bytes = this.bytes(index);
		if (bytes === undefined) return undefined;
		try {
			return String.fromArrayBuffer(bytes.buffer);
		} catch {
			throw new ParameterError(index); // not UTF-8
		}
	}

	/** §1.4: a string field's bytes: it must start and end with `"`; inside, `\c` stands for `c`
	 *  and an unescaped `"` is an error. `""` is the empty string; an empty field answers
	 *  undefined; an index beyond those supplied, or a malformed field, throws. */
	bytes(index: number): Uint8Array | undefined {
		const [start, end] = this.field(index);
		if (start === end) return undefined;
		const text = this.#text;
		if (end - start < 2 || text[start] !== QUOTE || text[end - 1] !== QUOTE) throw new ParameterError(index);
		const result = new Uint8Array(end - start - 2);
		let length = 0;
		for (let position = start + 1; position < end - 1; position++) {
			let byte = text[position];
			if (byte === QUOTE) throw new ParameterError(index);
			if (byte === BACKSLASH) {
				// A backslash right before the closing quote escapes it: the string never ends.
				if (++position === end - 1) throw new ParameterError(index);
				byte = text[position];
			}
			result[length++] = byte;
		}
		return length === result.length ? result : result.slice(0, length);
	}

	private field(index: number): [number, number] {
		if (!(index >= 0 && index < this.count)) throw new ParameterError(index);
		return [this.#bounds[index * 2], this.#bounds[index * 2 + 1]];
	}
}

function hexDigit(byte: number): number {
	if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
	const lower = byte | 0x20;
	if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
	return -1;
}
