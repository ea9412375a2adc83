// The byte stream under a WebSocket: embedded:io/socket/tcp for ws://, and for wss:// the TLS
// socket of wsclient/tls (the SDK's, in builds that include modules/wsclient/tls; a refusal in
// builds without TLS). Both take their callbacks in the constructor and tell a TransportOwner;
// the socket itself is the Transport (read, write, close).
import TCP from "embedded:io/socket/tcp";
import { openTlsSocket } from "wsclient/tls";

export interface TransportOptions {
	/** Dotted IPv4. */
	address: string;
	port: number;
	/** wss://: the name for SNI and the certificate's name check (RFC 6066 §3, RFC 6125). */
	host?: string;
	/** wss://: the TLS socket's `secure` dictionary (see wsclient/credentials). */
	secure?: Record<string, unknown>;
}

/** Who hears what the socket does. */
export interface TransportOwner {
	onReadable(count: number): void;
	/** The write budget (ECMA-419); the first call also means the connection (and TLS) is up. */
	onWritable(count: number): void;
	/** The connection failed, broke, or the peer closed it: ECMA-419 sockets have no onClose. */
	onError(): void;
	/** wss://: the TLS stack threw (the handshake failed); the transport is closed. */
	onTlsFailure(error: unknown): void;
}

export interface Transport {
	/** All bytes readable now. */
	read(): ArrayBuffer | undefined;
	/** Writes within the budget; returns the budget left, as the SDK's sockets report it. */
	write(bytes: Uint8Array): number | undefined;
	close(): void;
}

/** What the transport needs of a TCP or TLS socket. */
export interface Socket {
	read(): unknown;
	write(bytes: Uint8Array): unknown;
	close(): unknown;
}

/** The options wsclient/tls's openTlsSocket takes: a TCP socket's, and the TLS ones. */
export interface TlsSocketOptions {
	address: string;
	port: number;
	nodelay: boolean;
	format: "buffer";
	/** For SNI and the certificate's name check. */
	host: string;
	secure: Record<string, unknown>;
	onReadable(count: number): void;
	onWritable(count: number): void;
	onError(): void;
	/** The TLS stack threw (the handshake failed); the socket is closed. */
	onException(error: unknown): void;
}

/**
 * A TCP socket that tells its owner. Its callbacks are module-level functions (in flash once
 * preloaded) that find the owner on the socket, which is `this` inside a TCP socket's callbacks:
 * no closures per connection.
 */
class OwnedTCP extends TCP {
	owner: TransportOwner | undefined;

	constructor(owner: TransportOwner, options: TransportOptions) {
		super({ address: options.address, port: options.port, nodelay: true, format: "buffer", onReadable: socketReadable, onWritable: socketWritable, onError: socketError } as never);
		this.owner = owner;
	}
}

function socketReadable(this: OwnedTCP, count: number) {
	this.owner?.onReadable(count);
}

function socketWritable(this: OwnedTCP, count: number) {
	this.owner?.onWritable(count);
}

function socketError(this: OwnedTCP) {
	this.owner?.onError();
}

/** Opens the connection; throws what the socket's constructor throws (bad options, bad certificate). */
export function openTransport(owner: TransportOwner, options: TransportOptions): Transport {
	if (!options.secure) return new OwnedTCP(owner, options) as unknown as Transport;
	// Inside the TLS socket's callbacks `this` is not the socket: these close over the owner.
	return openTlsSocket({
		address: options.address,
		port: options.port,
		nodelay: true,
		format: "buffer",
		host: options.host ?? options.address,
		secure: options.secure,
		onReadable: (count: number) => owner.onReadable(count),
		onWritable: (count: number) => owner.onWritable(count),
		onError: () => owner.onError(),
		onException: (error: unknown) => owner.onTlsFailure(error),
	}) as unknown as Transport;
}
