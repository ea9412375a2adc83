// The host TLS server's check of client certificates (tlsserver.ts), made where the firmware
// makes it: when the client's Certificate message arrives, before the TLS engine reads it. Node
// checks a client's certificate only after the handshake is done, so a client it refuses sees a
// finished handshake and then a closed connection; the firmware (modules/tlsserver/tls/
// clientcert.ts) refuses with an alert during the handshake. Here the client's records are read
// until its ChangeCipherSpec (they are in the clear until then), and its chain is checked with
// the firmware's rules and alerts. OpenSSL still checks the CertificateVerify's signature.
import crypto from "node:crypto";

export interface Refusal {
	reason: string;
	alert: number;
}

// RFC 5246 §7.2.
const handshakeFailure = 40;
const badCertificate = 42;
const unsupportedCertificate = 43;
const certificateExpired = 45;
const unknownCA = 48;
/** modules/tlsserver/tls/clientcert.ts maxChain. */
const maxChain = 4;
const clientAuth = "1.3.6.1.5.5.7.3.2";
const anyUsage = "2.5.29.37.0";

export class ClientCertificateCheck {
	readonly #authorities: crypto.X509Certificate[];
	#records = Buffer.alloc(0);
	#messages = Buffer.alloc(0);
	done = false;

	constructor(authorities: crypto.X509Certificate[]) {
		this.#authorities = authorities;
	}

	/** The next bytes from the client, before TLS reads them: why they are refused, if they are. */
	inspect(bytes: Buffer): Refusal | undefined {
		if (this.done) return undefined;
		this.#records = Buffer.concat([this.#records, bytes]);
		while (!this.done && this.#records.length >= 5) {
			const size = 5 + this.#records.readUInt16BE(3);
			if (this.#records.length < size) break;
			const record = this.#records.subarray(0, size);
			this.#records = this.#records.subarray(size);
			if (record[0] === 20) this.done = true;
			else if (record[0] === 22) {
				const refusal = this.handshake(record.subarray(5));
				if (refusal) return refusal;
			}
		}
		if (this.done) this.#records = this.#messages = Buffer.alloc(0);
		return undefined;
	}

	// Handshake messages may span records.
	private handshake(body: Buffer): Refusal | undefined {
		this.#messages = Buffer.concat([this.#messages, body]);
		while (this.#messages.length >= 4) {
			const size = 4 + this.#messages.readUIntBE(1, 3);
			if (this.#messages.length < size) break;
			const message = this.#messages.subarray(0, size);
			this.#messages = this.#messages.subarray(size);
			if (message[0] !== 11) continue;
			this.done = true;
			return this.chainRefusal(certificatesOf(message.subarray(4)));
		}
		return undefined;
	}

	private chainRefusal(chain: crypto.X509Certificate[] | undefined): Refusal | undefined {
		if (!chain) return { reason: "a client certificate that cannot be read", alert: badCertificate };
		if (!chain.length) return { reason: "the client sent no certificate, and one is required", alert: handshakeFailure };
		if (chain.length > maxChain) return { reason: `a chain of ${chain.length} certificates, more than ${maxChain}`, alert: badCertificate };
		const leaf = chain[0];
		if (leaf.publicKey.asymmetricKeyType !== "rsa") return { reason: "a client certificate whose key is not RSA; this server checks RSA signatures only", alert: unsupportedCertificate };
		const usage = leaf.keyUsage as string[] | undefined;
		if (usage && !usage.includes(clientAuth) && !usage.includes(anyUsage))
			return { reason: "a certificate whose extendedKeyUsage does not allow TLS client authentication", alert: unsupportedCertificate };
		for (let i = 0; i < chain.length; i++) {
			const certificate = chain[i];
			const what = i ? `the client's chain (certificate ${i})` : "the client's certificate";
			if (!current(certificate)) return { reason: `${what} is expired or not yet valid (certificate dates are checked against the clock)`, alert: certificateExpired };
			if (i && !certificate.ca) return { reason: `${what} signs another but is not a CA`, alert: badCertificate };
			for (const authority of this.#authorities)
				if (certificate.checkIssued(authority) && certificate.verify(authority.publicKey)) {
					if (!current(authority)) return { reason: "the CA that issued the client's certificate is expired or not yet valid", alert: certificateExpired };
					return undefined;
				}
			const next = chain[i + 1];
			if (!next) break;
			if (!certificate.checkIssued(next) || !certificate.verify(next.publicKey)) return { reason: `${what} is not signed by the next one in the chain`, alert: badCertificate };
		}
		return { reason: "the client's certificate is not issued by a CA this server trusts (wssClientCA)", alert: unknownCA };
	}
}

// RFC 5246 §7.4.2: a 3-byte length, then certificates each with a 3-byte length.
function certificatesOf(body: Buffer): crypto.X509Certificate[] | undefined {
	try {
		const end = 3 + body.readUIntBE(0, 3);
		const chain: crypto.X509Certificate[] = [];
		for (let at = 3; at < end; ) {
			const size = body.readUIntBE(at, 3);
			chain.push(new crypto.X509Certificate(body.subarray(at + 3, at + 3 + size)));
			at += 3 + size;
		}
		return chain;
	} catch {
		return undefined;
	}
}

function current(certificate: crypto.X509Certificate): boolean {
	const now = Date.now();
	return Date.parse(certificate.validFrom) < now && now < Date.parse(certificate.validTo);
}
