// The small JSON API on the server's port: GET /api/status tells what the device is doing,
// POST /api/echo answers a body with what was received (libwebsockets' http_server_post example:
// {"status": "success", "message": "Received your request."}).
import { bodyFraming, type HttpRequest } from "ws/http";
import { isValidUtf8 } from "ws/utf8";
import { JsonScan, scanJson } from "wsserver/jsonscan";
import { HeapMonitor } from "wsserver/memory";
import { fixedAnswer, type HttpAnswer, type HttpExchange, type HttpRoute, type ServerView } from "wsserver/route";

export interface ApiOptions {
	/** The firmware version reported by /api/status (mc/config "version"). */
	version: string;
	/** The build's profile (mc/config "profile": esp32, esp8266). */
	profile?: string;
	/** Deepest nesting of arrays and objects a JSON body may have (default maxJsonDepth). */
	maxJsonDepth?: number;
	/** Whether the build carries certificates of the test PKI (certs/), whose keys are public. */
	testCertificates?: boolean;
}

/**
 * Deepest JSON nesting accepted from a peer (at most 30). The echo checks JSON with a scanner that
 * keeps one bit per level and echoes it as it came, so no depth costs this board anything; the
 * limit is for whoever parses the answer: XS's JSON.parse recurses on the VM's stack, and running
 * out of it aborts the VM with no exception to catch (measured on lin, SDK 8.2.3: about 1 slot a
 * level for an array and 2 for an object; an ESP8266 has 256 slots of stack in all).
 */
export const maxJsonDepth = 10;

/** GET /api/status and POST /api/echo. */
export function apiRoutes(options: ApiOptions): HttpRoute[] {
	return [new StatusRoute(options.version, "/api/status", options.profile, options.testCertificates), new EchoRoute(undefined, options.maxJsonDepth)];
}

const Quote = 0x22;
const Backslash = 0x5c;

// Shared by every route that answers only GET (and so HEAD).
const getOnly = Object.freeze(["GET"]);
const postOnly = Object.freeze(["POST"]);

const jsonHeaders: Array<[string, string]> = [["Content-Type", "application/json"], ["Cache-Control", "no-store"]];

function json(status: number, value: unknown): HttpAnswer {
	return { status, headers: jsonHeaders, body: JSON.stringify(value) + "\n" };
}

/** GET /api/status: what the device is doing, its heap, and the configured limits. */
export class StatusRoute implements HttpRoute {
	readonly path: string;
	readonly methods = getOnly;
	readonly #version: string;
	readonly #profile: string;
	readonly #testCertificates: boolean;
	// Made with the route: the heap figures are sampled from then on.
	readonly #heap = new HeapMonitor();

	constructor(version: string, path = "/api/status", profile = "", testCertificates = false) {
		this.path = path;
		this.#version = version;
		this.#profile = profile;
		this.#testCertificates = testCertificates;
	}

	start(_request: HttpRequest, server: ServerView): HttpExchange {
		return fixedAnswer(
			json(200, {
				version: this.#version,
				profile: this.#profile,
				testCertificates: this.#testCertificates,
				tls: server.tls,
				uptimeMs: Date.now() - server.startedAt,
				memory: this.#heap.report(),
				websocket: { path: server.path, clients: server.clientCount, budget: server.dataBudget() },
				connections: server.connectionCount,
				links: server.links(),
				limits: server.limits,
			}),
		);
	}
}

export function statusRoute(version: string, path = "/api/status", profile = ""): HttpRoute {
	return new StatusRoute(version, path, profile);
}

// RFC 8259 §11 and RFC 6839 §3.1: application/json and any "+json" media type are JSON.
function isJson(mediaType: string): boolean {
	return mediaType === "application/json" || mediaType.endsWith("+json");
}

// Media types whose content is text (RFC 2046 §4.1); without a type, valid UTF-8 counts as text.
function isText(mediaType: string): boolean {
	return mediaType === "" || mediaType.startsWith("text/") || mediaType === "application/x-www-form-urlencoded" || mediaType === "application/xml" || mediaType.endsWith("+xml");
}

/** POST /api/echo: the body back as JSON, parsed when it is JSON, text, or base64. */
export class EchoRoute implements HttpRoute {
	readonly path: string;
	readonly methods = postOnly;

	readonly maxDepth: number;

	constructor(path = "/api/echo", maxDepth = maxJsonDepth) {
		this.path = path;
		this.maxDepth = maxDepth;
	}

	start(request: HttpRequest): HttpExchange {
		const maxDepth = this.maxDepth;
		// The body is kept once: in one buffer of its Content-Length (made at its first byte, so
		// no length the server refuses is ever allocated) or, chunked, in pieces joined at the end.
		const framing = bodyFraming(request);
		const declared = framing.kind === "length" ? framing.length : -1;
		let whole: Uint8Array | undefined;
		let pieces: Uint8Array[] | undefined;
		let length = 0;
		return {
			body(piece: Uint8Array) {
				if (declared >= 0) (whole ??= new Uint8Array(declared)).set(piece, length);
				else (pieces ??= []).push(piece.slice());
				length += piece.length;
			},
			end() {
				const bytes = whole ?? joinPieces(pieces, length);
				whole = pieces = undefined;
				return echoAnswer(request, bytes, maxDepth);
			},
		};
	}
}

function joinPieces(pieces: Uint8Array[] | undefined, length: number): Uint8Array {
	const bytes = new Uint8Array(length);
	let offset = 0;
	if (pieces)
		for (const piece of pieces) {
			bytes.set(piece, offset);
			offset += piece.length;
		}
	return bytes;
}

// The answer to a body, made as one buffer: the fields, then the body as it came (JSON, checked
// but never parsed), escaped (text) or in base64, so that at most the body and its answer are
// held at once (on an ESP8266 a 1 KB body is a large part of the heap).
function echoAnswer(request: HttpRequest, bytes: Uint8Array, maxDepth: number): HttpAnswer {
	const contentType = request.headers.get("Content-Type") ?? null;
	const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
	const utf8 = isValidUtf8(bytes);
	let bodyEncoding: string;
	let escapedLength = 0;
	if (isJson(mediaType)) {
		const scan = utf8 ? scanJson(bytes, maxDepth) : JsonScan.Invalid;
		if (scan === JsonScan.TooDeep) return json(400, { status: "error", message: `The JSON is nested deeper than ${maxDepth} levels.` });
		if (scan === JsonScan.Invalid) return json(400, { status: "error", message: "The body is not valid JSON." });
		bodyEncoding = "json";
	} else {
		if (utf8 && isText(mediaType)) escapedLength = jsonStringLength(bytes);
		// Text whose escapes would more than double it (control characters) goes as base64, which
		// bounds the answer at about 4/3 of the body.
		bodyEncoding = escapedLength && escapedLength <= 2 * bytes.length + 2 ? "text" : "base64";
	}
	const fields = JSON.stringify({
		status: "success",
		message: "Received your request.",
		method: request.method,
		contentType,
		transferEncoding: request.headers.get("Transfer-Encoding") ?? null,
		length: bytes.length,
		bodyEncoding,
	});
	const head = new Uint8Array(ArrayBuffer.fromString(fields.slice(0, -1) + ',"body":'));
	const base64 = bodyEncoding === "base64" ? bytes.toBase64() : "";
	const bodyLength = bodyEncoding === "json" ? bytes.length : bodyEncoding === "text" ? escapedLength : base64.length + 2;
	const answer = new Uint8Array(head.length + bodyLength + 2);
	answer.set(head);
	let at = head.length;
	if (bodyEncoding === "json") answer.set(bytes, at);
	else if (bodyEncoding === "text") writeJsonString(bytes, answer, at);
	else {
		answer[at++] = Quote;
		for (let i = 0; i < base64.length; i++) answer[at++] = base64.charCodeAt(i);
		answer[at] = Quote;
	}
	answer[answer.length - 2] = 0x7d; // }
	answer[answer.length - 1] = 0x0a;
	return { status: 200, headers: jsonHeaders, body: answer };
}

// JSON.stringify's escapes (ECMA-262 QuoteJSONString) on UTF-8 bytes: the short forms, \u00XX for
// other control characters; every other byte as it is.
const shortEscapes: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, [Quote]: Quote, [Backslash]: Backslash };

// The length of the bytes as a JSON string, quotes included.
function jsonStringLength(bytes: Uint8Array): number {
	let length = 2;
	for (let i = 0; i < bytes.length; i++) {
		const byte = bytes[i];
		length += byte >= 0x20 && byte !== Quote && byte !== Backslash ? 1 : byte in shortEscapes ? 2 : 6;
	}
	return length;
}

function writeJsonString(bytes: Uint8Array, out: Uint8Array, at: number): void {
	out[at++] = Quote;
	for (let i = 0; i < bytes.length; i++) {
		const byte = bytes[i];
		if (byte >= 0x20 && byte !== Quote && byte !== Backslash) out[at++] = byte;
		else {
			out[at++] = Backslash;
			const short = shortEscapes[byte];
			if (short) out[at++] = short;
			else {
				out[at++] = 0x75; // u
				out[at++] = 0x30;
				out[at++] = 0x30;
				out[at++] = hexDigits.charCodeAt(byte >> 4);
				out[at++] = hexDigits.charCodeAt(byte & 15);
			}
		}
	}
	out[at] = Quote;
}

const hexDigits = "0123456789abcdef";

export function echoRoute(path = "/api/echo"): HttpRoute {
	return new EchoRoute(path);
}
