// What the Socket.IO client reports: an Error whose message says what happened, a `kind` for code
// that reacts differently to each, and for a server's refusal the `data` it sent along.

/**
 * - "parse": a packet that is not Engine.IO v4 / Socket.IO v5 (bad header, bad JSON, JSON nested
 *   deeper than maxDepth, a payload of the wrong shape for its type)
 * - "type": an unknown Engine.IO or Socket.IO packet type
 * - "state": a packet out of order (a second open packet, a message before the open packet, an
 *   ACK nobody waits for)
 * - "attachments": binary attachments that do not match their placeholders, too many, or a packet
 *   that arrived while attachments were still missing
 * - "payload": a packet beyond a size limit (the server's maxPayload for what is sent, maxMessage
 *   for what arrives)
 * - "transport": the WebSocket below failed (refused, TLS, lost; see `cause`)
 * - "timeout": no open packet within `timeout`, or no ack within `ackTimeout`
 * - "heartbeat": the server's pings stopped (Engine.IO: pingInterval + pingTimeout)
 * - "disconnected": not connected, or the connection ended while an ack was awaited
 * - "refused": the server refused a namespace (CONNECT_ERROR; see `data`)
 * - "queue": the send queue has no room for the packet now
 */
export type SocketIOErrorKind =
	| "parse"
	| "type"
	| "state"
	| "attachments"
	| "payload"
	| "transport"
	| "timeout"
	| "heartbeat"
	| "disconnected"
	| "refused"
	| "queue";

export class SocketIOError extends Error {
	override name = "SocketIOError";
	constructor(
		message: string,
		readonly kind: SocketIOErrorKind,
		/** "refused": what the server sent with its CONNECT_ERROR (socket.io's `err.data`). */
		readonly data?: unknown,
	) {
		super(message);
	}
}
