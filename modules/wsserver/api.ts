// The small JSON API on the server's port: GET /api/status tells what the device is doing,
// POST /api/echo answers a body with what was received (libwebsockets' http_server_post example:
// {"status": "success", "message": "Received your request."}).
import Instrumentation from "instrumentation";
import type { HttpRequest } from "ws/http";
import { isValidUtf8 } from "ws/utf8";
import type { HttpAnswer, HttpExchange, HttpRoute, ServerView } from "wsserver/route";

export interface ApiOptions {
	/** The firmware version reported by /api/status (mc/config "version"). */
	version: string;
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
	return [statusRoute(options.version), echoRoute(undefined, options.maxJsonDepth)];
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

function json(status: number, value: unknown): HttpAnswer {
	return { status, headers: [["Content-Type", "application/json"], ["Cache-Control", "no-store"]], body: JSON.stringify(value) + "\n" };
}

// A figure of the SDK's instrumentation (modules/base/instrumentation): undefined where the build
// or platform does not keep it (a release build without -i), reported as null.
function instrument(name: "XS Slot Heap Used" | "XS Chunk Heap Used" | "System Free Memory"): number | null {
	const index = Instrumentation.map(name);
	if (index === undefined) return null;
	return Instrumentation.get(index) ?? null;
}

export function statusRoute(version: string, path = "/api/status"): HttpRoute {
	return {
		path,
		methods: ["GET"],
		start(_request: HttpRequest, server: ServerView): HttpExchange {
			return {
				end: () =>
					json(200, {
						version,
						uptimeMs: Date.now() - server.startedAt,
						memory: {
							slotHeapUsed: instrument("XS Slot Heap Used"),
							chunkHeapUsed: instrument("XS Chunk Heap Used"),
							systemFree: instrument("System Free Memory"),
						},
						websocket: { path: server.path, clients: server.clientCount },
						connections: server.connectionCount,
						links: server.links(),
						limits: server.limits,
					}),
			};
		},
	};
}

// RFC 8259 §11 and RFC 6839 §3.1: application/json and any "+json" media type are JSON.
function isJson(mediaType: string): boolean {
	return mediaType === "application/json" || mediaType.endsWith("+json");
}

// Media types whose content is text (RFC 2046 §4.1); without a type, valid UTF-8 counts as text.
function isText(mediaType: string): boolean {
	return mediaType === "" || mediaType.startsWith("text/") || mediaType === "application/x-www-form-urlencoded" || mediaType === "application/xml" || mediaType.endsWith("+xml");
}

export function echoRoute(path = "/api/echo", maxDepth = maxJsonDepth): HttpRoute {
	return {
		path,
		methods: ["POST"],
		start(request: HttpRequest): HttpExchange {
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
		},
	};
}
