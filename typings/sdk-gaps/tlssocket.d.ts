// mcconfig maps "embedded:io/socket/tcp/tls" to the SDK's examples/io/tcp/tlssocket/tlssocket.js,
// which has no typings of its own; this file, listed under that specifier in
// modules/wsclient/manifest.json, gives them. A module file (not `declare module`), so that it
// does not collide with the declaration @moddable/typings has for the root tsconfig.
import type TCP from "embedded:io/socket/tcp";

export interface TLSSocketOptions {
	/** The TCP socket class the TLS socket runs over (tlssocket.js: `new options.TCP.io(...)`). */
	TCP: { io: typeof TCP };
	address: string;
	port: number;
	/** For SNI and the certificate's name check. */
	host?: string;
	nodelay?: boolean;
	format?: "buffer" | "number";
	/** modules/crypt/ssl: certificate (the CA, DER), clientCertificates, clientKey (PKCS#8 DER),
	 *  verify, serverName. */
	secure?: Record<string, unknown>;
	/** Inside these `this` is not the socket. */
	onReadable?: (count: number) => void;
	onWritable?: (count: number) => void;
	onError?: () => void;
}

export default class TLSSocket {
	constructor(options: TLSSocketOptions);
	read(count?: number | ArrayBufferLike): ArrayBuffer | number | undefined;
	/** Returns the write budget left. */
	write(buffer: ArrayBufferLike | ArrayBufferView): number;
	close(): void;
	format: "buffer" | "number";
}
