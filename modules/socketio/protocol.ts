// Engine.IO v4 and Socket.IO v5 over one WebSocket, without I/O (like ws/protocol): the shell
// feeds it each WebSocket message (receive), sends what it leaves in `output`, and hears what
// arrived through a handler's methods, called as each packet is decoded (no event objects).
//
// Over a WebSocket each Engine.IO packet is one message: a text frame is "<type><data>", a binary
// frame is a message packet whose data is the bytes (engine.io-protocol v4). A Socket.IO packet is
// the data of a message packet: "<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]", and a
// BINARY_EVENT or BINARY_ACK is followed by its attachments, one binary message each, which
// replace the placeholders {"_placeholder":true,"num":N} in its JSON (socket.io-protocol v5).
import { SocketIOError, type SocketIOErrorKind } from "socketio/errors";
import { withinDepth } from "socketio/json";

/** Engine.IO v4 packet types: the first character of a text message. */
export const EngineType = Object.freeze({ Open: 0, Close: 1, Ping: 2, Pong: 3, Message: 4, Upgrade: 5, Noop: 6 });

/** Socket.IO v5 packet types: the first character of an Engine.IO message's data. */
export const PacketType = Object.freeze({ Connect: 0, Disconnect: 1, Event: 2, Ack: 3, ConnectError: 4, BinaryEvent: 5, BinaryAck: 6 });

/** Event names Socket.IO keeps for itself: an EVENT never carries them, either way. */
export function isReservedEvent(name: unknown): boolean {
	return (
		name === "connect" ||
		name === "connect_error" ||
		name === "disconnect" ||
		name === "disconnecting" ||
		name === "newListener" ||
		name === "removeListener"
	);
}

/** What arrived, as it is decoded. `id` is -1 when the packet has no ack id. */
export interface ProtocolHandler {
	/** Engine.IO open packet: the session and its heartbeat (ms); maxPayload is Infinity when the
	 *  server does not say (python-engineio 4). */
	onOpen(sid: string, pingInterval: number, pingTimeout: number, maxPayload: number): void;
	/** Engine.IO ping; its pong is already in `output`. */
	onPing(): void;
	/** Engine.IO close: the server ends the session. */
	onClose(): void;
	/** CONNECT: the server admitted the namespace; `sid` is the socket's id there. */
	onConnect(nsp: string, sid: string): void;
	/** CONNECT_ERROR: the server refused the namespace (a middleware's error, a bad auth). */
	onConnectError(nsp: string, message: string, data: unknown): void;
	/** DISCONNECT: the server ended the namespace. */
	onDisconnect(nsp: string): void;
	/** EVENT or BINARY_EVENT: [name, ...arguments], attachments in place, the array is the
	 *  handler's to keep or change. */
	onEvent(nsp: string, args: unknown[], id: number): void;
	/** ACK or BINARY_ACK: the answer to the packet sent with ack id `id`. */
	onAck(nsp: string, id: number, args: unknown[]): void;
	/** Bad input: the packet is dropped and decoding goes on with the next one. */
	onError(error: SocketIOError): void;
}

export interface ProtocolOptions {
	/** Deepest nesting of arrays and objects accepted in a packet's JSON (default 16). */
	maxDepth?: number;
	/** Most binary attachments of one packet (default 10, as socket.io-parser). */
	maxAttachments?: number;
	/** Most bytes of attachments of one packet, together (default 16384). */
	maxBinary?: number;
}

/** A message to send: a string as a text frame, bytes as a binary frame. */
export type Outgoing = string | ArrayBuffer | ArrayBufferView;

type Binary = ArrayBuffer | ArrayBufferView;

/** The Socket.IO wire form of a namespace before the rest of a packet ("" for the main one). */
function namespacePart(nsp: string): string {
	return nsp === "/" ? "" : nsp + ",";
}

/** UTF-8 length of a string, counted exactly only when the quick bound is over `limit`. */
export function utf8Within(text: string, limit: number): boolean {
	return text.length * 3 <= limit || (text.length <= limit && ArrayBuffer.fromString(text).byteLength <= limit);
}

function isBinary(value: unknown): value is Binary {
	return typeof value === "object" && value !== null && (ArrayBuffer.isView(value) || value instanceof ArrayBuffer);
}

export class SocketIOProtocol {
	/** What to send, in order: packets as strings, attachments as bytes. The shell sends it all and
	 *  empties it (`output.length = 0`); it is one array for the life of the protocol. */
	readonly output: Outgoing[] = [];
	readonly #handler: ProtocolHandler;
	readonly #maxDepth: number;
	readonly #maxAttachments: number;
	readonly #maxBinary: number;
	#opened = false;
	#maxPayload = Infinity;
	// The BINARY_EVENT or BINARY_ACK whose attachments are arriving: its header, its JSON (parsed
	// once they are all here), and how many are still missing.
	#binaryType = 0;
	#binaryNsp = "/";
	#binaryId = -1;
	#binaryJson = "";
	#binaryBytes = 0;
	#missing = 0;
	#attachments: Binary[] | undefined;
	#badPlaceholder = false;
	// The attachments of the packet being encoded (apart from the ones arriving: an emit may come
	// between two attachments of a packet being received).
	#outgoing: Binary[] | undefined;
	// One reviver and one replacer for the life of the protocol, not a closure per packet.
	readonly #reviver: (key: string, value: unknown) => unknown;
	readonly #replacer: (key: string, value: unknown) => unknown;

	constructor(handler: ProtocolHandler, options: ProtocolOptions = {}) {
		this.#handler = handler;
		this.#maxDepth = options.maxDepth ?? 16;
		this.#maxAttachments = options.maxAttachments ?? 10;
		this.#maxBinary = options.maxBinary ?? 16384;
		this.#reviver = (_key, value) => {
			if (typeof value !== "object" || value === null || (value as { _placeholder?: unknown })._placeholder !== true) return value;
			const num = (value as { num?: unknown }).num;
			const attachments = this.#attachments!;
			if (typeof num === "number" && Number.isInteger(num) && num >= 0 && num < attachments.length) return attachments[num];
			this.#badPlaceholder = true;
			return value;
		};
		this.#replacer = (_key, value) => {
			if (!isBinary(value)) return value;
			const attachments = (this.#outgoing ??= []);
			attachments.push(value);
			return { _placeholder: true, num: attachments.length - 1 };
		};
	}

	/** Whether the Engine.IO open packet has arrived on this connection. */
	get opened(): boolean {
		return this.#opened;
	}

	/** The server's largest accepted message (Engine.IO open packet), Infinity when unsaid. */
	get maxPayload(): number {
		return this.#maxPayload;
	}

	/** Forgets the connection: the next receive() expects an open packet. */
	reset(): void {
		this.#opened = false;
		this.#maxPayload = Infinity;
		this.dropBinary();
		this.output.length = 0;
	}

	/** One WebSocket message: text as a string, binary as bytes. */
	receive(data: string | ArrayBuffer): void {
		if (typeof data === "string") this.receiveText(data);
		else this.receiveBinary(data);
	}

	// --- sending ---------------------------------------------------------------------------------

	/** CONNECT to a namespace, with the auth payload the server's middleware sees. */
	connect(nsp: string, auth?: object): void {
		this.output.push(`40${namespacePart(nsp)}${auth === undefined ? "" : JSON.stringify(auth)}`);
	}

	/** DISCONNECT from a namespace. */
	disconnect(nsp: string): void {
		this.output.push(`41${namespacePart(nsp)}`);
	}

	/** EVENT (BINARY_EVENT when an argument holds bytes): [name, ...arguments]; with an ack id
	 *  (>= 0) the server answers with an ACK. Returns why it cannot be sent, or undefined. */
	emit(nsp: string, args: unknown[], id = -1): SocketIOError | undefined {
		return this.encode(PacketType.Event, nsp, args, id);
	}

	/** ACK (BINARY_ACK when an argument holds bytes) to the server's packet with ack id `id`. */
	ack(nsp: string, id: number, args: unknown[]): SocketIOError | undefined {
		return this.encode(PacketType.Ack, nsp, args, id);
	}

	private encode(type: number, nsp: string, args: unknown[], id: number): SocketIOError | undefined {
		let json: string;
		this.#outgoing = undefined;
		try {
			// The replacer swaps each ArrayBuffer or view for a placeholder and collects it.
			json = JSON.stringify(args, this.#replacer);
		} catch (error) {
			this.#outgoing = undefined;
			return new SocketIOError(`cannot encode the packet: ${(error as Error).message}`, "parse");
		}
		const attachments = this.#outgoing as Binary[] | undefined;
		this.#outgoing = undefined;
		const header = attachments ? `4${type + 3}${attachments.length}-` : `4${type}`;
		const packet = `${header}${namespacePart(nsp)}${id >= 0 ? id : ""}${json}`;
		// engine.io-protocol: the server drops the session for a message beyond its maxPayload.
		const limit = this.#maxPayload;
		if (!utf8Within(packet, limit)) return new SocketIOError(`a packet of more than the server's maxPayload (${limit} bytes)`, "payload");
		if (attachments) {
			for (const attachment of attachments)
				if (attachment.byteLength > limit) return new SocketIOError(`an attachment of ${attachment.byteLength} bytes, more than the server's maxPayload (${limit})`, "payload");
		}
		this.output.push(packet);
		if (attachments) for (const attachment of attachments) this.output.push(attachment);
		return undefined;
	}

	// --- receiving -------------------------------------------------------------------------------

	private receiveText(text: string) {
		if (text.length === 0) return this.error("parse", "an empty Engine.IO packet");
		const type = text.charCodeAt(0) - 48;
		if (!this.#opened && type !== EngineType.Open) return this.error("state", `Engine.IO packet "${text.slice(0, 16)}" before the open packet`);
		switch (type) {
			case EngineType.Open:
				if (this.#opened) return this.error("state", "a second Engine.IO open packet");
				return this.receiveOpen(text);
			case EngineType.Close:
				this.dropBinary();
				return this.#handler.onClose();
			case EngineType.Ping:
				// engine.io-protocol v4: the server pings, the client answers with the same data.
				this.output.push(text.length === 1 ? "3" : "3" + text.slice(1));
				return this.#handler.onPing();
			case EngineType.Pong:
			case EngineType.Noop:
				return;
			case EngineType.Message:
				return this.receivePacket(text);
			case EngineType.Upgrade:
				return this.error("state", "an Engine.IO upgrade packet on a WebSocket-only session");
			default:
				return this.error("type", `unknown Engine.IO packet type "${text.charAt(0)}"`);
		}
	}

	private receiveOpen(text: string) {
		const data = this.parse(text, 1) as Record<string, unknown> | undefined;
		if (data === undefined) return;
		const { sid, pingInterval, pingTimeout, maxPayload } = typeof data === "object" && data !== null ? data : ({} as Record<string, unknown>);
		if (typeof sid !== "string" || !sid || !isDuration(pingInterval) || !isDuration(pingTimeout))
			return this.error("parse", "an Engine.IO open packet without sid, pingInterval and pingTimeout");
		this.#opened = true;
		this.#maxPayload = typeof maxPayload === "number" && maxPayload > 0 ? maxPayload : Infinity;
		this.#handler.onOpen(sid, pingInterval, pingTimeout, this.#maxPayload);
	}

	// A Socket.IO packet: text[0] is "4" (Engine.IO message), text[1] its type.
	private receivePacket(text: string) {
		if (this.#missing) {
			const missing = this.#missing;
			this.dropBinary();
			this.error("attachments", `a packet arrived while ${missing} binary attachment${missing === 1 ? " was" : "s were"} still missing; the incomplete packet is dropped`);
		}
		const length = text.length;
		if (length < 2) return this.error("parse", "an empty Socket.IO packet");
		const type = text.charCodeAt(1) - 48;
		if (!(type >= 0 && type <= 6)) return this.error("type", `unknown Socket.IO packet type "${text.charAt(1)}"`);
		let i = 2;
		let attachments = 0;
		const binary = type === PacketType.BinaryEvent || type === PacketType.BinaryAck;
		if (binary) {
			const dash = text.indexOf("-", i);
			if (dash <= i || dash - i > 4) return this.error("parse", "a binary packet without its attachment count");
			for (; i < dash; i++) {
				const digit = text.charCodeAt(i) - 48;
				if (!(digit >= 0 && digit <= 9)) return this.error("parse", "a binary packet with a bad attachment count");
				attachments = attachments * 10 + digit;
			}
			i = dash + 1;
			if (attachments < 1 || attachments > this.#maxAttachments)
				return this.error("attachments", `a binary packet with ${attachments} attachments (1 to ${this.#maxAttachments} accepted)`);
		}
		let nsp = "/";
		if (text.charCodeAt(i) === 0x2f) {
			const comma = text.indexOf(",", i);
			const end = comma < 0 ? length : comma;
			nsp = text.slice(i, end);
			i = comma < 0 ? length : comma + 1;
		}
		let id = -1;
		let digit = text.charCodeAt(i) - 48;
		if (digit >= 0 && digit <= 9) {
			const start = i;
			id = 0;
			do {
				// Beyond 15 digits an id is no longer an exact integer.
				if (i - start === 15) return this.error("parse", "an ack id of more than 15 digits");
				id = id * 10 + digit;
				digit = text.charCodeAt(++i) - 48;
			} while (digit >= 0 && digit <= 9);
		}
		if (binary) {
			// Parsed once the attachments are here, with the reviver that puts them in place.
			if (text.charCodeAt(i) !== 0x5b) return this.error("parse", "a binary packet whose payload is not an array");
			if (type === PacketType.BinaryAck && id < 0) return this.error("parse", "a BINARY_ACK without an ack id");
			if (!withinDepth(text, i, this.#maxDepth)) return this.error("parse", `a packet nested deeper than ${this.#maxDepth}`);
			this.#binaryType = type === PacketType.BinaryEvent ? PacketType.Event : PacketType.Ack;
			this.#binaryNsp = nsp;
			this.#binaryId = id;
			this.#binaryJson = text.slice(i);
			this.#binaryBytes = 0;
			this.#missing = attachments;
			this.#attachments = [];
			return;
		}
		const payload = i < length ? this.parse(text, i) : undefined;
		if (payload === undefined && i < length) return;
		this.dispatch(type, nsp, id, payload);
	}

	private receiveBinary(data: ArrayBuffer) {
		if (!this.#opened) return this.error("state", "binary data before the Engine.IO open packet");
		if (!this.#missing) return this.error("attachments", `${data.byteLength} bytes of binary data that no packet announced`);
		this.#binaryBytes += data.byteLength;
		if (this.#binaryBytes > this.#maxBinary) {
			this.dropBinary();
			return this.error("payload", `binary attachments of more than ${this.#maxBinary} bytes in one packet`);
		}
		this.#attachments!.push(data);
		if (--this.#missing) return;
		this.#badPlaceholder = false;
		let payload: unknown;
		try {
			payload = JSON.parse(this.#binaryJson, this.#reviver as never);
		} catch {
			payload = undefined;
		}
		const bad = this.#badPlaceholder;
		const type = this.#binaryType;
		const nsp = this.#binaryNsp;
		const id = this.#binaryId;
		this.dropBinary();
		if (payload === undefined) return this.error("parse", "a binary packet whose JSON is malformed");
		if (bad) return this.error("attachments", "a placeholder for an attachment that did not arrive");
		this.dispatch(type, nsp, id, payload);
	}

	private dispatch(type: number, nsp: string, id: number, payload: unknown) {
		const handler = this.#handler;
		switch (type) {
			case PacketType.Connect: {
				// socket.io-protocol v5: the server's CONNECT carries the socket's id.
				const sid = typeof payload === "object" && payload !== null ? (payload as { sid?: unknown }).sid : undefined;
				if (typeof sid !== "string") return this.error("parse", `a CONNECT to ${nsp} without a sid (a Socket.IO v2 server?)`);
				return handler.onConnect(nsp, sid);
			}
			case PacketType.Disconnect:
				if (payload !== undefined) return this.error("parse", "a DISCONNECT with a payload");
				return handler.onDisconnect(nsp);
			case PacketType.Event: {
				if (!Array.isArray(payload) || payload.length === 0) return this.error("parse", "an EVENT whose payload is not [name, ...arguments]");
				const name = payload[0];
				if (typeof name === "number") payload[0] = String(name);
				else if (typeof name !== "string") return this.error("parse", "an EVENT whose name is not a string");
				if (isReservedEvent(name)) return this.error("parse", `an EVENT named "${name}", a name Socket.IO reserves`);
				return handler.onEvent(nsp, payload, id);
			}
			case PacketType.Ack:
				if (id < 0) return this.error("parse", "an ACK without an ack id");
				if (!Array.isArray(payload)) return this.error("parse", "an ACK whose payload is not an array");
				return handler.onAck(nsp, id, payload);
			case PacketType.ConnectError: {
				if (typeof payload === "string") return handler.onConnectError(nsp, payload, undefined);
				if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return this.error("parse", "a CONNECT_ERROR without a message");
				const { message, data } = payload as { message?: unknown; data?: unknown };
				return handler.onConnectError(nsp, typeof message === "string" ? message : "refused by the server", data);
			}
		}
	}

	// JSON from `start`, its depth checked first; undefined (and an error reported) when it is not JSON.
	private parse(text: string, start: number): unknown {
		if (!withinDepth(text, start, this.#maxDepth)) {
			this.error("parse", `a packet nested deeper than ${this.#maxDepth}`);
			return undefined;
		}
		try {
			return JSON.parse(start ? text.slice(start) : text);
		} catch {
			this.error("parse", `a packet whose JSON is malformed: ${text.length > 40 ? text.slice(0, 40) + "..." : text}`);
			return undefined;
		}
	}

	private dropBinary() {
		this.#missing = 0;
		this.#attachments = undefined;
		this.#binaryJson = "";
	}

	private error(kind: SocketIOErrorKind, message: string) {
		this.#handler.onError(new SocketIOError(message, kind));
	}
}

function isDuration(value: unknown): value is number {
	return typeof value === "number" && value > 0 && Number.isFinite(value);
}
