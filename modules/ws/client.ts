// The client side of a connection: RFC 6455 §4.1 opening handshake on top of the shared Protocol.
import { HandshakeError, checkResponse, encodeClientRequest, makeKey } from "ws/handshake";
import { HeadReader, HttpError, parseResponse } from "ws/http";
import { Protocol, State, type ProtocolOptions } from "ws/protocol";

export interface ClientOptions extends ProtocolOptions {
	host: string;
	/** Default 80, or 443 when secure. */
	port?: number;
	/** wss: only changes the default port and the Host header; TLS is the shell's. */
	secure?: boolean;
	/** Path and query (default "/"). */
	resource?: string;
	/** Offered subprotocols (RFC 6455 §4.1 item 10). */
	subprotocols?: string[];
	/** More request header fields, in order ("Host" here replaces the computed one). */
	headers?: Array<[string, string]>;
	/** Basic authentication (RFC 7617). */
	user?: string;
	password?: string;
	/** Largest response head accepted, in bytes (default 4096). */
	maxHead?: number;
}

/**
 * The upgrade request is in dataToSend() from the start; the server's answer moves the
 * connection to OPEN ("open" event) or ends it ("handshakeFailed" event).
 * Options fit parseUri()'s result: new ClientProtocol({...parseUri(uri), random}).
 */
const noSubprotocols: string[] = [];

export class ClientProtocol extends Protocol {
	// Dropped once the handshake is over: a connection keeps nothing of its handshake but the
	// response (for the application to read).
	#reader: HeadReader | undefined;
	#key: string;
	#subprotocols: string[];

	constructor(options: ClientOptions) {
		super("client", options, State.Connecting);
		this.#reader = new HeadReader(options.maxHead ?? 4096);
		this.#key = makeKey(options.random);
		this.#subprotocols = options.subprotocols ?? [];
		const secure = options.secure ?? false;
		this.write(
			encodeClientRequest({
				host: options.host,
				port: options.port ?? (secure ? 443 : 80),
				secure,
				resource: options.resource,
				key: this.#key,
				subprotocols: this.#subprotocols,
				user: options.user,
				password: options.password,
				headers: options.headers,
			}),
		);
	}

	protected override receiveHandshake(bytes: Uint8Array): void {
		let subprotocol: string | undefined;
		try {
			const head = this.#reader!.receive(bytes);
			if (!head) return;
			const response = parseResponse(head);
			subprotocol = checkResponse(response, this.#key, this.#subprotocols);
		} catch (error) {
			if (error instanceof HandshakeError) this.handshakeFailed(error.status, error.reason, error.message);
			else if (error instanceof HttpError) this.handshakeFailed(0, "", `invalid handshake response: ${error.message}`);
			else throw error;
			return;
		}
		const rest = this.#reader!.rest;
		this.#reader = undefined;
		this.#key = "";
		this.#subprotocols = noSubprotocols;
		this.open(subprotocol, rest);
	}
}
