// The server side of a connection: RFC 6455 §4.2 opening handshake on top of the shared Protocol.
import { InvalidStateError } from "ws/errors";
import { checkRequest, encodeAccept, encodeRejection, isRejection, type AcceptedRequest, type Rejection } from "ws/handshake";
import { HeadReader, HttpError, StatusText, concatBytes, parseRequest, type HttpRequest } from "ws/http";
import { Protocol, State, type ProtocolOptions } from "ws/protocol";

export interface ServerOptions extends ProtocolOptions {
	/** Subprotocols this server speaks, most preferred first (RFC 6455 §4.2.2 item 5.4). */
	subprotocols?: string[];
	/** Largest request head accepted, in bytes (default 4096); larger is answered 431. */
	maxHead?: number;
}

/** What only the opening handshake needs: one object, dropped when the handshake is over, so
 *  that an open connection keeps nothing of it. */
interface Handshake {
	readonly maxHead: number;
	readonly subprotocols: string[];
	// Made only when this core reads the head itself (a shell with its own HTTP reader hands the
	// request over).
	reader: HeadReader | undefined;
	request: HttpRequest | undefined;
	accepted: AcceptedRequest | undefined;
	// Bytes that came after the request head before accept() (a client should not send them).
	pending: Uint8Array | undefined;
}

/**
 * Reads the upgrade request. An invalid one is answered at once (400, 405, 426, 431) and ends
 * the connection; a valid one is reported as a "request" event, and the shell answers it with
 * accept() or, e.g. for an unknown path, reject(404, ...).
 */
export class ServerProtocol extends Protocol {
	#handshake: Handshake | undefined;

	constructor(options: ServerOptions) {
		super("server", options, State.Connecting);
		this.#handshake = { maxHead: options.maxHead ?? 4096, subprotocols: options.subprotocols ?? [], reader: undefined, request: undefined, accepted: undefined, pending: undefined };
	}

	/** The upgrade request, from when it is received until accept() (its target is for the
	 *  shell's routing). */
	get request(): HttpRequest | undefined {
		return this.#handshake?.request;
	}

	/** Takes a request whose head the shell has already read (e.g. a server that also serves
	 *  plain HTTP on the port); `rest` are the bytes that followed the head. */
	receiveRequest(request: HttpRequest, rest?: Uint8Array): void {
		const handshake = this.#handshake;
		if (this.state !== State.Connecting || !handshake || handshake.request) throw new InvalidStateError("a request was already received");
		handshake.request = request;
		const result = checkRequest(request, handshake.subprotocols);
		if (isRejection(result)) {
			this.refuse(result);
			return;
		}
		handshake.accepted = result;
		if (rest && rest.length) handshake.pending = rest.slice();
		this.emit({ type: "request", request, subprotocol: result.subprotocol });
	}

	/** Completes the handshake with the 101 response (RFC 6455 §4.2.2). */
	accept(headers: Array<[string, string]> = []): void {
		const accepted = this.#handshake?.accepted;
		if (!accepted || this.state !== State.Connecting) throw new InvalidStateError("no upgrade request to accept");
		this.write(encodeAccept(accepted.key, accepted.subprotocol, headers));
		const pending = this.#handshake!.pending;
		this.#handshake = undefined;
		this.open(accepted.subprotocol, pending);
	}

	/** Refuses the request with an HTTP error response; the connection ends. */
	reject(status: number, message: string, headers: Array<[string, string]> = []): void {
		if (this.state !== State.Connecting) throw new InvalidStateError("the handshake is over");
		this.refuse({ status, message, headers });
	}

	protected override receiveHandshake(bytes: Uint8Array): void {
		const handshake = this.#handshake;
		if (!handshake) return; // refused: nothing more is read
		if (handshake.request) {
			if (handshake.accepted) handshake.pending = handshake.pending ? concatBytes(handshake.pending, bytes) : bytes.slice();
			return;
		}
		let request: HttpRequest;
		let reader: HeadReader;
		try {
			reader = handshake.reader ??= new HeadReader(handshake.maxHead);
			const head = reader.receive(bytes);
			if (!head) return;
			request = parseRequest(head);
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			this.refuse({ status: error.status, message: error.message, headers: [] });
			return;
		}
		this.receiveRequest(request, reader.rest);
	}

	private refuse(rejection: Rejection) {
		this.#handshake = undefined;
		this.write(encodeRejection(rejection));
		this.handshakeFailed(rejection.status, StatusText[rejection.status] ?? "", rejection.message);
	}
}

