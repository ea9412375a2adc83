// A WebSocket server on the ECMA-419 listener and TCP socket: a thin shell that moves bytes
// between sockets and the RFC 6455 core (ws/server), answers plain HTTP/1.1 on the same port
// (routes, bodies read as they arrive, keep-alive and pipelining), and keeps memory bounded (a
// connection limit, a client limit, head and body limits, a bounded write queue per connection).
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import { HeadReader, HttpError, bodyFraming, concatBytes, encodeResponse, keepsAlive, parseRequest, type BodyFraming, type HttpRequest } from "ws/http";
import { CloseCode } from "ws/close";
import { State, protocolSettings, type Payload, type ProtocolEvent, type ProtocolHandler, type ProtocolSettings } from "ws/protocol";
import { ServerProtocol } from "ws/server";
import { MemoryBudget } from "ws/budget";
import { WriteQueue } from "ws/writequeue";
import { BodyReader } from "wsserver/body";
import { findRoute, fixedAnswer, targetPath, type HttpAnswer, type HttpExchange, type HttpRoute, type ServerView } from "wsserver/route";

export type { HttpAnswer, HttpRoute } from "wsserver/route";

/** One link of the AT bridge as /api/status reports it (JSON values only). */
export type LinkState = Readonly<Record<string, unknown>>;

export interface WebSocketServerOptions {
	port: number;
	/** The path that upgrades to WebSocket (default "/ws"); an upgrade elsewhere gets 404. */
	path?: string;
	/** WebSocket clients at once (default 8); the next upgrade gets 503. */
	maxClients?: number;
	/** TCP connections at once, WebSocket or plain HTTP (default maxClients + 4). When all are
	 *  taken, the one that has idled or waited longest for a request makes room for a new one;
	 *  with none to spare, the new one is answered 503 and closed. When only connections whose
	 *  first bytes may not have been read yet could make room, the new one waits, uncounted, to
	 *  be judged by its own first bytes. */
	maxConnections?: number;
	/** Of those, how many may be waiting for a request head (default maxClients): fresh
	 *  connections, slow heads and idle kept-alive ones. Beyond that share, the oldest waiting
	 *  one is closed to make room, as above. */
	maxPending?: number;
	/** Largest message, in bytes (default 16384); larger ones close the connection with 1009. */
	maxMessage?: number;
	/** The buffer all WebSocket connections read into, one at a time (default 1536 bytes, a TCP
	 *  segment): a message that arrives whole in it is delivered and echoed where it lies. */
	readBuffer?: number;
	/** Largest request head, in bytes (default 2048); larger gets 431. */
	maxHead?: number;
	/** Largest plain HTTP request body, in bytes (default 4096); larger gets 413. */
	maxBody?: number;
	/** Most bytes queued for one client (default 2 × maxMessage + 1024); a client that lets more
	 *  pile up (it does not read) is disconnected. */
	maxQueue?: number;
	/** Most bytes all WebSocket clients together hold for data: messages being assembled and
	 *  bytes waiting to be written (default: room for 3 messages of maxMessage, with a read
	 *  buffer each). A connection reads only while the room left could take a whole message of
	 *  maxMessage and a read buffer of echoes; otherwise its bytes stay in the socket (TCP holds
	 *  its peer back) until the others drain, and a new client gets 503. At least maxMessage +
	 *  readBuffer + 10 (less is raised to that, with a trace line). */
	memoryBudget?: number;
	/** A request whose body or answer is not through by then is closed (default 10 s); so is a
	 *  kept-alive HTTP connection idle that long. */
	handshakeTimeout?: number;
	/** A request head must be complete this long after the connection opened, or after its
	 *  first byte on a kept-alive connection (default 3 s); a late one gets 408. */
	headTimeout?: number;
	/** A connection whose peer takes none of the bytes waiting for it this long is closed
	 *  (default 10 s): a peer that does not read is dropped by time, not only by queued bytes. */
	writeTimeout?: number;
	/** Ping a client after this long without hearing from it (default 30 s; 0: never). */
	pingInterval?: number;
	/** Close a client whose pong has not come this long after a ping (default 10 s). */
	pongTimeout?: number;
	subprotocols?: string[];
	/** Plain HTTP routes (wsserver/api, wsserver/page); any other path gets 404. */
	routes?: HttpRoute[];
	/** A text message sent to each WebSocket client right after the handshake ("" or absent: none). */
	greeting?: string;
	/** The AT bridge's link states, for /api/status (absent: an empty list). */
	links?: () => ReadonlyArray<LinkState>;
	onConnect?: (client: Client) => void;
	/** A whole message (text is checked UTF-8): a view valid only during the call. Sending it back
	 *  with client.send(bytes, binary) during the call echoes it without a copy; keep a copy
	 *  (bytes.slice()) to use it later. */
	onMessage?: (client: Client, bytes: Uint8Array, binary: boolean) => void;
	onClose?: (client: Client, code: number, reason: string) => void;
	/** Also serve TLS (wss:// and https://, the same path and routes) on another port: its
	 *  connections are made with this socket class (tlsserver/socket) and identity (its
	 *  prepareIdentity()). They share every limit above; at most maxClients of the WebSocket
	 *  clients are TLS ones (the next TLS upgrade gets 503), and at most one more TLS connection
	 *  is let in (each holds a TLS session: its handshake costs the heap most). */
	tls?: SecureOptions;
}

export interface SecureOptions {
	port: number;
	Socket: SocketClass;
	identity: object;
	/** TLS WebSocket clients at once (default 2). */
	maxClients?: number;
}

/** What a connection's socket is made with: TCP, or a TLS socket of the same shape. */
export type SocketClass = new (options: any) => object;

type Socket = InstanceType<typeof TCP>;

/** A connection's socket, which knows its client: the callbacks every socket shares find it here. */
class ClientSocket extends TCP {
	client: Client | undefined;
}

/** The same for the TLS socket class (made once per server that serves TLS). */
function secureSocketClass(Socket: SocketClass): typeof ClientSocket {
	return class extends (Socket as typeof TCP) {
		client: Client | undefined;
	};
}

interface Limits {
	maxHead: number;
	maxBody: number;
	maxQueue: number;
	/** Milliseconds, as in the options. */
	handshakeTimeout: number;
	headTimeout: number;
	writeTimeout: number;
	pingInterval: number;
	pongTimeout: number;
}

// A request body still coming after this long is slow: its connection may be closed to make room
// for a new one.
const slowBody = 1000;

/** How readily a connection gives its place to a new one (Client.evictionTier), first to last:
 *  an idle kept-alive connection, a request head begun and not finished (what a slowloris holds
 *  open; a browser sends its head whole), a slow body, then a fresh connection whose head has not
 *  come yet. Never a WebSocket, nor a connection whose answer is being written. */
const Tier = Object.freeze({ None: 0, Idle: 1, PartialHead: 2, SlowBody: 3, Fresh: 4 });

// How long a refused connection is kept after its answer went out, reading and dropping what
// the peer sends: closing with unread bytes would reset the connection under the answer.
const lingerAfterAnswer = 500;

// Lingering: answered (a 503 or 408) and closing; no longer counted among the connections.
const Phase = Object.freeze({ Request: 0, WebSocket: 1, Lingering: 2, Closed: 3 });

// Server frames are never masked (RFC 6455 §5.1), so the core never asks the server for random
// bytes; the option exists for the client role.
function noRandom(): Uint8Array {
	throw new Error("a server does not mask");
}


function bodyBytes(body: HttpAnswer["body"]): Uint8Array {
	if (body === undefined) return new Uint8Array(0);
	if (typeof body === "string") return new Uint8Array(ArrayBuffer.fromString(body));
	if (body instanceof Uint8Array) return body;
	// An ArrayBuffer or a host buffer (a Resource in flash): viewed in place, not copied.
	return new Uint8Array(body as ArrayBuffer);
}

/** An answer's bytes: the head, then the body (left out for HEAD, RFC 9110 §9.3.2). */
function encodeAnswer(answer: HttpAnswer, keepAlive: boolean, request?: HttpRequest): Uint8Array[] {
	const headers: Array<[string, string]> = [...(answer.headers ?? [])];
	const body = bodyBytes(answer.body);
	const has = (name: string) => headers.some(([key]) => key.toLowerCase() === name);
	if (answer.status === 426) headers.push(["Sec-WebSocket-Version", "13"]);
	if (!has("content-type")) headers.push(["Content-Type", "text/plain; charset=utf-8"]);
	headers.push(["Content-Length", String(body.length)]);
	// RFC 9112 §9.6: "close" announces the end; an HTTP/1.0 peer that asked to keep the
	// connection is told it is kept (§C.2.2).
	if (!keepAlive) headers.push(["Connection", "close"]);
	else if (request?.version === "HTTP/1.0") headers.push(["Connection", "keep-alive"]);
	const head = encodeResponse(answer.status, headers);
	return body.length && request?.method !== "HEAD" ? [head, body] : [head];
}

/** A request being answered: the route's exchange and the reader of its body. */
interface Exchange {
	request: HttpRequest;
	exchange: HttpExchange;
	reader: BodyReader;
	keepAlive: boolean;
	/** What it holds of the memory budget, from its head to its answer. */
	reserved: number;
}

/** What a connection holds while it speaks plain HTTP (and lingers after a refusal): one object,
 *  dropped at the upgrade, so that a WebSocket client keeps none of it. */
class HttpState {
	// Bytes received and not yet parsed (pipelined requests wait here while an answer goes out),
	// the request whose body is being read, and answer bytes not yet queued (views: a page in
	// flash is queued piece by piece as the socket takes it, never copied whole).
	input: Uint8Array | undefined = undefined;
	exchange: Exchange | undefined = undefined;
	// A request whose body and answer wait for room in the memory budget (its bytes stay unread).
	parked: HttpRequest | undefined = undefined;
	outgoing: Uint8Array[] = [];
	// Made at the first byte of a request head.
	reader: HeadReader | undefined = undefined;
	serving = false;
	// An answer is on its way out: once it is handed over, the wait for the next request begins.
	answering = false;
	// Deadlines, in Date.now() milliseconds: when the current request (or the wait for the next
	// one) began; when the request head being waited for began (the accept, or its first byte on
	// a kept-alive connection; 0 while such a connection idles) and whether any byte of it came.
	requestSince: number;
	headSince: number;
	headBytes = false;
	// Whether any byte of the peer's was read: admission tells a silent connection from one whose
	// first bytes have not been read yet by the connections heard from after it.
	spoke = false;
	// Lingering: since when, when its answer was all written, bytes read and dropped since (and
	// as many as the last tick saw).
	lingerSince = 0;
	lingerAnsweredAt = 0;
	lingerRead = 0;
	lingerReadSeen = 0;

	constructor(now: number) {
		this.requestSince = this.headSince = now;
	}
}

/** One TCP connection: HTTP requests (kept alive, pipelined), or one that upgrades to WebSocket. */
export class Client {
	readonly id: number;
	readonly remoteAddress: string | undefined;
	// (XS finds a private field by walking the class's fields in order: those every message
	// reads come first.)
	#phase: number = Phase.Request;
	#protocol: ServerProtocol | undefined;
	readonly #queue: WriteQueue;
	readonly #socket: ClientSocket;
	readonly #server: WebSocketServer;
	// Plain HTTP (and lingering after a refusal); dropped at the upgrade.
	#http: HttpState | undefined;
	// No request is read any more; the connection ends once the answer is written.
	#closeAfterFlush = false;
	// Whether the application was told of this client (onConnect), so it is told of its end once.
	#wasOpen = false;
	// Waiting for the memory budget (WebSocketServer.memoryBudget): the bytes the socket holds for
	// it, as its last onReadable counted them.
	#waitingForMemory = false;
	#unread = 0;
	// Keep-alive: when the peer was last heard, when it last proved that it reads (the handshake,
	// then each answered ping), when a ping went out.
	#lastHeard: number;
	#heard = 0;
	#answeredAt = 0;
	#pingSentAt = 0;
	// Write progress: budgets granted (onWritable), as many as the last tick saw, and when bytes
	// last went out or nothing waited.
	#grants = 0;
	#grantsSeen = 0;
	#writeProgressAt: number;

	constructor(server: WebSocketServer, handle: Socket, id: number, now: number, secure: boolean) {
		this.id = id;
		this.#http = new HttpState(now);
		this.#lastHeard = this.#writeProgressAt = now;
		this.#server = server;
		// The SDK's TCP write() answers the budget left, and nothing when the peer is gone.
		this.#queue = new WriteQueue(server.connectionLimits.maxQueue, undefined, true, server.budget);
		const socket = new (secure ? server.secure!.Socket : ClientSocket)({
			from: handle,
			identity: server.secure?.identity,
			// A TLS session reads whole records: they count in the budget too.
			budget: secure ? server.budget : undefined,
			format: "buffer",
			// Messages are small and answered at once: Nagle's algorithm would hold each reply
			// back until the peer's delayed ACK (40 ms and more).
			nodelay: true,
			onReadable: Client.#onReadable,
			onWritable: Client.#onWritable,
			onError: Client.#onError,
		} as ConstructorParameters<typeof TCP>[0]);
		socket.client = this;
		this.#socket = socket;
		this.remoteAddress = this.#socket.remoteAddress;
	}

	// What the socket and the core call, shared by every connection (made once, at preload):
	// the socket's callbacks find their client through it, the core's handler holds its client.
	static readonly #onReadable = function (this: Socket, count: number) {
		const client = (this as ClientSocket).client!;
		if (client.#phase === Phase.WebSocket) client.readFrames(count);
		else client.receive(count);
	};
	static readonly #onWritable = function (this: Socket, count: number) {
		const client = (this as ClientSocket).client!;
		client.#grants++;
		// On lin every write is followed by one of these: nothing to do unless bytes wait.
		if (client.#queue.grant(count) || client.#phase !== Phase.WebSocket) client.flush();
	};
	static readonly #onError = function (this: Socket) {
		(this as ClientSocket).client!.transportEnded();
	};
	static readonly #Handler = class implements ProtocolHandler {
		readonly client: Client;
		readonly onMessage: WebSocketServerOptions["onMessage"];
		constructor(client: Client, onMessage: WebSocketServerOptions["onMessage"]) {
			this.client = client;
			this.onMessage = onMessage;
		}
		// The core's bytes: written at once when the budget allows, else queued (a view of the
		// shared read buffer is copied first, since the next read reuses it).
		write(bytes: Uint8Array) {
			const client = this.client;
			if (client.#phase === Phase.WebSocket && !client.#queue.send(bytes, client.#socket, client.#server.readStorage)) client.queueFull();
		}
		// (Nothing is delivered once the connection is released: #release stops the core.)
		message(bytes: Uint8Array, binary: boolean) {
			this.onMessage?.(this.client, bytes, binary);
		}
		event(event: ProtocolEvent) {
			this.client.event(event);
		}
	};

	/** Whether the connection came to the TLS port. */
	get secure(): boolean {
		return !(this.#socket instanceof ClientSocket);
	}

	/** Whether the WebSocket handshake is complete and the connection not yet closing. */
	get open(): boolean {
		return this.#phase === Phase.WebSocket && this.#protocol!.state === State.Open;
	}

	/** Sends a whole message: a string as text, bytes as binary (or as text with `binary` false:
	 *  UTF-8 bytes, e.g. a text message received). Callable at any time: what the socket cannot
	 *  take now waits in the client's queue. False when the client is not open. */
	send(data: Payload, binary = typeof data !== "string"): boolean {
		const protocol = this.#protocol;
		if (this.#phase !== Phase.WebSocket || protocol!.state !== State.Open) return false;
		protocol!.send(data, binary);
		return true;
	}

	/** Starts the closing handshake (RFC 6455 §7.1.2). */
	close(code: number = CloseCode.Normal, reason = ""): void {
		if (!this.open) return;
		this.#protocol!.close(code, reason);
	}

	/** Reads what waited in the socket while the memory budget had no room (the server calls
	 *  this once it has). */
	resumeReading(): void {
		if (!this.#waitingForMemory) return;
		this.#waitingForMemory = false;
		const count = this.#unread;
		this.#unread = 0;
		const phase = this.#phase;
		if (phase === Phase.WebSocket) return count ? this.readFrames(count) : undefined;
		if (phase !== Phase.Request) return;
		const http = this.#http!;
		const parked = http.parked;
		if (parked) {
			http.parked = undefined;
			this.route(parked);
			if (this.#phase === Phase.Request && http.input && !this.#waitingForMemory) this.serve();
			this.keepUnparsed(http);
		}
		if (count && !this.#waitingForMemory) this.receive(count);
	}

	/** Whether this connection waits for a request head: fresh, part of a head in, or idle
	 *  between requests (nothing being read as a body, nothing being written). */
	get pending(): boolean {
		const http = this.#http;
		return this.#phase === Phase.Request && !http!.exchange && !http!.parked && !http!.outgoing.length && this.#queue.queued === 0 && !this.#closeAfterFlush;
	}

	/** How readily this connection makes room for a new one (Tier; None: not at all). */
	evictionTier(now: number): number {
		if (this.#phase !== Phase.Request) return Tier.None;
		const http = this.#http!;
		if (this.pending) return !http.headSince ? Tier.Idle : http.headBytes ? Tier.PartialHead : Tier.Fresh;
		if (http.exchange && !http.outgoing.length && this.#queue.queued === 0 && now - http.requestSince >= slowBody) return Tier.SlowBody;
		return Tier.None;
	}

	/** Since when this connection has been waiting (admission closes the oldest first). */
	get waitingSince(): number {
		const http = this.#http;
		if (!http) return 0; // a WebSocket, or closed: not waiting
		return this.pending && http.headSince ? http.headSince : http.requestSince;
	}

	/** Closes the connection to make room for another: an idle one just closes (RFC 9112 §9.5),
	 *  any other is told the server is busy. */
	evict(): void {
		if (this.pending && !this.#http!.headSince) this.drop();
		else this.refuse(503, "too many connections, try again\n");
	}

	/** Answers `status` and closes (a connection over the limits, or a request too slow): the
	 *  connection leaves the server's count at once, and lingers until the answer is out. */
	refuse(status: number, text: string): void {
		if (this.#phase !== Phase.Request) return;
		this.#phase = Phase.Lingering;
		const http = this.#http!;
		http.lingerSince = Date.now();
		http.input = undefined;
		this.endExchange(http);
		// RFC 9110 §10.2.3: how long to wait before trying again. (After whatever of an earlier
		// answer is still queued.)
		const headers: Array<[string, string]> = status === 503 ? [["Retry-After", "1"]] : [];
		for (const piece of encodeAnswer({ status, headers, body: text }, false)) http.outgoing.push(piece);
		this.#server.lingering(this);
		this.flush();
	}

	/** Ends the connection at once, without a closing handshake (the server is stopping). */
	destroy(): void {
		this.drop(CloseCode.GoingAway, "");
	}

	/** Called by the server's timer, once a second: every check that takes a clock. */
	tick(now: number): void {
		const phase = this.#phase;
		if (phase === Phase.Closed) return;
		const limits = this.#server.connectionLimits;
		const queue = this.#queue;
		// lin's TCP reports nothing after a failed write (tcp.c sets its error flag inside write()
		// and its task returns early from then on): the missing budget is all there is to go by.
		if (queue.failed) {
			this.drop(CloseCode.Abnormal, "write failed");
			return;
		}
		if (phase === Phase.Lingering) {
			// Closed once the answer is out and the peer has stopped sending (RFC 9112 §9.6's
			// lingering close), for no longer than a head may take: a peer that trickles bytes
			// on does not keep it open. Without the budget to answer, it closes then too.
			const http = this.#http!;
			const quiet = http.lingerRead === http.lingerReadSeen;
			http.lingerReadSeen = http.lingerRead;
			const answeredAt = http.lingerAnsweredAt;
			if (answeredAt ? (quiet && now - answeredAt >= lingerAfterAnswer) || now - answeredAt >= limits.headTimeout : now - http.lingerSince >= limits.headTimeout) this.release();
			return;
		}
		// A peer that does not read: bytes wait, and no budget has come back for writeTimeout.
		if ((queue.queued || this.#http?.outgoing.length) && this.#grants === this.#grantsSeen) {
			if (now - this.#writeProgressAt >= limits.writeTimeout) {
				this.drop(CloseCode.Abnormal, "the peer does not read");
				return;
			}
		} else {
			this.#grantsSeen = this.#grants;
			this.#writeProgressAt = now;
		}
		if (phase === Phase.Request) {
			this.requestTick(now);
			return;
		}
		const protocol = this.#protocol!;
		// The peer was heard if bytes came since the last tick (no clock read per message).
		if (protocol.bytesReceived !== this.#heard) {
			this.#heard = protocol.bytesReceived;
			this.#lastHeard = now;
		}
		if (this.#pingSentAt) {
			if (now - this.#pingSentAt >= limits.pongTimeout) {
				// RFC 6455 §7.1.7 allows failing the connection; a peer that does not answer
				// pings will not take part in a closing handshake either.
				this.drop(CloseCode.Abnormal, "no pong");
			}
		} else if (limits.pingInterval && protocol.state === State.Open && (now - this.#lastHeard >= limits.pingInterval || now - this.#answeredAt >= limits.pingInterval)) {
			// A peer not heard from, or one that keeps sending but has not shown for as long
			// that it reads what it is sent (its pong comes after everything before the ping).
			this.#pingSentAt = now;
			protocol.ping();
		}
	}

	private requestTick(now: number) {
		const limits = this.#server.connectionLimits;
		const http = this.#http!;
		// RFC 9110 §15.5.9: 408 for a request begun and not complete in time.
		if (this.pending) {
			if (!http.headSince) {
				if (now - http.requestSince >= limits.handshakeTimeout) this.drop(); // idle (RFC 9112 §9.5)
			} else if (now - http.headSince >= limits.headTimeout) {
				if (http.headBytes) this.refuse(408, "the request head did not come in time\n");
				else this.drop(); // nothing came at all
			}
			return;
		}
		// A request that waited that long for memory is told to come back.
		if (http.parked) {
			if (now - http.requestSince >= limits.handshakeTimeout) this.refuse(503, "no memory for this request now, try again\n");
			return;
		}
		// A body too slow to arrive, or an answer the peer does not take.
		if (now - http.requestSince >= limits.handshakeTimeout) {
			if (http.exchange && !http.outgoing.length && this.#queue.queued === 0) this.refuse(408, "the request did not come in time\n");
			else this.drop();
		}
	}

	// A WebSocket's bytes, on the path of every message: a function of its own, as small as it
	// can be, because XS reserves stack for every local of a function at each call, and this is
	// the bottom of the deepest chain (socket, core, application, core, socket).
	private readFrames(count: number) {
		const server = this.#server;
		const protocol = this.#protocol!;
		// Into the server's one read buffer, a piece at a time: the core unmasks in place and
		// delivers views of it, so a message that comes whole is never copied.
		const buffer = server.readBuffer;
		const budget = server.budget;
		const socket = this.#socket;
		while (count > 0 && this.#phase === Phase.WebSocket) {
			let size = count < buffer.length ? count : buffer.length;
			// Back-pressure: a read may begin a message of up to maxMessage and queue echoes of up
			// to a read buffer. Without room for that, the bytes stay in the socket (TCP holds the
			// peer back) until others drain; a message already begun has its room, and is read
			// to its end, frame by frame, but not past it.
			if (budget.held > server.readableBelow) {
				if (!protocol.assembling) {
					this.#unread = count;
					this.waitForMemory();
					break;
				}
				const left = protocol.bytesToFrameEnd;
				if (left > 0 && left < size) size = left;
			}
			socket.read(size === buffer.length ? buffer : server.readView(size));
			count -= size;
			protocol.receiveData(buffer, size);
		}
		if (this.#closeAfterFlush) this.flush();
	}

	// Bytes of plain HTTP, or of a refused connection lingering.
	private receive(count: number) {
		const phase = this.#phase;
		if (phase === Phase.Closed || phase === Phase.WebSocket) return;
		if (phase === Phase.Lingering) return this.dropRead(count);
		const http = this.#http!;
		if (!http.spoke) {
			http.spoke = true;
			// One that waited for these to be admitted may be refused now: then it lingers.
			if (!this.#server.heard(this)) {
				this.receive(count);
				return;
			}
		}
		if (!http.exchange) {
			// The first byte of the next head starts its deadline.
			if (!http.headSince) http.headSince = Date.now();
			http.headBytes = true;
		}
		// (A tail call: this frame is not under the chain that may go on to open a WebSocket.)
		return this.readRequests(count);
	}

	// Read and dropped (lingering): unread bytes would turn the close into a reset.
	private dropRead(count: number) {
		const server = this.#server;
		this.#http!.lingerRead += count;
		while (count > 0) {
			const size = count < server.readBuffer.length ? count : server.readBuffer.length;
			this.#socket.read(server.readView(size));
			count -= size;
		}
	}

	private readRequests(count: number) {
		const http = this.#http!;
		// Into the server's one read buffer, a piece at a time, as a WebSocket's bytes are: a body
		// goes to its route as views (the route copies what it keeps), and what is still unparsed
		// after a piece (a head in parts, a pipelined request behind an answer) is copied.
		const server = this.#server;
		const limits = server.connectionLimits;
		while (count > 0) {
			// A request parked for the memory budget: the rest stays in the socket.
			if (this.#waitingForMemory) {
				this.#unread = count;
				return;
			}
			const size = count < server.readBuffer.length ? count : server.readBuffer.length;
			const bytes = server.readView(size);
			this.#socket.read(bytes);
			count -= size;
			if (this.#closeAfterFlush && !http.exchange) continue; // answered for the last time: the rest is ignored
			const input = http.input ? concatBytes(http.input, bytes) : bytes;
			// Pipelined requests wait while an answer goes out; a peer that keeps sending without
			// reading the answers is dropped before it exhausts memory. (A body being read is
			// taken as it comes and kept by nobody but the route.)
			if (!http.exchange && input.length > limits.maxHead + limits.maxBody) {
				this.drop();
				return;
			}
			http.input = input;
			this.serve();
			const next = this.#phase;
			if (next !== Phase.Request) {
				// Upgraded (the core copied what followed the head), refused, or gone.
				if (!count || next === Phase.Closed) return;
				if (next === Phase.WebSocket) this.readFrames(count);
				else this.receive(count);
				return;
			}
			this.keepUnparsed(http);
		}
	}

	// Bytes still unparsed that lie in the shared read buffer are copied: the next read, of any
	// connection, reuses it.
	private keepUnparsed(http: HttpState) {
		const left = http.input;
		if (left && left.buffer === this.#server.readStorage) http.input = left.slice();
	}

	// Reads requests from #input, one at a time: the next is parsed only once the answer to the
	// previous one is queued, so pipelined requests are answered in order (RFC 9112 §9.3.2).
	private serve() {
		// (The upgrade drops this.#http: the loop ends there, with its own reference.)
		const http = this.#http!;
		if (http.serving) return;
		http.serving = true;
		try {
			// A body is read as it comes; the next request is parsed once the answer to this one is
			// queued.
			while (this.#phase === Phase.Request && http.input && !http.parked && (http.exchange || (!http.outgoing.length && !this.#closeAfterFlush))) {
				const bytes = http.input;
				http.input = undefined;
				if (http.exchange) {
					this.readBody(http.exchange, bytes);
					continue;
				}
				let request: HttpRequest;
				try {
					const head = (http.reader ??= new HeadReader(this.#server.connectionLimits.maxHead)).receive(bytes);
					if (!head) continue;
					request = parseRequest(head);
				} catch (error) {
					if (!(error instanceof HttpError)) throw error;
					this.respond({ status: error.status, body: error.message + "\n" }, false);
					continue;
				}
				const rest = http.reader!.rest;
				if (rest.length) http.input = rest;
				this.route(request);
			}
		} finally {
			http.serving = false;
		}
	}

	// (Small, and each way a tail call: the upgrade goes on to open the WebSocket, and XS reserves
	// stack for every local of a function at each call, whichever branch runs.)
	private route(request: HttpRequest) {
		const path = targetPath(request.target);
		if (path === this.#server.path || request.headers.tokens("upgrade").includes("websocket")) return this.upgrade(request, path);
		return this.exchange(request, path);
	}

	// Plain HTTP; an Upgrade to another protocol (h2c, RFC 9113 §3.1 no longer defines it) is
	// ignored, as RFC 9110 §7.8 allows, and answered in HTTP/1.1.
	private exchange(request: HttpRequest, path: string) {
		const server = this.#server;
		const keepAlive = keepsAlive(request);
		const maxBody = server.connectionLimits.maxBody;
		let framing: BodyFraming;
		let reader: BodyReader;
		try {
			framing = bodyFraming(request);
			reader = new BodyReader(framing, maxBody);
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			// The body cannot be delimited: nothing after this head can be trusted.
			this.respond({ status: error.status, body: error.message + "\n" }, false);
			return;
		}
		// A request with a body holds room for the body and an answer of up to twice it (the echo
		// route's) from its head to its answer. While the budget has none, it waits with its bytes
		// unread, as a WebSocket message does (one at least always goes: the budget is empty).
		const size = reader.tooLarge ? 0 : framing.kind === "length" ? framing.length : maxBody;
		const reserved = size && 3 * size + 256;
		const http = this.#http!;
		if (reserved) {
			const budget = server.budget;
			if (!budget.admits(reserved)) {
				http.parked = request;
				http.requestSince = Date.now();
				this.waitForMemory();
				return;
			}
			budget.take(reserved);
		}
		const found = findRoute(server.routes, request.method, path);
		const exchange = "start" in found ? found.start(request, server) : fixedAnswer(found);
		const current: Exchange = { request, exchange, reader, keepAlive, reserved };
		http.requestSince = Date.now();
		http.exchange = current;
		const input = http.input;
		http.input = undefined;
		this.readBody(current, input ?? new Uint8Array(0));
	}

	private readBody(current: Exchange, bytes: Uint8Array) {
		const { reader, exchange } = current;
		let used: number;
		try {
			used = reader.receive(bytes, (piece) => exchange.body?.(piece));
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			this.endExchange(this.#http!);
			this.respond({ status: error.status, body: error.message + "\n" }, false);
			return;
		}
		if (used < bytes.length) this.#http!.input = bytes.subarray(used);
		if (reader.tooLarge) {
			// RFC 9110 §15.5.14: 413, and the connection closes. What still comes of the body is
			// read and dropped while the answer goes out, so that the close does not reset the
			// connection under it; a peer that stops sending (or never sent the body) is not
			// waited for.
			this.refuse(413, `the body is over ${this.#server.connectionLimits.maxBody} bytes\n`);
			return;
		}
		if (!reader.done) return;
		const http = this.#http!;
		// The room it held goes back once its answer is queued (the queue counts those bytes).
		http.exchange = undefined;
		const answer = exchange.end();
		this.respond(answer, current.keepAlive, current.request);
		if (current.reserved) this.#server.budget.give(current.reserved);
	}

	// The request being answered ends without an answer of its own (refused, failed, gone).
	private endExchange(http: HttpState) {
		const current = http.exchange;
		http.exchange = undefined;
		http.parked = undefined;
		if (current?.reserved) this.#server.budget.give(current.reserved);
	}

	// Stops reading until the memory budget has room (the server resumes it, first come first).
	private waitForMemory() {
		if (this.#waitingForMemory) return;
		this.#waitingForMemory = true;
		const server = this.#server;
		server.waitingForMemory.push(this);
		server.budget.whenRoom(server);
	}

	private upgrade(request: HttpRequest, path: string) {
		const server = this.#server;
		if (path !== server.path) {
			this.respond({ status: 404, body: "no WebSocket endpoint here\n" }, false);
			return;
		}
		const upgrade = request.headers.tokens("upgrade").includes("websocket");
		if (!upgrade && request.method === "GET") {
			this.respond({ status: 400, body: "this path only upgrades to WebSocket\n" }, false);
			return;
		}
		if (upgrade && request.method === "GET" && !server.canAcceptClient(this.secure)) {
			this.respond({ status: 503, body: "too many WebSocket clients\n" }, false);
			return;
		}
		// The core validates the upgrade itself and answers 400, 405 or 426 when it is wrong.
		const handler = new Client.#Handler(this, server.onMessage);
		const protocol = new ServerProtocol({ random: noRandom, settings: server.protocolSettings, subprotocols: server.subprotocols, handler });
		this.#protocol = protocol;
		this.#phase = Phase.WebSocket;
		const rest = this.#http!.input;
		this.#http = undefined;
		protocol.receiveRequest(request, rest);
		if (this.#closeAfterFlush) this.flush();
	}

	// Queues an answer.
	private respond(answer: HttpAnswer, keepAlive: boolean, request?: HttpRequest) {
		const http = this.#http!;
		for (const piece of encodeAnswer(answer, keepAlive, request)) http.outgoing.push(piece);
		http.answering = true;
		if (!keepAlive) this.#closeAfterFlush = true;
		this.flush();
	}

	// What the core reports, as it happens (within receiveData, accept, fail...).
	private event(event: ProtocolEvent) {
		if (this.#phase === Phase.Closed) return;
		const server = this.#server;
		switch (event.type) {
			case "request":
				this.#protocol!.accept();
				break;
			case "open":
				this.#wasOpen = true;
				this.#answeredAt = Date.now();
				// libyimmo's echo example greets each new session ("Hello!") before anything else.
				if (server.greeting) this.#protocol!.send(server.greeting);
				server.clientOpened(this);
				break;
			case "pong":
				// The peer has read everything up to the ping (no clock read per pong).
				if (this.#pingSentAt) this.#answeredAt = this.#pingSentAt;
				this.#pingSentAt = 0;
				break;
			case "close":
				this.closed(event.code, event.reason);
				break;
			case "closeTransport":
				// Closed once what is queued has been written (the caller flushes).
				this.#closeAfterFlush = true;
				break;
		}
	}

	// The client does not read what it is sent: it is dropped before it exhausts memory.
	private queueFull() {
		this.drop(CloseCode.Abnormal, "send queue full");
	}

	// Tops the write queue up from the answer bytes, as far as its bound allows.
	private pump(outgoing: Uint8Array[]) {
		while (outgoing.length) {
			const room = this.#server.connectionLimits.maxQueue - this.#queue.queued;
			if (room <= 0) return;
			const piece = outgoing[0];
			if (piece.length <= room) {
				outgoing.shift();
				this.#queue.push(piece);
			} else {
				this.#queue.push(piece.subarray(0, room));
				outgoing[0] = piece.subarray(room);
			}
		}
	}

	private flush() {
		const phase = this.#phase;
		if (phase === Phase.Closed) return;
		const socket = this.#socket;
		const queue = this.#queue;
		if (phase === Phase.WebSocket) {
			queue.flush(socket);
			if (this.#closeAfterFlush && queue.queued === 0) this.release();
			return;
		}
		const http = this.#http!;
		const outgoing = http.outgoing;
		for (;;) {
			this.pump(outgoing);
			queue.flush(socket);
			// Keep going while the budget lasts and the queue could take more of the answer.
			if (!outgoing.length || queue.queued >= this.#server.connectionLimits.maxQueue) break;
		}
		if (phase === Phase.Lingering) {
			if (!outgoing.length && queue.queued === 0 && !http.lingerAnsweredAt) http.lingerAnsweredAt = Date.now();
			return;
		}
		if (outgoing.length) return;
		if (this.#closeAfterFlush) {
			if (queue.queued === 0 && !http.exchange) this.release();
			return;
		}
		// The answer is handed over: the wait for the next request begins, and any pipelined
		// request already received is read now.
		if (http.answering && !http.exchange) {
			http.answering = false;
			const now = Date.now();
			http.requestSince = now;
			http.headSince = http.input ? now : 0;
			http.headBytes = http.input !== undefined;
		}
		if (http.input && !http.serving) this.serve();
	}

	private transportEnded() {
		// The core reports the end (a close event: 1006 unless the handshake was over).
		if (this.#phase === Phase.WebSocket) this.#protocol!.receiveEof();
		this.release();
	}

	// Ends the connection at once, without a closing handshake.
	private drop(code: number = CloseCode.Abnormal, reason = "") {
		this.closed(code, reason);
		this.release();
	}

	private closed(code: number, reason: string) {
		if (this.#wasOpen) {
			this.#wasOpen = false;
			this.#server.clientClosed(this, code, reason);
		}
	}

	private release() {
		if (this.#phase === Phase.Closed) return;
		this.closed(CloseCode.Abnormal, "");
		this.#phase = Phase.Closed;
		// Nothing more is parsed, even when this comes from within the core's own call.
		this.#protocol?.receiveEof();
		this.#queue.clear();
		// (Kept, emptied: a route's callback may still be returning into code that reads it.)
		const http = this.#http;
		if (http) {
			http.outgoing = [];
			http.input = undefined;
			this.endExchange(http);
			http.reader = undefined;
		}
		this.#socket.close();
		this.#server.released(this);
	}
}

export class WebSocketServer implements ServerView {
	readonly path: string;
	readonly maxClients: number;
	readonly maxConnections: number;
	readonly maxPending: number;
	readonly maxMessage: number;
	readonly subprotocols: string[];
	readonly routes: readonly HttpRoute[];
	readonly greeting: string;
	/** What every WebSocket connection reads into (made at run time: a preloaded module's
	 *  buffers are read-only). */
	readonly readBuffer: Uint8Array;
	/** readBuffer's ArrayBuffer (what a write of a view of it must copy before it waits), kept
	 *  here so that no write calls the buffer getter. */
	readonly readStorage: ArrayBuffer;
	/** What WebSocket clients hold for data (see WebSocketServerOptions.memoryBudget). */
	readonly budget: MemoryBudget;
	/** The TLS port's socket class, identity and limits, when it serves one. */
	readonly secure: { Socket: typeof ClientSocket; identity: object; maxClients: number } | undefined;
	/** What every connection's core shares (one object rather than copies in each). */
	readonly protocolSettings: ProtocolSettings;
	/** A connection reads only while budget.held is at most this. */
	readonly readableBelow: number;
	/** Connections whose bytes wait in their sockets for room in the budget, first come first. */
	readonly waitingForMemory: Client[] = [];
	// The last view of the read buffer's first n bytes (socket.read(view) reads exactly a view's
	// length): a stream of same-sized messages reads without allocating.
	#readView: Uint8Array | undefined;
	/** When the server started (Date.now()), for /api/status. */
	readonly startedAt: number;
	// The application's callbacks (the options object itself is not kept: a preloaded app's
	// options are made in RAM at start-up, and only these are needed later).
	readonly #onConnect: WebSocketServerOptions["onConnect"];
	readonly #onClose: WebSocketServerOptions["onClose"];
	readonly #links: WebSocketServerOptions["links"];
	/** The application's message callback (Client's core handler takes it). */
	readonly onMessage: WebSocketServerOptions["onMessage"];
	readonly #listener: InstanceType<typeof Listener>;
	readonly #secureListener: InstanceType<typeof Listener> | undefined;
	readonly #connections = new Set<Client>();
	readonly #clients = new Set<Client>();
	// Refused connections on their way out (Client.refuse), not counted among the connections.
	readonly #lingering = new Set<Client>();
	// Connections beyond the limits that wait, uncounted, for their first bytes to be admitted
	// or refused (#accept), at most maxPending of them.
	readonly #waiting = new Set<Client>();
	// The newest connection (by id) whose first bytes were read. Sockets are read in the order
	// they were accepted (lin polls each on its own 20 ms timer from its accept, and timers fire
	// in order; lwIP delivers in order of arrival), so a connection accepted before it that has
	// sent nothing is silent, and one accepted after it may have bytes not yet read.
	#heardFrom = 0;
	readonly #timer: Timer;
	/** The connections' limits (each reads them here rather than keeping a reference). */
	readonly connectionLimits: Limits;
	#nextId = 1;

	constructor(options: WebSocketServerOptions) {
		this.#onConnect = options.onConnect;
		this.#onClose = options.onClose;
		this.#links = options.links;
		this.onMessage = options.onMessage;
		this.path = options.path ?? "/ws";
		this.maxClients = options.maxClients ?? 8;
		this.maxConnections = options.maxConnections ?? this.maxClients + 4;
		// A burst of upgrades up to maxClients still fits the share of waiting connections.
		this.maxPending = Math.min(options.maxPending ?? this.maxClients, this.maxConnections);
		this.maxMessage = options.maxMessage ?? 16384;
		this.subprotocols = options.subprotocols ?? [];
		this.routes = options.routes ?? [];
		this.greeting = options.greeting ?? "";
		this.readBuffer = new Uint8Array(options.readBuffer ?? 1536);
		this.readStorage = this.readBuffer.buffer as ArrayBuffer;
		// Room for a whole message (and the 10 bytes a server frames it in) and a read buffer of
		// echoes waiting to be written.
		const readReserve = this.maxMessage + 10 + this.readBuffer.length;
		let memoryBudget = options.memoryBudget ?? 3 * readReserve;
		if (memoryBudget < readReserve) {
			// Less could never take a message of maxMessage: every connection would wait for ever.
			trace(`wsserver: memoryBudget ${memoryBudget} is below one message of maxMessage and a read buffer: ${readReserve} bytes used instead\n`);
			memoryBudget = readReserve;
		}
		this.budget = new MemoryBudget(memoryBudget);
		const tls = options.tls;
		this.secure = tls && Object.freeze({ Socket: secureSocketClass(tls.Socket), identity: tls.identity, maxClients: tls.maxClients ?? 2 });
		this.protocolSettings = protocolSettings("server", { random: noRandom, maxMessage: this.maxMessage, budget: this.budget });
		this.readableBelow = memoryBudget - readReserve;
		const handshakeTimeout = options.handshakeTimeout ?? 10_000;
		this.connectionLimits = Object.freeze({
			maxHead: options.maxHead ?? 2048,
			maxBody: options.maxBody ?? 4096,
			maxQueue: options.maxQueue ?? 2 * this.maxMessage + 1024,
			handshakeTimeout,
			headTimeout: Math.min(options.headTimeout ?? 3000, handshakeTimeout),
			writeTimeout: options.writeTimeout ?? 10_000,
			pingInterval: options.pingInterval ?? 30_000,
			pongTimeout: options.pongTimeout ?? 10_000,
		});
		const server = this;
		this.startedAt = Date.now();
		this.#listener = new Listener({
			port: options.port,
			onReadable(requests: number) {
				while (requests--) server.accept(this.read() as unknown as Socket, false);
			},
		});
		this.#secureListener =
			tls &&
			new Listener({
				port: tls.port,
				onReadable(requests: number) {
					while (requests--) server.accept(this.read() as unknown as Socket, true);
				},
			});
		// One timer for all connections: every check that needs a clock runs here, none per message.
		const { headTimeout, writeTimeout, pingInterval, pongTimeout } = this.connectionLimits;
		const period = Math.max(100, Math.min(1000, handshakeTimeout, headTimeout, writeTimeout, pingInterval || 1000, pongTimeout));
		this.#timer = Timer.repeat(() => {
			const now = Date.now();
			for (const client of [...this.#connections]) client.tick(now);
			for (const client of [...this.#lingering]) client.tick(now);
			for (const client of [...this.#waiting]) client.tick(now);
		}, period);
		trace(`wsserver: listening on port ${options.port}, WebSocket at ${this.path}\n`);
		if (tls) trace(`wsserver: listening on port ${tls.port} (TLS), WebSocket at ${this.path}\n`);
	}

	// --- ServerView: what routes see of the server (wsserver/route) ---------------------------

	get clientCount(): number {
		return this.#clients.size;
	}

	get tls(): boolean {
		return this.secure !== undefined;
	}

	get connectionCount(): number {
		return this.#connections.size;
	}

	/** The configured limits, made when asked (for /api/status), not kept. */
	get limits(): Readonly<Record<string, number>> {
		return {
			maxClients: this.maxClients,
			maxConnections: this.maxConnections,
			maxPending: this.maxPending,
			maxMessage: this.maxMessage,
			memoryBudget: this.budget.limit,
			...this.connectionLimits,
		};
	}

	/** The memory budget of WebSocket data, for /api/status. */
	dataBudget(): { held: number; peak: number; limit: number; waiting: number } {
		const budget = this.budget;
		return { held: budget.held, peak: budget.peak, limit: budget.limit, waiting: this.waitingForMemory.length };
	}

	links(): ReadonlyArray<LinkState> {
		return this.#links?.() ?? [];
	}

	/** A view of the read buffer's first `size` bytes. */
	readView(size: number): Uint8Array {
		let view = this.#readView;
		if (view?.length !== size) this.#readView = view = this.readBuffer.subarray(0, size);
		return view;
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
		(this.#secureListener as unknown as { close(): void } | undefined)?.close();
		for (const client of [...this.#clients]) client.close(CloseCode.GoingAway, "server stopping");
		for (const client of [...this.#lingering]) client.destroy();
		for (const client of [...this.#waiting]) client.destroy();
	}

	/** Room for another client: under maxClients (and the TLS port's own for a TLS one), and the
	 *  memory budget could take a message. */
	canAcceptClient(secure: boolean): boolean {
		if (this.#clients.size >= this.maxClients || this.budget.held > this.readableBelow) return false;
		return !secure || this.secureCount(this.#clients) < this.secure!.maxClients;
	}

	private secureCount(clients: ReadonlySet<Client>): number {
		let count = 0;
		for (const client of clients) if (client.secure) count++;
		return count;
	}

	/** MemoryWaiter: bytes came back to the budget (from anywhere that shares it). */
	// Waiting connections read again only from here, from the budget's own timer: never from
	// inside another connection's socket callback, where the chain would be one connection's
	// receive and echo on top of another's (the ESP8266's XS stack has 256 slots).
	roomAgain(): void {
		// Each once: one that finds no room after all waits again, at the end.
		const waiting = this.waitingForMemory;
		for (let count = waiting.length; count > 0 && waiting.length && this.budget.held <= this.readableBelow; count--) waiting.shift()!.resumeReading();
		// The rest go on waiting for the next bytes that come back.
		if (waiting.length) this.budget.whenRoom(this);
	}

	clientOpened(client: Client) {
		this.#clients.add(client);
		this.#onConnect?.(client);
	}

	clientClosed(client: Client, code: number, reason: string) {
		this.#clients.delete(client);
		this.#onClose?.(client, code, reason);
	}

	released(client: Client) {
		this.#connections.delete(client);
		this.#clients.delete(client);
		this.#lingering.delete(client);
		this.#waiting.delete(client);
		const starved = this.waitingForMemory.indexOf(client);
		if (starved >= 0) this.waitingForMemory.splice(starved, 1);
	}

	lingering(client: Client) {
		this.#connections.delete(client);
		this.#clients.delete(client);
		this.#waiting.delete(client);
		this.#lingering.add(client);
	}

	/** A connection's first bytes were read. One that waited for them is admitted now if room
	 *  can be made, or refused (false). */
	heard(client: Client): boolean {
		if (client.id > this.#heardFrom) this.#heardFrom = client.id;
		if (!this.#waiting.delete(client)) return true;
		// Every connection accepted before it has had its chance to speak: no more waiting.
		if (!this.makeRoom(Date.now())) {
			client.refuse(503, "too many connections, try again\n");
			return false;
		}
		this.#connections.add(client);
		return true;
	}

	// Admission. Memory is bounded (maxConnections), and no peer keeps others out by being slow:
	// connections waiting for a request head hold at most maxPending places, and when there is no
	// room an idle connection or a begun head (the oldest first) makes way before a fresh one.
	// A fresh one is closed only once it is known to be silent (#heardFrom): on lin a socket's
	// bytes are read 20 ms after its accept, and a slow head that reconnects at once would
	// otherwise close a new client whose request has come but not yet been read.
	private accept(handle: Socket, secure: boolean) {
		const now = Date.now();
		// One TLS connection beyond its clients, to be answered 503 after its handshake; more
		// would each hold a handshake's heap.
		if (secure && this.secureCount(this.#connections) + this.secureCount(this.#waiting) > this.secure!.maxClients) {
			// An idle or slow TLS connection makes way, as any does below; else the new one goes.
			const victim = this.victim(now, false, true);
			if (!victim) {
				new TCP({ from: handle }).close();
				return;
			}
			victim.evict();
		}
		if (this.makeRoom(now)) {
			this.#connections.add(new Client(this, handle, this.#nextId++, now, secure));
			return;
		}
		// Could one of them make room once heard from? Then the new one waits to be heard too.
		let unheard = false;
		for (const client of this.#connections) if (client.evictionTier(now) === Tier.Fresh && client.id > this.#heardFrom) unheard = true;
		if (unheard && this.#waiting.size >= this.maxPending) {
			// Room among the waiting: the oldest of them known to be silent gives way.
			for (const client of this.#waiting) {
				if (client.id < this.#heardFrom) {
					client.evict();
					break;
				}
			}
		}
		if (unheard && this.#waiting.size < this.maxPending) this.#waiting.add(new Client(this, handle, this.#nextId++, now, secure));
		else this.refuse(handle, now, secure);
	}

	// Whether a new connection fits, after closing one to make room if need be.
	private makeRoom(now: number): boolean {
		const connections = this.#connections;
		let pending = 0;
		for (const client of connections) if (client.pending) pending++;
		const pendingFull = pending >= this.maxPending;
		if (!pendingFull && connections.size < this.maxConnections) return true;
		const victim = this.victim(now, pendingFull);
		victim?.evict();
		return victim !== undefined;
	}

	// The connection to close for a new one, by Tier, the oldest first; only one that waits for
	// a head when that share is full, and a fresh one only if it is known to be silent (only a
	// TLS one for a new TLS one over its share).
	private victim(now: number, waitingOnly: boolean, secureOnly = false): Client | undefined {
		let victim: Client | undefined;
		let victimTier = Tier.None;
		let victimSince = 0;
		for (const client of this.#connections) {
			if (secureOnly && !client.secure) continue;
			const tier = client.evictionTier(now);
			if (tier === Tier.None || (waitingOnly && tier === Tier.SlowBody) || (tier === Tier.Fresh && client.id > this.#heardFrom)) continue;
			const since = client.waitingSince;
			if (!victim || tier < victimTier || (tier === victimTier && since < victimSince)) {
				victim = client;
				victimTier = tier;
				victimSince = since;
			}
		}
		return victim;
	}

	private refuse(handle: Socket, now: number, secure: boolean) {
		// Refusals on their way out are bounded too: past that, memory comes before manners.
		if (this.#lingering.size >= 2 * this.maxConnections) {
			new TCP({ from: handle }).close();
			return;
		}
		new Client(this, handle, this.#nextId++, now, secure).refuse(503, "too many connections, try again\n");
	}
}
