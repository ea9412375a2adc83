// embedded:io/socket/tcp/tls behaves as the SDK's ECMA-419 TLS socket against a real node:tls
// server with the project's test certificates (certs/).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { bytes, certs, openRealm, thrown, until } from "./helpers.ts";

const read = (name: string) => fs.readFileSync(path.join(certs, name));

async function server(name: string, options: tls.TlsOptions = {}): Promise<{ port: number; close(): void; versions: string[] }> {
	const versions: string[] = [];
	const server = tls.createServer({ cert: read(`${name}-chain.pem`), key: read(`${name}-key.pem`), ...options }, (socket) => {
		versions.push(socket.getProtocol() ?? "");
		socket.on("data", (data) => socket.write(Buffer.concat([Buffer.from("echo:"), data])));
		socket.on("error", () => {});
	});
	server.on("tlsClientError", () => {});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return { port: (server.address() as { port: number }).port, close: () => server.close(), versions };
}

async function connect(port: number, secure: (Resource: any) => Record<string, unknown>, host = "localhost") {
	const t = await openRealm();
	const { default: TLSSocket } = await t.load("embedded:io/socket/tcp/tls");
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const { default: Resource } = await t.load("Resource");
	const events: string[] = [];
	const selves: unknown[] = [];
	let received = Buffer.alloc(0);
	const socket = new TLSSocket({
		TCP: { io: TCP },
		address: "127.0.0.1",
		port,
		host,
		secure: secure(Resource),
		onWritable(this: unknown, count: number) {
			selves.push(this);
			events.push(`writable ${count}`);
		},
		onReadable(this: unknown, count: number) {
			selves.push(this);
			received = Buffer.concat([received, bytes(socket.read(count))]);
		},
		onError(this: unknown) {
			selves.push(this);
			events.push("error");
		},
	});
	return { t, socket, events, selves, received: () => received };
}

test("TLS 1.2 to a server whose chain the CA signs: onWritable(1536 - 96), write, read the echo", async () => {
	const peer = await server("server-rsa");
	const c = await connect(peer.port, (Resource) => ({ certificate: new Resource("ca.der") }));
	await until(() => c.events.length > 0, "the handshake");
	assert.deepEqual(c.events, ["writable 1440"]);
	assert.equal(peer.versions[0], "TLSv1.2");
	assert.ok(c.selves.every((self) => self !== c.socket && self !== undefined), "`this` in callbacks is the SDK's internal object");
	c.socket.write(new TextEncoder().encode("ping"));
	await until(() => c.received().length === 9, "the echo");
	assert.equal(c.received().toString(), "echo:ping");
	assert.deepEqual(thrown(() => c.socket.write(new Uint8Array(1508))), { name: "Error", message: "would block" }, "1508 + 29 bytes of record overhead exceed 1536");
	c.socket.close();
	c.t.stop();
	peer.close();
});

for (const [what, name, ca, host] of [
	["a server signed by another CA", "server-rsa", "other-ca.der", "localhost"],
	["an expired certificate", "server-expired", "ca.der", "localhost"],
	["a certificate for another name", "server-wronghost", "ca.der", "localhost"],
	["a host name the certificate does not carry", "server-rsa", "ca.der", "elsewhere.example"],
] as const) {
	test(`${what}: the handshake failure is thrown inside the TCP.io socket's callback, which aborts unguarded firmware`, async () => {
		const peer = await server(name);
		const c = await connect(peer.port, (Resource) => ({ certificate: new Resource(ca) }), host);
		// ssl_handshake.js throws from inside the transport's onReadable; XS aborts on it.
		await until(() => c.t.aborts.length > 0, "the abort");
		assert.match(c.t.aborts[0].message, /^XS abort: unhandled exception\nError: TLS: /);
		assert.deepEqual(c.events, [], "no onError: the exception is all there is");
		c.t.stop();
		peer.close();
	});
}

test("a TCP.io class that catches what its callbacks throw turns the failure into its own error", async () => {
	const peer = await server("server-rsa");
	const t = await openRealm();
	const { default: TLSSocket } = await t.load("embedded:io/socket/tcp/tls");
	const { default: TCP } = await t.load("embedded:io/socket/tcp");
	const { default: Resource } = await t.load("Resource");
	const caught: string[] = [];
	// What modules/wsclient/transport.ts does on the chip: a subclass whose callbacks catch.
	class Guarded extends TCP {
		constructor(options: Record<string, any>) {
			const guard = (callback: any) => callback && function (this: unknown, ...args: unknown[]) {
				try {
					callback.apply(this, args);
				} catch (error) {
					caught.push((error as Error).message);
				}
			};
			super({ ...options, onReadable: guard(options.onReadable), onWritable: guard(options.onWritable), onError: guard(options.onError) });
		}
	}
	new TLSSocket({ TCP: { io: Guarded }, address: "127.0.0.1", port: peer.port, host: "localhost", secure: { certificate: new Resource("other-ca.der") } });
	await until(() => caught.length > 0, "the caught failure");
	assert.match(caught[0], /^TLS: /);
	assert.equal(t.aborts.length, 0);
	t.stop();
	peer.close();
});

test("verify: false accepts what the CA does not sign", async () => {
	const peer = await server("server-rsa");
	const c = await connect(peer.port, (Resource) => ({ certificate: new Resource("other-ca.der"), verify: false }));
	await until(() => c.events.length > 0, "the handshake");
	assert.deepEqual(c.events, ["writable 1440"]);
	c.t.stop();
	peer.close();
});

test("a TLS-1.3-only server fails the handshake (an alert, thrown like a bad certificate)", async () => {
	const peer = await server("server-rsa", { minVersion: "TLSv1.3" });
	const c = await connect(peer.port, (Resource) => ({ certificate: new Resource("ca.der") }));
	await until(() => c.t.aborts.length > 0 || c.events.length > 0, "the failure");
	assert.equal(c.events.includes("writable 1440"), false, "never connected");
	c.t.stop();
	peer.close();
});

test("mutual TLS with an RSA client key; an EC client key is refused at construction", async () => {
	let clientName: string | undefined;
	const peer = await server("server-rsa", { requestCert: true, rejectUnauthorized: true, ca: read("ca.pem") });
	const c = await connect(peer.port, (Resource) => ({
		certificate: new Resource("ca.der"),
		clientCertificates: [new Resource("client.der")],
		clientKey: new Resource("client-key.der"),
	}));
	await until(() => c.events.length > 0, "the handshake");
	assert.deepEqual(c.events, ["writable 1440"]);
	c.socket.write(new TextEncoder().encode("who"));
	await until(() => c.received().length > 0, "the echo");
	clientName = c.received().toString();
	assert.equal(clientName, "echo:who");
	c.t.stop();
	await assert.rejects(
		connect(peer.port, (Resource) => ({ certificate: new Resource("ca.der"), clientCertificates: [new Resource("client.der")], clientKey: new Resource("server-ec-key.der") })),
		/EC client keys are not supported/,
	);
	peer.close();
});
