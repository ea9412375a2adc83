// RFC 6455 §4: the opening handshake, both sides, as pure functions over parsed HTTP heads.
import { Digest } from "crypt";
import { encodeRequest, encodeResponse, type HttpRequest, type HttpResponse } from "ws/http";

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const acceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** RFC 6455 §4.2.2: Sec-WebSocket-Accept = base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
	const digest = new Digest("SHA1");
	digest.write(key + acceptGuid);
	return new Uint8Array(digest.close()).toBase64();
}

/** RFC 6455 §4.1: the client's key is 16 random bytes, base64-encoded. */
export function makeKey(random: (count: number) => Uint8Array): string {
	const key = new Uint8Array(16);
	key.set(random(16));
	return key.toBase64();
}

// RFC 6455 §4.2.1 item 5: base64 of exactly 16 bytes is 22 characters, the last of which has
// its 4 low bits zero (A, Q, g or w), then "==". Tested character by character: a module-level
// RegExp is preloaded into flash, and XS crashes when a collection runs inside its test().
function isKey(text: string): boolean {
	const last = text.charCodeAt(21);
	if (text.length !== 24 || !text.endsWith("==") || !(last === 0x41 || last === 0x51 || last === 0x67 || last === 0x77)) return false;
	for (let i = 0; i < 21; i++) {
		const c = text.charCodeAt(i);
		if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2b || c === 0x2f)) return false;
	}
	return true;
}

/** Why a server refuses an upgrade request, and what it answers (RFC 6455 §4.2.1, §4.4). */
export interface Rejection {
	status: number;
	message: string;
	headers: Array<[string, string]>;
}

export interface AcceptedRequest {
	key: string;
	/** The subprotocol chosen (RFC 6455 §4.2.2 item 5.4), if any. */
	subprotocol: string | undefined;
}

/**
 * Checks a request as a WebSocket upgrade (RFC 6455 §4.2.1) and chooses a subprotocol: the first
 * of `subprotocols` (the server's preference order) that the client offered. Extensions offered
 * are not accepted (§9.1: a server simply leaves them out). Path routing is the caller's.
 */
export function checkRequest(request: HttpRequest, subprotocols: readonly string[] = []): AcceptedRequest | Rejection {
	const headers = request.headers;
	// RFC 9110 §15.5.6: a 405 lists the methods allowed.
	if (request.method !== "GET") return reject(405, "the WebSocket handshake is a GET request", [["Allow", "GET"]]);
	if (!/^HTTP\/1\.[1-9]$/.test(request.version)) return reject(400, "the WebSocket handshake needs HTTP/1.1");
	if (headers.getAll("Host").length !== 1) return reject(400, "missing or repeated Host header");
	if (!headers.tokens("Upgrade").includes("websocket")) return reject(400, "Upgrade header must include websocket");
	if (!headers.tokens("Connection").includes("upgrade")) return reject(400, "Connection header must include Upgrade");
	const keys = headers.getAll("Sec-WebSocket-Key");
	if (keys.length !== 1 || !isKey(keys[0])) return reject(400, "Sec-WebSocket-Key must be the base64 of 16 bytes");
	const versions = headers.getAll("Sec-WebSocket-Version");
	if (versions.length !== 1) return reject(400, "missing or repeated Sec-WebSocket-Version header");
	// RFC 6455 §4.2.2 / §4.4: an unsupported version gets 426 with the versions we speak.
	if (versions[0] !== "13")
		return reject(426, "unsupported WebSocket version", [["Sec-WebSocket-Version", "13"], ["Upgrade", "websocket"], ["Connection", "Upgrade, close"]]);
	// RFC 6455 §11.3.4: subprotocol names are compared exactly (they are case-sensitive).
	const offered: string[] = [];
	for (const value of headers.getAll("Sec-WebSocket-Protocol")) for (const name of value.split(",")) offered.push(name.trim());
	let subprotocol: string | undefined;
	for (const name of subprotocols) {
		if (offered.includes(name)) {
			subprotocol = name;
			break;
		}
	}
	return { key: keys[0], subprotocol };
}

function reject(status: number, message: string, headers: Array<[string, string]> = []): Rejection {
	return { status, message, headers };
}

/** Whether checkRequest refused the request. */
export function isRejection(result: AcceptedRequest | Rejection): result is Rejection {
	return "status" in result;
}

/** The 101 response that completes the server's side (RFC 6455 §4.2.2 item 5). */
export function encodeAccept(key: string, subprotocol?: string, extraHeaders: ReadonlyArray<readonly [string, string]> = []): Uint8Array {
	const headers: Array<readonly [string, string]> = [
		["Upgrade", "websocket"],
		["Connection", "Upgrade"],
		["Sec-WebSocket-Accept", acceptKey(key)],
	];
	if (subprotocol !== undefined) headers.push(["Sec-WebSocket-Protocol", subprotocol]);
	return encodeResponse(101, headers.concat(extraHeaders));
}

/** The error response for a refused request: a short plain-text reason, then the server closes. */
export function encodeRejection(rejection: Rejection): Uint8Array {
	const headers = rejection.headers.slice();
	if (!headers.some(([name]) => name.toLowerCase() === "connection")) headers.push(["Connection", "close"]);
	headers.push(["Content-Type", "text/plain"]);
	return encodeResponse(rejection.status, headers, rejection.message + "\n");
}

export interface ClientRequestOptions {
	host: string;
	port: number;
	secure?: boolean;
	/** Path and query, e.g. "/chat?room=1" (RFC 6455 §3 resource-name). */
	resource?: string;
	key: string;
	subprotocols?: readonly string[];
	/** Sent as "Authorization: Basic base64(user:password)" (RFC 7617). */
	user?: string;
	password?: string;
	/** More header fields, in order; a "Host" here replaces the computed one. */
	headers?: ReadonlyArray<readonly [string, string]>;
}

/** The client's upgrade request (RFC 6455 §4.1). */
export function encodeClientRequest(options: ClientRequestOptions): Uint8Array {
	const extra = options.headers ?? [];
	const headers: Array<readonly [string, string]> = [];
	if (!extra.some(([name]) => name.toLowerCase() === "host")) headers.push(["Host", hostHeader(options.host, options.port, options.secure ?? false)]);
	headers.push(["Upgrade", "websocket"], ["Connection", "Upgrade"], ["Sec-WebSocket-Key", options.key], ["Sec-WebSocket-Version", "13"]);
	if (options.subprotocols?.length) headers.push(["Sec-WebSocket-Protocol", options.subprotocols.join(", ")]);
	if (options.user !== undefined) {
		const credentials = new Uint8Array(ArrayBuffer.fromString(`${options.user}:${options.password ?? ""}`));
		headers.push(["Authorization", `Basic ${credentials.toBase64()}`]);
	}
	return encodeRequest("GET", options.resource || "/", headers.concat(extra));
}

// RFC 6455 §4.1 item 4 and RFC 9110 §7.2: the port is left out when it is the scheme's default;
// an IPv6 literal goes in brackets.
function hostHeader(host: string, port: number, secure: boolean): string {
	const name = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
	return port === (secure ? 443 : 80) ? name : `${name}:${port}`;
}

/** Why the server's answer does not complete the handshake. */
export class HandshakeError extends Error {
	override name = "HandshakeError";
	constructor(
		message: string,
		/** The HTTP status the server answered. */
		readonly status: number,
		readonly reason: string,
	) {
		super(message);
	}
}

// The subprotocols a request offered, one by one: an item may itself be a list ("chat,v2", as
// ESP-AT's AT+WSOPEN passes it), and the header is a comma-separated list (RFC 6455 §4.1 item 10,
// §11.3.4).
function offered(subprotocols: readonly string[]): string[] {
	const names: string[] = [];
	for (const item of subprotocols)
		for (const name of item.split(",")) {
			const trimmed = name.trim();
			if (trimmed) names.push(trimmed);
		}
	return names;
}

/**
 * Checks the server's answer (RFC 6455 §4.1, "the client MUST validate the server's response");
 * returns the subprotocol the server chose, or throws HandshakeError.
 */
export function checkResponse(response: HttpResponse, key: string, subprotocols: readonly string[] = []): string | undefined {
	const fail = (message: string) => new HandshakeError(message, response.status, response.reason);
	if (response.status !== 101) throw fail(`server answered ${response.status} ${response.reason}`.trimEnd());
	const headers = response.headers;
	if (!headers.tokens("Upgrade").includes("websocket")) throw fail("Upgrade header must include websocket");
	if (!headers.tokens("Connection").includes("upgrade")) throw fail("Connection header must include Upgrade");
	const accepts = headers.getAll("Sec-WebSocket-Accept");
	if (accepts.length !== 1 || accepts[0] !== acceptKey(key)) throw fail("Sec-WebSocket-Accept does not match the key");
	// §4.1 item 5/6: we offered no extension, so the server may not choose one.
	if (headers.has("Sec-WebSocket-Extensions")) throw fail("server chose an extension that was not offered");
	const chosen = headers.getAll("Sec-WebSocket-Protocol");
	if (chosen.length === 0) return undefined;
	if (chosen.length !== 1 || !offered(subprotocols).includes(chosen[0])) throw fail(`server chose a subprotocol that was not offered: ${chosen.join(", ")}`);
	return chosen[0];
}
