// Mutual TLS on the TLS port (wssClientCA): every client must present a certificate the
// configured CA issued. Clients nobody here wrote present theirs (Python websockets, Node's ws,
// curl, openssl s_client, which also shows what the server's CertificateRequest asks for); then
// the refusals, each with the alert OpenSSL would send: no certificate, a CA the server does not
// trust (a CA made here with the openssl CLI), a certificate not meant for clients, and a
// CertificateVerify altered on the way. After each, the server goes on serving. Runs against
// any target (TARGET): on lin the SDK's TLS session with this project's client checks, on sim
// node:tls with the same rules.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { startTarget, type Target } from "../../harness/target.ts";
import { cert, clientIdentity, nodeExchange, opensslClient, pythonExchange, trustCA } from "../../clients/peers.ts";
import { recordProxy, type RecordProxy } from "./record-proxy.ts";

const rsaSuite = "AES128-SHA256";
let target: Target;
let port: number;
let scratch: string;

before(async () => {
	target = await startTarget({ config: { wssClientCA: "ca.der" } });
	assert.ok(target.tlsPort, "the build serves TLS (wssPort)");
	port = target.tlsPort!;
	scratch = fs.mkdtempSync(path.join(os.tmpdir(), "client-cert-"));
});
after(async () => {
	await target?.stop();
	if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

const url = () => `wss://localhost:${port}/ws`;

/** Python websockets presenting `identity` (certificate and key files), trusting the test CA. */
function python(text: string, identity?: { cert: string; key: string }) {
	return pythonExchange(url(), { ca: cert("ca.pem"), ciphers: rsaSuite, text: [text], ...identity });
}
const testClient = { cert: cert("client.pem"), key: cert("client-key.pem") };

/** The error a Python client ends with. */
async function refusal(identity?: { cert: string; key: string }): Promise<string> {
	const { lines, status } = await python("refused", identity);
	assert.equal(status, 2, JSON.stringify(lines));
	return (lines[0] as { error: string }).error;
}

/** After a refusal the server still serves a client with the right certificate. */
async function stillServing() {
	const { lines, status } = await python("still serving", testClient);
	assert.equal(status, 0, JSON.stringify(lines));
	assert.deepEqual(lines[0], { text: "still serving" });
}

/** A trace line of the server's about a refused handshake, matching `pattern`. */
async function traced(pattern: RegExp) {
	const deadline = Date.now() + 5000;
	while (!target.log.some((line) => /^TLS: /.test(line) && pattern.test(line))) {
		if (Date.now() > deadline) assert.fail(`no TLS trace line matches ${pattern}:\n${target.log.join("\n")}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

describe("clients presenting the test client certificate", () => {
	test("Python websockets and Node's ws echo; curl fetches /api/status", async () => {
		const { lines, status } = await python("mutual TLS", testClient);
		assert.equal(status, 0, JSON.stringify(lines));
		assert.deepEqual(lines.slice(0, 2), [{ text: "mutual TLS" }, { tls: "TLSv1.2", cipher: rsaSuite }]);

		const { echoes } = await nodeExchange(url(), ["node, mutual"], { ...trustCA, ...clientIdentity });
		assert.equal(String(echoes[0].data), "node, mutual");

		const curl = spawnSync("curl", ["-sS", "--cacert", cert("ca.pem"), "--cert", cert("client.pem"), "--key", cert("client-key.pem"), `https://localhost:${port}/api/status`], { encoding: "utf8", timeout: 20_000 });
		assert.equal(JSON.parse(curl.stdout).tls, true, curl.stderr);
	});

	test("openssl s_client sees a TLS 1.2 CertificateRequest: RSA sign, RSA+SHA256, the test CA's name", async () => {
		const result = await opensslClient(port, { clientCertificate: true, extra: ["-tls1_2"] });
		assert.equal(result.verify, "0 (ok)", result.output);
		assert.match(result.output, /Acceptable client certificate CA names\s*\n\s*O\s*=\s*moddable-ws-at-bridge test PKI, CN\s*=\s*Test CA/);
		assert.match(result.output, /Client Certificate Types: RSA sign/);
		assert.match(result.output, /Requested Signature Algorithms: RSA\+SHA256\s*\n/);
		assert.equal(result.protocol, "TLSv1.2", result.output);
	});
});

describe("what must fail, one connection at a time", () => {
	test("a client with no certificate: handshake_failure", async () => {
		assert.match(await refusal(), /HANDSHAKE_FAILURE|handshake failure/i);
		await traced(/certificate/i);
		await stillServing();
	});

	test("a certificate from a CA the server does not trust: unknown_ca", async () => {
		const key = path.join(scratch, "stranger-key.pem");
		const certificate = path.join(scratch, "stranger.pem");
		execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "30", "-subj", "/O=Elsewhere/CN=Stranger", "-addext", "extendedKeyUsage=clientAuth"], { stdio: "ignore" });
		assert.match(await refusal({ cert: certificate, key }), /UNKNOWN_CA|unknown ca/i);
		await stillServing();
	});

	test("a certificate of the trusted CA that is not for clients (the server's own): unsupported_certificate", async () => {
		assert.match(await refusal({ cert: cert("server-rsa.pem"), key: cert("server-rsa-key.pem") }), /UNSUPPORTED_CERTIFICATE|unsupported certificate/i);
		await stillServing();
	});

	test("a CertificateVerify altered on the way: decrypt_error, for the signature", async () => {
		const proxy = await tamperingProxy(port);
		try {
			const result = await opensslClient(proxy.port, { clientCertificate: true, extra: ["-tls1_2"] });
			assert.ok(proxy.altered(), "the proxy found the client's CertificateVerify");
			assert.match(result.output, /alert decrypt error|alert number 51/, result.output);
			// The server's own words: the firmware's signature check, or OpenSSL's ("invalid padding").
			await traced(/signature|padding/i);
		} finally {
			proxy.close();
		}
		await stillServing();
	});
});

/**
 * A proxy that flips the last byte of the client's CertificateVerify (the end of its signature).
 * Handshake records are read only until the client's ChangeCipherSpec: after it they are
 * encrypted.
 */
async function tamperingProxy(serverPort: number): Promise<RecordProxy & { altered(): boolean }> {
	let altered = false;
	const encrypting = new WeakSet<net.Socket>();
	const proxy = await recordProxy(serverPort, (record, upstream) => {
		if (record[0] === 20) encrypting.add(upstream);
		if (record[0] === 22 && !encrypting.has(upstream)) {
			for (let at = 5; at + 4 <= record.length; at += 4 + record.readUIntBE(at + 1, 3)) {
				if (record[at] !== 15) continue;
				record[at + 4 + record.readUIntBE(at + 1, 3) - 1] ^= 0x01;
				altered = true;
			}
		}
		upstream.write(record);
	});
	return { ...proxy, altered: () => altered };
}
