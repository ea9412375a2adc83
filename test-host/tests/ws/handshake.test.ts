// RFC 6455 §4: the opening handshake, server and client, and ws/wss URIs (§3).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Ws, ascii, clientMask, concat, events, frameBytes, hex, loadWs, output, plain, repeating, zeroRandom } from "./ws.ts";

let ws: Ws;
before(async () => {
	ws = await loadWs();
});

// RFC 6455 §1.3's sample key and its accept value.
const sampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
const sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function upgradeRequest(fields: Record<string, string | undefined> = {}, requestLine = "GET /chat HTTP/1.1"): string {
	const all: Record<string, string | undefined> = {
		Host: "server.example.com",
		Upgrade: "websocket",
		Connection: "Upgrade",
		"Sec-WebSocket-Key": sampleKey,
		Origin: "http://example.com",
		"Sec-WebSocket-Protocol": "chat, superchat",
		"Sec-WebSocket-Version": "13",
		...fields,
	};
	let text = requestLine + "\r\n";
	for (const [name, value] of Object.entries(all)) if (value !== undefined) text += `${name}: ${value}\r\n`;
	return text + "\r\n";
}

/** Splits a response into its status line, fields (lower-case names) and body. */
function responseOf(bytes: Uint8Array) {
	const text = Buffer.from(bytes).toString();
	const end = text.indexOf("\r\n\r\n");
	const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
	const fields: Record<string, string> = {};
	for (const line of lines) fields[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
	return { statusLine, fields, body: text.slice(end + 4) };
}

const newServer = (options = {}) => new ws.server.ServerProtocol({ random: zeroRandom, subprotocols: ["chat"], ...options });

describe("Sec-WebSocket-Accept", () => {
	test("RFC 6455 §1.3 sample", () => {
		assert.equal(ws.handshake.acceptKey(sampleKey), sampleAccept);
	});
});

describe("server handshake", () => {
	test("the RFC 6455 §1.2 request gets the §1.2 response", () => {
		const protocol = newServer();
		assert.equal(protocol.state, ws.State.Connecting);
		protocol.receiveData(ascii(upgradeRequest()));
		const [request] = events(protocol);
		assert.equal(request.type, "request");
		assert.equal(request.subprotocol, "chat");
		assert.equal(protocol.request.target, "/chat");
		assert.deepEqual(output(protocol), new Uint8Array(0), "nothing is sent before accept()");
		protocol.accept();
		assert.equal(
			Buffer.from(output(protocol)).toString(),
			`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${sampleAccept}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
		);
		assert.deepEqual(events(protocol), [{ type: "open", subprotocol: "chat" }]);
		assert.equal(protocol.state, ws.State.Open);
	});

	test("the request split at every byte, with the first frame in the same segment", () => {
		const bytes = concat(ascii(upgradeRequest()), frameBytes(1, ascii("hi"), { mask: clientMask }));
		for (let split = 0; split <= bytes.length; split++) {
			const protocol = newServer();
			protocol.receiveData(bytes.slice(0, split));
			protocol.receiveData(bytes.slice(split));
			assert.equal(events(protocol)[0].type, "request", `split at ${split}`);
			protocol.accept();
			assert.deepEqual(events(protocol), [{ type: "open", subprotocol: "chat" }, { type: "message", data: "hi" }], `split at ${split}`);
		}
	});

	test("the server's preference picks the subprotocol; none offered, none chosen", () => {
		const preferring = newServer({ subprotocols: ["superchat", "chat"] });
		preferring.receiveData(ascii(upgradeRequest()));
		assert.equal(events(preferring)[0].subprotocol, "superchat");
		const none = newServer();
		none.receiveData(ascii(upgradeRequest({ "Sec-WebSocket-Protocol": undefined })));
		assert.equal(events(none)[0].subprotocol, undefined);
		none.accept();
		assert.equal(responseOf(output(none)).fields["sec-websocket-protocol"], undefined);
	});

	test("subprotocol names are compared exactly", () => {
		const protocol = newServer();
		protocol.receiveData(ascii(upgradeRequest({ "Sec-WebSocket-Protocol": "CHAT" })));
		assert.equal(events(protocol)[0].subprotocol, undefined);
	});

	test("offered extensions are not accepted", () => {
		const protocol = newServer();
		protocol.receiveData(ascii(upgradeRequest({ "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" })));
		protocol.accept();
		assert.equal(responseOf(output(protocol)).fields["sec-websocket-extensions"], undefined);
	});

	test("token lists and case: Connection: keep-alive, Upgrade and Upgrade: WebSocket", () => {
		const protocol = newServer();
		protocol.receiveData(ascii(upgradeRequest({ Connection: "keep-alive, upgrade", Upgrade: "WebSocket" })));
		assert.equal(events(protocol)[0].type, "request");
	});

	const refusals: Array<[string, string, number]> = [
		["POST", upgradeRequest({}, "POST /chat HTTP/1.1"), 405],
		["HTTP/1.0", upgradeRequest({}, "GET /chat HTTP/1.0"), 400],
		["no Host", upgradeRequest({ Host: undefined }), 400],
		["no Upgrade", upgradeRequest({ Upgrade: undefined }), 400],
		["Upgrade: h2c", upgradeRequest({ Upgrade: "h2c" }), 400],
		["no Connection", upgradeRequest({ Connection: undefined }), 400],
		["Connection: keep-alive", upgradeRequest({ Connection: "keep-alive" }), 400],
		["no key", upgradeRequest({ "Sec-WebSocket-Key": undefined }), 400],
		["key of 15 bytes", upgradeRequest({ "Sec-WebSocket-Key": Buffer.alloc(15, 1).toString("base64") }), 400],
		["key of 17 bytes", upgradeRequest({ "Sec-WebSocket-Key": Buffer.alloc(17, 1).toString("base64") }), 400],
		["key not base64", upgradeRequest({ "Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!==" }), 400],
		["no version", upgradeRequest({ "Sec-WebSocket-Version": undefined }), 400],
		["version 8", upgradeRequest({ "Sec-WebSocket-Version": "8" }), 426],
		["malformed request line", "GET /chat\r\nHost: x\r\n\r\n", 400],
	];
	for (const [name, text, status] of refusals) {
		test(`${name}: ${status}`, () => {
			const protocol = newServer();
			protocol.receiveData(ascii(text));
			const seen = events(protocol);
			assert.equal(seen[0].type, "handshakeFailed");
			assert.equal(seen[0].status, status);
			assert.deepEqual(seen.slice(1).map((event: any) => event.type), ["close", "closeTransport"]);
			const response = responseOf(output(protocol));
			assert.match(response.statusLine, new RegExp(`^HTTP/1.1 ${status} `));
			assert.ok(response.body.length > 1, "a short reason in the body");
			assert.equal(Number(response.fields["content-length"]), Buffer.byteLength(response.body));
			if (status === 426) assert.equal(response.fields["sec-websocket-version"], "13");
			if (status === 405) assert.equal(response.fields["allow"], "GET");
			assert.equal(protocol.state, ws.State.Closed);
		});
	}

	test("two keys are refused", () => {
		const protocol = newServer();
		protocol.receiveData(ascii(upgradeRequest().replace("\r\n\r\n", `\r\nSec-WebSocket-Key: ${sampleKey}\r\n\r\n`)));
		assert.equal(events(protocol)[0].status, 400);
	});

	test("a head over maxHead: 431", () => {
		const protocol = newServer({ maxHead: 256 });
		protocol.receiveData(ascii(upgradeRequest({ Cookie: "x".repeat(300) })));
		assert.equal(events(protocol)[0].status, 431);
		assert.match(responseOf(output(protocol)).statusLine, /^HTTP\/1.1 431 Request Header Fields Too Large$/);
	});

	test("the shell routes: reject(404)", () => {
		const protocol = newServer();
		protocol.receiveData(ascii(upgradeRequest({}, "GET /nowhere HTTP/1.1")));
		assert.equal(events(protocol)[0].request.target, "/nowhere");
		protocol.reject(404, "no such path");
		assert.equal(responseOf(output(protocol)).statusLine, "HTTP/1.1 404 Not Found");
		assert.equal(events(protocol)[0].status, 404);
	});

	test("a request read by the shell itself is handed over with receiveRequest", () => {
		const reader = new ws.http.HeadReader();
		const head = reader.receive(concat(ascii(upgradeRequest()), frameBytes(2, [7], { mask: clientMask })));
		const protocol = newServer();
		protocol.receiveRequest(ws.http.parseRequest(head), reader.rest);
		protocol.accept();
		assert.deepEqual(events(protocol).slice(1), [{ type: "open", subprotocol: "chat" }, { type: "message", data: Uint8Array.of(7) }]);
	});

	test("sending before the handshake completes is refused", () => {
		const protocol = newServer();
		assert.throws(() => protocol.send("x"), { name: "InvalidStateError" });
		assert.throws(() => protocol.accept(), { name: "InvalidStateError" });
	});
});

describe("client handshake", () => {
	const key16 = Array.from({ length: 16 }, (_, i) => i + 1);
	const newClient = (options = {}) => new ws.client.ClientProtocol({ host: "example.com", random: repeating(key16), ...options });

	function requestOf(protocol: any) {
		const text = Buffer.from(output(protocol)).toString();
		const [requestLine, ...lines] = text.slice(0, text.indexOf("\r\n\r\n")).split("\r\n");
		return { requestLine, fields: lines.map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]) };
	}

	test("the request: path, Host without the default port, a 16-byte key, version 13", () => {
		const { requestLine, fields } = requestOf(newClient({ resource: "/chat?x=1", subprotocols: ["chat", "superchat"] }));
		assert.equal(requestLine, "GET /chat?x=1 HTTP/1.1");
		assert.deepEqual(fields, [
			["Host", "example.com"],
			["Upgrade", "websocket"],
			["Connection", "Upgrade"],
			["Sec-WebSocket-Key", Buffer.from(key16).toString("base64")],
			["Sec-WebSocket-Version", "13"],
			["Sec-WebSocket-Protocol", "chat, superchat"],
		]);
	});

	test("Host carries the port when it is not the default", () => {
		const host = (options: object) => requestOf(newClient(options)).fields.find(([name]) => name === "Host")![1];
		assert.equal(host({ port: 80 }), "example.com");
		assert.equal(host({ port: 8080 }), "example.com:8080");
		assert.equal(host({ secure: true }), "example.com");
		assert.equal(host({ secure: true, port: 80 }), "example.com:80");
		assert.equal(host({ host: "::1", port: 9000 }), "[::1]:9000");
	});

	test("Authorization: Basic from user and password (RFC 7617 example)", () => {
		const { fields } = requestOf(newClient({ user: "Aladdin", password: "open sesame" }));
		assert.deepEqual(fields.find(([name]) => name === "Authorization"), ["Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="]);
	});

	test("extra headers follow, in order, and may replace Host", () => {
		const { fields } = requestOf(newClient({ headers: [["X-A", "1"], ["Host", "example.com:80"], ["X-B", " 2"]] }));
		assert.deepEqual(fields.slice(-3), [["X-A", "1"], ["Host", "example.com:80"], ["X-B", " 2"]]);
		assert.equal(fields.filter(([name]) => name === "Host").length, 1);
	});

	function accepting(fields: Record<string, string> = {}, status = "101 Switching Protocols") {
		const key = Buffer.from(key16).toString("base64");
		const all: Record<string, string> = { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Accept": ws.handshake.acceptKey(key), ...fields };
		let text = `HTTP/1.1 ${status}\r\n`;
		for (const [name, value] of Object.entries(all)) if (value !== "") text += `${name}: ${value}\r\n`;
		return ascii(text + "\r\n");
	}

	test("a 101 response split anywhere, with the first frames in the same segment", () => {
		const bytes = concat(accepting({ "Sec-WebSocket-Protocol": "chat" }), hex("81 05 48 65 6c 6c 6f"));
		for (let split = 0; split <= bytes.length; split++) {
			const protocol = newClient({ subprotocols: ["chat"] });
			output(protocol);
			protocol.receiveData(bytes.slice(0, split));
			protocol.receiveData(bytes.slice(split));
			assert.deepEqual(events(protocol), [{ type: "open", subprotocol: "chat" }, { type: "message", data: "Hello" }], `split at ${split}`);
			assert.equal(protocol.state, ws.State.Open);
		}
	});

	test("an offer written as one list item (\"chat,v2\", as AT+WSOPEN passes it) lets the server choose either", () => {
		for (const chosen of ["chat", "v2"]) {
			const protocol = newClient({ subprotocols: ["chat,v2"] });
			output(protocol);
			protocol.receiveData(accepting({ "Sec-WebSocket-Protocol": chosen }));
			assert.deepEqual(events(protocol), [{ type: "open", subprotocol: chosen }]);
		}
		const refused = newClient({ subprotocols: ["chat, v2"] });
		output(refused);
		refused.receiveData(accepting({ "Sec-WebSocket-Protocol": "chat,v2" }));
		assert.equal(events(refused)[0].type, "handshakeFailed", "the server must choose one, not echo the list");
	});

	const failures: Array<[string, Uint8Array | (() => Uint8Array), number, string]> = [
		["a 404", () => ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), 404, "Not Found"],
		["a 426", () => ascii("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n"), 426, "Upgrade Required"],
		["a wrong Sec-WebSocket-Accept", () => accepting({ "Sec-WebSocket-Accept": sampleAccept }), 101, "Switching Protocols"],
		["no Sec-WebSocket-Accept", () => accepting({ "Sec-WebSocket-Accept": "" }), 101, "Switching Protocols"],
		["no Upgrade", () => accepting({ Upgrade: "" }), 101, "Switching Protocols"],
		["no Connection: Upgrade", () => accepting({ Connection: "close" }), 101, "Switching Protocols"],
		["a subprotocol not offered", () => accepting({ "Sec-WebSocket-Protocol": "other" }), 101, "Switching Protocols"],
		["an extension not offered", () => accepting({ "Sec-WebSocket-Extensions": "permessage-deflate" }), 101, "Switching Protocols"],
	];
	for (const [name, response, status, reason] of failures) {
		test(`fails on ${name}`, () => {
			const protocol = newClient({ subprotocols: ["chat"] });
			protocol.receiveData((response as () => Uint8Array)());
			const seen = events(protocol);
			assert.equal(seen[0].type, "handshakeFailed");
			assert.deepEqual([seen[0].status, seen[0].reason], [status, reason]);
			assert.deepEqual(seen.slice(1).map((event: any) => event.type), ["close", "closeTransport"]);
			assert.equal(protocol.state, ws.State.Closed);
		});
	}

	test("a server that picks no subprotocol is fine", () => {
		const protocol = newClient({ subprotocols: ["chat"] });
		protocol.receiveData(accepting());
		assert.deepEqual(events(protocol), [{ type: "open", subprotocol: undefined }]);
	});
});

describe("server and client cores talk to each other", () => {
	test("handshake, messages both ways, ping, close", () => {
		const server = newServer({ subprotocols: ["superchat", "chat"] });
		let counter = 0;
		const client = new ws.client.ClientProtocol({ host: "localhost", port: 8080, resource: "/ws", subprotocols: ["chat"], random: (n: number) => Uint8Array.from({ length: n }, () => (counter = (counter * 31 + 7) & 0xff)) });
		const pump = () => {
			for (let i = 0; i < 10; i++) {
				const toServer = output(client);
				const toClient = output(server);
				if (!toServer.length && !toClient.length) return;
				if (toServer.length) server.receiveData(toServer);
				if (toClient.length) client.receiveData(toClient);
			}
		};
		pump();
		assert.equal(events(server)[0].subprotocol, "chat");
		server.accept();
		pump();
		assert.deepEqual(events(client), [{ type: "open", subprotocol: "chat" }]);
		assert.deepEqual(events(server), [{ type: "open", subprotocol: "chat" }]);
		client.send("héllo");
		client.send(Uint8Array.of(1, 2, 3));
		server.send("back");
		client.ping(ascii("?"));
		pump();
		assert.deepEqual(events(server), [{ type: "message", data: "héllo" }, { type: "message", data: Uint8Array.of(1, 2, 3) }, { type: "ping", data: ascii("?") }]);
		assert.deepEqual(events(client), [{ type: "message", data: "back" }, { type: "pong", data: ascii("?") }]);
		client.close(1000, "done");
		pump();
		assert.deepEqual(events(server), [{ type: "close", code: 1000, reason: "done", wasClean: true }, { type: "closeTransport" }]);
		assert.deepEqual(events(client), [{ type: "close", code: 1000, reason: "", wasClean: true }]);
		client.receiveEof();
		assert.deepEqual(events(client), [{ type: "closeTransport" }]);
	});
});

describe("ws and wss URIs (RFC 6455 §3)", () => {
	const cases: Array<[string, object]> = [
		["ws://example.com", { secure: false, host: "example.com", port: 80, resource: "/" }],
		["WSS://example.com/chat?x=1&y", { secure: true, host: "example.com", port: 443, resource: "/chat?x=1&y" }],
		["ws://example.com:8080?q", { secure: false, host: "example.com", port: 8080, resource: "/?q" }],
		["ws://[::1]:9000/a", { secure: false, host: "::1", port: 9000, resource: "/a" }],
		["ws://us%40r:p%3Ass@h/", { secure: false, host: "h", port: 80, resource: "/", user: "us@r", password: "p:ss" }],
		["ws://user@h", { secure: false, host: "h", port: 80, resource: "/", user: "user", password: "" }],
	];
	for (const [text, expected] of cases) test(text, () => assert.deepEqual(plain(ws.uri.parseUri(text)), expected));

	for (const text of ["http://example.com/", "ws//example.com", "example.com", "ws://example.com/#frag", "ws://:80/", "ws://h:99999/"])
		test(`refuses ${text}`, () => assert.throws(() => ws.uri.parseUri(text), { name: "SyntaxError" }));
});
