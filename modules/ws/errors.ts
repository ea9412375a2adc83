// Typed failures of a WebSocket connection: each maps to exactly one close code (RFC 6455 §7.4.1),
// the code the endpoint sends when it fails the connection (§7.1.7). The codes are written out
// here (not taken from ws/close) so that the two modules do not import each other.
export class WebSocketError extends Error {
	override name = "WebSocketError";
	constructor(
		message: string,
		readonly closeCode: number,
	) {
		super(message);
	}
}

/** RFC 6455 §7.4.1 1002: the peer broke the framing or handshake rules. */
export class ProtocolError extends WebSocketError {
	override name = "ProtocolError";
	constructor(message: string) {
		super(message, 1002);
	}
}

/** RFC 6455 §7.4.1 1007: a text message or close reason that is not UTF-8. */
export class InvalidPayloadError extends WebSocketError {
	override name = "InvalidPayloadError";
	constructor(message: string) {
		super(message, 1007);
	}
}

/** RFC 6455 §7.4.1 1009: a frame or message larger than this endpoint accepts. */
export class MessageTooBigError extends WebSocketError {
	override name = "MessageTooBigError";
	constructor(message: string) {
		super(message, 1009);
	}
}

/** An application call that the connection's state does not allow (e.g. sending after close). */
export class InvalidStateError extends Error {
	override name = "InvalidStateError";
}
