// The small JSON API on the server's port: GET /api/status tells what the device is doing,
// POST /api/echo answers a body with what was received (libwebsockets' http_server_post example:
// {"status": "success", "message": "Received your request."}).
import type { HttpRequest } from "ws/http";
import { isValidUtf8 } from "ws/utf8";
import { HeapMonitor } from "wsserver/memory";
import { fixedAnswer, type HttpAnswer, type HttpExchange, type HttpRoute, type ServerView } from "wsserver/route";

export interface ApiOptions {
	/** The firmware version reported by /api/status (mc/config "version"). */
	version: string;
	/** The build's profile (mc/config "profile": esp32, esp8266). */
	profile?: string;
	/** Deepest nesting of arrays and objects a JSON body may have (default maxJsonDepth). */
	maxJsonDepth?: number;
}

/**
 * Deepest JSON nesting accepted from a peer. XS's JSON.parse and JSON.stringify recurse on the
 * VM's stack, and running out of it aborts the VM (no exception to catch): one small request
 * would stop the board. Measured on lin (384 slots, SDK 8.2.3): a level costs about 1 slot for an
 * array and 2 (parse) or 4 (stringify) for an object, and this route's path leaves about 205
 * slots: JSON.parse survived 204 arrays or 102 objects, the echo's JSON.stringify 53 objects.
 * ESP8266 has 256 slots, 128 fewer, so about 77 are left there; 10 levels, echoed inside the
 * answer, take at most 44.
 */
export const maxJsonDepth = 10;

/** GET /api/status and POST /api/echo. */
export function apiRoutes(options: ApiOptions): HttpRoute[] {
	return [new StatusRoute(options.version, "/api/status", options.profile), new EchoRoute(undefined, options.maxJsonDepth)];
}

const Quote = 0x22;
const Backslash = 0x5c;

/** Whether JSON text nests arrays and objects deeper than `limit` (RFC 8259 §9 lets a parser
 *  limit the depth). Counted on the bytes before any parsing, strings skipped; malformed text is
 *  left to JSON.parse, which stops no deeper than this scan went. */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
	let depth = 0;
	const length = bytes.length;
	for (let i = 0; i < length; i++) {
		const byte = bytes[i];
		if (byte === Quote) {
			for (i++; i < length; i++) {
				const inner = bytes[i];
				if (inner === Backslash) i++;
				else if (inner === Quote) break;
			}
		} else if (byte === 0x5b || byte === 0x7b) {
			if (++depth > limit) return true;
		} else if ((byte === 0x5d || byte === 0x7d) && depth > 0) depth--;
	}
	return false;
}

// Shared by every route that answers only GET (and so HEAD).
const getOnly = Object.freeze(["GET"]);
const postOnly = Object.freeze(["POST"]);

function json(status: number, value: unknown): HttpAnswer {
	return { status, headers: [["Content-Type", "application/json"], ["Cache-Control", "no-store"]], body: JSON.stringify(value) + "\n" };
}

/** GET /api/status: what the device is doing, its heap, and the configured limits. */
export class StatusRoute implements HttpRoute {
	readonly path: string;
	readonly methods = getOnly;
	readonly #version: string;
	readonly #profile: string;
	// Made with the route: the heap figures are sampled from then on.
	readonly #heap = new HeapMonitor();

	constructor(version: string, path = "/api/status", profile = "") {
		this.path = path;
		this.#version = version;
		this.#profile = profile;
	}

	start(_request: HttpRequest, server: ServerView): HttpExchange {
		return fixedAnswer(
			json(200, {
				version: this.#version,
				profile: this.#profile,
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
		// The server keeps the body under its limit; the pieces are joined once, at the end.
		const pieces: Uint8Array[] = [];
		let length = 0;
		return {
			body(piece: Uint8Array) {
				pieces.push(piece.slice());
				length += piece.length;
			},
			end() {
				const bytes = new Uint8Array(length);
				let offset = 0;
				for (const piece of pieces) {
					bytes.set(piece, offset);
					offset += piece.length;
				}
				pieces.length = 0;
				const contentType = request.headers.get("Content-Type") ?? null;
				const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
				const text = isValidUtf8(bytes) ? String.fromArrayBuffer(bytes.buffer) : undefined;
				let bodyEncoding: string;
				let body: unknown;
				if (isJson(mediaType)) {
					if (nestsDeeperThan(bytes, maxDepth)) return json(400, { status: "error", message: `The JSON is nested deeper than ${maxDepth} levels.` });
					try {
						if (text === undefined) throw new SyntaxError("not UTF-8");
						body = JSON.parse(text);
					} catch {
						return json(400, { status: "error", message: "The body is not valid JSON." });
					}
					bodyEncoding = "json";
				} else if (text !== undefined && isText(mediaType)) {
					bodyEncoding = "text";
					body = text;
				} else {
					bodyEncoding = "base64";
					body = bytes.toBase64();
				}
				return json(200, {
					status: "success",
					message: "Received your request.",
					method: request.method,
					contentType,
					transferEncoding: request.headers.get("Transfer-Encoding") ?? null,
					length,
					bodyEncoding,
					body,
				});
			},
		};
	}
}

export function echoRoute(path = "/api/echo"): HttpRoute {
	return new EchoRoute(path);
}
