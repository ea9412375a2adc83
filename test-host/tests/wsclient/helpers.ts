// Shared by the client tests: the firmware's WebSocketClient running in the host runtime (the
// probe fixture reports its callbacks as "probe {json}" trace lines), and waits on what it reports.
import crypto from "node:crypto";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FirmwareRealm, type FirmwareAbort } from "../../runtime/realm.ts";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

export type ProbeEvent =
	| { event: "open"; subprotocol: string | null; self: boolean }
	| { event: "message"; text?: string; hex?: string }
	| { event: "chunk"; opcode: number; fin: boolean; frameLength: number; offset: number; hex: string }
	| { event: "close"; code: number; reason: string; wasClean: boolean }
	| { event: "error"; kind: string; message: string; status: number; closeCode: number }
	| { event: "state"; state: number };

/** ESP-AT §3.9 link states, as the client reports them. */
export const Stopped = 0;
export const Connecting = 1;
export const Connected = 2;
export const WaitingToReconnect = 3;
export const Closing = 4;

export interface Probe {
	realm: FirmwareRealm;
	/** Every trace line, probe events included. */
	traces: string[];
	/** The probe's events, in order. */
	events: ProbeEvent[];
	aborts: FirmwareAbort[];
	/** The probe module (fixtures/probe.ts). */
	client: any;
	/** The app probe module (fixtures/app-probe.ts). */
	app: any;
	/** Resolves with the count-th event matching (counting from 1), now or when it comes. */
	next<T extends ProbeEvent["event"]>(type: T, count?: number, where?: (event: Extract<ProbeEvent, { event: T }>) => boolean): Promise<Extract<ProbeEvent, { event: T }>>;
	/** Resolves once a trace line matches. */
	traced(pattern: RegExp): Promise<string>;
	/** The states reported so far. */
	states(): number[];
	stop(): void;
}

export async function startProbe(config: Record<string, unknown> = {}): Promise<Probe> {
	const traces: string[] = [];
	const events: ProbeEvent[] = [];
	const aborts: FirmwareAbort[] = [];
	const waiters = new Set<() => void>();
	const realm = await FirmwareRealm.create({
		manifest: path.join(fixtures, "manifest.json"),
		config,
		trace(line) {
			traces.push(line);
			if (line.startsWith("probe ")) events.push(JSON.parse(line.slice(6)));
			for (const waiter of [...waiters]) waiter();
		},
		onAbort(abort) {
			aborts.push(abort);
			for (const waiter of [...waiters]) waiter();
		},
	});
	const client = await realm.import("probe");
	const app = await realm.import("app-probe");
	function wait<T>(check: () => T | undefined): Promise<T> {
		return new Promise((resolve, reject) => {
			const waiter = () => {
				if (aborts.length) {
					waiters.delete(waiter);
					reject(aborts[0]);
					return;
				}
				const result = check();
				if (result === undefined) return;
				waiters.delete(waiter);
				resolve(result);
			};
			waiters.add(waiter);
			waiter();
		});
	}
	return {
		realm,
		traces,
		events,
		aborts,
		client,
		app,
		next(type, count = 1, where = () => true) {
			return wait(() => events.filter((event) => event.event === type && where(event as never))[count - 1] as never);
		},
		traced(pattern) {
			return wait(() => traces.find((line) => pattern.test(line)));
		},
		states() {
			return events.flatMap((event) => (event.event === "state" ? [event.state] : []));
		},
		stop() {
			realm.stop();
		},
	};
}

/** The options the probe passes to new WebSocketClient, as JSON. */
export function options(url: string, more: Record<string, unknown> = {}): string {
	return JSON.stringify({ url, ...more });
}

/** Lets whatever is already under way happen (a few turns of the event loop and the network). */
export function settle(ms = 100): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A WebSocket server written by hand for what real servers never do (not answering pings,
 *  choosing a subprotocol nobody offered): it reads the upgrade request and leaves the rest to
 *  the test. `frames` collects the raw bytes the client sent after the request. */
export interface RawServer {
	port: number;
	url: string;
	connections: RawConnection[];
	waitForConnection(count?: number): Promise<RawConnection>;
	close(): Promise<void>;
}

export interface RawConnection {
	socket: net.Socket;
	request: string;
	key: string;
	/** Bytes received after the request head. */
	received: Buffer;
	/** Resolves once `received` holds at least `length` bytes. */
	receivedAtLeast(length: number): Promise<Buffer>;
	/** Writes a 101 answer with the right Sec-WebSocket-Accept and any extra header lines. */
	accept(extraHeaders?: string[]): void;
}

export async function startRawServer(): Promise<RawServer> {
	const connections: RawConnection[] = [];
	const waiters = new Set<() => void>();
	const notify = () => {
		for (const waiter of [...waiters]) waiter();
	};
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
		socket.on("error", () => {});
		let head = Buffer.alloc(0);
		let connection: RawConnection | undefined;
		socket.on("data", (chunk) => {
			if (connection) {
				connection.received = Buffer.concat([connection.received, chunk]);
				notify();
				return;
			}
			head = Buffer.concat([head, chunk]);
			const end = head.indexOf("\r\n\r\n");
			if (end < 0) return;
			const request = head.subarray(0, end).toString("latin1");
			const key = /^sec-websocket-key: *(.*)$/im.exec(request)?.[1].trim() ?? "";
			connection = {
				socket,
				request,
				key,
				received: head.subarray(end + 4),
				receivedAtLeast(length) {
					return new Promise((resolve) => {
						const waiter = () => {
							if (this.received.length < length) return;
							waiters.delete(waiter);
							resolve(this.received);
						};
						waiters.add(waiter);
						waiter();
					});
				},
				accept(extraHeaders = []) {
					const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
					socket.write(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${accept}`, ...extraHeaders, "", ""].join("\r\n"));
				},
			};
			connections.push(connection);
			notify();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as net.AddressInfo).port;
	return {
		port,
		url: `ws://127.0.0.1:${port}/`,
		connections,
		waitForConnection(count = 1) {
			return new Promise((resolve) => {
				const waiter = () => {
					if (connections.length < count) return;
					waiters.delete(waiter);
					resolve(connections[count - 1]);
				};
				waiters.add(waiter);
				waiter();
			});
		},
		close() {
			return new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const socket of sockets) socket.destroy();
			});
		},
	};
}

/** The frames in a byte stream a client sent (RFC 6455 §5.2), unmasked. */
export function parseClientFrames(bytes: Buffer): Array<{ fin: boolean; opcode: number; masked: boolean; payload: Buffer }> {
	const frames = [];
	let offset = 0;
	while (offset + 2 <= bytes.length) {
		const fin = (bytes[offset] & 0x80) !== 0;
		const opcode = bytes[offset] & 0x0f;
		const masked = (bytes[offset + 1] & 0x80) !== 0;
		let length = bytes[offset + 1] & 0x7f;
		let position = offset + 2;
		if (length === 126) {
			length = bytes.readUInt16BE(position);
			position += 2;
		} else if (length === 127) {
			length = Number(bytes.readBigUInt64BE(position));
			position += 8;
		}
		const mask = masked ? bytes.subarray(position, position + 4) : undefined;
		if (masked) position += 4;
		if (position + length > bytes.length) break;
		const payload = Buffer.from(bytes.subarray(position, position + length));
		if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
		frames.push({ fin, opcode, masked, payload });
		offset = position + length;
	}
	return frames;
}
