// The `secure` dictionary of the SDK's TLS socket (examples/io/tcp/tlssocket over
// modules/crypt/ssl) from the client's tls option, checked up front: the SDK reports a bad
// certificate or key only as a failed connection, or not at all, so what it cannot use is refused
// here with a message that says why.
import Resource from "Resource";
import { keyAlgorithm } from "wsclient/pkcs8";

/** A certificate or key: the name of a resource listed in the manifest, or the DER bytes. */
export type Credential = string | ArrayBuffer | ArrayBufferView;

export interface TlsOptions {
	/** The CA that signed the server's certificate (DER). Required unless verify is false. */
	ca?: Credential;
	/** Mutual TLS: the client's certificate (DER)... */
	certificate?: Credential;
	/** ...and its RSA private key (PKCS#8 DER, unencrypted). */
	key?: Credential;
	/** false: the server is not verified at all (libwebsockets' "allow self-signed"); default true. */
	verify?: boolean;
}

export type Bytes = ArrayBuffer | HostBuffer;

/** A credential's bytes: the resource it names (in flash, not copied), or a copy of a view. */
export function loadCredential(credential: Credential, what: string): Bytes {
	if (typeof credential === "string") {
		try {
			return new Resource(credential);
		} catch {
			throw new Error(`${what}: no resource "${credential}" (list the DER file in the manifest's "resources")`);
		}
	}
	if (ArrayBuffer.isView(credential)) {
		const copy = new Uint8Array(credential.byteLength);
		copy.set(new Uint8Array(credential.buffer, credential.byteOffset, credential.byteLength));
		return copy.buffer;
	}
	if (credential instanceof ArrayBuffer) return credential;
	throw new TypeError(`${what}: a resource name or DER bytes`);
}

// Throws unless the bytes look like DER (PEM is named as such).
function checkDer(bytes: Uint8Array, what: string) {
	// "-----BEGIN": PEM text, which the SDK's TLS does not read.
	if (bytes.length >= 5 && bytes[0] === 0x2d && bytes[1] === 0x2d && bytes[2] === 0x2d)
		throw new Error(`${what}: PEM; the SDK's TLS takes DER (openssl x509 -outform der / openssl pkcs8 -topk8 -nocrypt -outform der)`);
	// X.690: a certificate and a PKCS#8 key are both a SEQUENCE.
	if (bytes.length < 2 || bytes[0] !== 0x30) throw new Error(`${what}: not DER`);
}

/** A certificate: loaded, and checked to be DER. */
export function loadDer(credential: Credential, what: string): Bytes {
	const bytes = loadCredential(credential, what);
	checkDer(new Uint8Array(bytes), what);
	return bytes;
}

/** A private key: loaded, and checked to be unencrypted PKCS#8 DER; with its algorithm. */
export function loadKey(credential: Credential, what: string): { key: Bytes; bytes: Uint8Array; algorithm: "rsa" | "ec" | "other" } {
	const key = loadCredential(credential, what);
	const bytes = new Uint8Array(key);
	checkDer(bytes, what);
	const algorithm = keyAlgorithm(bytes);
	if (algorithm === undefined) throw new Error(`${what}: not an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt -outform der)`);
	return { key, bytes, algorithm };
}

/** The TLS socket's `secure` option; throws an Error saying what is wrong with the tls option. */
export function secureOptions(tls: TlsOptions = {}): Record<string, unknown> {
	const verify = tls.verify ?? true;
	const secure: Record<string, unknown> = { verify };
	if (tls.ca !== undefined) {
		secure.certificate = loadDer(tls.ca, "tls.ca");
	} else if (verify) {
		throw new Error("tls.ca: the CA that signed the server's certificate is required (or tls.verify: false to skip verification)");
	}
	if ((tls.certificate === undefined) !== (tls.key === undefined)) throw new Error("tls: a client certificate needs its key, and a key its certificate");
	if (tls.certificate !== undefined && tls.key !== undefined) {
		const certificate = loadDer(tls.certificate, "tls.certificate");
		const { key, algorithm } = loadKey(tls.key, "tls.key");
		// The SDK's mutual TLS signs CertificateVerify with RSA only: an EC key fails the handshake.
		if (algorithm !== "rsa") throw new Error(`tls.key: ${algorithm === "ec" ? "an EC" : "a non-RSA"} client key; the SDK's TLS does mutual TLS with RSA client keys only`);
		secure.clientCertificates = [certificate];
		secure.clientKey = key;
	}
	return secure;
}
