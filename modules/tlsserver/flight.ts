// The client's side of a TLS 1.2 handshake as the server reads it, up to the client's
// ChangeCipherSpec: its records, in the clear, in the order and the pieces the SDK's session
// reads them. Each piece passes through inspect() on its way in. Bytes in, no I/O.
//
// It does two jobs for the server socket (tlsserver/tls/socket.ts):
// - It refuses handshake messages a client may not send, or sends out of order (RFC 5246 §7.3):
//   the SDK's session acts on any message it knows, so a client sending a ServerHelloDone
//   would make the server send a client's flight.
// - It disguises the client's CertificateVerify, in place, as a ServerHelloDone. The SDK's
//   session cannot read a TLS 1.2 CertificateVerify (it takes the algorithm field for the
//   signature's length, and compares a bare hash with a DigestInfo). A ServerHelloDone's body is
//   never read, so the session passes over the message; the socket checks the signature itself
//   and hashes the message with its real type.
// It also builds the CertificateRequest the server sends: the SDK's has no
// supported_signature_algorithms, which TLS 1.2 requires (§7.4.4).

const changeCipherSpecRecord = 20;
const handshakeRecord = 22;
const applicationDataRecord = 23;
/** RFC 5246 §6.2.3: the longest record a peer may send, 2^14 + 2048 bytes of ciphertext. */
const maxRecord = 16384 + 2048;
// RFC 5246 §7.2: the alerts for what is refused here.
const unexpectedMessage = 10;
const recordOverflow = 22;
const decodeError = 50;

/** Why the client's bytes are refused, and the fatal alert that says so. */
export interface Refusal {
	reason: string;
	alert: number;
}

/** A refusal: `unexpected_message` unless another alert says more. */
export const refuse = (reason: string, alert = unexpectedMessage): Refusal => ({ reason, alert });
export const clientHelloType = 1;
export const certificateType = 11;
export const certificateRequestType = 13;
export const serverHelloDoneType = 14;
export const certificateVerifyType = 15;
export const clientKeyExchangeType = 16;

/** Where each message a client may send comes in its flight (§7.3, Figure 1). */
function rankOf(type: number): number {
	switch (type) {
		case clientHelloType:
			return 1;
		case certificateType:
			return 2;
		case clientKeyExchangeType:
			return 3;
		case certificateVerifyType:
			return 4;
	}
	return 0;
}

export class ClientFlight {
	readonly #certificateRequested: boolean;
	// The record being read: its header so far, its type, the body bytes still to come.
	readonly #header = new Uint8Array(5);
	#headerSize = 0;
	#recordType = 0;
	#recordLeft = 0;
	// The handshake message being read (messages may span records): its header so far, the
	// body bytes still to come.
	#messageHeaderSize = 0;
	#messageLength = 0;
	#messageLeft = 0;
	#rank = 0;
	/** The client sent a Certificate with at least one certificate in it. */
	certificateSent = false;
	/** A CertificateVerify went by (disguised as a ServerHelloDone). */
	certificateVerified = false;
	/** The client's ChangeCipherSpec went by: what follows is encrypted, and not looked at. */
	done = false;

	constructor(certificateRequested: boolean) {
		this.#certificateRequested = certificateRequested;
	}

	/** Looks at the next bytes read from the client; rewrites a CertificateVerify's type in
	 *  place. What is wrong with them, if anything. */
	inspect(bytes: Uint8Array): Refusal | undefined {
		for (let at = 0; at < bytes.length && !this.done; ) {
			if (this.#headerSize < 5) {
				const size = ++this.#headerSize;
				const problem = this.headerByte((this.#header[size - 1] = bytes[at++]), size);
				if (problem) return problem;
				continue;
			}
			const count = Math.min(this.#recordLeft, bytes.length - at);
			if (this.#recordType === handshakeRecord) {
				const problem = this.handshakeBytes(bytes, at, count);
				if (problem) return problem;
			}
			at += count;
			this.#recordLeft -= count;
			if (!this.#recordLeft) this.#headerSize = 0;
		}
		return undefined;
	}

	// Bytes that are not TLS (plain HTTP sent to the TLS port, garbage) are refused at their
	// first byte, not after waiting for a record whose length is made of text (§6.2.1).
	private headerByte(byte: number, size: number): Refusal | undefined {
		if (size === 1 && (byte < changeCipherSpecRecord || byte > applicationDataRecord))
			return refuse(byte === 0x47 || byte === 0x50 || byte === 0x48 ? "plain HTTP sent to the TLS port" : "not a TLS record", decodeError);
		if (size === 2 && byte !== 3) return refuse("not a TLS record", decodeError);
		if (size < 5) return undefined;
		const header = this.#header;
		this.#recordType = header[0];
		this.#recordLeft = (header[3] << 8) | header[4];
		if (this.#recordLeft > maxRecord) return refuse("a record longer than TLS allows", recordOverflow);
		if (this.#recordType === changeCipherSpecRecord) return this.changeCipherSpec();
		if (this.#recordType === applicationDataRecord) return refuse("application data before the handshake is done");
		if (!this.#recordLeft) this.#headerSize = 0;
		return undefined;
	}

	private changeCipherSpec(): Refusal | undefined {
		this.done = true;
		if (this.#messageHeaderSize || this.#messageLeft) return refuse("a ChangeCipherSpec inside a handshake message");
		if (this.#rank < rankOf(clientKeyExchangeType)) return refuse("a ChangeCipherSpec before the ClientKeyExchange");
		if (this.certificateSent && !this.certificateVerified) return refuse("a client certificate without a CertificateVerify");
		return undefined;
	}

	private handshakeBytes(bytes: Uint8Array, at: number, count: number): Refusal | undefined {
		const end = at + count;
		while (at < end) {
			if (this.#messageLeft) {
				const skip = Math.min(this.#messageLeft, end - at);
				this.#messageLeft -= skip;
				at += skip;
				continue;
			}
			const byte = bytes[at];
			if (this.#messageHeaderSize === 0) {
				const problem = this.messageStarts(byte);
				if (problem) return problem;
				if (byte === certificateVerifyType) bytes[at] = serverHelloDoneType;
				this.#messageLength = 0;
			} else {
				this.#messageLength = (this.#messageLength << 8) | byte;
			}
			at++;
			if (++this.#messageHeaderSize === 4) {
				this.#messageHeaderSize = 0;
				this.#messageLeft = this.#messageLength;
				// A Certificate whose list (its first 3 bytes) is not empty.
				if (this.#rank === rankOf(certificateType)) this.certificateSent = this.#messageLength > 3;
			}
		}
		return undefined;
	}

	private messageStarts(type: number): Refusal | undefined {
		const rank = rankOf(type);
		if (!rank) return refuse(`a handshake message of type ${type}, which a client does not send`);
		if (rank <= this.#rank || (!this.#rank && type !== clientHelloType)) return refuse(`a handshake message of type ${type} out of order`);
		if (type === certificateType && !this.#certificateRequested) return refuse("a client certificate the server did not ask for");
		if (type === clientKeyExchangeType && this.#certificateRequested && this.#rank < rankOf(certificateType)) return refuse("no Certificate message, which the server asked for");
		if (type === certificateVerifyType && !this.certificateSent) return refuse("a CertificateVerify without a client certificate");
		if (type === certificateVerifyType) this.certificateVerified = true;
		this.#rank = rank;
		return undefined;
	}
}

/** RFC 5246 §7.4.4 / §7.4.1.4.1: rsa_sign, and rsa_pkcs1_sha256 (the hash the session keeps). */
const certificateTypes = [1, 1];
const signatureAlgorithms = [0, 2, 4, 1];

/**
 * The CertificateRequest handshake message (header included) naming the given CA subjects
 * (DER Names): the client then picks a certificate one of them issued.
 */
export function certificateRequest(authorities: Uint8Array[]): Uint8Array {
	let names = 0;
	for (const name of authorities) names += 2 + name.length;
	const body = certificateTypes.length + signatureAlgorithms.length + 2 + names;
	const message = new Uint8Array(4 + body);
	message.set([certificateRequestType, body >> 16, (body >> 8) & 0xff, body & 0xff]);
	let at = 4;
	message.set(certificateTypes, at);
	at += certificateTypes.length;
	message.set(signatureAlgorithms, at);
	at += signatureAlgorithms.length;
	message[at++] = names >> 8;
	message[at++] = names & 0xff;
	for (const name of authorities) {
		message[at++] = name.length >> 8;
		message[at++] = name.length & 0xff;
		message.set(name, at);
		at += name.length;
	}
	return message;
}
