// A WebSocket echo server on Node's `ws`, the peer the firmware's client is tested against. Besides
// echoing, it can misbehave on purpose in the ways a client must survive: split its frames over
// many TCP segments, ping, close with a chosen code, and answer the opening handshake wrongly.
//
//   node --import tsx test-host/servers/echo-server.ts --port 9000 --tls rsa
//
// The first line it prints is "listening HOST PORT", as the Python servers do.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { TLSSocket } from "node:tls";
import { WebSocketServer, type WebSocket } from "ws";

const certs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../certs");

// RFC 6455 §1.3: the GUID the server appends to Sec-WebSocket-Key to form Sec-WebSocket-Accept.
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** How the server answers the opening handshake (RFC 6455 §4.2.2). */
export type HandshakeMode =
	| "accept" // a correct 101 Switching Protocols
	| "wrong-accept" // a 101 whose Sec-WebSocket-Accept does not match the key (§4.1: client must fail)
	| "silent" // reads the request and never answers
	| { status: number }; // an HTTP response that is not 101, e.g. 403, then closes

/**
 * The certificate a wss:// server presents, with its chain, from certs/: "rsa" and "ec" are the
 * good ones; "expired", "wronghost" (DNS:wrong.example only) and "other" (signed by an unrelated
 * CA) are for tests that a client refuses them.
 */
export type ServerCertificate = "rsa" | "ec" | "expired" | "wronghost" | "other";
export const serverCertificates: readonly ServerCertificate[] = ["rsa", "ec", "expired", "wronghost", "other"];

export interface EchoServerOptions {
	/** TCP port; 0 (the default) lets the system pick one. */
	port?: number;
	/** Address to bind; default 127.0.0.1. */
	host?: string;
	/** wss:// with this certificate from certs/, sending the chain (leaf + CA). */
	tls?: ServerCertificate;
	/** Mutual TLS: refuse clients without a certificate signed by certs/ca.pem. Needs tls. */
	requireClientCert?: boolean;
	/** Subprotocols the server speaks; it picks the first the client offers (RFC 6455 §4.2.2). */
	subprotocols?: string[];
	/** After echoing this many messages on a connection, start the closing handshake. */
	closeAfter?: { messages: number; code: number; reason?: string };
	/** Send a Ping with this payload right after the handshake. */
	pingOnOpen?: string;
	/** Write every byte sent after the 101 in segments of at most this many bytes (1 = byte by byte). */
	segmentSize?: number;
	/** With segmentSize: also split the 101 response itself. */
	splitHandshake?: boolean;
	/** With segmentSize: milliseconds to wait between segments; default 0 (one event-loop turn). */
	segmentGapMs?: number;
	handshake?: HandshakeMode;
}

export type EchoEvent =
	| { type: "request"; path: string; headers: http.IncomingHttpHeaders }
	| { type: "open"; protocol: string; clientCertificate?: string }
	| { type: "message"; data: Buffer; isBinary: boolean }
	| { type: "pong"; data: Buffer }
	| { type: "close"; code: number; reason: string };

export interface EchoServer {
	port: number;
	host: string;
	/** ws://HOST:PORT/ or wss://HOST:PORT/ */
	url: string;
	/** Everything that happened, in order, across connections. */
	readonly events: EchoEvent[];
	/** Resolves with the count-th event of this type (counting from 1), now or when it happens. */
	waitFor<T extends EchoEvent["type"]>(type: T, count?: number): Promise<Extract<EchoEvent, { type: T }>>;
	/** Pings every open connection; returns how many were pinged. */
	ping(payload?: string | Uint8Array): number;
	/** Stops listening and destroys every connection. */
	close(): Promise<void>;
}

/** The files a wss:// server with this certificate loads. */
export function certificateFiles(kind: ServerCertificate) {
	return {
		chain: path.join(certs, `server-${kind}-chain.pem`),
		key: path.join(certs, `server-${kind}-key.pem`),
		ca: path.join(certs, "ca.pem"),
	};
}

export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
	const host = options.host ?? "127.0.0.1";
	const handshake = options.handshake ?? "accept";
	if (options.requireClientCert && !options.tls) throw new Error("requireClientCert needs tls");
	if (options.segmentSize !== undefined && !(options.segmentSize >= 1)) throw new Error("segmentSize must be >= 1");

	const events: EchoEvent[] = [];
	const waiters: Array<() => void> = [];
	const record = (event: EchoEvent) => {
		events.push(event);
		for (const waiter of [...waiters]) waiter();
	};
	const sockets = new Set<Duplex>();
	const clients = new Set<WebSocket>();

	let server: http.Server | https.Server;
	if (options.tls) {
		const files = certificateFiles(options.tls);
		server = https.createServer({
			cert: fs.readFileSync(files.chain), // leaf + CA: Moddable's TLS needs the chain
			key: fs.readFileSync(files.key),
			ca: fs.readFileSync(files.ca),
			requestCert: options.requireClientCert ?? false,
			rejectUnauthorized: options.requireClientCert ?? false,
			minVersion: "TLSv1.2", // Moddable speaks TLS 1.2 only
		});
	} else {
		server = http.createServer();
	}
	// A plain HTTP request (no Upgrade) gets 426 Upgrade Required: this server speaks only WebSocket.
	server.on("request", (_request, response) => {
		response.writeHead(426, { "Content-Type": "text/plain", Connection: "close" });
		response.end("WebSocket only\n");
	});
	server.on("connection", (socket: Duplex) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});
	server.on("secureConnection", (socket: TLSSocket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});

	const wss = new WebSocketServer({
		noServer: true,
		clientTracking: false,
		handleProtocols: (offered) => options.subprotocols?.find((name) => offered.has(name)) ?? false,
	});

	server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
		record({ type: "request", path: request.url ?? "", headers: request.headers });
		socket.on("error", () => socket.destroy());
		if (options.segmentSize && options.splitHandshake) splitWrites(socket, options.segmentSize, options.segmentGapMs ?? 0);

		if (handshake === "silent") return; // keep the socket, say nothing
		if (typeof handshake === "object") {
			const reason = http.STATUS_CODES[handshake.status] ?? "Status";
			socket.end(`HTTP/1.1 ${handshake.status} ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
			return;
		}
		if (handshake === "wrong-accept") {
			const key = String(request.headers["sec-websocket-key"] ?? "");
			// Digest of the key with the wrong GUID: well-formed base64, wrong value.
			const wrong = crypto.createHash("sha1").update(key + GUID.toLowerCase()).digest("base64");
			socket.write(
				"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
					`Sec-WebSocket-Accept: ${wrong}\r\n\r\n`,
			);
			return;
		}

		wss.handleUpgrade(request, socket, head, (ws) => {
			if (options.segmentSize && !options.splitHandshake) splitWrites(socket, options.segmentSize, options.segmentGapMs ?? 0);
			clients.add(ws);
			const commonName = (socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
			record({ type: "open", protocol: ws.protocol, clientCertificate: [commonName ?? []].flat()[0] });
			let echoed = 0;
			ws.on("message", (data: Buffer, isBinary: boolean) => {
				record({ type: "message", data, isBinary });
				ws.send(data, { binary: isBinary });
				echoed++;
				const closeAfter = options.closeAfter;
				if (closeAfter && echoed === closeAfter.messages) ws.close(closeAfter.code, closeAfter.reason);
			});
			ws.on("pong", (data: Buffer) => record({ type: "pong", data }));
			ws.on("close", (code: number, reason: Buffer) => {
				clients.delete(ws);
				record({ type: "close", code, reason: reason.toString() });
			});
			ws.on("error", () => {}); // a protocol error closes the connection; "close" records it
			if (options.pingOnOpen !== undefined) ws.ping(options.pingOnOpen);
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const port = (server.address() as { port: number }).port;
	const scheme = options.tls ? "wss" : "ws";
	const urlHost = host.includes(":") ? `[${host}]` : host;

	return {
		port,
		host,
		url: `${scheme}://${urlHost}:${port}/`,
		events,
		waitFor(type, count = 1) {
			return new Promise((resolve) => {
				const check = () => {
					const matching = events.filter((event) => event.type === type);
					if (matching.length < count) return false;
					resolve(matching[count - 1] as never);
					return true;
				};
				if (check()) return;
				const waiter = () => {
					if (check()) waiters.splice(waiters.indexOf(waiter), 1);
				};
				waiters.push(waiter);
			});
		},
		ping(payload = "") {
			for (const ws of clients) ws.ping(payload);
			return clients.size;
		},
		close() {
			return new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const socket of sockets) socket.destroy();
			});
		},
	};
}

// Replaces the socket's write and end so that every write goes out in segments of at most `size`
// bytes, each one its own write that must flush before the next. With TCP_NODELAY each becomes
// its own TCP segment (its own TLS record on wss), so the client sees the stream split anywhere.
function splitWrites(socket: Duplex, size: number, gapMs: number) {
	const write = socket.write.bind(socket);
	const end = socket.end.bind(socket);
	(socket as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
	const queue: Array<{ bytes: Buffer; done?: (error?: Error | null) => void }> = [];
	let pumping = false;
	let ending = false;
	const gap = () => new Promise<void>((resolve) => (gapMs > 0 ? setTimeout(resolve, gapMs) : setImmediate(resolve)));

	async function pump() {
		pumping = true;
		while (queue.length > 0) {
			const { bytes, done } = queue.shift()!;
			try {
				for (let offset = 0; offset < bytes.length; offset += size) {
					await new Promise<void>((resolve, reject) =>
						write(bytes.subarray(offset, offset + size), (error) => (error ? reject(error) : resolve())),
					);
					await gap();
				}
				done?.(null);
			} catch (error) {
				done?.(error as Error);
				queue.length = 0;
			}
		}
		pumping = false;
		if (ending) end();
	}

	socket.write = ((chunk: string | Uint8Array, encoding?: unknown, done?: unknown) => {
		if (typeof encoding === "function") done = encoding;
		const bytes = typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8") : Buffer.from(chunk);
		queue.push({ bytes, done: done as (error?: Error | null) => void });
		if (!pumping) void pump();
		return true;
	}) as typeof socket.write;
	socket.end = ((...args: unknown[]) => {
		if (args.length > 0 && typeof args[0] !== "function") socket.write(args[0] as Buffer);
		ending = true;
		if (!pumping) end();
		return socket;
	}) as typeof socket.end;
}

function parseHandshake(value: string): HandshakeMode {
	if (value === "accept" || value === "wrong-accept" || value === "silent") return value;
	const status = Number(value);
	if (Number.isInteger(status) && status >= 100 && status <= 599 && status !== 101) return { status };
	throw new Error(`--handshake: accept, wrong-accept, silent or an HTTP status other than 101, not "${value}"`);
}

async function main() {
	const { values } = parseArgs({
		options: {
			port: { type: "string", default: "0" },
			host: { type: "string", default: "127.0.0.1" },
			tls: { type: "string" },
			"require-client-cert": { type: "boolean", default: false },
			subprotocol: { type: "string", multiple: true },
			"close-after": { type: "string" },
			"close-code": { type: "string", default: "1000" },
			"close-reason": { type: "string" },
			"ping-on-open": { type: "string" },
			"segment-size": { type: "string" },
			"split-handshake": { type: "boolean", default: false },
			"segment-gap-ms": { type: "string" },
			handshake: { type: "string", default: "accept" },
		},
	});
	if (values.tls !== undefined && !serverCertificates.includes(values.tls as ServerCertificate))
		throw new Error(`--tls: one of ${serverCertificates.join(", ")}`);
	const server = await startEchoServer({
		port: Number(values.port),
		host: values.host,
		tls: values.tls as ServerCertificate | undefined,
		requireClientCert: values["require-client-cert"],
		subprotocols: values.subprotocol,
		closeAfter:
			values["close-after"] === undefined
				? undefined
				: { messages: Number(values["close-after"]), code: Number(values["close-code"]), reason: values["close-reason"] },
		pingOnOpen: values["ping-on-open"],
		segmentSize: values["segment-size"] === undefined ? undefined : Number(values["segment-size"]),
		splitHandshake: values["split-handshake"],
		segmentGapMs: values["segment-gap-ms"] === undefined ? undefined : Number(values["segment-gap-ms"]),
		handshake: parseHandshake(values.handshake!),
	});
	console.log(`listening ${server.host} ${server.port}`);
	console.log(server.url);
	const stop = () => void server.close().then(() => process.exit(0));
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
	main().catch((error) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	});
}
