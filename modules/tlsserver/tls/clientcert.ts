// Client certificates for the TLS server, checked here and not by the SDK: its
// CertificateManager.verify() matches a certificate against the name the client asked for
// (tls_server_name), right for a client checking a server and meaningless the other way, and its
// CertificateVerify check cannot read TLS 1.2's (tlsserver/flight says why). What is checked,
// as OpenSSL checks a client by default: the chain up to one of the configured CAs, signatures,
// dates (against the clock: a board sets it by SNTP first), intermediates being CAs, a leaf
// whose extendedKeyUsage (if any) allows clientAuth, and the client's proof that it holds the
// key. Not checked: revocation, name constraints, policies.
import X509 from "x509";
import PKCS1_5 from "pkcs1_5";
import { refuse, type Refusal } from "tlsserver/flight";
import { contains } from "tlsserver/identity";

// RFC 5246 §7.2: the alerts for a refused client certificate.
const handshakeFailure = 40;
const badCertificate = 42;
const unsupportedCertificate = 43;
const certificateExpired = 45;
const unknownCA = 48;
const decryptError = 51;
/** Certificates a client may send, its own included (OpenSSL's default depth is 100; a board
 *  has no use for long chains). */
const maxChain = 4;
/** extendedKeyUsage's id-kp-clientAuth and anyExtendedKeyUsage, as DER OIDs. */
const clientAuth = Uint8Array.of(0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02);
const anyUsage = Uint8Array.of(0x06, 0x04, 0x55, 0x1d, 0x25, 0x00);
/** The DigestInfo OID of SHA-256, the only hash the CertificateRequest offers. */
const sha256 = [2, 16, 840, 1, 101, 3, 4, 2, 1];

/** X509.decode reads an ArrayBuffer or a Uint8Array only (etc/ber.js), not a resource. */
type Certificate = ArrayBuffer | Uint8Array;

/** What verifies one certificate's signature with its issuer's key (ssl/cert's _verify). */
export interface SignatureChecker {
	_verify(issuerKey: object, certificate: object): boolean;
}

/** The subject Name (DER) of each CA, for the CertificateRequest. */
export function subjectsOf(authorities: Certificate[]): Uint8Array[] {
	return authorities.map((certificate) => subjectOf(certificate).slice());
}

/**
 * What is wrong with the chain a client sent (its own certificate first), if anything, for
 * clients that must chain to one of `authorities`.
 */
export function chainProblem(chain: Certificate[], authorities: Certificate[], checker: SignatureChecker): Refusal | undefined {
	if (!chain.length) return refuse("the client sent no certificate, and one is required", handshakeFailure);
	if (chain.length > maxChain) return refuse(`a chain of ${chain.length} certificates, more than ${maxChain}`, badCertificate);
	try {
		const problem = leafProblem(chain[0]);
		if (problem) return problem;
		for (let i = 0; i < chain.length; i++) {
			const certificate = chain[i];
			const what = i ? `the client's chain (certificate ${i})` : "the client's certificate";
			if (!current(certificate)) return refuse(`${what} is expired or not yet valid (certificate dates are checked against the clock)`, certificateExpired);
			if (i && !isAuthority(certificate)) return refuse(`${what} signs another but is not a CA`, badCertificate);
			const issuer = issuerOf(certificate);
			for (const authority of authorities)
				if (sameBytes(issuer, subjectOf(authority)) && checker._verify(X509.decodeSPKI(authority), X509.decode(certificate))) {
					if (!current(authority)) return refuse("the CA that issued the client's certificate is expired or not yet valid", certificateExpired);
					return undefined;
				}
			const next = chain[i + 1];
			if (!next) break;
			if (!sameBytes(issuer, subjectOf(next)) || !checker._verify(X509.decodeSPKI(next), X509.decode(certificate)))
				return refuse(`${what} is not signed by the next one in the chain`, badCertificate);
		}
	} catch (error) {
		return refuse(`a client certificate that cannot be read: ${(error as Error).message}`, badCertificate);
	}
	return refuse("the client's certificate is not issued by a CA this server trusts (wssClientCA)", unknownCA);
}

/**
 * Whether the CertificateVerify body (RFC 5246 §7.4.8) signs `hash` (SHA-256 of the handshake
 * messages before it) with the key of the client's certificate. What is wrong, if anything.
 */
export function signatureProblem(certificate: Certificate, hash: ArrayBuffer, body: Uint8Array): Refusal | undefined {
	if (body.length < 4 || body[0] !== 4 || body[1] !== 1) return refuse("a CertificateVerify not signed with rsa_pkcs1_sha256, the only algorithm offered", decryptError);
	const size = (body[2] << 8) | body[3];
	if (4 + size !== body.length) return refuse("a CertificateVerify whose length does not add up", decryptError);
	try {
		const signature = body.slice(4).buffer;
		if (new PKCS1_5(X509.decodeSPKI(certificate), false, sha256).verify(hash, signature)) return undefined;
	} catch {
		// a signature that is not one decrypts to nothing
	}
	return refuse("the signature in the client's CertificateVerify does not verify: the client does not hold its certificate's key", decryptError);
}

// The client's own certificate: an RSA key (the CertificateRequest asks for rsa_sign), and an
// extendedKeyUsage, if it has one, that allows TLS client authentication.
function leafProblem(certificate: Certificate): Refusal | undefined {
	const key = X509.decodeSPKI(certificate) as { modulus?: unknown };
	if (!key?.modulus) return refuse("a client certificate whose key is not RSA; this server checks RSA signatures only", unsupportedCertificate);
	const usage = X509.decodeExtension(certificate, [2, 5, 29, 37]);
	if (usage && !contains(new Uint8Array(usage), clientAuth) && !contains(new Uint8Array(usage), anyUsage))
		return refuse("a certificate whose extendedKeyUsage does not allow TLS client authentication", unsupportedCertificate);
	return undefined;
}

function current(certificate: Certificate): boolean {
	const { from, to } = X509.decodeTBS(X509.decode(certificate).tbs).validity;
	const now = Date.now();
	return from < now && now < to;
}

// basicConstraints (RFC 5280 §4.2.1.9): SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }.
function isAuthority(certificate: Certificate): boolean {
	const constraints = X509.decodeExtension(certificate, [2, 5, 29, 19]);
	if (!constraints) return false;
	const bytes = new Uint8Array(constraints);
	return bytes[0] === 0x30 && bytes[2] === 0x01 && bytes[3] === 1 && bytes[4] !== 0;
}

function subjectOf(certificate: Certificate): Uint8Array {
	return X509.decodeTBS(X509.decode(certificate).tbs).subject;
}

function issuerOf(certificate: Certificate): Uint8Array {
	return X509.decodeTBS(X509.decode(certificate).tbs).issuer;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}
