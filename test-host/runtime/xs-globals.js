// Evaluated inside the firmware realm (not a module): the built-in extensions XS has and V8 lacks,
// written after the XS sources (xs/sources/xsString.c, xsDataView.c, xsMath.c, xsGlobal.c) so
// that firmware code fails here where it would fail on the chip.
// `__traceSink` and `__abortSink` are handed in by the realm and removed again below.
(function (traceSink, abortSink) {
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

	// XS's stack is small (mcconfig's default, 384 slots on lin and ESP32; 256 on ESP8266), and
	// JSON.parse and JSON.stringify recurse on it a level of nesting at a time. Running out of it
	// is no exception firmware can catch: XS prints "stack overflow (-1)!" and aborts the VM with
	// "XS abort: JavaScript stack overflow". V8's stack is far deeper, so without this the host
	// would answer what stops the board.
	// Measured on lin (SDK 8.2.3, debug build): from a timer callback JSON.parse survives 346
	// nested arrays or 172 objects and JSON.stringify 341 arrays or 86 objects, i.e. a level costs
	// about 1 slot for an array, 2 (parse) or 4 (stringify) for an object. From the server's
	// request path (onReadable ... a route's end()) JSON.parse survived 204 arrays or 102 objects
	// and the echo's JSON.stringify 53 objects: about 205 slots are left there. That path is where
	// firmware meets peer data, so the host allows that much.
	const jsonStackSlots = 205;
	const jsonParse = JSON.parse;
	const jsonStringify = JSON.stringify;

	function overflow() {
		abortSink("JavaScript stack overflow");
		// The VM is stopped; this only unwinds the host's stack.
		throw new RangeError("stack overflow");
	}

	// The slots the deepest path of nesting in text[0, end) takes: strings are skipped, brackets
	// counted (XS recurses as it reads, so an unclosed bracket costs as much as a closed one).
	function parseSlots(text, end) {
		const open = [];
		let slots = 0;
		let most = 0;
		for (let i = 0; i < end; i++) {
			const c = text.charCodeAt(i);
			if (c === 0x22) {
				for (i++; i < end; i++) {
					const d = text.charCodeAt(i);
					if (d === 0x5c) i++;
					else if (d === 0x22) break;
				}
			} else if (c === 0x5b || c === 0x7b) {
				const cost = c === 0x5b ? 1 : 2;
				open.push(cost);
				slots += cost;
				if (slots > most) most = slots;
			} else if ((c === 0x5d || c === 0x7d) && open.length) slots -= open.pop();
		}
		return most;
	}

	// How far XS reads invalid JSON before it throws. V8 says where it stopped only for some
	// errors; otherwise this is the longest prefix V8 finds merely unfinished (a prefix of an
	// unfinished text is unfinished too, so a binary search finds it).
	function readBeforeFailing(text) {
		const stoppedAt = (length) => {
			try {
				jsonParse(text.slice(0, length));
				return length;
			} catch (error) {
				if (/Unexpected end of JSON input/.test(error.message)) return length;
				const position = /at position (\d+)/.exec(error.message);
				return position ? Number(position[1]) : -1;
			}
		};
		const stopped = stoppedAt(text.length);
		if (stopped >= 0) return Math.min(text.length, stopped + 1);
		let low = 0;
		let high = text.length;
		while (low < high) {
			const middle = (low + high + 1) >> 1;
			if (stoppedAt(middle) === middle) low = middle;
			else high = middle - 1;
		}
		return Math.min(text.length, low + 1);
	}

	define(JSON, "parse", function parse(text, reviver) {
		const source = String(text);
		let value;
		let failure;
		try {
			value = jsonParse(source);
		} catch (error) {
			failure = error;
		}
		if (parseSlots(source, failure === undefined ? source.length : readBeforeFailing(source)) > jsonStackSlots) overflow();
		if (failure !== undefined) throw failure;
		return typeof reviver === "function" ? jsonParse(source, reviver) : value;
	});

	// The slots the deepest path of a value takes in JSON.stringify (a cycle is left to V8, which
	// throws a TypeError, as XS does); the walk stops once past the limit.
	function stringifySlots(value, ancestors, slots) {
		if (typeof value !== "object" || value === null || ancestors.has(value)) return slots;
		const array = Array.isArray(value);
		slots += array ? 1 : 4;
		if (slots > jsonStackSlots) return slots;
		ancestors.add(value);
		let most = slots;
		for (const key of array ? value.keys() : Object.keys(value)) {
			const deepest = stringifySlots(value[key], ancestors, slots);
			if (deepest > most) most = deepest;
			if (most > jsonStackSlots) break;
		}
		ancestors.delete(value);
		return most;
	}

	define(JSON, "stringify", function stringify(value, replacer, space) {
		if (stringifySlots(value, new Set(), 0) > jsonStackSlots) overflow();
		return jsonStringify(value, replacer, space);
	});
})(globalThis.__traceSink, globalThis.__abortSink);
delete globalThis.__traceSink;
delete globalThis.__abortSink;
