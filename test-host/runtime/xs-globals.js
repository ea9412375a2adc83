// Evaluated inside the firmware realm (not a module): the built-in extensions XS has and V8 lacks,
// written after the XS sources (xs/sources/xsString.c, xsDataView.c, xsMath.c, xsGlobal.c) so
// that firmware code fails here where it would fail on the chip.
// `__traceSink` is handed in by the realm and removed again below.
(function (traceSink) {
	"use strict";
	const define = (target, name, value) =>
		Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });

	function arrayBufferOf(value, what) {
		// XS accepts an ArrayBuffer (or a host buffer), never a view.
		if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value;
		throw new TypeError(`${what}: not an ArrayBuffer instance`);
	}

	// String.fromArrayBuffer(buffer[, byteOffset[, byteLength]]): XS checks only the UTF-8
	// structure (lead byte and continuation bytes), then decodes.
	define(String, "fromArrayBuffer", function fromArrayBuffer(buffer, byteOffset, byteLength) {
		if (arguments.length < 1) throw new TypeError("no argument");
		arrayBufferOf(buffer, "argument");
		const limit = buffer.byteLength;
		const offset = byteOffset === undefined ? 0 : Math.trunc(Number(byteOffset));
		if (!(offset >= 0 && offset <= limit)) throw new RangeError(`invalid byteOffset ${offset}`);
		const length = byteLength === undefined ? limit - offset : Math.trunc(Number(byteLength));
		if (!(length >= 0 && offset + length <= limit)) throw new RangeError(`invalid byteLength ${length}`);
		const bytes = new Uint8Array(buffer, offset, length);
		let result = "";
		for (let i = 0; i < bytes.length; ) {
			const first = bytes[i];
			let size, code;
			if (first < 0x80) { size = 1; code = first; }
			else if ((first & 0xe0) === 0xc0) { size = 2; code = first & 0x1f; }
			else if ((first & 0xf0) === 0xe0) { size = 3; code = first & 0x0f; }
			else if ((first & 0xf0) === 0xf0) { size = 4; code = first & 0x07; }
			else throw new TypeError("invalid UTF-8");
			if (i + size > bytes.length) throw new TypeError("invalid UTF-8");
			for (let j = 1; j < size; j++) {
				const next = bytes[i + j];
				if ((next & 0xc0) !== 0x80) throw new TypeError("invalid UTF-8");
				code = (code << 6) | (next & 0x3f);
			}
			result += String.fromCodePoint(code > 0x10ffff ? 0xfffd : code);
			i += size;
		}
		return result;
	});

	// ArrayBuffer.fromString(string): the string's UTF-8 bytes.
	define(ArrayBuffer, "fromString", function fromString(string) {
		if (arguments.length < 1) throw new TypeError("no argument");
		string = String(string);
		const out = [];
		for (let i = 0; i < string.length; i++) {
			let code = string.charCodeAt(i);
			if (code >= 0xd800 && code <= 0xdbff && i + 1 < string.length) {
				const low = string.charCodeAt(i + 1);
				if (low >= 0xdc00 && low <= 0xdfff) {
					code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
					i++;
				}
			}
			if (code < 0x80) out.push(code);
			else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
			else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
			else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
		}
		return new Uint8Array(out).buffer;
	});

	define(ArrayBuffer, "fromBigInt", function fromBigInt(value, length, sign, endian) {
		let hex = BigInt(value < 0n ? -value : value).toString(16);
		if (hex.length & 1) hex = "0" + hex;
		const bytes = Uint8Array.fromHex(hex);
		const size = length === undefined ? bytes.length : length;
		const out = new Uint8Array(size);
		out.set(bytes.subarray(Math.max(0, bytes.length - size)), Math.max(0, size - bytes.length));
		if (endian) out.reverse();
		void sign;
		return out.buffer;
	});

	// ArrayBuffer.prototype.concat(...buffers): a new buffer; arguments must be ArrayBuffers.
	define(ArrayBuffer.prototype, "concat", function concat(...buffers) {
		arrayBufferOf(this, "this");
		let length = this.byteLength;
		buffers.forEach((buffer, index) => (length += arrayBufferOf(buffer, `arguments[${index}]`).byteLength));
		const result = new Uint8Array(length);
		result.set(new Uint8Array(this), 0);
		let offset = this.byteLength;
		for (const buffer of buffers) {
			result.set(new Uint8Array(buffer), offset);
			offset += buffer.byteLength;
		}
		return result.buffer;
	});

	define(BigInt, "bitLength", (value) => (value < 0n ? -value : value).toString(2).length);
	define(BigInt, "fromArrayBuffer", (buffer) => {
		const hex = new Uint8Array(arrayBufferOf(buffer, "argument")).toHex();
		return hex ? BigInt("0x" + hex) : 0n;
	});

	// Integer math (XS): results are integers; irandom(min, max) is inclusive of min.
	const int = (value) => Math.trunc(Number(value)) | 0;
	define(Math, "idiv", (a, b) => (int(b) === 0 ? NaN : (int(a) / int(b)) | 0));
	define(Math, "imod", (a, b) => (int(b) === 0 ? NaN : ((int(a) % int(b)) + int(b)) % int(b)));
	define(Math, "irem", (a, b) => (int(b) === 0 ? NaN : int(a) % int(b)));
	define(Math, "imuldiv", (a, b, c) => (int(c) === 0 ? NaN : Math.trunc((int(a) * int(b)) / int(c)) | 0));
	define(Math, "mod", (a, b) => ((a % b) + b) % b);
	define(Math, "irandom", function irandom(a, b) {
		let min = 0, max = 2147483647;
		if (arguments.length > 1) { min = int(a); max = int(b); }
		else if (arguments.length > 0) max = int(a);
		const r = Math.random();
		return max < min ? Math.ceil(min + r * (max - min)) : Math.floor(min + r * (max - min));
	});

	// trace(...values): every argument as a string, no separator, no newline (XS's fx_trace).
	function trace(...values) {
		traceSink(values.map((value) => String(value)).join(""));
	}
	for (const name of ["left", "center", "right"])
		define(trace, name, (message) => traceSink(typeof message === "string" ? message + "\n" : "<binary>\n"));
	define(globalThis, "trace", trace);
})(globalThis.__traceSink);
delete globalThis.__traceSink;
