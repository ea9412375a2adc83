// "embedded:io/socket/tcp/tls" on Node, after the SDK's ECMA-419 TLS socket
// (examples/io/tcp/tlssocket/tlssocket.js over modules/crypt/ssl/session_419.js):
// - options: TCP {io} (required, as the SDK constructs its transport with it), address (dotted
//   IPv4), port, host (SNI and the certificate name check), secure {certificate (the CA, DER),
//   clientCertificates [DER...], clientKey (PKCS#8 DER), verify (false: no check), serverName};
// - TLS 1.2 only, curve P-256 only;
// - onWritable(count) with the TCP budget less 96 bytes of TLS overhead; write(data) puts one
//   record (data + 29 bytes with AES-GCM) against the TCP budget ("would block" past it; over 16384
//   bytes "too large") and returns what is left less 32;
// - onReadable(count) for one record's application data at a time; read(n) more than that
//   throws "invalid"; read(buffer) fills what it can;
// - a refused or broken TCP connection is onError (the reason is traced, "TLS: ..."); a failed
//   handshake (bad certificate, wrong name, an alert) is thrown, as ssl_handshake.js throws, from
//   inside a callback of the TCP socket made with the firmware's TCP.io class: unless that class
//   catches it, the firmware aborts, as XS does on the chip;
// - `this` inside the callbacks is the SDK's internal callbacks object, not the socket.
import crypto from "node:crypto";
import tls from "node:tls";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { addressOptions, carrierCallbacks, carrierOption, kBufferSize } from "./tcp.ts";
import { bytesOf, closedError, nextTurn, realmArrayBuffer, realmError } from "./realm-values.ts";

/** tlssocket.js: "96 is an estimate of TLS overhead". */
const kOverhead = 96;
/** session_419.js write(): what is left of the TCP budget, less 32. */
const kWriteReserve = 32;
/** TLS 1.2 AES-GCM record: 5-byte header, 8-byte explicit nonce, 16-byte tag. */
const kRecordOverhead = 29;
/** session_419.js maxFragmentSize (2^14). */
const kMaxFragment = 16384;

/** DER bytes as PEM text, what node:tls takes. Shared with tlsserver.ts. */
export function pem(label: string, der: Uint8Array): string {
	const base64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
	return `-----BEGIN ${label}-----\n${base64}${base64.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

function derOf(realm: RealmServices, value: unknown, what: string): Buffer {
	const bytes = bytesOf(value);
	if (!bytes) throw realmError(realm, "TypeError", `secure.${what}: not a buffer (a Resource of DER bytes)`);
	return Buffer.from(bytes);
}

function listOf(value: unknown): unknown[] {
	return Array.isArray(value) ? value : [value];
}

/** The node:tls options for the SDK's `secure` dictionary. */
function secureOptions(realm: RealmServices, host: string | undefined, secure: Record<string, unknown>): tls.ConnectionOptions {
	const verify = secure.verify ?? true;
	const serverName = secure.serverName !== undefined ? String(secure.serverName) : host;
	const options: tls.ConnectionOptions = {
		minVersion: "TLSv1.2",
		maxVersion: "TLSv1.2",
		ecdhCurve: "P-256",
		rejectUnauthorized: Boolean(verify),
		servername: serverName,
	};
	if (secure.certificate !== undefined)
		options.ca = listOf(secure.certificate).map((der, i) => pem("CERTIFICATE", derOf(realm, der, `certificate[${i}]`)));
	if (secure.clientCertificates !== undefined)
		options.cert = listOf(secure.clientCertificates).map((der, i) => pem("CERTIFICATE", derOf(realm, der, `clientCertificates[${i}]`))).join("");
	if (secure.clientKey !== undefined) {
		const der = derOf(realm, secure.clientKey, "clientKey");
		let key: crypto.KeyObject;
		try {
			key = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
		} catch (error) {
			throw realmError(realm, "Error", `TLS: secure.clientKey is not an unencrypted PKCS#8 DER key (${(error as Error).message})`);
		}
		if (key.asymmetricKeyType !== "rsa")
			throw realmError(realm, "Error", `TLS: ${key.asymmetricKeyType === "ec" ? "EC" : key.asymmetricKeyType} client keys are not supported by the SDK's TLS (only RSA client keys work)`);
		options.key = pem("PRIVATE KEY", der);
	}
	if (verify) {
		// ssl_cert.js verify(): no server name, no verification.
		options.checkServerIdentity = (_name, certificate) => {
			if (!serverName) return new Error("tls_server_name required");
			return tls.checkServerIdentity(serverName, certificate);
		};
	}
	return options;
}

function makeTLSSocket(realm: RealmServices) {
	interface State {
		socket: tls.TLSSocket;
		callbacks: Record<string, ((...args: any[]) => unknown) | undefined>;
		ready: boolean;
		failed: boolean;
		errorReported: boolean;
		tcpWritable: number;
		records: Buffer[];
		data: Buffer | undefined;
		position: number;
		format: "buffer" | "number";
		nextRecordScheduled: boolean;
	}
	const states = new WeakMap<object, State>();

	function stateOf(socket: object): State {
		const state = states.get(socket);
		if (!state) throw closedError(realm);
		return state;
	}

	function call(state: State, name: string, ...args: unknown[]) {
		const callback = state.callbacks[name];
		if (typeof callback === "function" && states.has(ownerOf.get(state)!)) realm.invoke(callback, state.callbacks, ...args);
	}
	const ownerOf = new WeakMap<State, object>();

	// tlssocket.js #messageHandler: one record's data at a time, the next one once it is read.
	function nextRecord(state: State) {
		if (state.data) return;
		const record = state.records.shift();
		if (record) {
			state.data = record;
			state.position = 0;
			call(state, "onReadable", record.length);
		} else if (state.failed && !state.errorReported) {
			// The records received before the failure are read first, as the SDK reads in order.
			state.errorReported = true;
			call(state, "onError");
		}
	}

	function fail(state: State, reason: string | undefined) {
		if (state.failed) return;
		state.failed = true;
		if (reason) realm.trace(`TLS: ${reason}\n`);
		nextTurn(() => nextRecord(state));
	}

	function writable(state: State) {
		if (!state.ready || state.failed || state.socket.writableLength) return;
		state.tcpWritable = kBufferSize;
		if (state.tcpWritable > kOverhead) call(state, "onWritable", state.tcpWritable - kOverhead);
	}

	return class TLSSocket {
		constructor(options: Record<string, unknown>) {
			const TCP = (options?.TCP as { io?: unknown } | undefined)?.io;
			if (typeof TCP !== "function") throw realmError(realm, "TypeError", "options.TCP.io: not a constructor");
			const { address, port } = addressOptions(realm, options);
			const host = options.host !== undefined ? String(options.host) : undefined;
			const secure = (options.secure ?? {}) as Record<string, unknown>;
			const callbacks = new realm.global.Object() as State["callbacks"];
			callbacks.onReadable = options.onReadable as State["callbacks"][string];
			callbacks.onWritable = options.onWritable as State["callbacks"][string];
			callbacks.onError = options.onError as State["callbacks"][string];
			// tlssocket.js: `new options.TCP.io({...options, onReadable, onWritable, onError})`; the
			// SDK's TLS stack runs inside those callbacks.
			let handshakeFailure: unknown;
			const thrower = () => {
				if (handshakeFailure) throw handshakeFailure;
			};
			const carrier = new (TCP as new (options: object) => object)({
				...options,
				onReadable: thrower,
				onWritable: thrower,
				onError: thrower,
				[carrierOption]: true,
			});
			const socket = tls.connect({ host: address, port, ...secureOptions(realm, host, secure) });
			const state: State = { socket, callbacks, ready: false, failed: false, errorReported: false, tcpWritable: 0, records: [], data: undefined, position: 0, format: "buffer", nextRecordScheduled: false };
			states.set(this, state);
			ownerOf.set(state, this);
			realm.onStop(() => socket.destroy());

			socket.on("secureConnect", () => {
				state.ready = true;
				writable(state);
			});
			socket.on("data", (record: Buffer) => {
				state.records.push(record);
				nextRecord(state);
			});
			socket.on("drain", () => writable(state));
			socket.on("error", (error: Error & { code?: string }) => {
				const connecting = ["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"].includes(error.code ?? "");
				if (state.ready || connecting) return fail(state, error.message);
				// The handshake failed: thrown inside the transport's callback (see the top).
				state.failed = state.errorReported = true;
				socket.destroy();
				handshakeFailure = realmError(realm, "Error", `TLS: ${error.message}`);
				const onReadable = carrierCallbacks(carrier)?.onReadable;
				if (onReadable) realm.invoke(onReadable, carrier, 1);
			});
			// session_419.js read(): close_notify (or the TCP stream ending) is onError.
			socket.on("end", () => fail(state, undefined));
			socket.on("close", () => fail(state, undefined));
		}

		close() {
			const state = states.get(this);
			if (!state) return;
			states.delete(this);
			// tlssocket.js close(): the TCP socket closes, no close_notify.
			const socket = state.socket;
			if (socket.writableLength === 0) socket.destroy();
			else socket.once("drain", () => socket.destroy());
		}

		read(count?: unknown): unknown {
			const state = stateOf(this);
			const data = state.data;
			if (!data) return undefined;
			const available = data.length - state.position;
			let result: unknown;
			if (state.format === "number") result = data[state.position++];
			else if (count === undefined) {
				result = realmArrayBuffer(realm, data.subarray(state.position));
				state.position = data.length;
			} else if (typeof count === "object" && count !== null) {
				const target = bytesOf(count);
				if (!target) throw realmError(realm, "TypeError", "not a buffer");
				const length = Math.min(target.byteLength, available);
				target.set(data.subarray(state.position, state.position + length));
				state.position += length;
				result = length;
			} else {
				const wanted = Number(count);
				if (wanted > available) throw realmError(realm, "Error", "invalid");
				result = realmArrayBuffer(realm, data.subarray(state.position, state.position + wanted));
				state.position += wanted;
			}
			if (state.position >= data.length) {
				state.data = undefined;
				// tlssocket.js: the next record is read from a Timer, after this call returns.
				if ((state.records.length || state.failed) && !state.nextRecordScheduled) {
					state.nextRecordScheduled = true;
					nextTurn(() => {
						state.nextRecordScheduled = false;
						if (states.has(this)) nextRecord(state);
					});
				}
			}
			return result;
		}

		write(buffer: unknown, _options?: unknown): number {
			const state = stateOf(this);
			const bytes = bytesOf(buffer);
			if (!bytes) throw realmError(realm, "TypeError", "not a buffer");
			if (bytes.length > kMaxFragment) throw realmError(realm, "Error", "too large");
			const record = bytes.length + kRecordOverhead;
			// The record goes to the TCP socket, whose budget it must fit (lin tcp.c xs_tcp_write).
			if (!state.ready || record > state.tcpWritable) throw realmError(realm, "Error", "would block");
			state.tcpWritable -= record;
			if (!state.socket.destroyed && !state.socket.writableEnded)
				state.socket.write(Buffer.from(bytes), () => writable(state));
			return Math.max(0, state.tcpWritable - kWriteReserve);
		}

		get format(): string {
			return stateOf(this).format;
		}

		set format(value: string) {
			if (value !== "buffer" && value !== "number") throw new realm.global.RangeError();
			stateOf(this).format = value;
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makeTLSSocket(realm) });
export default factory;
