// The app's Socket.IO role (role=socketio): connect to clientUrl, introduce the board with a
// "hello" (whose ack is traced), answer each "echo" with the same arguments (as an ack when the
// server asks for one, else as an "echo" event back), leave a namespace for a while when the
// server emits "leave", on the main namespace and on those socketioNamespaces lists, and trace
// what happens as "socketio: ..." lines.
import Timer from "timer";
import { ClientState } from "wsclient/state";
import { flag, number, resource, text } from "settings/values";
import { io, type Socket } from "socketio/client";
import type { SocketIOError } from "socketio/errors";

export type SocketIOClientConfig = Readonly<Record<string, unknown>>;

const stateNames = Object.freeze(["stopped", "connecting", "connected", "waiting to reconnect"]);

/** FNV-1a, 32 bits: a short fingerprint of binary arguments in the trace. */
function fingerprint(bytes: Uint8Array): string {
	let hash = 0x811c9dc5;
	for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
	return (hash >>> 0).toString(16).padStart(8, "0");
}

/** Arguments as JSON for the trace, bytes as <binary N bytes fnv1a XXXXXXXX>, cut at 300 characters. */
export function describe(args: unknown[]): string {
	let json: string;
	try {
		json = JSON.stringify(args, (_key, value) => {
			if (typeof value !== "object" || value === null) return value;
			const view = value instanceof ArrayBuffer ? new Uint8Array(value) : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : undefined;
			return view ? `<binary ${view.length} bytes fnv1a ${fingerprint(view)}>` : value;
		});
	} catch (error) {
		json = `(${(error as Error).message})`;
	}
	return json.length > 300 ? json.slice(0, 300) + "..." : json;
}

/** socketioAuth: a JSON object (a string on the mcconfig command line, an object in a manifest). */
function auth(config: SocketIOClientConfig): Record<string, unknown> | undefined {
	let value = config.socketioAuth;
	if (value === undefined || value === "") return undefined;
	const json = typeof value === "string" ? value : JSON.stringify(value);
	try {
		value = JSON.parse(json);
	} catch {
		value = undefined;
	}
	if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`mc/config socketioAuth: "${json}" is not a JSON object`);
	return value as Record<string, unknown>;
}

/**
 * Starts the Socket.IO client. Config keys: clientUrl (required: http://, https://, ws:// or
 * wss://), socketioPath, socketioNamespaces, socketioAuth, socketioAckTimeout, socketioReconnect,
 * socketioReconnectDelay, socketioReconnectDelayMax, clientConnectTimeout, clientMaxMessage,
 * clientCA, clientCertificate, clientKey, clientVerify, board, version.
 */
export function startSocketIOClient(config: SocketIOClientConfig): Socket {
	const url = text(config, "clientUrl", "");
	if (!url) throw new Error("mc/config clientUrl: the http:// or https:// URL of the Socket.IO server");
	const identity = { board: text(config, "board", "moddable"), version: text(config, "version", "") };
	const namespaces = text(config, "socketioNamespaces", "")
		.split(",")
		.map((name) => name.trim())
		.filter((name) => name);
	const certificate = resource(config, "clientCertificate");
	const reconnectDelayMax = number(config, "socketioReconnectDelayMax", 5000);
	const main = io(url, {
		path: text(config, "socketioPath", "/socket.io/"),
		auth: auth(config),
		autoConnect: false,
		reconnection: flag(config, "socketioReconnect", true),
		reconnectionDelay: number(config, "socketioReconnectDelay", 1000),
		reconnectionDelayMax: reconnectDelayMax,
		timeout: number(config, "clientConnectTimeout", 20_000),
		ackTimeout: number(config, "socketioAckTimeout", 10_000),
		maxMessage: number(config, "clientMaxMessage", 16384),
		tls: {
			ca: resource(config, "clientCA", "ca.der"),
			certificate,
			key: certificate === undefined ? undefined : resource(config, "clientKey"),
			verify: flag(config, "clientVerify", true),
		},
	});
	const manager = main.io;
	trace(`socketio: connecting to ${url} (${manager.uri})\n`);
	manager.on("state", (state: number) => {
		if (state !== ClientState.Connected) trace(`socketio: state ${stateNames[state] ?? state}\n`);
	});
	manager.on("open", () => trace(`socketio: session ${manager.sid} open\n`));
	manager.on("error", (error: SocketIOError) => trace(`socketio: error (${error.kind}): ${error.message}\n`));
	manager.on("close", (reason: string, error: SocketIOError) => trace(`socketio: connection closed: ${reason} (${error.kind}: ${error.message})\n`));
	manager.on("reconnect_attempt", (attempt: number) => trace(`socketio: reconnect attempt ${attempt}\n`));
	manager.on("reconnect", (attempts: number) => trace(`socketio: reconnected after ${attempts} attempt${attempts === 1 ? "" : "s"}\n`));
	manager.on("reconnect_failed", () => trace("socketio: gave up reconnecting\n"));

	const sockets = [main, ...namespaces.map((nsp) => main.of(nsp, { auth: main.auth, autoConnect: false }))];
	for (const socket of sockets) {
		const nsp = socket.nsp;
		socket.on("connect", () => {
			trace(`socketio: connected to ${nsp} as ${socket.id}\n`);
			const sent = socket.emit("hello", identity, (error: SocketIOError | null, ...args: unknown[]) => {
				if (error) trace(`socketio: hello on ${nsp} not acknowledged (${error.kind}): ${error.message}\n`);
				else trace(`socketio: hello on ${nsp} acknowledged: ${describe(args)}\n`);
			});
			if (sent) trace(`socketio: sent hello on ${nsp}\n`);
		});
		socket.on("connect_error", (error: SocketIOError) => {
			const data = error.data === undefined ? "" : ` ${describe([error.data])}`;
			trace(`socketio: connect_error on ${nsp} (${error.kind}): ${error.message}${data}\n`);
		});
		socket.on("disconnect", (reason: string, willReconnect: boolean) => {
			trace(`socketio: disconnected from ${nsp}: ${reason}${willReconnect ? "" : " (not reconnecting)"}\n`);
			// Socket.IO leaves a namespace the server disconnected alone; a device tries again later.
			if (reason === "io server disconnect")
				Timer.set(() => {
					if (!socket.active) socket.connect();
				}, reconnectDelayMax);
		});
		socket.onAny((event: string, ...args: unknown[]) => {
			const ack = typeof args[args.length - 1] === "function";
			if (ack) args.pop();
			trace(`socketio: event "${event}" on ${nsp}${ack ? " (ack requested)" : ""}: ${describe(args)}\n`);
		});
		socket.on("leave", () => {
			// The server asks the board to leave the namespace for a while (a DISCONNECT from this side).
			trace(`socketio: leaving ${nsp} for ${reconnectDelayMax} ms\n`);
			socket.disconnect();
			Timer.set(() => socket.connect(), reconnectDelayMax);
		});
		socket.on("echo", (...args: unknown[]) => {
			const last = args[args.length - 1];
			if (typeof last === "function") {
				args.pop();
				if (last(...args)) trace(`socketio: echo on ${nsp} answered with an ack of ${args.length} argument${args.length === 1 ? "" : "s"}\n`);
				else trace(`socketio: echo on ${nsp}: the ack could not be sent\n`);
			} else if (socket.emit("echo", ...args)) trace(`socketio: echo on ${nsp} sent back with ${args.length} argument${args.length === 1 ? "" : "s"}\n`);
			else trace(`socketio: echo on ${nsp} could not be sent back\n`);
		});
	}
	for (const socket of sockets) socket.connect();
	return main;
}
