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

/**
 * Reads the upgrade request. An invalid one is answered at once (400, 405, 426, 431) and ends
 * the connection; a valid one is reported as a "request" event, and the shell answers it with
 * accept() or, e.g. for an unknown path, reject(404, ...).
 */
export class ServerProtocol extends Protocol {
	// Made only when this core reads the head itself (a shell with its own HTTP reader hands the
	// request over), and dropped with the request once the handshake is over: a connection keeps
	// nothing of its handshake.
	#reader: HeadReader | undefined;
	readonly #maxHead: number;
	readonly #subprotocols: string[];
	#request: HttpRequest | undefined;
	#accepted: AcceptedRequest | undefined;
	// Bytes that came after the request head before accept() (a client should not send them).
	#pending: Uint8Array | undefined;

	constructor(options: ServerOptions) {
		super("server", options, State.Connecting);
		this.#maxHead = options.maxHead ?? 4096;
		this.#subprotocols = options.subprotocols ?? [];
	}

	/** The upgrade request, from when it is received until accept() (its target is for the
	 *  shell's routing). */
	get request(): HttpRequest | undefined {
		return this.#request;
	}

	/** Takes a request whose head the shell has already read (e.g. a server that also serves
	 *  plain HTTP on the port); `rest` are the bytes that followed the head. */
	receiveRequest(request: HttpRequest, rest?: Uint8Array): void {
		if (this.state !== State.Connecting || this.#request) throw new InvalidStateError("a request was already received");
		this.#request = request;
		const result = checkRequest(request, this.#subprotocols);
		if (isRejection(result)) {
			this.#refuse(result);
			return;
		}
		this.#accepted = result;
		if (rest && rest.length) this.#pending = rest.slice();
		this.emit({ type: "request", request, subprotocol: result.subprotocol });
	}

	/** Completes the handshake with the 101 response (RFC 6455 §4.2.2). */
	accept(headers: Array<[string, string]> = []): void {
		const accepted = this.#accepted;
		if (!accepted || this.state !== State.Connecting) throw new InvalidStateError("no upgrade request to accept");
		this.write(encodeAccept(accepted.key, accepted.subprotocol, headers));
		const pending = this.#pending;
		this.#pending = undefined;
		this.#accepted = undefined;
		this.#request = undefined;
		this.#reader = undefined;
		this.open(accepted.subprotocol, pending);
	}

	/** Refuses the request with an HTTP error response; the connection ends. */
	reject(status: number, message: string, headers: Array<[string, string]> = []): void {
		if (this.state !== State.Connecting) throw new InvalidStateError("the handshake is over");
		this.#refuse({ status, message, headers });
	}

	protected override receiveHandshake(bytes: Uint8Array): void {
		if (this.#request) {
			if (this.#accepted) this.#pending = this.#pending ? concatBytes(this.#pending, bytes) : bytes.slice();
			return;
		}
		let request: HttpRequest;
		try {
			const reader = (this.#reader ??= new HeadReader(this.#maxHead));
			const head = reader.receive(bytes);
			if (!head) return;
			request = parseRequest(head);
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			this.#refuse({ status: error.status, message: error.message, headers: [] });
			return;
		}
		this.receiveRequest(request, this.#reader!.rest);
	}

	#refuse(rejection: Rejection) {
		this.#reader = undefined;
		this.write(encodeRejection(rejection));
		this.handshakeFailed(rejection.status, StatusText[rejection.status] ?? "", rejection.message);
	}
}

