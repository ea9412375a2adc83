// wss:// for the client: the SDK's ECMA-419 TLS socket (examples/io/tcp/tlssocket) over a TCP
// socket. Only builds that want wss:// include this folder's manifest; the others include
// wsclient/notls, whose module of the same name refuses wss:// (the ESP8266 has no room for the
// SDK's TLS, which lives in the XS heap).
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import type { Socket, TlsSocketOptions } from "wsclient/transport";

/** Whether this build can open wss:// connections. */
export const tlsAvailable = true;

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

/** Opens the TLS connection; throws what the socket's constructor throws. */
export function openTlsSocket(options: TlsSocketOptions): Socket {
	// tlssocket.js builds its TCP socket with `new options.TCP.io({...options})`. The typings
	// differ (the SDK's tls.d.ts under the root tsconfig, typings/sdk-gaps/tlssocket under
	// mcconfig); neither knows every option.
	return new TLSSocket({ ...options, TCP: { io: GuardedTCP } } as never) as unknown as Socket;
}
