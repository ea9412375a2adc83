// A WebSocket client on a bare TCP socket, for what well-behaved clients never do: malformed
// handshakes, malformed frames, one byte per segment, a client that never reads. Frames are made
// by Node ws's Sender and the server's frames are decoded by ws's Receiver, so the bytes are
// judged by an implementation this project did not write.
import crypto from "node:crypto";
import net from "node:net";
import * as wsPackage from "ws";

// ws exports its frame codec (lib/sender.js, lib/receiver.js) as Sender and Receiver; @types/ws
// does not describe them.
const { Sender, Receiver } = wsPackage as unknown as { Sender: any; Receiver: any };

export const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export type Received =
	| { type: "message"; data: Buffer; isBinary: boolean }
	| { type: "ping" | "pong"; data: Buffer }
	| { type: "close"; code: number; reason: string }
	| { type: "error"; message: string };

export interface FrameOptions {
	fin?: boolean;
	mask?: boolean;
	rsv1?: boolean;
}

/** One frame's bytes, as ws's Sender writes them (masked unless mask: false). */
export function frame(opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
	const data = typeof payload === "string" ? Buffer.from(payload) : payload;
	const parts: Buffer[] = Sender.frame(data, {
		fin: options.fin ?? true,
		mask: options.mask ?? true,
		maskBuffer: crypto.randomBytes(4),
		opcode,
		readOnly: true, // otherwise Sender masks the caller's payload in place
		rsv1: options.rsv1 ?? false,
	});
	return Buffer.concat(parts);
}

export function upgradeRequest(host: string, port: number, path = "/ws", headers: Record<string, string> = {}): { bytes: Buffer; key: string } {
	const key = crypto.randomBytes(16).toString("base64");
	const all: Record<string, string> = {
		Host: `${host}:${port}`,
		Upgrade: "websocket",
		Connection: "Upgrade",
		"Sec-WebSocket-Key": key,
		"Sec-WebSocket-Version": "13",
		...headers,
	};
	const lines = [`GET ${path} HTTP/1.1`, ...Object.entries(all).filter(([, v]) => v !== "").map(([k, v]) => `${k}: ${v}`)];
	return { bytes: Buffer.from(lines.join("\r\n") + "\r\n\r\n"), key };
}

export function expectedAccept(key: string): string {
	return crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
}

/** A TCP connection that collects everything the server sends. */
export class RawConnection {
	readonly socket: net.Socket;
	received: Buffer = Buffer.alloc(0);
	ended = false;
	#waiters: Array<() => void> = [];

	private constructor(socket: net.Socket) {
		this.socket = socket;
		socket.on("data", (chunk) => {
			this.received = Buffer.concat([this.received, chunk]);
			this.#wake();
		});
		socket.on("close", () => {
			this.ended = true;
			this.#wake();
		});
		socket.on("error", () => {});
	}

	static connect(host: string, port: number): Promise<RawConnection> {
		return new Promise((resolve, reject) => {
			const socket = net.connect({ host, port, noDelay: true }, () => resolve(new RawConnection(socket)));
			socket.once("error", reject);
		});
	}

	#wake() {
		for (const waiter of this.#waiters.splice(0)) waiter();
	}

	/** Waits until the condition holds over what was received (or the connection ended). */
	async until(condition: () => boolean, timeoutMs = 10_000, what = "data"): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!condition()) {
			if (this.ended) throw new Error(`the connection ended before ${what}; received: ${JSON.stringify(this.received.toString("latin1").slice(0, 300))}`);
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.received.toString("latin1").slice(0, 300))}`);
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, left);
				this.#waiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	write(bytes: Buffer | string): Promise<void> {
		return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(error) : resolve())));
	}

	/** Writes one byte per TCP segment (Nagle is off; each write waits for the previous). */
	async writeBytewise(bytes: Buffer): Promise<void> {
		for (const byte of bytes) {
			await this.write(Buffer.of(byte));
			await new Promise((resolve) => setImmediate(resolve));
		}
	}

	/** Waits for the end of the HTTP response head; returns its status, headers and the bytes after. */
	async response(timeoutMs = 10_000): Promise<{ status: number; headers: Record<string, string>; head: string; rest: Buffer }> {
		await this.until(() => this.received.includes("\r\n\r\n"), timeoutMs, "an HTTP response");
		const end = this.received.indexOf("\r\n\r\n") + 4;
		const head = this.received.subarray(0, end).toString("latin1");
		const [statusLine, ...lines] = head.trimEnd().split("\r\n");
		const headers: Record<string, string> = {};
		for (const line of lines) {
			const colon = line.indexOf(":");
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
		}
		return { status: Number(statusLine.split(" ")[1]), headers, head, rest: this.received.subarray(end) };
	}

	/** Opens a WebSocket: sends the upgrade request, checks the 101 and its Sec-WebSocket-Accept. */
	async upgrade(host: string, port: number, path = "/ws"): Promise<void> {
		const request = upgradeRequest(host, port, path);
		await this.write(request.bytes);
		const response = await this.response();
		if (response.status !== 101) throw new Error(`expected 101, got ${response.head}`);
		if (response.headers["sec-websocket-accept"] !== expectedAccept(request.key)) throw new Error("wrong Sec-WebSocket-Accept");
		this.received = response.rest;
	}

	/** Decodes the server's frames received so far (the connection is past its handshake). */
	frames(): Received[] {
		const events: Received[] = [];
		const receiver = new Receiver({ isServer: false, maxPayload: 0 });
		receiver.on("message", (data: Buffer, isBinary: boolean) => events.push({ type: "message", data, isBinary }));
		receiver.on("ping", (data: Buffer) => events.push({ type: "ping", data }));
		receiver.on("pong", (data: Buffer) => events.push({ type: "pong", data }));
		receiver.on("conclude", (code: number, reason: Buffer) => events.push({ type: "close", code, reason: reason.toString() }));
		receiver.on("error", (error: Error) => events.push({ type: "error", message: error.message }));
		receiver.write(this.received);
		return events;
	}

	/** Waits until the server's frames include one that matches. */
	async waitForFrame(match: (event: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
		let found: Received | undefined;
		await this.until(() => (found = this.frames().find(match)) !== undefined, timeoutMs, "a matching frame");
		return found!;
	}

	/** Waits until the server closes the TCP connection. */
	async closed(timeoutMs = 10_000): Promise<void> {
		await this.until(() => false, timeoutMs, "the server to close").catch((error) => {
			if (!this.ended) throw error;
		});
	}

	destroy() {
		this.socket.destroy();
	}
}
