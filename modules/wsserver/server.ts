// A WebSocket server on the ECMA-419 listener and TCP socket: a thin shell that moves bytes
// between sockets and the RFC 6455 core (ws/server), answers plain HTTP on the same port, and
// keeps memory bounded (a client limit, a bounded write queue per client, a head-size limit).
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import { HeadReader, HttpError, encodeResponse, parseRequest, type HttpRequest } from "ws/http";
import { CloseCode } from "ws/close";
import { State, type Payload, type ProtocolEvent } from "ws/protocol";
import { ServerProtocol } from "ws/server";
import { WriteQueue } from "ws/writequeue";

export interface HttpAnswer {
	status: number;
	headers?: Array<[string, string]>;
	body?: string;
}

export interface WebSocketServerOptions {
	port: number;
	/** The path that upgrades to WebSocket (default "/ws"); an upgrade elsewhere gets 404. */
	path?: string;
	/** WebSocket clients at once (default 8); the next upgrade gets 503. */
	maxClients?: number;
	/** Largest message, in bytes (default 16384); larger ones close the connection with 1009. */
	maxMessage?: number;
	/** Largest request head, in bytes (default 2048); larger gets 431. */
	maxHead?: number;
	/** Most bytes queued for one client (default 2 × maxMessage + 1024); a client that lets more
	 *  pile up (it does not read) is disconnected. */
	maxQueue?: number;
	/** A connection that has not completed its request by then is closed (default 10 s). */
	handshakeTimeout?: number;
	/** Ping a client after this long without hearing from it (default 30 s; 0: never). */
	pingInterval?: number;
	/** Close a client whose pong has not come this long after a ping (default 10 s). */
	pongTimeout?: number;
	subprotocols?: string[];
	/** Answers a plain HTTP request (not an upgrade). Default: a small page at "/", 404 elsewhere. */
	onRequest?: (request: HttpRequest) => HttpAnswer;
	onConnect?: (client: Client) => void;
	onMessage?: (client: Client, data: string | ArrayBuffer) => void;
	onClose?: (client: Client, code: number, reason: string) => void;
}

type Socket = InstanceType<typeof TCP>;

const Phase = Object.freeze({ Request: 0, WebSocket: 1, Closed: 2 });

// Server frames are never masked (RFC 6455 §5.1), so the core never asks the server for random
// bytes; the option exists for the client role.
function noRandom(): Uint8Array {
	throw new Error("a server does not mask");
}

/** One TCP connection: first an HTTP request, then (if it upgrades) a WebSocket. */
export class Client {
	readonly id: number;
	readonly remoteAddress: string | undefined;
	readonly #server: WebSocketServer;
	readonly #socket: Socket;
	readonly #queue: WriteQueue;
	readonly #reader: HeadReader;
	#protocol: ServerProtocol | undefined;
	#phase: number = Phase.Request;
	#closeAfterFlush = false;
	// Whether the application was told of this client (onConnect), so it is told of its end once.
	#wasOpen = false;
	// Keep-alive bookkeeping, in Date.now() milliseconds.
	readonly #accepted = Date.now();
	#lastHeard = Date.now();
	#pingSentAt = 0;

	constructor(server: WebSocketServer, handle: Socket, id: number, options: Required<Pick<WebSocketServerOptions, "maxHead" | "maxQueue">>) {
		this.id = id;
		this.#server = server;
		this.#queue = new WriteQueue(options.maxQueue);
		this.#reader = new HeadReader(options.maxHead);
		const client = this;
		this.#socket = new TCP({
			from: handle,
			format: "buffer",
			// Messages are small and answered at once: Nagle's algorithm would hold each reply
			// back until the peer's delayed ACK (40 ms and more).
			nodelay: true,
			onReadable(count: number) {
				client.#receive(count);
			},
			onWritable(count: number) {
				client.#queue.grant(count);
				client.#flush();
			},
			onError() {
				client.#transportEnded();
			},
		});
		this.remoteAddress = this.#socket.remoteAddress;
	}

	/** Whether the WebSocket handshake is complete and the connection not yet closing. */
	get open(): boolean {
		return this.#phase === Phase.WebSocket && this.#protocol!.state === State.Open;
	}

	/** Sends a whole message (a string as text, bytes as binary). Callable at any time: it is
	 *  queued against the socket's write budget. False when the client is not open. */
	send(data: Payload): boolean {
		if (!this.open) return false;
		this.#protocol!.send(data);
		this.#process();
		return true;
	}

	/** Starts the closing handshake (RFC 6455 §7.1.2). */
	close(code: number = CloseCode.Normal, reason = ""): void {
		if (!this.open) return;
		this.#protocol!.close(code, reason);
		this.#process();
	}

	/** Called by the server's keep-alive timer. */
	tick(now: number, handshakeTimeout: number, pingInterval: number, pongTimeout: number): void {
		if (this.#phase === Phase.Request) {
			if (now - this.#accepted >= handshakeTimeout) this.#drop();
			return;
		}
		if (this.#phase !== Phase.WebSocket) return;
		const protocol = this.#protocol!;
		if (this.#pingSentAt) {
			if (now - this.#pingSentAt >= pongTimeout) {
				// RFC 6455 §7.1.7 allows failing the connection; a peer that does not answer
				// pings will not take part in a closing handshake either.
				this.#drop(CloseCode.Abnormal, "no pong");
			}
		} else if (pingInterval && protocol.state === State.Open && now - this.#lastHeard >= pingInterval) {
			this.#pingSentAt = now;
			protocol.ping();
			this.#process();
		}
	}

	#receive(count: number) {
		if (this.#phase === Phase.Closed) return;
		const buffer = this.#socket.read(count) as ArrayBuffer;
		const bytes = new Uint8Array(buffer);
		this.#lastHeard = Date.now();
		if (this.#phase === Phase.WebSocket) {
			this.#protocol!.receiveData(bytes);
			this.#process();
			return;
		}
		if (this.#closeAfterFlush) return; // an answered request: whatever follows is ignored
		let head: Uint8Array | undefined;
		let request: HttpRequest;
		try {
			head = this.#reader.receive(bytes);
			if (!head) return;
			request = parseRequest(head);
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			this.#answer({ status: error.status, body: error.message + "\n" });
			return;
		}
		this.#route(request, this.#reader.rest);
	}

	#route(request: HttpRequest, rest: Uint8Array) {
		const server = this.#server;
		const path = request.target.split("?")[0];
		const upgrade = request.headers.tokens("upgrade").includes("websocket");
		if (path !== server.path) {
			if (upgrade) this.#answer({ status: 404, body: "no WebSocket endpoint here\n" });
			else this.#answer(server.answerRequest(request));
			return;
		}
		if (!upgrade && request.method === "GET") {
			this.#answer({ status: 400, body: "this path only upgrades to WebSocket\n" });
			return;
		}
		if (upgrade && request.method === "GET" && !server.canAcceptClient()) {
			this.#answer({ status: 503, body: "too many WebSocket clients\n" });
			return;
		}
		// The core validates the upgrade itself and answers 400, 405 or 426 when it is wrong.
		const protocol = new ServerProtocol({ random: noRandom, maxMessage: server.maxMessage, subprotocols: server.subprotocols });
		this.#protocol = protocol;
		this.#phase = Phase.WebSocket;
		protocol.receiveRequest(request, rest);
		this.#process();
	}

	#answer(answer: HttpAnswer) {
		const headers: Array<[string, string]> = [...(answer.headers ?? [])];
		const body = answer.body ?? "";
		if (answer.status === 405 && !headers.some(([name]) => name.toLowerCase() === "allow")) headers.push(["Allow", "GET"]);
		if (answer.status === 426) headers.push(["Sec-WebSocket-Version", "13"]);
		if (!headers.some(([name]) => name.toLowerCase() === "content-type")) headers.push(["Content-Type", "text/plain; charset=utf-8"]);
		headers.push(["Connection", "close"]);
		// One request per connection for now: answer, then close once the answer is written.
		this.#enqueue(encodeResponse(answer.status, headers, body));
		this.#closeAfterFlush = true;
		this.#flush();
	}

	// Moves what the core produced to the socket and acts on its events, until it has nothing
	// more: acting on an event (accept, an echo from onMessage) can produce more of both.
	#process() {
		const protocol = this.#protocol!;
		for (;;) {
			for (const bytes of protocol.dataToSend()) if (!this.#enqueue(bytes)) return;
			const events = protocol.eventsReceived();
			if (!events.length) break;
			for (const event of events) this.#event(event);
		}
		if (protocol.shouldCloseTransport) this.#closeAfterFlush = true;
		this.#flush();
	}

	#event(event: ProtocolEvent) {
		const server = this.#server;
		switch (event.type) {
			case "request":
				this.#protocol!.accept();
				break;
			case "open":
				this.#wasOpen = true;
				server.clientOpened(this);
				break;
			case "message":
				server.options.onMessage?.(this, event.data);
				break;
			case "pong":
				this.#pingSentAt = 0;
				break;
			case "close":
				this.#closed(event.code, event.reason);
				break;
		}
	}

	#enqueue(bytes: Uint8Array): boolean {
		if (this.#queue.push(bytes)) return true;
		// The client does not read what it is sent: it is dropped before it exhausts memory.
		this.#drop(CloseCode.Abnormal, "send queue full");
		return false;
	}

	#flush() {
		if (this.#phase === Phase.Closed) return;
		const socket = this.#socket;
		this.#queue.flush((bytes) => socket.write(bytes));
		if (this.#closeAfterFlush && this.#queue.queued === 0) this.#release();
	}

	#transportEnded() {
		if (this.#phase === Phase.WebSocket) {
			this.#protocol!.receiveEof();
			for (const event of this.#protocol!.eventsReceived()) this.#event(event);
		}
		this.#release();
	}

	// Ends the connection at once, without a closing handshake.
	#drop(code: number = CloseCode.Abnormal, reason = "") {
		this.#closed(code, reason);
		this.#release();
	}

	#closed(code: number, reason: string) {
		if (this.#wasOpen) {
			this.#wasOpen = false;
			this.#server.clientClosed(this, code, reason);
		}
	}

	#release() {
		if (this.#phase === Phase.Closed) return;
		this.#closed(CloseCode.Abnormal, "");
		this.#phase = Phase.Closed;
		this.#queue.clear();
		this.#socket.close();
		this.#server.released(this);
	}
}

export class WebSocketServer {
	readonly options: WebSocketServerOptions;
	readonly path: string;
	readonly maxClients: number;
	readonly maxMessage: number;
	readonly subprotocols: string[];
	readonly #listener: InstanceType<typeof Listener>;
	readonly #connections = new Set<Client>();
	readonly #clients = new Set<Client>();
	readonly #timer: Timer;
	readonly #limits: { maxHead: number; maxQueue: number };
	#nextId = 1;

	constructor(options: WebSocketServerOptions) {
		this.options = options;
		this.path = options.path ?? "/ws";
		this.maxClients = options.maxClients ?? 8;
		this.maxMessage = options.maxMessage ?? 16384;
		this.subprotocols = options.subprotocols ?? [];
		this.#limits = {
			maxHead: options.maxHead ?? 2048,
			maxQueue: options.maxQueue ?? 2 * this.maxMessage + 1024,
		};
		const handshakeTimeout = options.handshakeTimeout ?? 10_000;
		const pingInterval = options.pingInterval ?? 30_000;
		const pongTimeout = options.pongTimeout ?? 10_000;
		const server = this;
		this.#listener = new Listener({
			port: options.port,
			onReadable(requests: number) {
				while (requests--) server.#accept(this.read() as unknown as Socket);
			},
		});
		// One timer for all connections: handshake deadlines and keep-alive.
		const period = Math.max(100, Math.min(1000, handshakeTimeout, pingInterval || 1000, pongTimeout));
		this.#timer = Timer.repeat(() => {
			const now = Date.now();
			for (const client of [...this.#connections]) client.tick(now, handshakeTimeout, pingInterval, pongTimeout);
		}, period);
		trace(`wsserver: listening on port ${options.port}, WebSocket at ${this.path}\n`);
	}

	/** The clients whose WebSocket is open. */
	get clients(): ReadonlySet<Client> {
		return this.#clients;
	}

	/** Sends a message to every open client; returns how many it was queued for. */
	broadcast(data: Payload): number {
		let count = 0;
		for (const client of this.#clients) if (client.send(data)) count++;
		return count;
	}

	close(): void {
		Timer.clear(this.#timer);
		// The SDK's listeners have close() (modules/io/socket/*/listener.js); its typings omit it.
		(this.#listener as unknown as { close(): void }).close();
		for (const client of [...this.#clients]) client.close(CloseCode.GoingAway, "server stopping");
	}

	canAcceptClient(): boolean {
		return this.#clients.size < this.maxClients;
	}

	answerRequest(request: HttpRequest): HttpAnswer {
		if (this.options.onRequest) return this.options.onRequest(request);
		const path = request.target.split("?")[0];
		if (path !== "/") return { status: 404, body: "not found\n" };
		if (request.method !== "GET" && request.method !== "HEAD") return { status: 405, headers: [["Allow", "GET, HEAD"]], body: "method not allowed\n" };
		// libyimmo answers requests that do not upgrade with a plain 200; this one says where to go.
		return {
			status: 200,
			headers: [["Content-Type", "text/html; charset=utf-8"]],
			body: `<!doctype html><title>WebSocket echo</title><p>WebSocket echo server: connect to <code>${this.path}</code> on this port.</p>\n`,
		};
	}

	clientOpened(client: Client) {
		this.#clients.add(client);
		this.options.onConnect?.(client);
	}

	clientClosed(client: Client, code: number, reason: string) {
		this.#clients.delete(client);
		this.options.onClose?.(client, code, reason);
	}

	released(client: Client) {
		this.#connections.delete(client);
		this.#clients.delete(client);
	}

	#accept(handle: Socket) {
		// Bounded memory: beyond the WebSocket clients, a few connections may be reading a
		// request (plain HTTP, or an upgrade that will be refused with 503).
		if (this.#connections.size >= this.maxClients + 4) {
			const socket = new TCP({ from: handle });
			socket.close();
			return;
		}
		const client = new Client(this, handle, this.#nextId++, this.#limits);
		this.#connections.add(client);
	}
}
