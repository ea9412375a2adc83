// The client role of the app: connect to a configured URL, send a greeting, echo back every
// message (text as text, binary as binary), report through trace, and reconnect or stop as
// configured. main.ts calls startEchoClient(config) with mc/config, whose values may be strings
// (name=value on the mcconfig command line).
import { WebSocketClient } from "wsclient/client";
import { ClientState } from "wsclient/state";
import { flag, number, resource, text } from "settings/values";

export type EchoClientConfig = Readonly<Record<string, unknown>>;

const stateNames = Object.freeze(["stopped", "connecting", "connected", "waiting to reconnect", "closing"]);

/**
 * Starts the echo client. Config keys: clientUrl (required), clientGreeting, clientReconnect,
 * clientSubprotocols, clientConnectTimeout, clientPingInterval, clientPongTimeout,
 * clientMaxMessage, clientCA, clientCertificate, clientKey, clientVerify, board.
 */
export function startEchoClient(config: EchoClientConfig): WebSocketClient {
	const url = text(config, "clientUrl", "");
	if (!url) throw new Error("mc/config clientUrl: the ws:// or wss:// URL the client connects to");
	const greeting = text(config, "clientGreeting", `hello from ${text(config, "board", "moddable")}`);
	const subprotocols = text(config, "clientSubprotocols", "")
		.split(",")
		.map((name) => name.trim())
		.filter((name) => name);
	const certificate = resource(config, "clientCertificate");
	const reconnect = number(config, "clientReconnect", 10_000);
	trace(`wsclient: connecting to ${url}\n`);
	return new WebSocketClient({
		url,
		subprotocols,
		connectTimeout: number(config, "clientConnectTimeout", 10_000),
		pingInterval: number(config, "clientPingInterval", 30_000),
		pongTimeout: number(config, "clientPongTimeout", 10_000),
		maxMessage: number(config, "clientMaxMessage", 16384),
		reconnect,
		// A device keeps trying even when the server is not up yet at boot.
		reconnectFirst: reconnect > 0,
		tls: {
			ca: resource(config, "clientCA", "ca.der"),
			certificate,
			key: certificate === undefined ? undefined : resource(config, "clientKey"),
			verify: flag(config, "clientVerify", true),
		},
		onOpen(subprotocol) {
			trace(`wsclient: connected to ${url}${subprotocol === undefined ? "" : ` (subprotocol ${subprotocol})`}\n`);
			this.send(greeting);
			trace(`wsclient: sent greeting "${greeting}"\n`);
		},
		onMessage(data) {
			const kind = typeof data === "string" ? "text" : "binary";
			const length = typeof data === "string" ? data.length : data.byteLength;
			if (this.send(data)) trace(`wsclient: echoed ${kind} message of ${length} ${typeof data === "string" ? "characters" : "bytes"}\n`);
			else trace(`wsclient: could not echo a ${kind} message of ${length}: the send queue is full\n`);
		},
		onError(error) {
			trace(`wsclient: error (${error.kind}): ${error.message}\n`);
		},
		onClose(code, reason, wasClean) {
			trace(`wsclient: closed ${code}${reason ? ` "${reason}"` : ""}${wasClean ? "" : " (not clean)"}\n`);
		},
		onStateChange(state) {
			const name = stateNames[state] ?? String(state);
			if (state === ClientState.WaitingToReconnect) trace(`wsclient: state ${name} in ${reconnect} ms\n`);
			else trace(`wsclient: state ${name}\n`);
		},
	});
}
