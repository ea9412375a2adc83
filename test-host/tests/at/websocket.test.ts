// ESP-AT spec §3: the WebSocket AT commands end to end: host bytes in on a serial line, a real
// WebSocket server (Node `ws` and Python websockets) on the other side of the bridge.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startEchoServer, type EchoServer } from "../../servers/echo-server.ts";
import { startPythonServer, type PythonServer } from "../../clients/peers.ts";
import type { AtSession } from "../../at/session.ts";
import { BUSY, ERROR, OK, PROMPT, SEND_OK, command, startBridge, type Bridge } from "./target.ts";

let bridge: Bridge;
let at: AtSession;
let node: EchoServer;
let python: PythonServer;

before(async () => {
	[bridge, node, python] = await Promise.all([startBridge(), startEchoServer(), startPythonServer("ws-server.py")]);
	at = bridge.at;
});
after(async () => {
	await bridge?.stop();
	await node?.close();
	await python?.stop();
});

const nodeUrl = () => `ws://127.0.0.1:${node.port}/`;
const pythonUrl = () => `ws://127.0.0.1:${python.port}`;

async function open(id: number, url: string) {
	await command(at, `AT+WSOPEN=${id},"${url}"`, `+WS_CONNECTED:${id}\r\n${OK}`);
}

async function close(id: number) {
	await command(at, `AT+WSCLOSE=${id}`, OK);
}

/** AT+WSSEND with the data phase; the echo's +WS_DATA may come before or after SEND OK (§1.10). */
async function send(id: number, payload: string, parameters = "") {
	await command(at, `AT+WSSEND=${id},${payload.length}${parameters}`, PROMPT);
	await at.send(payload);
}

/** §3.7: +WS_DATA pieces of link `id` until `length` bytes came; each piece at most `bufferSize`. */
async function receive(id: number, length: number, bufferSize = 1024): Promise<string> {
	let data = "";
	while (data.length < length) {
		const [, size] = await at.read(new RegExp(`\\+WS_DATA:${id},(\\d+),`));
		assert.ok(Number(size) <= bufferSize, `a +WS_DATA piece of ${size} bytes, over buffer_size ${bufferSize}`);
		data += await at.readBytes(Number(size));
		await at.expect("\r\n");
	}
	return data;
}

/** Every byte value, then CR, LF, NUL and commas, repeated to `length`. */
function payload(length: number): string {
	let text = "";
	for (let index = 0; index < length; index++) text += String.fromCharCode(index < 256 ? index : "\r\n\0,\"+"[index % 6].charCodeAt(0) ^ (index & 0x80));
	return text;
}

describe("AT+CMD? (§2.1)", () => {
	test("lists the WebSocket commands in ESP-AT's order with their handler flags", async () => {
		await at.send("AT+CMD?\r\n");
		const [listing] = await at.read(/(?:\+CMD:[^\r]*\r\n)+\r\nOK\r\n/);
		const ws = [...listing.matchAll(/\+CMD:\d+,("AT\+WS[^"]*",\d,\d,\d,\d)/g)].map((match) => match[1]);
		assert.deepEqual(ws, [
			'"AT+WSCFG",0,0,1,0',
			'"AT+WSOPEN",0,1,1,0',
			'"AT+WSHEAD",0,1,1,0',
			'"AT+WSSEND",0,0,1,0',
			'"AT+WSDATAFMT",0,0,1,0',
			'"AT+WSCLOSE",0,0,1,0',
		]);
		assert.ok(listing.startsWith('+CMD:0,"AT",0,0,0,1\r\n+CMD:1,"ATE0",0,0,0,1\r\n+CMD:2,"ATE1",0,0,0,1\r\n+CMD:3,"AT+RST",0,0,1,1\r\n'));
	});
});

describe("the seed's walkthrough over TCP (§3.3, §3.4, §3.7)", () => {
	test("open, send 4 bytes, the echo as +WS_DATA, list, close", async () => {
		await open(0, pythonUrl());
		await command(at, "AT+WSOPEN?", `+WSOPEN:0,2,"${pythonUrl()}"\r\n${OK}`);
		await send(0, "test");
		await at.expectAnyOrder([SEND_OK, "+WS_DATA:0,4,test\r\n"]);
		await close(0);
		await command(at, "AT+WSOPEN?", OK);
	});

	test("the upgrade request: Host with its port, ESP-IDF's User-Agent, WSHEAD headers newest first, auth", async () => {
		for (const header of ["X-One: 1", "X-Two:22"]) {
			await command(at, `AT+WSHEAD=${header.length}`, PROMPT);
			await at.send(header);
			await at.expect(OK);
		}
		await command(at, "AT+WSHEAD?", `+WSHEAD:0,"X-Two:22"\r\n+WSHEAD:1,"X-One: 1"\r\n${OK}`);
		const requests = node.events.filter((event) => event.type === "request").length;
		await command(at, `AT+WSOPEN=1,"${nodeUrl()}chat?room=1","chat",5000,"Bearer abc"`, `+WS_CONNECTED:1\r\n${OK}`);
		const request = await node.waitFor("request", requests + 1);
		assert.equal(request.path, "/chat?room=1");
		assert.equal(request.headers.host, `127.0.0.1:${node.port}`);
		assert.equal(request.headers["user-agent"], "ESP32 Websocket Client");
		assert.equal(request.headers["sec-websocket-protocol"], "chat");
		assert.equal(request.headers["x-one"], "1"); // sent as "X-One:  1": HTTP drops the spaces
		assert.equal(request.headers["x-two"], "22");
		assert.equal(request.headers.authorization, "Bearer abc");
		await close(1);
		await command(at, "AT+WSHEAD=0", OK);
		await command(at, "AT+WSHEAD?", OK);
	});
});

describe("payloads through the bridge (§3.4, §3.7)", () => {
	for (const [server, url] of [["Node ws", nodeUrl], ["Python websockets", pythonUrl]] as const) {
		test(`${server}: binary of 1 byte to 16 KiB with every byte value, CR, LF, NUL and commas`, async () => {
			await command(at, "AT+WSCFG=0,30,60,16384", OK);
			await open(0, url());
			for (const length of [1, 2, 255, 256, 1023, 1024, 1025, 4096, 16384]) {
				const data = payload(length);
				await send(0, data, ",2");
				await at.expect(SEND_OK);
				assert.equal(await receive(0, length, 16384), data, `${length} bytes`);
			}
			await close(0);
		});
	}

	test("text of 1 byte to 16 KiB, split into +WS_DATA pieces of at most the default 1024 bytes", async () => {
		await open(2, nodeUrl());
		for (const length of [1, 100, 1024, 5000, 16384]) {
			const text = "0123456789abcdef,\r\n".repeat(Math.ceil(length / 19)).slice(0, length);
			await send(2, text);
			await at.expect(SEND_OK);
			assert.equal(await receive(2, length, 1024), text, `${length} bytes`);
		}
		await close(2);
	});

	test("WSCFG buffer_size splits both ways: frames sent of at most B, +WS_DATA of at most B", async () => {
		await command(at, "AT+WSCFG=0,30,60,4", OK);
		await open(0, nodeUrl());
		const messages = node.events.filter((event) => event.type === "message").length;
		await send(0, "0123456789");
		await at.expect(SEND_OK);
		// The server reassembles one message from the frames of 4, 4 and 2 bytes.
		const message = await node.waitFor("message", messages + 1);
		assert.equal(message.data.toString(), "0123456789");
		await at.expect("+WS_DATA:0,4,0123\r\n+WS_DATA:0,4,4567\r\n+WS_DATA:0,2,89\r\n");
		await close(0);
	});

	test("a fragmented message: text with fin 0, a continuation with fin 0, the empty final continuation", async () => {
		await open(0, nodeUrl());
		const messages = node.events.filter((event) => event.type === "message").length;
		await send(0, "abc", ",1,10000,0");
		await at.expect(SEND_OK);
		await send(0, "def", ",0,10000,0");
		await at.expect(SEND_OK);
		await command(at, "AT+WSSEND=0,0,0,10000,1", SEND_OK);
		const message = await node.waitFor("message", messages + 1);
		assert.equal(message.data.toString(), "abcdef");
		assert.equal(message.isBinary, false);
		await at.expect("+WS_DATA:0,6,abcdef\r\n");
		await close(0);
	});

	test("§3.4 quirk: opcode 0 with fin 1 and data sends the empty final frame and answers ERROR", async () => {
		await open(0, nodeUrl());
		const messages = node.events.filter((event) => event.type === "message").length;
		await send(0, "ab", ",1,10000,0");
		await at.expect(SEND_OK);
		await send(0, "cd", ",0,10000,1");
		await at.expect(ERROR);
		const message = await node.waitFor("message", messages + 1);
		assert.equal(message.data.toString(), "ab");
		await at.expect("+WS_DATA:0,2,ab\r\n");
		await close(0);
	});

	test("more data than declared: busy p... then SEND OK; only the declared bytes go out", async () => {
		await open(0, nodeUrl());
		await command(at, "AT+WSSEND=0,4", PROMPT);
		await at.send("testEXTRA");
		await at.expect(BUSY + SEND_OK);
		await at.expect("+WS_DATA:0,4,test\r\n");
		await close(0);
	});

	test("AT+WSDATAFMT: mask 63 at level 0 prints every field", async () => {
		await command(at, "AT+WSDATAFMT=0,0,63", OK);
		await open(0, nodeUrl());
		await send(0, "test");
		await at.expectAnyOrder([SEND_OK, "+WS_DATA:0,1,1,4,0,4,test\r\n"]);
		await close(0);
		// §3.5: empty fields reset to level 0, mask 48.
		await command(at, "AT+WSDATAFMT=0,,", OK);
		await open(0, nodeUrl());
		await send(0, "test");
		await at.expectAnyOrder([SEND_OK, "+WS_DATA:0,4,test\r\n"]);
		await close(0);
	});

	test("ping (opcode 9) and an empty binary frame", async () => {
		await open(0, nodeUrl());
		const pongs = node.events.filter((event) => event.type === "pong").length;
		await command(at, "AT+WSSEND=0,0,2", SEND_OK);
		await at.expect("+WS_DATA:0,0,\r\n");
		await send(0, "hi", ",9");
		await at.expect(SEND_OK);
		await close(0);
		assert.ok(node.events.filter((event) => event.type === "pong").length >= pongs);
	});
});

describe("three links at once (§3.0)", () => {
	test("each link echoes its own data", async () => {
		await open(0, nodeUrl());
		await open(1, pythonUrl());
		await open(2, nodeUrl());
		await command(at, "AT+WSOPEN?", `+WSOPEN:0,2,"${nodeUrl()}"\r\n+WSOPEN:1,2,"${pythonUrl()}"\r\n+WSOPEN:2,2,"${nodeUrl()}"\r\n${OK}`);
		for (const id of [0, 1, 2]) {
			await send(id, `link${id}`);
			await at.expectAnyOrder([SEND_OK, `+WS_DATA:${id},5,link${id}\r\n`]);
		}
		for (const id of [0, 1, 2]) await close(id);
	});
});

describe("the end of a connection (§3.3, §3.6, §3.7, §3.9)", () => {
	test("a refused connection: +WS_DISCONNECTED before ERROR, and the link is free", async () => {
		const closed = await startEchoServer();
		const port = closed.port;
		await closed.close();
		await command(at, `AT+WSOPEN=0,"ws://127.0.0.1:${port}/"`, `+WS_DISCONNECTED:0\r\n${ERROR}`);
		await command(at, "AT+WSOPEN?", OK);
	});

	test("a non-101 answer: +WS_DISCONNECTED, ERROR", async () => {
		const refusing = await startEchoServer({ handshake: { status: 403 } });
		try {
			await command(at, `AT+WSOPEN=0,"ws://127.0.0.1:${refusing.port}/"`, `+WS_DISCONNECTED:0\r\n${ERROR}`);
		} finally {
			await refusing.close();
		}
	});

	test("the server's close frame: +WS_CLOSED, the link is released at once", async () => {
		const closing = await startEchoServer({ closeAfter: { messages: 1, code: 1000 } });
		try {
			await command(at, `AT+WSOPEN=0,"ws://127.0.0.1:${closing.port}/"`, `+WS_CONNECTED:0\r\n${OK}`);
			await send(0, "bye");
			await at.expectAnyOrder([SEND_OK, "+WS_DATA:0,3,bye\r\n"]);
			await at.expect("+WS_CLOSED:0\r\n");
			await command(at, "AT+WSOPEN?", OK);
			await command(at, "AT+WSSEND=0,1", ERROR);
		} finally {
			await closing.close();
		}
	});

	test("a close frame sent with AT+WSSEND opcode 8: the server's answer gives +WS_CLOSED", async () => {
		await open(0, nodeUrl());
		await send(0, "\x03\xe8", ",8");
		await at.expectAnyOrder([SEND_OK, "+WS_CLOSED:0\r\n"]);
		await command(at, "AT+WSOPEN?", OK);
	});

	test("AT+WSCLOSE: OK, no URC, no close frame; OK also for a link that is not open", async () => {
		await open(0, nodeUrl());
		const closes = node.events.filter((event) => event.type === "close").length;
		await close(0);
		const event = await node.waitFor("close", closes + 1);
		assert.equal(event.code, 1006, "the TCP connection ended without a close frame");
		await close(0);
		await command(at, "AT+WSOPEN?", OK);
	});

	test("a server killed: +WS_DISCONNECTED, state 3, then the reconnect: +WS_CONNECTED, state 2", async () => {
		const first = await startPythonServer("ws-server.py");
		const port = first.port;
		const url = `ws://127.0.0.1:${port}`;
		await open(0, url);
		first.process.kill("SIGKILL");
		await first.stop();
		await at.expect("+WS_DISCONNECTED:0\r\n");
		await command(at, "AT+WSOPEN?", `+WSOPEN:0,3,"${url}"\r\n${OK}`);
		// §3.9: about 10 s later the link tries again; the server is back by then (argparse takes
		// the last --port).
		const again = await startPythonServer("ws-server.py", ["--port", String(port)]);
		try {
			await at.expect("+WS_CONNECTED:0\r\n", 30_000);
			await command(at, "AT+WSOPEN?", `+WSOPEN:0,2,"${url}"\r\n${OK}`);
			await send(0, "back");
			await at.expectAnyOrder([SEND_OK, "+WS_DATA:0,4,back\r\n"]);
			await close(0);
		} finally {
			await again.stop();
		}
	});
});

describe("error paths (§3, §4), exact bytes", () => {
	const cases: Array<[string, string]> = [
		["AT+WSOPEN=3,\"ws://127.0.0.1:1/\"", ERROR],
		["AT+WSOPEN=-1,\"ws://127.0.0.1:1/\"", ERROR],
		["AT+WSOPEN=a,\"ws://127.0.0.1:1/\"", `ERR CODE:0x01080000\r\n${ERROR}`],
		["AT+WSOPEN=0,ws://127.0.0.1:1/", `ERR CODE:0x01080001\r\n${ERROR}`],
		["AT+WSOPEN=0,\"127.0.0.1:1\"", ERROR],
		["AT+WSOPEN=0,\"http://127.0.0.1:1/\"", ERROR],
		["AT+WSOPEN=0,\"ws://127.0.0.1:1/\",,0", ERROR],
		["AT+WSOPEN=0,\"ws://127.0.0.1:1/\",,180001", ERROR],
		["AT+WSOPEN=0,\"ws://127.0.0.1:1/\",,,\"auth\"", ERROR],
		["AT+WSOPEN=?", ERROR],
		["AT+WSSEND=0,1", ERROR],
		["AT+WSSEND=0,16385", ERROR],
		["AT+WSSEND=0,-1", ERROR],
		["AT+WSSEND=0,4,16", ERROR],
		["AT+WSSEND=0,4,1,10000,2", ERROR],
		["AT+WSSEND=0,4,,10000", ERROR],
		["AT+WSSEND?", ERROR],
		["AT+WSCFG=0,30,60,,3,0,0", ERROR],
		["AT+WSCFG=0,30,60,4096,0,0,0", ERROR],
		["AT+WSCFG=0,30,60,4096,3,0", ERROR],
		["AT+WSCFG=0,0,60", ERROR],
		["AT+WSCFG=0,30,7201", ERROR],
		["AT+WSCFG=0,30,60,16385", ERROR],
		["AT+WSCFG=3,30,60", ERROR],
		["AT+WSCFG?", ERROR],
		["AT+WSCFG=0,30,60", OK],
		["AT+WSDATAFMT=0", ERROR],
		["AT+WSDATAFMT=0,3,48", ERROR],
		["AT+WSDATAFMT=0,0,0", ERROR],
		["AT+WSDATAFMT=0,0,64", ERROR],
		["AT+WSDATAFMT?", ERROR],
		["AT+WSCLOSE=3", ERROR],
		["AT+WSCLOSE=", ERROR],
		["AT+WSCLOSE?", ERROR],
		["AT+WSHEAD=-1", ERROR],
		["AT+WSHEAD=1,2", ERROR],
	];
	test("each answers as the spec says (SYSLOG=1 shows the parser's ERR CODE lines)", async () => {
		await command(at, "AT+SYSLOG=1", OK);
		try {
			for (const [line, reply] of cases) await command(at, line, reply);
		} finally {
			await command(at, "AT+SYSLOG=0", OK);
		}
	});

	test("AT+WSOPEN on a link that is open: ERROR; AT+WSSEND length 0 on an open link: SEND OK", async () => {
		await open(0, nodeUrl());
		await command(at, `AT+WSOPEN=0,"${nodeUrl()}"`, ERROR);
		await command(at, "AT+WSSEND=0,0", SEND_OK);
		await at.expect("+WS_DATA:0,0,\r\n");
		await close(0);
	});

	test("opcode >= 3 with fin 0: the prompt, then ERROR", async () => {
		await open(0, nodeUrl());
		await send(0, "x", ",9,1000,0");
		await at.expect(ERROR);
		await close(0);
	});

	test("AT+WSHEAD data without a colon, ending in CR LF, or with a NUL: the prompt, then ERROR", async () => {
		for (const header of ["NoColon", "X-A: b\r\n", "X-A:\0b"]) {
			await command(at, `AT+WSHEAD=${header.length}`, PROMPT);
			await at.send(header);
			await at.expect(ERROR);
		}
		await command(at, "AT+WSHEAD?", OK);
	});

	test("AT+WSCFG with auth and no certificates stored: NO ... FOUND, then ERROR", async () => {
		await command(at, 'AT+SYSMFG=0,"wss_ca"', OK);
		await command(at, 'AT+SYSMFG=0,"wss_cert"', OK);
		await command(at, 'AT+SYSMFG=0,"wss_key"', OK);
		await command(at, "AT+WSCFG=0,30,60,4096,2,0,0", `NO CA FOUND\r\n${ERROR}`);
		await command(at, "AT+WSCFG=0,30,60,4096,1,0,0", `NO CERT FOUND\r\n${ERROR}`);
	});
});

