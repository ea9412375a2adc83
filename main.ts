// The app: wiring and configuration only. Everything comes from mc/config (manifest.json, or
// name=value on the mcconfig / npm start command line, where values arrive as strings).
import config from "mc/config";
import Resource from "Resource";
import { flag as flagSetting, number as numberSetting, resource as resourceSetting, resources as resourcesSetting } from "settings/values";
import { startAtBridge } from "at/bridge";
import { boardClock, boardNetwork, preferenceStore } from "at/board";
import { sntpCommands } from "at/sntp";
import { sysmfgCommands } from "at/sysmfg";
import { websocketCommands } from "at/websocket";
import { wifiCommands } from "at/wifi";
import { startEchoClient } from "wsclient/app";
import { startSocketIOClient } from "socketio/app";
import { apiRoutes } from "wsserver/api";
import { consoleRoute } from "wsserver/page";
import { echo } from "wsserver/echo";
import { WebSocketServer, type WebSocketServerOptions } from "wsserver/server";
import { fromTestPki, serverCredentials } from "tlsserver/identity";
import TLSServerSocket, { prepareIdentity } from "tlsserver/socket";
import type { MemoryBudget } from "ws/budget";

const number = (name: string, fallback: number) => numberSetting(config, name, fallback);
const flag = (name: string, fallback: boolean) => flagSetting(config, name, fallback);

const resource = (name: string, fallback?: string) => resourceSetting(config, name, fallback);
const serverCertificate = () => resource("wssCertificate", "server-rsa.der");

// The certificates the build carries and uses: the TLS server's, and the CA the clients trust.
function certificatesInUse(): string[] {
	const names = [serverCertificate(), ...chain(), ...resourcesSetting(config, "wssClientCA"), resource("clientCA", "ca.der"), resource("clientCertificate", "client.der")];
	return names.filter((name, i): name is string => name !== undefined && names.indexOf(name) === i && Resource.exists(name));
}

// wssChain: from the server's issuer up (not the root).
const chain = () => resourcesSetting(config, "wssChain");

// The test PKI's keys are in the repository: a board that serves or trusts them is open to anyone.
function usesTestCertificates(): boolean {
	const test = certificatesInUse().filter((name) => fromTestPki(new Resource(name)));
	if (test.length) trace(`TLS: this build carries the test PKI of certs/ (${test.join(", ")}), whose private keys are public: build with your own (README) before a board leaves the bench\n`);
	return test.length > 0;
}

function echoServerOptions(): WebSocketServerOptions {
	return {
		port: number("wsPort", 8080),
		path: String(config.wsPath ?? "/ws"),
		maxClients: number("wsMaxClients", 8),
		maxConnections: config.wsMaxConnections === undefined ? undefined : number("wsMaxConnections", 12),
		maxPending: config.wsMaxPending === undefined ? undefined : number("wsMaxPending", 8),
		maxMessage: number("wsMaxMessage", 16384),
		pingInterval: number("wsPingInterval", 30_000),
		pongTimeout: number("wsPongTimeout", 10_000),
		handshakeTimeout: number("wsHandshakeTimeout", 10_000),
		headTimeout: number("wsHeadTimeout", 3000),
		writeTimeout: number("wsWriteTimeout", 10_000),
		maxBody: number("wsMaxBody", 4096),
		readBuffer: config.wsReadBuffer === undefined ? undefined : number("wsReadBuffer", 1536),
		memoryBudget: config.wsMemoryBudget === undefined ? undefined : number("wsMemoryBudget", 49152),
		greeting: String(config.wsGreeting ?? ""),
		routes: [
			consoleRoute("/"),
			...apiRoutes({ version: String(config.version ?? ""), profile: String(config.profile ?? ""), testCertificates: usesTestCertificates() }),
		],
		onMessage: echo,
		tls: tlsOptions(),
	};
}

// wss:// and https:// on wssPort (0: none), by the same server: the same routes, limits and
// memory budget, at most wssMaxClients of its WebSocket clients.
function tlsOptions(): WebSocketServerOptions["tls"] {
	const port = number("wssPort", 0);
	if (!port) return undefined;
	const credentials = serverCredentials({
		certificate: serverCertificate() ?? "",
		key: resource("wssKey", "server-rsa-key.der") ?? "",
		chain: chain(),
		clientAuthorities: resourcesSetting(config, "wssClientCA"),
	});
	return { port, Socket: TLSServerSocket, identity: prepareIdentity(credentials), maxClients: number("wssMaxClients", 2) };
}

// The server's memory budget is the AT bridge's too: a link's data and the server's never fill
// the heap together.
function startAtConsole(budget: MemoryBudget | undefined) {
	startAtBridge({
		budget,
		uart: {
			device: config.atDevice as string | undefined,
			port: config.atPort === undefined ? undefined : number("atPort", 1),
			receive: config.atReceive === undefined ? undefined : number("atReceive", 16),
			transmit: config.atTransmit === undefined ? undefined : number("atTransmit", 17),
			baud: number("atBaud", 115200),
		},
		version: {
			at: String(config.atVersion),
			sdk: "Moddable SDK",
			commit: "moddable",
			compiled: "",
			bin: String(config.atBinVersion),
		},
		// ESP-AT's registration order (AT+CMD?, spec §2.1): base and system, Wi-Fi, TCP/IP, WebSocket.
		tables(urc) {
			const store = preferenceStore({ maxValue: number("atPreferenceValue", 4000) });
			return [
				sysmfgCommands({ store }),
				wifiCommands(boardNetwork(urc)),
				sntpCommands(boardClock(urc)),
				websocketCommands({ store, urc, budget, links: number("atLinks", 3), log: (message) => trace(message + "\n") }),
			];
		},
	});
}

export default function main() {
	try {
		start();
	} catch (error) {
		// A configuration the app cannot run with stops it; XS names only where an uncaught
		// exception was thrown, so its message (which says what to change) is traced first.
		trace(`start-up failed: ${(error as Error).message}\n`);
		throw error;
	}
}

function start() {
	// role "server": the echo server; "client": the echo client of wsclient/app (clientUrl...);
	// "socketio": the Socket.IO client of socketio/app (clientUrl, socketio...).
	let server: WebSocketServer | undefined;
	if (config.role === "client") startEchoClient(config);
	else if (config.role === "socketio") startSocketIOClient(config);
	else server = new WebSocketServer(echoServerOptions());
	if (flag("at", true)) startAtConsole(server?.budget);
}
