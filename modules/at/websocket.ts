// ESP-AT spec §3: the WebSocket commands (AT+WSCFG, AT+WSOPEN, AT+WSHEAD, AT+WSSEND,
// AT+WSDATAFMT, AT+WSCLOSE) and their URCs, on three links of the wsclient client. The client
// already keeps ESP-AT's link states, delivers data in buffer_size pieces, keeps the link alive
// and reconnects (§3.8, §3.9); this table maps commands and client events to ESP-AT's bytes.
import Timer from "timer";
import { parseUri } from "ws/uri";
import type { MemoryBudget } from "ws/budget";
import { WebSocketClient } from "wsclient/client";
import { ClientState } from "wsclient/state";
import type { TlsOptions } from "wsclient/credentials";
import type { Parameters } from "at/parameters";
import { toDer } from "at/pem";
import { Result } from "at/results";
import type { ManufacturingStore } from "at/sysmfg";
import { commandList, type Call, type Command, type CommandTable } from "at/table";
import { defaultDataFormat, formatData, type DataFormat } from "at/wsdata";
import type { Output } from "at/writer";

/** §3.0: link ids 0, 1, 2; a smaller build may offer fewer (ids beyond them answer ERROR). */
export const maxLinkCount = 3;
/** §3.4: the largest AT+WSSEND payload (master; 8192 in the releases). */
export const maxSendLength = 16384;
/** §3.1: buffer_size range and default. */
export const maxBufferSize = 16384;
export const defaultBufferSize = 1024;

// §3.0: fixed client parameters not settable through AT.
const networkTimeout = 10_000;
const reconnectDelay = 10_000;
// §3.1 / §3.8: keep-alive defaults when WSCFG was never issued.
const defaultPingInterval = 10;
const defaultPongTimeout = 120;
// §3.3: the upgrade request ESP-IDF's transport sends.
const userAgent = "ESP32 Websocket Client";
// Largest AT+WSHEAD header (§3.2 has no limit but memory; the whole request must fit ~1 KB upstream).
const maxHeaderLength = 4096;
// Every frame header a client adds is at most 14 bytes (RFC 6455 §5.2).
const frameOverhead = 14;
// A link's send queue: one whole AT+WSSEND with its frame headers, and as much again waiting for TCP.
const sendQueue = 2 * (maxSendLength + 16 * frameOverhead);
// How often a send waiting for room in the queue looks again (§3.4 timeout_ms bounds the wait).
const sendRetry = 5;

/** Where the table's URCs go (§1.10): each call prints one whole URC; `after` runs an action
 *  once every URC printed before it has gone out, so that a final result keeps its place after
 *  the URC it follows (`+WS_CONNECTED` before `OK`, §1.10). */
export interface UrcOutput {
	print(parts: Output[], data?: boolean): void;
	after(action: () => void): void;
	/** Whether `+WS_DATA` is piling up faster than the UART carries it. */
	congested(): boolean;
	/** Calls `resume` once there is room again. */
	whenRoom(resume: () => void): void;
}

export interface WebSocketOptions {
	/** AT+SYSMFG's store (§2.4): wss_ca, wss_cert and wss_key, read when AT+WSCFG runs. */
	store: ManufacturingStore;
	urc: UrcOutput;
	/** How many links (ids 0 to links - 1): 1 to 3, default 3. */
	links?: number;
	/** Diagnostics (why a connection failed); default: none. */
	log?(message: string): void;
	/** The app's memory budget (ws/budget): the links' data counts against it, a link stops
	 *  reading while it has no room, and AT+WSSEND's prompt waits for room for its data. */
	budget?: MemoryBudget;
}

/** §3.1: what AT+WSCFG stores for a link's next AT+WSOPEN. */
interface LinkConfig {
	pingInterval: number; // s
	pongTimeout: number; // s
	bufferSize: number;
	tls?: TlsOptions;
}

interface Link {
	readonly id: number;
	readonly table: WebSocketTable;
	/** §3.0: from AT+WSCFG until the client it configured ends. */
	config: LinkConfig | undefined;
	/** §3.5: until restart. */
	format: DataFormat;
	/** §3.0: exists from AT+WSOPEN until AT+WSCLOSE, +WS_CLOSED or a failed open. */
	client: WebSocketClient | undefined;
	uri: string;
	/** The transmit fragment size of the open client (§3.1). */
	bufferSize: number;
	/** The AT+WSOPEN waiting for its outcome, and its timeout_ms timer. */
	opening: { call: Call; timer: Timer } | undefined;
}

interface Header {
	/** As typed: what AT+WSHEAD? prints. */
	text: Uint8Array;
	key: string;
	value: string;
}

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/** §3's commands with their links and the headers AT+WSHEAD keeps. */
export class WebSocketTable implements CommandTable {
	readonly store: ManufacturingStore;
	readonly urc: UrcOutput;
	readonly log: (message: string) => void;
	readonly budget: MemoryBudget | undefined;
	readonly links: readonly Link[];
	/** §3.2: global, newest first. */
	headers: Header[] = [];

	constructor(options: WebSocketOptions) {
		this.store = options.store;
		this.urc = options.urc;
		this.log = options.log ?? ignore;
		this.budget = options.budget;
		const linkCount = Math.max(1, Math.min(maxLinkCount, options.links ?? maxLinkCount));
		const links: Link[] = [];
		for (let id = 0; id < linkCount; id++) links.push({ id, table: this, config: undefined, format: defaultDataFormat, client: undefined, uri: "", bufferSize: defaultBufferSize, opening: undefined });
		this.links = links;
	}

	get commands(): readonly Command<WebSocketTable>[] {
		return commands;
	}

	// §2.1 AT+RST: links closed without URC, headers cleared, WSCFG and WSDATAFMT reset.
	reset() {
		for (const target of this.links) {
			release(target, true);
			target.format = defaultDataFormat;
		}
		this.headers = [];
	}
}

export function websocketCommands(options: WebSocketOptions): CommandTable {
	return new WebSocketTable(options);
}

function ignore() {}

function linkOf(table: WebSocketTable, parameters: Parameters): Link | undefined {
	const id = parameters.int(0);
	return id !== undefined && id >= 0 && id < table.links.length ? table.links[id] : undefined;
}

// §3.0: the client ends, and the config it consumed with it.
function release(link: Link, terminate: boolean) {
	const client = link.client;
	link.client = undefined;
	link.config = undefined;
	if (link.opening) {
		Timer.clear(link.opening.timer);
		link.opening = undefined;
	}
	if (terminate) client?.terminate();
}

function countOf(table: WebSocketTable, namespace: string): number {
	return table.store.keys(namespace)?.length ?? 0;
}

function credential(table: WebSocketTable, namespace: string, index: number): Uint8Array | undefined {
	const stored = table.store.read(namespace, `${namespace}.${index}`);
	return stored ? toDer(stored.value) : undefined;
}

// --- AT+WSCFG (§3.1) ------------------------------------------------------------------------

function configure(call: Call, parameters: Parameters, table: WebSocketTable): Result {
	const count3 = parameters.count;
	if (count3 !== 3 && count3 !== 4 && count3 !== 5 && count3 !== 7) return Result.Error;
	const target = linkOf(table, parameters);
	if (!target) return Result.Error;
	const inRange = (value: number | undefined, min: number, max: number) => value !== undefined && value >= min && value <= max;
	const pingInterval = parameters.int(1);
	const pongTimeout = parameters.int(2);
	if (!inRange(pingInterval, 1, 7200) || !inRange(pongTimeout, 1, 7200)) return Result.Error;
	const bufferSize = count3 >= 4 ? parameters.int(3) : defaultBufferSize;
	if (!inRange(bufferSize, 1, maxBufferSize)) return Result.Error;
	let authMode = 0;
	let pki = 0;
	let ca = 0;
	if (count3 >= 5) {
		const mode = parameters.int(4);
		// §3.1: auth_mode 0 comes alone; 1..3 come with both numbers.
		if (count3 === 5 ? mode !== 0 : !inRange(mode, 1, 3)) return Result.Error;
		authMode = mode!;
	}
	if (count3 === 7) {
		const pkiNumber = parameters.int(5);
		const caNumber = parameters.int(6);
		if (!inRange(pkiNumber, 0, 0x7fffffff) || !inRange(caNumber, 0, 0x7fffffff)) return Result.Error;
		pki = pkiNumber!;
		ca = caNumber!;
	}
	// §2.4: "index < number of stored entries of that kind".
	if (authMode & 1) {
		if (pki >= countOf(table, "wss_cert")) return (call.info("NO CERT FOUND"), Result.Error);
		if (pki >= countOf(table, "wss_key")) return (call.info("NO PRVT_KEY FOUND"), Result.Error);
	}
	if (authMode & 2 && ca >= countOf(table, "wss_ca")) return (call.info("NO CA FOUND"), Result.Error);
	// §3.1: a certificate that cannot be read fails after the previous config is gone.
	target.config = undefined;
	const config: LinkConfig = { pingInterval: pingInterval!, pongTimeout: pongTimeout!, bufferSize: bufferSize! };
	if (authMode) {
		// §2.4: without a CA the server is not verified at all.
		const tls: TlsOptions = { verify: false };
		if (authMode & 2) {
			tls.ca = credential(table, "wss_ca", ca);
			if (!tls.ca) return Result.Error;
			tls.verify = true;
		}
		if (authMode & 1) {
			tls.certificate = credential(table, "wss_cert", pki);
			tls.key = credential(table, "wss_key", pki);
			if (!tls.certificate || !tls.key) return Result.Error;
		}
		config.tls = tls;
	}
	target.config = config;
	return Result.OK;
}

// --- AT+WSHEAD (§3.2) -----------------------------------------------------------------------

function addHeader(table: WebSocketTable, data: Uint8Array): Result {
	// §3.2: no NUL, not ending in CR LF, and a `:` between key and value.
	if (data.includes(0)) return Result.Error;
	if (data.length >= 2 && data[data.length - 2] === CR && data[data.length - 1] === LF) return Result.Error;
	const colon = data.indexOf(COLON);
	if (colon < 0) return Result.Error;
	const text = data.slice();
	let key: string;
	let value: string;
	try {
		key = utf8(text.subarray(0, colon));
		value = utf8(text.subarray(colon + 1));
	} catch {
		return Result.Error; // the upgrade request is written as UTF-8 text
	}
	table.headers.unshift({ text, key, value });
	return Result.OK;
}

// --- AT+WSOPEN (§3.3) -----------------------------------------------------------------------

function open(call: Call, parameters: Parameters, table: WebSocketTable): Result {
	const count = parameters.count;
	if (count < 2 || count > 5) return Result.Error;
	const target = linkOf(table, parameters);
	if (!target) return Result.Error;
	const uri = parameters.string(1);
	if (uri === undefined) return Result.Error;
	const subprotocol = count > 2 ? parameters.string(2) : undefined;
	let timeout = 15_000;
	if (count > 3) {
		const value = parameters.int(3);
		if (value === undefined || value < 1 || value > 180_000) return Result.Error;
		timeout = value;
	}
	const auth = count > 4 ? parameters.string(4) : undefined;
	if (auth !== undefined && auth.endsWith("\r\n")) return Result.Error;
	if (target.client) return Result.Error;
	// §3.3 steps 3 and 4: an unparsable URI keeps the stored WSCFG; another scheme does not.
	const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri);
	if (!scheme) return Result.Error;
	const config = target.config;
	target.config = undefined;
	let parsed;
	try {
		parsed = parseUri(uri);
	} catch {
		return Result.Error;
	}
	const requestHeaders: Array<[string, string]> = [
		// §3.3: the port is always in Host; servers must see it.
		["Host", `${parsed.host}:${parsed.port}`],
		["User-Agent", userAgent],
	];
	// §3.2: `<key>: <value>` with the value's own leading space, newest first.
	for (const header of table.headers) requestHeaders.push([header.key, header.value]);
	if (auth !== undefined) requestHeaders.push(["Authorization", auth]);
	const bufferSize = config?.bufferSize ?? defaultBufferSize;
	let client: WebSocketClient;
	try {
		client = new WebSocketClient({
			url: uri,
			subprotocols: subprotocol === undefined ? undefined : [subprotocol],
			headers: requestHeaders,
			// §3.7: data goes out in buffer_size pieces as it arrives; no message is kept whole.
			chunkSize: bufferSize,
			maxMessage: 0x7fffffff,
			maxQueue: sendQueue,
			budget: table.budget,
			connectTimeout: networkTimeout,
			pingInterval: (config?.pingInterval ?? defaultPingInterval) * 1000,
			pongTimeout: (config?.pongTimeout ?? defaultPongTimeout) * 1000,
			reconnect: reconnectDelay,
			tls: config?.tls ?? { verify: false },
			context: target,
			onOpen: linkOpened,
			onChunk: linkData,
			onClose: linkClosed,
			onError: linkFailed,
			onStateChange: linkStateChanged,
		});
	} catch (error) {
		// A certificate or key the TLS cannot use fails like a TLS handshake (§3.3 step 5).
		table.log(`at: link ${target.id}: ${(error as Error).message}`);
		if (!parsed.secure) return Result.Error;
		table.urc.print([`+WS_DISCONNECTED:${target.id}\r\n`]);
		table.urc.after(() => call.finish(Result.Error));
		return Result.Pending;
	}
	target.client = client;
	target.uri = uri;
	target.bufferSize = bufferSize;
	// §3.3 step 5: no outcome within timeout_ms: ERROR, the client destroyed.
	const timer = Timer.set(() => {
		if (target.client !== client) return;
		target.opening = undefined;
		release(target, true);
		table.urc.after(() => call.finish(Result.Error));
	}, timeout);
	target.opening = { call, timer };
	return Result.Pending;
}

// The links' client callbacks: shared functions, `this` the client, its context the link.

function linkOpened(this: WebSocketClient) {
	const target = this.context as Link;
	if (target.client !== this) return;
	const urc = target.table.urc;
	urc.print([`+WS_CONNECTED:${target.id}\r\n`]);
	const opening = target.opening;
	if (opening) {
		Timer.clear(opening.timer);
		target.opening = undefined;
		urc.after(() => opening.call.finish(Result.OK));
	}
}

function linkData(this: WebSocketClient, opcode: number, fin: boolean, frameLength: number, offset: number, bytes: Uint8Array) {
	const target = this.context as Link;
	if (target.client !== this) return;
	const urc = target.table.urc;
	urc.print(formatData(target.id, target.format, { opcode, fin, frameLength, offset, bytes }), true);
	// Backpressure: a link that outruns the UART stops reading until the UART catches up, and TCP
	// holds its server back; no +WS_DATA is dropped.
	if (urc.congested()) {
		const client = this;
		client.pauseReading();
		urc.whenRoom(() => client.resumeReading());
	}
}

function linkClosed(this: WebSocketClient, _code: number, _reason: string, wasClean: boolean) {
	const target = this.context as Link;
	if (target.client !== this) return;
	const urc = target.table.urc;
	if (wasClean) {
		// §3.7: a close frame from the server frees the link at once; the client answers it and
		// closes TCP in the background.
		urc.print([`+WS_CLOSED:${target.id}\r\n`]);
		release(target, false);
		return;
	}
	urc.print([`+WS_DISCONNECTED:${target.id}\r\n`]);
	const opening = target.opening;
	if (opening) {
		// §3.3: a failed open never retries; the URC comes before ERROR.
		release(target, true);
		urc.after(() => opening.call.finish(Result.Error));
	}
}

function linkFailed(this: WebSocketClient, error: Error) {
	const target = this.context as Link;
	if (target.client === this) target.table.log(`at: link ${target.id}: ${error.message}`);
}

function linkStateChanged(this: WebSocketClient, state: number) {
	const target = this.context as Link;
	// Not connected and not trying again: the client is gone (§3.0).
	if (target.client === this && state === ClientState.Stopped) release(target, false);
}

function list(call: Call, table: WebSocketTable): Result {
	for (const target of table.links) if (target.client) call.info(`+WSOPEN:${target.id},${target.client.state},"${target.uri}"`);
	return Result.OK;
}

// --- AT+WSSEND (§3.4) -----------------------------------------------------------------------

function send(call: Call, parameters: Parameters, table: WebSocketTable): Result {
	const count = parameters.count;
	if (count < 2 || count > 5) return Result.Error;
	const target = linkOf(table, parameters);
	if (!target) return Result.Error;
	const length = parameters.int(1);
	if (length === undefined || length < 0 || length > maxSendLength) return Result.Error;
	let opcode = 1;
	let timeout = 10_000;
	let fin = true;
	if (count > 2) {
		const value = parameters.int(2);
		if (value === undefined || value < 0 || value > 15) return Result.Error;
		opcode = value;
	}
	if (count > 3) {
		const value = parameters.int(3);
		if (value === undefined || value < 0 || value > 60_000) return Result.Error;
		timeout = value;
	}
	if (count > 4) {
		const value = parameters.int(4);
		if (value !== 0 && value !== 1) return Result.Error;
		fin = value === 1;
	}
	// §3.4 step 2: only the existence of the client is checked before the prompt.
	if (!target.client) return Result.Error;
	if (length === 0) return transmit(call, target, opcode, fin, new Uint8Array(0), timeout);
	const received = (data: Uint8Array) => transmit(call, target, opcode, fin, data, timeout);
	// §1.8: the host sends the data only after the prompt, so the prompt waits until the memory
	// budget has room for the data (one send always goes: the budget is empty).
	const budget = table.budget;
	if (!budget || budget.admits(length)) return call.receive(length, received);
	const waiter = {
		roomAgain() {
			if (!call.active) return;
			if (budget.admits(length)) call.receive(length, received);
			else budget.whenRoom(waiter);
		},
	};
	budget.whenRoom(waiter);
	return Result.Pending;
}

// §3.4 frame construction; SEND OK once every frame is in the client's queue to the socket.
function transmit(call: Call, target: Link, opcode: number, fin: boolean, data: Uint8Array, timeout: number): Result {
	const client = target.client;
	if (!client || client.state !== ClientState.Connected) return Result.Error;
	// §3.4: opcodes 3..15 are single frames and must carry FIN.
	if (opcode >= 3 && !fin) return Result.Error;
	if (opcode === 0 && fin) {
		// §3.4 quirk: an empty final continuation frame; the payload is ignored, and only an
		// empty one earns SEND OK.
		if (!client.sendFrame(0, new Uint8Array(0), true)) return Result.Error;
		return data.length ? Result.Error : Result.SendOK;
	}
	const size = opcode >= 3 ? Math.max(data.length, 1) : target.bufferSize;
	const frames = Math.max(1, Math.ceil(data.length / size));
	const needed = data.length + frames * frameOverhead;
	const write = (): Result => {
		try {
			// The data is this command's own (the engine gives it up): masked in place, not copied.
			if (opcode >= 3) return client.sendFrame(opcode, data, true, true) ? Result.SendOK : Result.Error;
			// §3.4: pieces of at most buffer_size; the first carries the opcode, the rest are
			// continuation frames, FIN (when asked) only on the last.
			for (let offset = 0; ; offset += size) {
				const last = offset + size >= data.length;
				if (!client.sendFrame(offset === 0 ? opcode : 0, data.subarray(offset, offset + size), last && fin, true)) return Result.Error;
				if (last) return Result.SendOK;
			}
		} catch {
			return Result.Error; // a control frame over 125 bytes (RFC 6455 §5.5)
		}
	};
	if (client.bufferedAmount + needed <= sendQueue) return write();
	// §3.4: timeout_ms bounds the wait for room in the socket's queue.
	const kept = data.slice();
	data = kept;
	const deadline = Date.now() + timeout;
	const retry = () => {
		if (!call.active) return;
		if (target.client !== client || client.state !== ClientState.Connected) return call.finish(Result.Error);
		if (client.bufferedAmount + needed <= sendQueue) return call.finish(write());
		if (Date.now() >= deadline) return call.finish(Result.Error);
		Timer.set(retry, sendRetry);
	};
	Timer.set(retry, sendRetry);
	return Result.Pending;
}

const commands = commandList<WebSocketTable>([
	{ name: "+WSCFG", set: configure },
	{ name: "+WSOPEN", query: list, set: open },
	{
		name: "+WSHEAD",
		query(call, table) {
			// §3.2: the text as typed, quotes not escaped.
			table.headers.forEach((header, index) => call.print(`+WSHEAD:${index},"`, header.text, `"\r\n`));
			return Result.OK;
		},
		set(call, parameters, table) {
			if (parameters.count !== 1) return Result.Error;
			const length = parameters.int(0);
			if (length === undefined || length < 0 || length > maxHeaderLength) return Result.Error;
			if (length === 0) {
				table.headers = [];
				return Result.OK;
			}
			return call.receive(length, (data) => addHeader(table, data));
		},
	},
	{ name: "+WSSEND", set: send },
	{
		name: "+WSDATAFMT",
		// §3.5: exactly three fields; empty ones reset to 0 / 48.
		set(_call, parameters, table) {
			if (parameters.count !== 3) return Result.Error;
			const target = linkOf(table, parameters);
			if (!target) return Result.Error;
			const level = parameters.int(1) ?? defaultDataFormat.level;
			const mask = parameters.int(2) ?? defaultDataFormat.mask;
			if (level < 0 || level > 2 || mask < 1 || mask > 63) return Result.Error;
			target.format = { level, mask };
			return Result.OK;
		},
	},
	{
		name: "+WSCLOSE",
		// §3.6: OK for any valid id, open or not; no close frame, no URC.
		set(_call, parameters, table) {
			if (parameters.count !== 1) return Result.Error;
			const target = linkOf(table, parameters);
			if (!target) return Result.Error;
			release(target, true);
			return Result.OK;
		},
	},
]);

function utf8(bytes: Uint8Array): string {
	return bytes.length ? String.fromArrayBuffer(bytes.slice().buffer) : "";
}
