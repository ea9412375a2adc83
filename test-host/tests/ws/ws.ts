// Shared by the ws core tests: loads modules/ws into a firmware realm and turns what the core
// hands back (objects of the realm) into plain host values that node:assert can compare.
import path from "node:path";
import { FirmwareRealm, projectRoot } from "../../runtime/realm.ts";

export async function loadWs() {
	const realm = await FirmwareRealm.create({ manifest: path.join(projectRoot, "modules/ws/manifest.json"), trace: () => {} });
	// One import at a time: the realm links a module graph per import() call.
	const modules: any[] = [];
	for (const name of ["protocol", "server", "client", "frame", "http", "handshake", "close", "utf8", "uri", "errors", "budget"]) modules.push(await realm.import(`ws/${name}`));
	const [protocol, server, client, frame, http, handshake, close, utf8, uri, errors, budget] = modules;
	return { realm, protocol, server, client, frame, http, handshake, close, utf8, uri, errors, budget, State: protocol.State, Opcode: frame.Opcode };
}

export type Ws = Awaited<ReturnType<typeof loadWs>>;

/** A random(count) that repeats the given bytes (e.g. the RFC 6455 §5.7 masking key). */
export function repeating(bytes: number[]): (count: number) => Uint8Array {
	return (count) => Uint8Array.from({ length: count }, (_, i) => bytes[i % bytes.length]);
}

export const zeroRandom = repeating([0]);

export function hex(text: string): Uint8Array {
	return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
}

export function ascii(text: string): Uint8Array {
	return Uint8Array.from(Buffer.from(text, "latin1"));
}

export function concat(...parts: ArrayLike<number>[]): Uint8Array {
	return Uint8Array.from(Buffer.concat(parts.map((part) => Uint8Array.from(part))));
}

/** Everything the core wants written, as one host byte array. */
export function output(protocol: any): Uint8Array {
	return concat(...Array.from(protocol.dataToSend() as ArrayLike<Uint8Array>));
}

/** The core's events as plain host values. */
export function events(protocol: any): any[] {
	return plain(protocol.eventsReceived());
}

export function plain(value: any): any {
	if (typeof value !== "object" || value === null) return value;
	if (ArrayBuffer.isView(value)) return Uint8Array.from(value as Uint8Array);
	const kind = Object.prototype.toString.call(value);
	if (kind === "[object ArrayBuffer]") return Uint8Array.from(new Uint8Array(value));
	if (kind === "[object Error]") return { name: value.name, message: value.message, closeCode: value.closeCode };
	if (Array.isArray(value)) return Array.from(value, plain);
	return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
}

/** A frame as RFC 6455 §5.2 lays it out, built by the test itself (independent of the encoder). */
export function frameBytes(opcode: number, payload: ArrayLike<number>, options: { fin?: boolean; mask?: number[]; rsv?: number } = {}): Uint8Array {
	const fin = options.fin ?? true;
	const length = payload.length;
	const header = [(fin ? 0x80 : 0) | (options.rsv ?? 0) | opcode];
	const maskBit = options.mask ? 0x80 : 0;
	if (length < 126) header.push(maskBit | length);
	else if (length < 65536) header.push(maskBit | 126, length >> 8, length & 0xff);
	else {
		header.push(maskBit | 127);
		const big = BigInt(length);
		for (let i = 7; i >= 0; i--) header.push(Number((big >> BigInt(8 * i)) & 0xffn));
	}
	const body = Uint8Array.from(payload);
	if (options.mask) {
		header.push(...options.mask);
		for (let i = 0; i < body.length; i++) body[i] ^= options.mask[i % 4];
	}
	return concat(header, body);
}

export const clientMask = [0x37, 0xfa, 0x21, 0x3d];

/** The close frame a server (unmasked) sends with this code. */
export function serverClose(code?: number, reason = ""): Uint8Array {
	if (code === undefined) return hex("8800");
	return frameBytes(8, concat([code >> 8, code & 0xff], Buffer.from(reason)));
}
