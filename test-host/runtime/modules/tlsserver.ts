// "tlsserver/socket" on Node. On the chip and on lin that module (modules/tlsserver/tls/socket.ts)
// drives the SDK's own TLS session as a server, which the host does not have; here node:tls does
// the TLS, over the same host TCP channel the firmware's sockets use, with the rules and the
// refusals of the SDK's server path:
// - TLS 1.2 only; TLS_RSA_WITH_AES_{128,256}_CBC_SHA{,256} only, in the SDK's order (its server
//   picks by its own preference): a client without one of them gets a handshake_failure alert;
// - an RSA key only (prepareIdentity refuses others, as the SDK's PKCS8.parse reads RSA only);
// - no session resumption;
// - client certificates when the identity names CAs (clientAuthorities): every client must
//   present one those CAs issued, with an RSA key, signing with rsa_pkcs1_sha256 (the only
//   algorithm the firmware's CertificateRequest offers); the chain is checked when the client's
//   Certificate arrives, with the firmware's rules and alerts (client-certificates.ts), and
//   OpenSSL checks the CertificateVerify;
// - the ciphertext goes through the TCP channel with lin's write budget (1,536 bytes); a record
//   waits for budget rather than being refused, as the SDK's handshake records wait in the
//   firmware's carrier; the application is told the budget less 96 bytes, and a write over
//   that throws "would block";
// - a record's plaintext at a time (onReadable(count)); no more ciphertext is read from the
//   channel while the application has not read it, so the peer is held back as on lin;
// - records count in the memory budget (options.budget) while they are read: the firmware begins
//   a record only when the budget has room for it (its header says its size) and counts it until
//   it is decrypted; node:tls decrypts what it is given, so here no ciphertext is read from the
//   channel while the budget is over its limit;
// - a failed handshake (garbage, plain HTTP, no common suite, an old version, a client that
//   leaves) is traced ("TLS: ...") and reported as onError; the server goes on;
// - `this` inside the callbacks is the socket.
import crypto from "node:crypto";
import { Duplex } from "node:stream";
import tls from "node:tls";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { Channel, channels } from "./tcp.ts";
import { pem } from "./tls.ts";
import { ClientCertificateCheck } from "./client-certificates.ts";
import { bytesOf, callbackOption, closedError, nextTurn, realmError } from "./realm-values.ts";

/** tlsserver/tls/socket.ts: the TLS overhead kept out of the application's budget. */
const kOverhead = 96;
/** The SDK's server suites, in its order (ssl_ciphersuites.js). */
const kCiphers = "AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256";

/** A CBC record's size for `size` bytes of data: header, IV, data, MAC, padding (RFC 5246 §6.2.3.2). */
function recordSize(size: number, macSize: number): number {
	return 5 + 16 + (Math.floor((size + macSize) / 16) + 1) * 16;
}

interface Callbacks {
	onReadable?: (...args: any[]) => unknown;
	onWritable?: (...args: any[]) => unknown;
	onError?: (...args: any[]) => unknown;
}

function makeModule(realm: RealmServices) {
	const identities = new WeakMap<object, { context: tls.SecureContext; authorities: crypto.X509Certificate[] }>();

	function prepareIdentity(credentials: unknown): object {
		const { certificates, key, clientAuthorities } = (credentials ?? {}) as { certificates?: unknown[]; key?: unknown; clientAuthorities?: unknown[] };
		const keyBytes = bytesOf(key);
		if (!Array.isArray(certificates) || !certificates.length || !keyBytes) throw realmError(realm, "TypeError", "prepareIdentity: {certificates, key} of DER bytes");
		let privateKey: crypto.KeyObject;
		try {
			privateKey = crypto.createPrivateKey({ key: Buffer.from(keyBytes), format: "der", type: "pkcs8" });
		} catch (error) {
			throw realmError(realm, "Error", `PKCS8: ${(error as Error).message}`);
		}
		// etc/pkcs8.js: "RSA only".
		if (privateKey.asymmetricKeyType !== "rsa") throw realmError(realm, "Error", "PKCS8: RSA only");
		const toPem = (certificate: unknown) => {
			const bytes = bytesOf(certificate);
			if (!bytes) throw realmError(realm, "TypeError", "prepareIdentity: a certificate is not a buffer");
			return pem("CERTIFICATE", bytes);
		};
		const chain = certificates.map(toPem);
		const authorities = Array.isArray(clientAuthorities) ? clientAuthorities.map(toPem) : [];
		const context = tls.createSecureContext({
			cert: chain.join(""),
			...(authorities.length ? { ca: authorities.join(""), sigalgs: "RSA+SHA256" } : {}),
			key: privateKey.export({ format: "pem", type: "pkcs8" }),
			minVersion: "TLSv1.2",
			maxVersion: "TLSv1.2",
			ciphers: kCiphers,
			honorCipherOrder: true,
			// No resumption: neither tickets nor a session cache.
			secureOptions: crypto.constants.SSL_OP_NO_TICKET,
		});
		const identity = new realm.global.Object();
		identities.set(identity, { context, authorities: authorities.map((text) => new crypto.X509Certificate(text)) });
		return identity;
	}

	interface State {
		channel: Channel;
		tls: tls.TLSSocket;
		wire: Duplex;
		callbacks: Callbacks;
		open: boolean;
		ended: boolean;
		reported: boolean;
		/** What the application may write now (the channel's budget less what its records will take). */
		budget: number;
		macSize: number;
		/** Ciphertext waiting for the channel's budget. */
		outgoing: Array<{ bytes: Buffer; done: (error?: Error | null) => void }>;
		/** The check of the client's certificate, when one is required, until it is made. */
		clientCheck: ClientCertificateCheck | undefined;
		/** Whether TLS has written anything (an alert of its own, or the handshake). */
		wrote: boolean;
		/** Plaintext records not yet read by the application; the first one is being read. */
		records: Buffer[];
		/** The memory budget (a realm object). */
		memory: { admits(count: number): boolean; whenRoom(waiter: object): void } | undefined;
		/** What the budget calls back once it has room (made once: the budget keeps it). */
		waiter?: object;
		position: number;
		delivering: boolean;
	}
	const states = new WeakMap<object, State>();

	function stateOf(socket: object): State {
		const state = states.get(socket);
		if (!state) throw closedError(realm);
		return state;
	}

	class TLSServerSocket {
		constructor(options: Record<string, unknown>) {
			const from = options?.from as object | undefined;
			const channel = from && typeof from === "object" ? channels.get(from) : undefined;
			if (!channel) throw closedError(realm);
			const identity = identities.get(options.identity as object);
			if (!identity) throw realmError(realm, "TypeError", "options.identity: not from prepareIdentity()");
			channels.delete(from!);
			if ("nodelay" in options) channel.socket.setNoDelay(Boolean(options.nodelay));
			const callbacks: Callbacks = {
				onReadable: callbackOption(realm, options, "onReadable"),
				onWritable: callbackOption(realm, options, "onWritable"),
				onError: callbackOption(realm, options, "onError"),
			};
			const wire = new Duplex({
				read() {},
				write: (bytes: Buffer, _encoding, done) => {
					state.wrote = true;
					state.outgoing.push({ bytes, done });
					flush(state);
				},
			});
			const socket = new tls.TLSSocket(wire as unknown as import("node:net").Socket, {
				isServer: true,
				secureContext: identity.context,
				requestCert: identity.authorities.length > 0,
				rejectUnauthorized: identity.authorities.length > 0,
			});
			const state: State = { channel, tls: socket, wire, callbacks, open: false, ended: false, reported: false, budget: 0, macSize: 20, outgoing: [], clientCheck: identity.authorities.length ? new ClientCertificateCheck(identity.authorities) : undefined, wrote: false, records: [], memory: (options.budget ?? undefined) as State["memory"], position: 0, delivering: false };
			states.set(this, state);
			const owner = this;

			socket.on("secure", () => {
				// What the check above let through, OpenSSL judged too; Node leaves refusing to its
				// tls.Server (onServerSocketSecure), which a bare TLSSocket has not.
				const verifyError = identity.authorities.length ? (socket as unknown as { _handle?: { verifyError(): Error | null } })._handle?.verifyError() : null;
				if (verifyError) return end(owner, state, `TLS: ${verifyError.message} during the handshake`);
				state.open = true;
				state.macSize = /SHA256/.test(socket.getCipher()?.standardName ?? "") ? 32 : 20;
				granted(owner, state);
			});
			socket.on("data", (record: Buffer) => {
				state.records.push(record);
				socket.pause();
				deliver(owner, state);
			});
			socket.on("error", (error: Error & { reason?: string }) => {
				// Bytes that are not TLS (plain HTTP, garbage): OpenSSL closes without an alert;
				// the firmware's socket sends decode_error.
				if (!state.open && !state.wrote && !channel.error && channel.bytesWritable >= 7) channel.write(Buffer.from([0x15, 3, 3, 0, 2, 2, 50]));
				end(owner, state, `TLS: ${error.reason ?? error.message}${state.open ? "" : " during the handshake"}`);
			});
			socket.on("end", () => end(owner, state, undefined));
			socket.on("close", () => end(owner, state, state.open ? undefined : "TLS: the connection ended during the handshake"));

			channel.attach(this, {
				onReadable: () => pull(owner, state),
				onWritable: () => {
					flush(state);
					granted(owner, state);
				},
				onError: () => {
					if (!state.wire.destroyed) state.wire.push(null);
				},
			});
			realm.onStop(() => socket.destroy());
		}

		read(target?: unknown): unknown {
			const state = stateOf(this);
			const record = state.records[0];
			if (!record) return undefined;
			const available = record.length - state.position;
			let result: unknown;
			if (typeof target === "object" && target !== null) {
				const view = bytesOf(target);
				if (!view) throw realmError(realm, "TypeError", "not a buffer");
				const count = Math.min(view.byteLength, available);
				view.set(record.subarray(state.position, state.position + count));
				state.position += count;
				result = count;
			} else {
				const count = target === undefined ? available : Number(target);
				if (count > available) throw realmError(realm, "Error", "invalid");
				const buffer = new realm.global.ArrayBuffer(count);
				new realm.global.Uint8Array(buffer).set(record.subarray(state.position, state.position + count));
				state.position += count;
				result = buffer;
			}
			if (state.position === record.length) {
				state.records.shift();
				state.position = 0;
				// The next record from a timer, as the firmware's socket does, unless this read was
				// made inside onReadable.
				if (!state.delivering) nextTurn(() => deliver(this, state));
			}
			return result;
		}

		write(data: unknown): number | undefined {
			const state = stateOf(this);
			const bytes = bytesOf(data);
			if (!bytes) throw realmError(realm, "TypeError", "not a buffer");
			if (!state.open || bytes.length + kOverhead > state.budget) throw realmError(realm, "Error", "would block");
			if (state.channel.error) return undefined;
			state.budget -= recordSize(bytes.length, state.macSize);
			state.tls.write(Buffer.from(bytes));
			return Math.max(0, state.budget - kOverhead);
		}

		close(): void {
			const state = states.get(this);
			if (!state) return;
			states.delete(this);
			state.ended = true;
			// close_notify goes out when the channel takes it, then the connection closes.
			if (state.open && !state.channel.error) state.tls.end();
			nextTurn(() => {
				state.tls.destroy();
				state.channel.close();
			});
		}

		get remoteAddress(): string | undefined {
			return stateOf(this).channel.socket.remoteAddress?.replace(/^::ffff:/, "");
		}
	}

	// Ciphertext to the channel, within its budget; a record waits for the next grant.
	function flush(state: State) {
		const { channel, outgoing } = state;
		while (outgoing.length && !channel.done && !channel.error) {
			const head = outgoing[0];
			const size = Math.min(head.bytes.length, channel.bytesWritable);
			if (size <= 0) return;
			if (!channel.write(head.bytes.subarray(0, size))) break;
			if (size < head.bytes.length) {
				head.bytes = head.bytes.subarray(size);
				return;
			}
			outgoing.shift();
			head.done();
		}
		if (channel.done || channel.error) for (const piece of outgoing.splice(0)) piece.done();
	}

	// Ciphertext from the channel into TLS, only while the application has read every record.
	function pull(owner: object, state: State) {
		const { channel, memory } = state;
		if (state.records.length || channel.done || !channel.bytesReadable || state.ended) return;
		if (state.open && memory && !memory.admits(0)) return void memory.whenRoom((state.waiter ??= realmWaiter(owner, state)));
		const bytes = channel.read(channel.bytesReadable);
		const refusal = state.clientCheck?.inspect(bytes);
		if (state.clientCheck?.done) state.clientCheck = undefined;
		if (!refusal) return void state.wire.push(bytes);
		// A fatal alert in the clear, as the firmware's socket sends it, before TLS reads the bytes.
		if (channel.bytesWritable >= 7) channel.write(Buffer.from([0x15, 3, 3, 0, 2, 2, refusal.alert]));
		end(owner, state, `TLS: ${refusal.reason}`);
	}

	// What the budget calls back once it has room (it keeps realm objects).
	function realmWaiter(owner: object, state: State): object {
		const waiter = new realm.global.Object() as { roomAgain?: () => void };
		waiter.roomAgain = () => pull(owner, state);
		return waiter;
	}

	function granted(owner: object, state: State) {
		if (!state.open || state.ended || state.outgoing.length) return;
		state.budget = state.channel.bytesWritable;
		const onWritable = state.callbacks.onWritable;
		if (state.budget > kOverhead && onWritable && states.has(owner)) realm.invoke(onWritable, owner, state.budget - kOverhead);
	}

	function deliver(owner: object, state: State) {
		state.delivering = true;
		while (states.has(owner) && state.records.length) {
			const record = state.records[0];
			const onReadable = state.callbacks.onReadable;
			if (onReadable) realm.invoke(onReadable, owner, record.length - state.position);
			if (state.records[0] === record) break;
		}
		state.delivering = false;
		if (!states.has(owner)) return;
		if (state.records.length) return;
		state.tls.resume();
		pull(owner, state);
		if (state.ended) report(owner, state);
	}

	function end(owner: object, state: State, reason: string | undefined) {
		if (state.ended) return;
		state.ended = true;
		if (reason) realm.trace(`${reason}\n`);
		if (!state.open) {
			state.tls.destroy();
			nextTurn(() => state.channel.close());
		}
		// The records received before the end are read first.
		if (!state.records.length) report(owner, state);
	}

	function report(owner: object, state: State) {
		if (state.reported || !states.has(owner)) return;
		state.reported = true;
		const onError = state.callbacks.onError;
		if (onError) realm.invoke(onError, owner);
	}

	return { TLSServerSocket, prepareIdentity };
}

const factory: HostModuleFactory = (realm) => {
	const { TLSServerSocket, prepareIdentity } = makeModule(realm);
	return { default: TLSServerSocket, tlsServerAvailable: true, prepareIdentity };
};
export default factory;
