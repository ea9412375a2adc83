// The byte stream under a WebSocket: embedded:io/socket/tcp for ws://, and for wss:// the TLS
// socket of wsclient/tls (the SDK's, in builds that include modules/wsclient/tls; a refusal in
// builds without TLS). Both take their callbacks in the constructor; inside the TLS socket's
// callbacks `this` is an internal object, not the socket, so neither is relied on: the callbacks
// here close over what they need.
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

/** Opens the connection; throws what the socket's constructor throws (bad options, bad certificate). */
export function openTransport(options: TransportOptions): Transport {
	const socketOptions = {
		address: options.address,
		port: options.port,
		nodelay: true,
		format: "buffer" as const,
		onReadable(count: number) {
			options.onReadable(count);
		},
		onWritable(count: number) {
			options.onWritable(count);
		},
		onError() {
			options.onError();
		},
	};
	const socket: Socket = options.secure
		? openTlsSocket({
				...socketOptions,
				onException: (error: unknown) => options.onTlsFailure(error),
				host: options.host ?? options.address,
				secure: options.secure,
			})
		: (new TCP(socketOptions) as unknown as Socket);
	return {
		read() {
			return socket.read() as ArrayBuffer | undefined;
		},
		write(bytes: Uint8Array) {
			const left = socket.write(bytes);
			return typeof left === "number" ? left : undefined;
		},
		close() {
			socket.close();
		},
	};
}
