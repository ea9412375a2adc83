// A build with a PKI of one's own, as the README shows: a copy of the project whose certs/ were
// made by certs/generate.sh under another organization. Nothing of the public test PKI is left
// in it, so it says so nowhere (no trace line, testCertificates false); clients trust its CA
// and no longer the repository's.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTarget, type Target } from "../../harness/target.ts";
import { cert, nodeConnectError, pythonExchange } from "../../clients/peers.ts";
import { projectRoot } from "../../runtime/realm.ts";

let copy: string;
let target: Target;

before(async () => {
	copy = fs.mkdtempSync(path.join(os.tmpdir(), "own-pki-"));
	for (const entry of ["manifest.json", "manifest_app.json", "main.ts", "tsconfig.json", "modules", "profiles", "typings", "certs"])
		fs.cpSync(path.join(projectRoot, entry), path.join(copy, entry), { recursive: true });
	fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(copy, "node_modules"));
	execFileSync(path.join(copy, "certs/generate.sh"), { env: { ...process.env, PKI_ORGANIZATION: "Example Devices" }, stdio: "ignore" });
	target = await startTarget({ manifest: path.join(copy, "manifest.json") });
});
after(async () => {
	await target?.stop();
	if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

test("a build with its own PKI serves it, trusts no test certificate, and says so", async () => {
	const ownCA = path.join(copy, "certs/ca.pem");
	const { lines, status } = await pythonExchange(`wss://localhost:${target.tlsPort}/ws`, { ca: ownCA, ciphers: "AES128-SHA256", text: ["own PKI"] });
	assert.equal(status, 0, JSON.stringify(lines[0]));
	assert.deepEqual(lines[0], { text: "own PKI" });

	const curl = spawnSync("curl", ["-sS", "--cacert", ownCA, `https://localhost:${target.tlsPort}/api/status`], { encoding: "utf8", timeout: 20_000 });
	assert.equal(JSON.parse(curl.stdout).testCertificates, false, curl.stderr);
	assert.ok(!target.log.some((line) => /test PKI/.test(line)), target.log.join("\n"));

	// The repository's test CA no longer vouches for this board.
	const error = await nodeConnectError(`wss://localhost:${target.tlsPort}/ws`, { ca: fs.readFileSync(cert("ca.pem")) });
	assert.ok(error.message.length > 0);
	assert.doesNotMatch(error.message, /unexpected response/);
});
