// HTTP/1.1 message heads (RFC 9112 §2-§5): read a head from a byte stream split anywhere, parse a
// request or a response, and write one. Only the head: whatever follows it (a body, or the first
// WebSocket frames) is left to the caller.

/** A parse failure, with the status a server answers it with (RFC 9110 §15). */
export class HttpError extends Error {
	override name = "HttpError";
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

/** RFC 9110 §15 reason phrases for the statuses this project writes. */
export const StatusText: Readonly<Record<number, string>> = Object.freeze({
	101: "Switching Protocols",
	200: "OK",
	204: "No Content",
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	408: "Request Timeout",
	411: "Length Required",
	413: "Content Too Large",
	426: "Upgrade Required",
	431: "Request Header Fields Too Large",
	500: "Internal Server Error",
	501: "Not Implemented",
	503: "Service Unavailable",
});

/** Header fields in the order received; names compare case-insensitively (RFC 9110 §5.1). */
export class HttpHeaders {
	readonly list: Array<[name: string, value: string]> = [];

	/** The field's value; several fields of that name are combined with ", " (RFC 9110 §5.3). */
	get(name: string): string | undefined {
		const values = this.getAll(name);
		return values.length ? values.join(", ") : undefined;
	}

	/** The values of every field of that name, in order. */
	getAll(name: string): string[] {
		const wanted = name.toLowerCase();
		const values: string[] = [];
		for (const [key, value] of this.list) if (key.toLowerCase() === wanted) values.push(value);
		return values;
	}

	has(name: string): boolean {
		return this.getAll(name).length > 0;
	}

	/** The comma-separated list elements of every field of that name, lower-cased
	 *  (RFC 9110 §5.6.1), e.g. the tokens of Connection or Upgrade. */
	tokens(name: string): string[] {
		const tokens: string[] = [];
		for (const value of this.getAll(name))
			for (const element of value.split(",")) {
				const token = element.trim();
				if (token) tokens.push(token.toLowerCase());
			}
		return tokens;
	}
}

export interface HttpRequest {
	method: string;
	/** The request-target as sent, e.g. "/ws?x=1" (RFC 9112 §3.2). */
	target: string;
	version: string;
	headers: HttpHeaders;
}

export interface HttpResponse {
	version: string;
	status: number;
	reason: string;
	headers: HttpHeaders;
}

/** The bytes of `a` then `b`, in a new array: input that must wait for the bytes after it. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
	const result = new Uint8Array(a.length + b.length);
	result.set(a);
	result.set(b, a.length);
	return result;
}

/** RFC 9112 §2.1: the head ends with an empty line. */
const CR = 13;
const LF = 10;

/**
 * Collects a message head from a byte stream: "read until CRLFCRLF", whatever the TCP split.
 * Bytes are kept only until the head is complete, and never more than `maxSize`.
 */
export class HeadReader {
	readonly #maxSize: number;
	#bytes: Uint8Array | undefined;
	#rest: Uint8Array | undefined;

	constructor(maxSize = 4096) {
		this.#maxSize = maxSize;
	}

	/**
	 * Takes the next bytes; returns the whole head (ending with CRLFCRLF) once it is complete,
	 * else undefined. Throws HttpError 431 when the head outgrows maxSize.
	 */
	receive(bytes: Uint8Array): Uint8Array | undefined {
		const previous = this.#bytes;
		const before = previous ? previous.length : 0;
		let all: Uint8Array;
		if (previous) {
			// Only the bytes that can still belong to the head are kept (at most maxSize + 3).
			const take = Math.max(0, Math.min(bytes.length, this.#maxSize + 4 - before));
			all = new Uint8Array(before + take);
			all.set(previous);
			all.set(bytes.subarray(0, take), before);
		} else all = bytes;
		// RFC 9112 §2.2: a server should ignore empty lines received before the request-line.
		let start = 0;
		while (start + 1 < all.length && all[start] === CR && all[start + 1] === LF) start += 2;
		const end = findEmptyLine(all, Math.max(start, before - 3));
		if (end < 0) {
			if (all.length - start > this.#maxSize) throw new HttpError(431, "message head too large");
			this.#bytes = previous ? all : all.slice();
			return undefined;
		}
		if (end - start > this.#maxSize) throw new HttpError(431, "message head too large");
		this.#bytes = undefined;
		this.#rest = bytes.subarray(end - before);
		return all.subarray(start, end);
	}

	/** The bytes of the last receive() call after the head: a body or the first frames. */
	get rest(): Uint8Array {
		return this.#rest ?? new Uint8Array(0);
	}
}

// The index just after the first CRLFCRLF at or after `from`, or -1.
function findEmptyLine(bytes: Uint8Array, from: number): number {
	for (let i = Math.max(0, from); i + 3 < bytes.length; i++) {
		if (bytes[i] === CR && bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) return i + 4;
	}
	return -1;
}

// Character tests instead of module-level RegExps: XS keeps a preloaded RegExp in flash, and its
// test()/exec() crash when a garbage collection runs inside them (SDK 8.2.3; see
// test-host/tests/realm/regexp.test.ts).

// RFC 9110 §5.6.2: token = 1*tchar, tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" /
// "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
function isToken(text: string): boolean {
	if (!text.length) return false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) continue;
		// ! # $ % & ' * + - . ^ _ ` | ~
		if (!(c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e || (c >= 0x5e && c <= 0x60) || c === 0x7c || c === 0x7e)) return false;
	}
	return true;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

// RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT.
function isHttpVersion(text: string): boolean {
	return text.length === 8 && text.startsWith("HTTP/") && isDigit(text.charCodeAt(5)) && text[6] === "." && isDigit(text.charCodeAt(7));
}

/** Parses a request head (RFC 9112 §3); throws HttpError 400 when it is malformed. */
export function parseRequest(head: Uint8Array): HttpRequest {
	const lines = headLines(head);
	const parts = lines[0].split(" ");
	if (parts.length !== 3 || !isToken(parts[0]) || !parts[1] || !isHttpVersion(parts[2]))
		throw new HttpError(400, "malformed request line");
	return { method: parts[0], target: parts[1], version: parts[2], headers: parseFields(lines) };
}

/** Parses a response head (RFC 9112 §4); throws HttpError 400 (as a parse failure) when malformed. */
export function parseResponse(head: Uint8Array): HttpResponse {
	const lines = headLines(head);
	const line = lines[0];
	const first = line.indexOf(" ");
	const version = line.slice(0, first);
	const statusText = line.slice(first + 1, first + 4);
	const after = line.slice(first + 4);
	if (first < 0 || !isHttpVersion(version) || !/^[0-9]{3}$/.test(statusText) || (after !== "" && after[0] !== " "))
		throw new HttpError(400, "malformed status line");
	return { version, status: Number(statusText), reason: after.slice(1), headers: parseFields(lines) };
}

// The head's lines without their CRLF (the last two, empty, dropped). Field values may carry
// obs-text, so bytes are read as ISO-8859-1 (RFC 9110 §5.5), one character per byte.
function headLines(head: Uint8Array): string[] {
	let ascii = true;
	for (let i = 0; i < head.length; i++) if (head[i] > 0x7f) { ascii = false; break; }
	let text: string;
	if (ascii) {
		const copy = new Uint8Array(head.length);
		copy.set(head);
		text = String.fromArrayBuffer(copy.buffer);
	}
	else {
		text = "";
		for (let i = 0; i < head.length; i++) text += String.fromCharCode(head[i]);
	}
	const lines = text.slice(0, -4).split("\r\n");
	// RFC 9112 §2.2: a bare CR or LF is not a line break we accept.
	for (const line of lines) if (line.includes("\r") || line.includes("\n")) throw new HttpError(400, "bare CR or LF in message head");
	return lines;
}

function parseFields(lines: string[]): HttpHeaders {
	const headers = new HttpHeaders();
	for (let i = 1; i < lines.length; i++) {
		const line = lines[i];
		// RFC 9112 §5.2: obsolete line folding is rejected.
		if (line[0] === " " || line[0] === "\t") throw new HttpError(400, "obsolete line folding");
		const colon = line.indexOf(":");
		const name = line.slice(0, colon);
		// RFC 9112 §5.1: no whitespace between the field name and the colon.
		if (colon <= 0 || !isToken(name)) throw new HttpError(400, "malformed header field");
		const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
		if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new HttpError(400, "control character in a header field");
		headers.list.push([name, value]);
	}
	return headers;
}

/** How a request's body is delimited (RFC 9112 §6.3). */
export type BodyFraming = { kind: "length"; length: number } | { kind: "chunked" };

/**
 * The framing of a request's body, from its head (RFC 9112 §6.3): chunked when Transfer-Encoding
 * says so, else Content-Length, else no body (length 0). Throws HttpError for what a server must
 * not guess at: both fields at once (a request-smuggling vector, §6.3 item 3), a coding other than
 * chunked (501, §6.1), an invalid or conflicting Content-Length (400, §6.3 item 5).
 */
export function bodyFraming(request: HttpRequest): BodyFraming {
	const headers = request.headers;
	const codings = headers.tokens("Transfer-Encoding");
	if (headers.has("Transfer-Encoding")) {
		if (headers.has("Content-Length")) throw new HttpError(400, "both Transfer-Encoding and Content-Length");
		if (codings.length !== 1 || codings[0] !== "chunked") throw new HttpError(501, "only the chunked transfer coding is supported");
		if (request.version === "HTTP/1.0") throw new HttpError(400, "Transfer-Encoding in an HTTP/1.0 request");
		return { kind: "chunked" };
	}
	const lengths = headers.getAll("Content-Length");
	if (!lengths.length) return { kind: "length", length: 0 };
	// RFC 9110 §8.6: a list of identical values may be taken as one value.
	const values = new Set<string>();
	for (const value of lengths) for (const element of value.split(",")) values.add(element.trim());
	const [value] = values;
	if (values.size !== 1 || !/^[0-9]{1,15}$/.test(value)) throw new HttpError(400, "invalid Content-Length");
	return { kind: "length", length: Number(value) };
}

/**
 * Whether the connection stays open after the answer to this request (RFC 9112 §9.3): "close"
 * ends it; HTTP/1.1 persists by default; HTTP/1.0 only when it asks for "keep-alive" (§C.2.2).
 */
export function keepsAlive(request: HttpRequest): boolean {
	const options = request.headers.tokens("Connection");
	if (options.includes("close")) return false;
	if (request.version === "HTTP/1.0") return options.includes("keep-alive");
	return /^HTTP\/1\.[1-9]$/.test(request.version);
}

/** The bytes of a response head, then the body if any (a string is sent as UTF-8). */
export function encodeResponse(status: number, headers: ReadonlyArray<readonly [string, string]>, body?: string, reason = StatusText[status] ?? ""): Uint8Array {
	let text = `HTTP/1.1 ${status} ${reason}\r\n`;
	for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
	if (body === undefined) return new Uint8Array(ArrayBuffer.fromString(text + "\r\n"));
	const bodyBytes = ArrayBuffer.fromString(body);
	text += `Content-Length: ${bodyBytes.byteLength}\r\n\r\n`;
	return new Uint8Array(ArrayBuffer.fromString(text).concat(bodyBytes));
}

/** The bytes of a request head. */
export function encodeRequest(method: string, target: string, headers: ReadonlyArray<readonly [string, string]>): Uint8Array {
	let text = `${method} ${target} HTTP/1.1\r\n`;
	for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
	return new Uint8Array(ArrayBuffer.fromString(text + "\r\n"));
}
