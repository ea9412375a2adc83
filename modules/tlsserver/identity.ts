// The server's TLS identity from the build's configuration, checked before the first client
// comes: the SDK's TLS reports a certificate or key it cannot use only as handshakes that fail,
// one client at a time, so what it cannot use is refused here with a message that says why.
import { loadDer, loadKey, type Bytes, type Credential } from "wsclient/credentials";
import { rsaModulus } from "wsclient/pkcs8";

export interface ServerTlsOptions {
	/** The server's certificate (DER): a resource name or the bytes. Its key must be RSA. */
	certificate: Credential;
	/** Its private key (unencrypted PKCS#8 DER). */
	key: Credential;
	/** Certificates sent after it, up to (not including) the root the clients trust. */
	chain?: Credential[];
	/** CA certificates (DER): when given, every client must present a certificate one of them
	 *  issued (mutual TLS). */
	clientAuthorities?: Credential[];
}

/** What the TLS socket presents: the certificates in order, and the key; and what it asks of
 *  clients. */
export interface ServerCredentials {
	certificates: Bytes[];
	key: Bytes;
	clientAuthorities?: Bytes[];
}

/** Loads and checks the identity; throws an Error naming the option at fault. */
export function serverCredentials(options: ServerTlsOptions): ServerCredentials {
	const certificate = loadDer(options.certificate, "wssCertificate");
	const { key, bytes: keyBytes, algorithm } = loadKey(options.key, "wssKey");
	// The SDK's TLS server does RSA key exchange only: it decrypts the client's secret with the key.
	if (algorithm !== "rsa") throw new Error(`wssKey: ${algorithm === "ec" ? "an EC" : "a non-RSA"} key; the SDK's TLS server needs an RSA key (and a certificate for it with keyEncipherment)`);
	if (!contains(new Uint8Array(certificate), rsaModulus(keyBytes)!)) throw new Error("wssKey: not the key of wssCertificate");
	const certificates: Bytes[] = [certificate];
	for (const [i, entry] of (options.chain ?? []).entries()) certificates.push(loadDer(entry, `wssChain[${i}]`));
	const authorities = options.clientAuthorities?.map((entry, i) => loadDer(entry, `wssClientCA[${i}]`));
	return authorities?.length ? { certificates, key, clientAuthorities: authorities } : { certificates, key };
}

/** The organization certs/generate.sh puts in every certificate it makes (the test PKI, whose
 *  private keys are public: they are in the repository). */
const testPkiName = "moddable-ws-at-bridge test PKI";

/** Whether a certificate was made by certs/generate.sh: its subject or issuer names the test PKI. */
export function fromTestPki(certificate: ArrayBuffer | HostBuffer): boolean {
	return contains(new Uint8Array(certificate), new Uint8Array(ArrayBuffer.fromString(testPkiName)));
}

/** Whether `part` occurs in `bytes` (a certificate holds its key's modulus, a name, an OID). */
export function contains(bytes: Uint8Array, part: Uint8Array): boolean {
	const first = part[0];
	const last = bytes.length - part.length;
	outer: for (let i = bytes.indexOf(first); i >= 0 && i <= last; i = bytes.indexOf(first, i + 1)) {
		for (let j = 1; j < part.length; j++) if (bytes[i + j] !== part[j]) continue outer;
		return true;
	}
	return false;
}
