// The SDK's TLS modules ($(MODULES)/crypt/ssl, etc/pkcs8) have no typings; tlsserver/socket
// drives their server side. Only what it uses is declared. mcconfig needs this file listed in the
// manifest of the module that imports them (modules/tlsserver/manifest.json).
declare module "ssl/session" {
	export default class SSLSession {
		constructor(options: Record<string, unknown>);
		/** -1 while a record is awaited, else the type of the handshake message last received. */
		handshakeProcess: number;
		/** Set once the ClientHello is parsed (ssl_handshake.js selectCipherSuite). */
		chosenCipher?: { keyExchangeAlgorithm: number; value: number[] };
		/** What handshake messages are hashed into before the version is known. */
		handshakeMessages?: object;
		/** The running hashes of the handshake, once the ClientHello gave the version. */
		handshakeDigests?: Record<string, { write(data: ArrayBufferLike | ArrayBufferView): void; close(more?: boolean): ArrayBuffer }>;
		/** The options given to the constructor (the same object). */
		options: Record<string, unknown>;
		/** The peer's certificate, once its Certificate message passed the manager's verify(). */
		peerCert?: ArrayBuffer;
		certificateManager?: object;
		/** The record being read: its first `offset` bytes have arrived. */
		packetBuffer?: (Uint8Array & { offset: number }) | null;
		alert?: { level: number; description: number };
		/** One step of the handshake; true once it is done or an alert ended it. */
		handshake(wire: object): boolean;
		/** One record's application data; undefined: nothing yet; null: the peer closed. */
		read(wire: object): Uint8Array | null | undefined;
		/** Writes one record; the wire's budget left, less 32. */
		write(wire: object, data: ArrayBufferLike | ArrayBufferView): number;
		/** Writes close_notify. */
		close(wire: object): void;
	}
}

declare module "ssl/cert" {
	export default class CertificateManager {
		constructor(options: Record<string, unknown>);
		getCerts(): Array<ArrayBuffer | HostBuffer>;
		getKey(certificate?: ArrayBuffer | HostBuffer): unknown;
		/** Whether an issuer's key (X509.decodeSPKI) signed a certificate (X509.decode). */
		_verify(issuerKey: object, certificate: object): boolean;
	}
}

declare module "ssl/stream" {
	export default class SSLStream {
		constructor(buffer?: ArrayBufferLike, initial?: number);
	}
}

declare module "ssl/constants" {
	export const RSA: number;
}

declare module "pkcs8" {
	export default class PKCS8 {
		/** An unencrypted PKCS#8 RSA key, DER: its modulus, exponents and primes. */
		static parse(der: Uint8Array): object;
	}
}
