// The byte stream under a WebSocket: embedded:io/socket/tcp for ws://, the SDK's ECMA-419 TLS
// socket (examples/io/tcp/tlssocket) over it for wss://. Both take their callbacks in the
// constructor; inside the TLS socket's callbacks `this` is an internal object, not the socket, so
// neither is relied on: the callbacks here close over what they need.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";

/**
 * The TCP socket handed to the SDK's TLS socket. Its TLS stack runs inside this socket's
 * callbacks and throws when the handshake fails (a certificate from another CA, expired, the
 * wrong name, an alert: ssl_handshake.js); an exception escaping an I/O callback aborts XS. This
 * subclass catches it in the callback, closes the socket and reports it through `onException`
 * (an option tlssocket.js passes along with the others), so a wrong certificate is an error the
 * client reports, not a crashed board.
 */
class GuardedTCP extends TCP {
	constructor(options: Record<string, any>) {
		const report: (error: unknown) => void = options.onException;
		let socket: GuardedTCP | undefined;
		let failed = false;
		const guard = (callback: ((...args: any[]) => void) | undefined) =>
			callback &&
			function (this: unknown, ...args: unknown[]) {
				if (failed) return;
				try {
					callback.apply(this, args);
				} catch (error) {
					failed = true;
					try {
						socket?.close();
					} catch {
						// already closed by the TLS stack
					}
					report(error);
				}
			};
		super({ ...options, onReadable: guard(options.onReadable), onWritable: guard(options.onWritable), onError: guard(options.onError) } as never);
		socket = this;
	}
}

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

interface Socket {
	read(): unknown;
	write(bytes: Uint8Array): unknown;
	close(): unknown;
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
	let socket: Socket;
	if (options.secure) {
		// tlssocket.js builds its TCP socket with `new options.TCP.io({...options})`.
		const tlsOptions = {
			...socketOptions,
			TCP: { io: GuardedTCP },
			onException: (error: unknown) => options.onTlsFailure(error),
			host: options.host ?? options.address,
			secure: options.secure,
		};
		// The typings differ (the SDK's tls.d.ts under the root tsconfig, typings/sdk-gaps/tlssocket
		// under mcconfig); neither knows every option.
		socket = new TLSSocket(tlsOptions as never) as unknown as Socket;
	} else {
		socket = new TCP(socketOptions) as unknown as Socket;
	}
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
