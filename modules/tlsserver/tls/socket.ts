// The server side of TLS 1.2 on the SDK's own TLS code ($(MODULES)/crypt/ssl): an accepted TCP
// connection wrapped in the SDK's session, with the ECMA-419 socket shape the WebSocket server
// uses (read, write, close, onReadable/onWritable/onError). The SDK offers its session only as a
// client (examples/io/tcp/tlssocket always starts a ClientHello); a session never told to start
// one answers as a server, and this class works around what that path gets wrong:
// - the ClientHello is hashed into a buffer the server side never creates (ssl_handshake.js
//   reads session.handshakeMessages before anything was written): made here;
// - the server's certificate and key are not taken from options (ssl_cert.js getCerts() reads a
//   "srvcert.der" resource, getKey() has no server key at all): ServerIdentity supplies both;
// - only RSA key exchange works as a server (no ECDHE ServerKeyExchange, DHE fails inside the
//   SDK): a ClientHello whose best suite is another kind gets a handshake_failure alert here;
// - resumption hands the cache entry over as the master secret: the cache is off;
// - a failed handshake throws from inside the socket's callback, which would abort XS: caught,
//   answered with an alert, traced, and reported as onError, so that connection closes and the
//   server goes on;
// - handshake records are written without looking at the TCP write budget (a certificate chain
//   overflows lin's 1,536 bytes): those that do not fit wait for the next onWritable;
// - bytes that are not TLS records (plain HTTP sent to the TLS port) are refused at once instead
//   of waiting for a record whose length is made of text, and so are handshake messages a client
//   may not send (the session would act on a ServerHelloDone from a client by sending a client's
//   flight): tlsserver/flight looks at what the client sends until its ChangeCipherSpec;
// - its ServerHello has no extensions, so no renegotiation_info (RFC 5746), and OpenSSL 3
//   clients refuse it: added (tlsserver/hello) to the record sent and to the handshake hash;
// - client certificates: its CertificateRequest lacks TLS 1.2's signature algorithms, its
//   certificate check matches the client against a server name, and it cannot read a TLS 1.2
//   CertificateVerify. When clients must present a certificate (clientAuthorities), the
//   CertificateRequest is ours (tlsserver/flight), sent before the ServerHelloDone and hashed
//   there; the chain is checked by tls/clientcert; the CertificateVerify reaches the session
//   disguised as a message it passes over, and its signature is checked here.
// Every message whose bytes on the wire differ from what the session hashes goes through
// Transcript, so both ends compute the same Finished.
// What cannot be fixed from outside: TLS 1.2 only; TLS_RSA_WITH_AES_{128,256}_CBC_SHA{,256} only
// (no forward secrecy); no resumption; RSA client certificates only.
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import SSLSession from "ssl/session";
import CertificateManager from "ssl/cert";
import SSLStream from "ssl/stream";
import { RSA } from "ssl/constants";
import PKCS8 from "pkcs8";
import type { ServerCredentials } from "tlsserver/identity";
import type { MemoryBudget } from "ws/budget";
import { offersSecureRenegotiation, withRenegotiationInfo } from "tlsserver/hello";
import { ClientFlight, certificateRequest, certificateVerifyType, refuse, serverHelloDoneType, type Refusal } from "tlsserver/flight";
import { chainProblem, signatureProblem, subjectsOf } from "tlsserver/tls/clientcert";

/** Whether this build can serve TLS. */
export const tlsServerAvailable = true;

/** TLS overhead kept out of the budget the application is told (tlssocket.js uses the same:
 *  a CBC record adds at most 5 + 16 + 32 + 16 bytes). */
const overhead = 96;
/** The longest record a client may send, header included (RFC 5246 §6.2.3). */
const maxRecord = 5 + 16384 + 2048;
const clientHello = 1;
const serverHello = 2;
const finished = 20;
// RFC 5246 §7.2: alert descriptions this class sends itself.
const handshakeFailure = 40;
const decodeError = 50;

/** The server's certificates and its parsed key (parsing the key is the slow part), and the
 *  CAs its clients' certificates must chain to, if any: made once, shared by every session.
 *  Each session's certificate manager. */
class ServerIdentity extends CertificateManager {
	readonly #certificates: Array<ArrayBuffer | HostBuffer>;
	readonly #key: object;
	readonly #authorities: Uint8Array[] | undefined;
	/** The CertificateRequest handshake message, when clients must present a certificate. */
	readonly certificateRequest: Uint8Array | undefined;
	constructor(credentials: ServerCredentials) {
		super({ verify: false });
		this.#certificates = credentials.certificates;
		this.#key = PKCS8.parse(new Uint8Array(credentials.key));
		// Views of the resources, which the SDK's X.509 decoder reads (not the resources themselves).
		const authorities = credentials.clientAuthorities?.map((certificate) => new Uint8Array(certificate));
		if (authorities?.length) {
			this.#authorities = authorities;
			this.certificateRequest = certificateRequest(subjectsOf(authorities));
		}
	}
	getCerts() {
		return this.#certificates;
	}
	// The server's own key (ssl_handshake.js asks with no certificate).
	getKey(certificate?: ArrayBuffer | HostBuffer) {
		return certificate === undefined ? this.#key : undefined;
	}
	// The client's chain, when the session reads its Certificate: a refusal is left in the
	// session's options (the session then throws "auth err", which says nothing).
	verify(chain: Array<ArrayBuffer | Uint8Array>, options: { refusal?: Refusal }): boolean {
		const authorities = this.#authorities;
		const refusal = authorities ? chainProblem(chain, authorities, this) : refuse("a client certificate the server did not ask for");
		if (refusal) options.refusal = refusal;
		return !refusal;
	}
	// The session registers the client's certificate to find its key later; this manager is
	// shared, and the key is read from the certificate itself (signatureProblem).
	register(_certificate: ArrayBuffer) {}
}

/** What TLSServerSocket takes: made once per server from checked credentials. */
export function prepareIdentity(credentials: ServerCredentials): object {
	return new ServerIdentity(credentials);
}

export interface TLSServerSocketOptions {
	/** The accepted connection (the listener's read()). */
	from: unknown;
	/** prepareIdentity()'s result. */
	identity: object;
	/** Counts each record the client sends while the session reads it: the session reads a
	 *  record whole (up to 18 KB) into a buffer of its own, so a record is begun only when the
	 *  budget has room for it, as a connection reads only while it has (TCP holds the peer back).
	 *  It is counted until it is whole and decrypted, not until the application has read it: the
	 *  application reads only while the budget has room, and a record counted until then would
	 *  keep that room from itself. So at most one record per connection, waiting for the
	 *  application, is outside the budget. */
	budget?: MemoryBudget;
	nodelay?: boolean;
	/** Inside these `this` is the TLSServerSocket. */
	onReadable?: (count: number) => void;
	onWritable?: (count: number) => void;
	onError?: () => void;
}

/** What only the handshake needs: dropped once it is done (an established session keeps none
 *  of it). */
class HandshakeState {
	/** The ClientHello's records as read, until it is parsed. */
	hello: Uint8Array[] | undefined = [];
	/** The next record written (the ServerHello) gains renegotiation_info. */
	patchHello = false;
	/** What the client sends until its ChangeCipherSpec (tlsserver/flight). */
	flight: ClientFlight | undefined;
	/** The CertificateRequest to send before the ServerHelloDone, when clients must present a
	 *  certificate. */
	request: Uint8Array | undefined;
	/** Why the client's bytes were refused, when a read threw. */
	refusal: Refusal | undefined;
	/** The handshake's hash, from the ClientHello on. */
	transcript: Transcript | undefined;
	constructor(request: Uint8Array | undefined) {
		this.flight = new ClientFlight(request !== undefined);
		this.request = request;
	}
}

// Where a record header read ahead lands, for the moment it takes to add it to a carrier's
// number: one buffer shared by every connection. Made at run time: what a preloaded module
// makes at build time is read-only in flash.
let headerBytes: Uint8Array | undefined;

/** The TCP connection under the session, which reads and writes it directly. */
class Carrier extends TCP {
	owner: TLSServerSocket | undefined;
	/** session_419.js keeps this on the socket it is given: its write budget as the session
	 *  counts it (the budget used here is #budget). */
	writable = 0;
	/** Until the handshake is done. */
	handshake: HandshakeState | undefined;
	#budget = 0;
	#failed = false;
	// What can be read: bytes in the TCP socket, and a record header read ahead of the session
	// (peekRecord), served to it first. Once the handshake is done, the session may read only
	// the record let in (#allowed; -1 until then: all there is).
	#inSocket = 0;
	// The header's bytes so far as one number (5 bytes stay exact in a double): no buffer kept
	// per connection.
	#head = 0;
	#headRead = 0;
	#headServed = 0;
	#allowed = -1;
	// Handshake records that did not fit the budget, in order.
	#pending: Array<ArrayBuffer | Uint8Array> | undefined;

	/** Bytes the client sent that nobody has read. */
	get pending(): number {
		return this.#inSocket + this.#headRead - this.#headServed;
	}

	/** What the session may read now (session_419.js reads and counts down `readable`; its own
	 *  count is not kept: the setter ignores it). */
	get readable(): number {
		const pending = this.pending;
		return this.#allowed >= 0 && this.#allowed < pending ? this.#allowed : pending;
	}
	set readable(_count: number) {}

	/** TCP's count of the bytes it holds. */
	arrived(count: number) {
		this.#inSocket = count;
	}

	/** The handshake is done: from now on the session reads one record at a time, each once let
	 *  in (allow). */
	established() {
		this.handshake = undefined;
		this.#allowed = 0;
	}

	/** The size of the next record (header included), its header read ahead of the session;
	 *  undefined until the header is all there. */
	peekRecord(): number | undefined {
		if (this.#headRead < 5 && this.#inSocket) {
			const count = Math.min(5 - this.#headRead, this.#inSocket);
			const whole = (headerBytes ??= new Uint8Array(5));
			// A header split between TCP segments is rare: only then a view is made.
			const bytes = count === 5 ? whole : whole.subarray(0, count);
			super.read(bytes);
			let head = this.#head;
			for (let at = 0; at < count; at++) head = head * 256 + bytes[at];
			this.#head = head;
			this.#inSocket -= count;
			this.#headRead += count;
		}
		// The length is the header's last two bytes.
		return this.#headRead === 5 ? 5 + (this.#head % 65536) : undefined;
	}

	/** Lets the session read the next `count` bytes (one record). */
	allow(count: number) {
		this.#allowed = count;
	}

	/** Bytes of the record let in that the session has not read yet. */
	get recordUnread(): number {
		return this.#allowed > 0 ? this.#allowed : 0;
	}

	get budget(): number {
		return this.#budget;
	}

	/** No ClientHello has been parsed yet. */
	get helloPending(): boolean {
		return this.handshake?.hello !== undefined;
	}

	/** A write found the peer gone. */
	get failed(): boolean {
		return this.#failed;
	}

	// The session reads into views only (session_419.js readPacket), the header read ahead first.
	read(view: any): any {
		const target = view as Uint8Array;
		let fromHead = 0;
		if (this.#headServed < this.#headRead) {
			const head = this.#head;
			const last = this.#headRead - 1;
			fromHead = Math.min(target.length, this.#headRead - this.#headServed);
			for (let at = 0; at < fromHead; at++) target[at] = Math.floor(head / 256 ** (last - this.#headServed - at)) % 256;
			this.#headServed += fromHead;
			if (this.#headServed === this.#headRead) this.#head = this.#headServed = this.#headRead = 0;
		}
		if (fromHead < target.length) {
			super.read(fromHead ? target.subarray(fromHead) : target);
			this.#inSocket -= target.length - fromHead;
		}
		if (this.#allowed > 0) this.#allowed -= target.length;
		const handshake = this.handshake;
		if (handshake) this.inspect(handshake, target);
		return target.length;
	}

	// The handshake's bytes, as the session reads them: kept until the ClientHello is parsed,
	// and looked at until the client's ChangeCipherSpec; a refusal is thrown out of the
	// session's read, before it acts on them.
	private inspect(handshake: HandshakeState, bytes: Uint8Array) {
		handshake.hello?.push(bytes.slice());
		const flight = handshake.flight;
		if (!flight) return;
		const refusal = flight.inspect(bytes);
		if (flight.done) handshake.flight = undefined;
		if (refusal) {
			handshake.refusal = refusal;
			throw new Error(refusal.reason);
		}
	}

	/** The ClientHello is parsed: whether it asked for renegotiation_info, which the ServerHello
	 *  about to be written then gets. */
	helloParsed(): boolean {
		const handshake = this.handshake;
		const hello = handshake?.hello;
		if (!handshake || !hello) return false;
		handshake.hello = undefined;
		let size = 0;
		for (const part of hello) size += part.length;
		const records = new Uint8Array(size);
		size = 0;
		for (const part of hello) {
			records.set(part, size);
			size += part.length;
		}
		return (handshake.patchHello = offersSecureRenegotiation(records));
	}

	/** The session's records: written when they fit, else kept for the next grant. */
	write(packet: ArrayBuffer | Uint8Array): number {
		const handshake = this.handshake;
		if (handshake) packet = this.onTheWire(handshake, packet);
		if (this.#pending || packet.byteLength > this.#budget) {
			(this.#pending ??= []).push(packet);
			return 0;
		}
		return this.put(packet);
	}

	// The server's handshake records as the client must see them: the ServerHello with
	// renegotiation_info, our CertificateRequest before the ServerHelloDone.
	private onTheWire(handshake: HandshakeState, packet: ArrayBuffer | Uint8Array): ArrayBuffer | Uint8Array {
		if (handshake.patchHello) {
			handshake.patchHello = false;
			return withRenegotiationInfo(packet, 5);
		}
		const request = handshake.request;
		if (request && isServerHelloDone(packet)) {
			handshake.request = undefined;
			return withRecordBefore(request, packet);
		}
		return packet;
	}

	grant(count: number) {
		this.#budget = count;
		const pending = this.#pending;
		while (pending?.length && pending[0].byteLength <= this.#budget) this.put(pending.shift()!);
		if (pending && !pending.length) this.#pending = undefined;
	}

	private put(packet: ArrayBuffer | Uint8Array): number {
		const left = super.write(packet) as unknown;
		if (typeof left !== "number") {
			this.#failed = true;
			this.#budget = 0;
			return 0;
		}
		return (this.#budget = left);
	}
}

function carrierReadable(this: Carrier, count: number) {
	this.arrived(count);
	this.owner?.received();
}
function carrierWritable(this: Carrier, count: number) {
	this.grant(count);
	this.owner?.writableAgain();
}
function carrierError(this: Carrier) {
	this.owner?.ended("the connection ended");
}

export default class TLSServerSocket {
	readonly remoteAddress: string | undefined;
	#carrier: Carrier | undefined;
	#session: SSLSession | undefined;
	#open = false;
	// The record being read by the application: its plaintext, and how far it was read.
	#plain: Uint8Array | undefined;
	#position = 0;
	#delivering = false;
	// The memory budget, and what this socket holds of it: the record being read (its size).
	readonly #budget: MemoryBudget | undefined;
	#reserved = 0;
	#resume: Timer | undefined;
	readonly #onReadable: TLSServerSocketOptions["onReadable"];
	readonly #onWritable: TLSServerSocketOptions["onWritable"];
	readonly #onError: TLSServerSocketOptions["onError"];

	constructor(options: TLSServerSocketOptions) {
		this.#onReadable = options.onReadable;
		this.#onWritable = options.onWritable;
		this.#onError = options.onError;
		this.#budget = options.budget;
		const session = new SSLSession({ protocolVersion: 0x303, cache: false });
		session.handshakeMessages = new SSLStream();
		session.certificateManager = options.identity;
		this.#session = session;
		const carrier = new Carrier({
			from: options.from,
			nodelay: options.nodelay,
			onReadable: carrierReadable,
			onWritable: carrierWritable,
			onError: carrierError,
		} as never);
		carrier.owner = this;
		carrier.handshake = new HandshakeState((options.identity as ServerIdentity).certificateRequest);
		this.#carrier = carrier;
		this.remoteAddress = (carrier as unknown as { remoteAddress?: string }).remoteAddress;
	}

	/** The application's bytes of the record being read: into a view (returns the count), or
	 *  `count` of them as a new ArrayBuffer. */
	read(target?: number | ArrayBufferView | ArrayBuffer): number | ArrayBuffer | undefined {
		const plain = this.#plain;
		if (!plain) return undefined;
		const position = this.#position;
		const available = plain.length - position;
		let result: number | ArrayBuffer;
		if (typeof target === "object") {
			const view = ArrayBuffer.isView(target) ? target : new Uint8Array(target);
			result = view.byteLength < available ? view.byteLength : available;
			new Uint8Array(view.buffer, view.byteOffset, result).set(plain.subarray(position, position + result));
			this.#position = position + result;
		} else {
			const count = target ?? available;
			if (count > available) throw new Error("invalid");
			result = plain.slice(position, position + count).buffer;
			this.#position = position + count;
		}
		if (this.#position === plain.length) this.recordRead();
		return result;
	}

	/** Writes one record; answers the budget left, as the TCP socket does (nothing once the
	 *  peer is gone). */
	write(data: ArrayBufferView | ArrayBuffer): number | undefined {
		const carrier = this.#carrier;
		const session = this.#session;
		if (!carrier || !session || !this.#open || data.byteLength + overhead > carrier.budget) throw new Error("would block");
		session.write(carrier, data);
		if (carrier.failed) return undefined;
		const left = carrier.budget;
		return left > overhead ? left - overhead : 0;
	}

	/** Sends close_notify when the handshake is done, and closes the connection. */
	close(): void {
		const carrier = this.#carrier;
		if (!carrier) return;
		const session = this.#session;
		if (this.#open && session && !carrier.failed) {
			try {
				session.close(carrier);
			} catch {
				// the connection is going anyway
			}
		}
		this.release();
	}

	/** The carrier's bytes: the handshake's, or records for the application. */
	received(): void {
		if (!this.#open) return this.handshake();
		if (!this.#plain && !this.#delivering) this.deliver();
	}

	writableAgain(): void {
		const budget = this.#carrier!.budget;
		if (this.#open && budget > overhead) this.#onWritable?.call(this, budget - overhead);
	}

	ended(reason: string): void {
		if (!this.#carrier) return;
		if (!this.#open) trace(`TLS: ${reason} during the handshake\n`);
		this.release();
		this.#onError?.call(this);
	}

	private handshake() {
		const session = this.#session!;
		const carrier = this.#carrier!;
		try {
			for (;;) {
				if (session.handshakeProcess === clientHello) {
					if (session.chosenCipher!.keyExchangeAlgorithm !== RSA)
						return this.fail("the client offers no TLS_RSA_WITH_AES_* suite, the only kind this server has", handshakeFailure);
					carrier.handshake!.transcript = new Transcript(session, carrier.helloParsed(), (session.certificateManager as ServerIdentity).certificateRequest);
				}
				if (session.handshake(carrier)) break;
				const next = session.handshakeProcess;
				if (next === serverHelloDoneType) {
					// The client's CertificateVerify, disguised (tlsserver/flight), went by.
					const refusal = this.clientSignatureProblem();
					if (refusal) return this.fail(refusal.reason, refusal.alert);
					session.handshakeProcess = certificateVerifyType;
				}
				if (next === finished && carrier.handshake?.transcript?.clientUnproven)
					return this.fail("the client did not prove it holds a certificate's key", handshakeFailure);
				if (next !== clientHello && next !== finished && !carrier.readable) return;
			}
		} catch (error) {
			// Refused by the flight check or the certificate check; else, before a ClientHello was
			// parsed, the bytes were not one.
			const refusal = carrier.handshake?.refusal ?? (session.options.refusal as Refusal | undefined);
			if (refusal) return this.fail(refusal.reason, refusal.alert);
			return this.fail((error as Error).message, carrier.helloPending ? decodeError : handshakeFailure);
		}
		// The session sent its alert itself.
		if (session.alert) return this.fail(`alert ${session.alert.description}`, 0);
		// The handshake's hash is of no more use: its state is not kept for the session's life.
		session.handshakeDigests = undefined;
		this.#open = true;
		carrier.established();
		this.writableAgain();
		if (this.#carrier && carrier.pending && !this.#plain) this.deliver();
	}

	// Whether the CertificateVerify just read signs the handshake with the client's key.
	private clientSignatureProblem(): Refusal | undefined {
		const transcript = this.#carrier!.handshake!.transcript!;
		const certificate = this.#session!.peerCert;
		const { signedHash, signature } = transcript;
		if (!certificate || !signedHash || !signature) return refuse("a CertificateVerify without a client certificate");
		const refusal = signatureProblem(certificate, signedHash, signature);
		if (!refusal) transcript.clientUnproven = false;
		return refusal;
	}

	// Records for the application, one at a time: the next is read once this one is.
	private deliver() {
		this.#delivering = true;
		while (this.#carrier && (this.#plain || this.nextRecord())) {
			const plain = this.#plain!;
			this.#onReadable?.call(this, plain.length - this.#position);
			if (this.#plain === plain) break;
		}
		this.#delivering = false;
	}

	private nextRecord(): boolean {
		const carrier = this.#carrier!;
		for (;;) {
			if (!this.#reserved && !this.letRecordIn(carrier)) return false;
			let data: Uint8Array | null | undefined;
			try {
				data = this.#session!.read(carrier);
			} catch (error) {
				this.fail((error as Error).message, 0);
				return false;
			}
			if (data === null) {
				this.ended("the client closed");
				return false;
			}
			// Not all of the record has come (the rest comes with onReadable).
			if (!data?.length && carrier.recordUnread) return false;
			this.giveBack();
			if (data?.length) {
				this.#plain = data;
				this.#position = 0;
				return true;
			}
			// A record with nothing for the application: on to the next.
			if (!carrier.pending) return false;
		}
	}

	// The next record is let in when the budget has room for it (its header says how big it is);
	// else this socket waits for room (roomAgain), its bytes in TCP.
	private letRecordIn(carrier: Carrier): boolean {
		const size = carrier.peekRecord();
		if (size === undefined) return false;
		if (size > maxRecord) {
			this.fail("a record longer than TLS allows", 0);
			return false;
		}
		const budget = this.#budget;
		if (budget) {
			if (!budget.admits(size)) {
				budget.whenRoom(this);
				return false;
			}
			budget.take(size);
		}
		this.#reserved = size;
		carrier.allow(size);
		return true;
	}

	/** MemoryWaiter: the budget has room again. */
	roomAgain(): void {
		if (this.#carrier && this.#open && !this.#plain && !this.#delivering) this.deliver();
	}

	private giveBack() {
		if (this.#reserved) this.#budget?.give(this.#reserved);
		this.#reserved = 0;
	}

	// The application read the whole record: the next comes from a timer, as tlssocket.js does,
	// unless the read was made inside onReadable (deliver goes on by itself).
	private recordRead() {
		this.#plain = undefined;
		if (this.#delivering || this.#resume || !this.#carrier?.pending) return;
		this.#resume = Timer.set(() => {
			this.#resume = undefined;
			if (this.#carrier && !this.#plain) this.deliver();
		});
	}

	private fail(reason: string, alert: number) {
		trace(`TLS: ${reason}\n`);
		const carrier = this.#carrier;
		if (!carrier) return;
		// A fatal alert in the clear (the server's side is not encrypted until its Finished).
		if (alert && !this.#open && !carrier.failed) carrier.write(Uint8Array.of(0x15, 3, 3, 0, 2, 2, alert).buffer);
		this.release();
		this.#onError?.call(this);
	}

	// Closes the connection and lets go of everything, whoever ended it: a TCP socket that is not
	// closed keeps its JavaScript object, and all it holds, for ever (even after the peer left).
	private release() {
		const carrier = this.#carrier;
		if (carrier) {
			carrier.owner = undefined;
			carrier.close();
		}
		this.#carrier = undefined;
		this.#session = undefined;
		this.#plain = undefined;
		this.giveBack();
		if (this.#resume) Timer.clear(this.#resume);
		this.#resume = undefined;
	}
}

/**
 * Stands in for the session's running SHA-256 of the handshake (TLS 1.2 keeps only that one):
 * each message the session hashes comes through here, and those whose bytes on the wire differ
 * from the session's are hashed as on the wire:
 * - the ServerHello gains renegotiation_info (its record gains it in Carrier.write);
 * - the CertificateRequest, which the session never made, goes before the ServerHelloDone;
 * - the client's CertificateVerify, which reached the session disguised, is hashed with its own
 *   type; the hash it signs (everything before it) and its body are kept for the check.
 */
class Transcript {
	readonly #digest: { write(data: ArrayBufferLike | ArrayBufferView): void; close(more?: boolean): ArrayBuffer };
	#renegotiationInfo: boolean;
	#request: Uint8Array | undefined;
	#verifyBody = false;
	/** Clients must present a certificate, and this one has not proven it holds its key. */
	clientUnproven: boolean;
	signedHash: ArrayBuffer | undefined;
	signature: Uint8Array | undefined;

	constructor(session: SSLSession, renegotiationInfo: boolean, request: Uint8Array | undefined) {
		const digests = session.handshakeDigests!;
		this.#digest = digests.SHA256 as never;
		this.#renegotiationInfo = renegotiationInfo;
		this.#request = request;
		this.clientUnproven = request !== undefined;
		digests.SHA256 = this as never;
	}

	write(message: ArrayBufferLike | ArrayBufferView) {
		const digest = this.#digest;
		const bytes = ArrayBuffer.isView(message) ? new Uint8Array(message.buffer, message.byteOffset, message.byteLength) : new Uint8Array(message);
		if (this.#verifyBody) {
			this.#verifyBody = false;
			this.signature = bytes.slice();
		} else if (bytes[0] === serverHello && this.#renegotiationInfo) {
			this.#renegotiationInfo = false;
			return digest.write(withRenegotiationInfo(bytes, 0));
		} else if (bytes[0] === serverHelloDoneType && bytes.length === 4) {
			if (!bytes[1] && !bytes[2] && !bytes[3]) {
				// The server's own ServerHelloDone (empty), written by the session.
				if (this.#request) digest.write(this.#request);
				this.#request = undefined;
			} else {
				// The header of the client's disguised CertificateVerify; its body comes next.
				this.signedHash = digest.close(true);
				this.#verifyBody = true;
				return digest.write(Uint8Array.of(certificateVerifyType, bytes[1], bytes[2], bytes[3]));
			}
		}
		digest.write(message);
	}

	close(more?: boolean): ArrayBuffer {
		return this.#digest.close(more);
	}
}

/** Whether a record is the server's ServerHelloDone (an empty handshake message). */
function isServerHelloDone(packet: ArrayBuffer | Uint8Array): boolean {
	const bytes = packet instanceof Uint8Array ? packet : new Uint8Array(packet);
	return bytes.length === 9 && bytes[0] === 22 && bytes[5] === serverHelloDoneType;
}

/** `message` (a handshake message) in a record of its own, followed by `packet`'s records. */
function withRecordBefore(message: Uint8Array, packet: ArrayBuffer | Uint8Array): Uint8Array {
	const after = packet instanceof Uint8Array ? packet : new Uint8Array(packet);
	const joined = new Uint8Array(5 + message.length + after.length);
	joined.set([22, 3, 3, message.length >> 8, message.length & 0xff]);
	joined.set(message, 5);
	joined.set(after, 5 + message.length);
	return joined;
}
