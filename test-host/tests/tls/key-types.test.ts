// Which server keys the SDK's TLS server can use: RSA only. Its server path has RSA key
// exchange alone (the client's secret is decrypted with the server's key), and etc/pkcs8.js
// parses RSA keys only, so an ECDSA P-256 identity would fail every handshake, one client at a
// time. The build refuses it at start instead, with a message that says why. (RSA: every other
// test of tests/tls.)
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startTarget } from "../../harness/target.ts";

const manifest = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/ec-server/manifest.json");

test("an ECDSA P-256 certificate and key for the TLS server: refused at start, saying why", async () => {
	let started: Awaited<ReturnType<typeof startTarget>> | undefined;
	try {
		started = await startTarget({ manifest, config: { wssCertificate: "server-ec.der", wssKey: "server-ec-key.der" } });
	} catch (error) {
		assert.match((error as Error).message, /wssKey: an EC key; the SDK's TLS server needs an RSA key/);
		return;
	} finally {
		await started?.stop();
	}
	assert.fail("the build started with an EC server key");
});
