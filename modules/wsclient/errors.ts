// What the client reports through onError: an Error whose message says what failed, and a `kind`
// for code that reacts differently to each (the AT bridge maps them to its results).

/**
 * - "resolve": the host name has no IPv4 address
 * - "connect": TCP could not connect, or the connection broke before the handshake
 * - "tls": the TLS socket failed before it was secured (refused certificate, wrong name, alert)
 *   or could not be created (bad certificate or key, clock not set)
 * - "timeout": no completed opening handshake within connectTimeout
 * - "handshake": the server's answer is not a valid 101 (see `status`)
 * - "protocol": the server broke RFC 6455 after the handshake (see `closeCode`)
 * - "lost": the connection ended without a closing handshake
 * - "keepalive": no pong within pongTimeout (ESP-AT §3.8)
 * - "overflow": the server does not read, and the send queue is full
 */
export type ClientErrorKind = "resolve" | "connect" | "tls" | "timeout" | "handshake" | "protocol" | "lost" | "keepalive" | "overflow";

export class ClientError extends Error {
	override name = "ClientError";
	constructor(
		message: string,
		readonly kind: ClientErrorKind,
		/** "handshake": the HTTP status the server answered (0 when its answer was not HTTP). */
		readonly status = 0,
		/** "protocol": the close code the failure maps to (RFC 6455 §7.4.1). */
		readonly closeCode = 1006,
	) {
		super(message);
	}
}
