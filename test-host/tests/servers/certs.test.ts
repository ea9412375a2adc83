// The test PKI in certs/: what openssl verify says of each certificate, and the properties
// Moddable's TLS depends on (DER forms, PKCS#8 keys, chains, key types, identifiers).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto, { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { certsFolder } from "../../clients/peers.ts";

const good = ["ca", "server-rsa", "server-ec", "client", "server-wronghost", "other-ca", "server-other"];
const all = [...good, "server-expired"];
const servers = ["server-rsa", "server-ec", "server-expired", "server-wronghost", "server-other"];
const issuerOf = (name: string) => (name === "server-other" || name === "other-ca" ? "other-ca" : "ca");

function openssl(...args: string[]) {
	const result = spawnSync("openssl", args, { encoding: "utf8" });
	return { status: result.status, output: result.stdout + result.stderr };
}

function verify(folder: string, name: string, ...options: string[]) {
	return openssl("verify", "-CAfile", path.join(folder, "ca.pem"), ...options, path.join(folder, `${name}.pem`));
}

function pemCertificates(file: string) {
	const text = fs.readFileSync(file, "utf8");
	return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(
		(match) => new X509Certificate(match[0]),
	);
}

// Checks one folder of generated files; run on the committed set and on a fresh one.
function checkPki(folder: string) {
	const file = (name: string) => path.join(folder, name);
	const certificate = (name: string) => new X509Certificate(fs.readFileSync(file(`${name}.pem`)));

	// openssl verify against our CA: the good ones pass for their purpose and names.
	for (const name of ["server-rsa", "server-ec"]) {
		const result = verify(folder, name, "-purpose", "sslserver", "-verify_hostname", "localhost", "-verify_ip", "127.0.0.1");
		assert.equal(result.status, 0, `${name}: ${result.output}`);
		assert.match(result.output, /: OK/);
	}
	const client = verify(folder, "client", "-purpose", "sslclient");
	assert.equal(client.status, 0, client.output);
	assert.equal(verify(folder, "ca").status, 0);
	// Signed by our CA and valid, but only for wrong.example.
	assert.equal(verify(folder, "server-wronghost", "-purpose", "sslserver").status, 0);

	// ...and the negative fixtures fail for the reason they exist.
	const expired = verify(folder, "server-expired");
	assert.notEqual(expired.status, 0);
	assert.match(expired.output, /certificate has expired/);
	const other = verify(folder, "server-other");
	assert.notEqual(other.status, 0);
	assert.match(other.output, /unable to get local issuer certificate/);
	const wrongName = verify(folder, "server-wronghost", "-verify_hostname", "localhost");
	assert.notEqual(wrongName.status, 0);
	assert.match(wrongName.output, /hostname mismatch/);
	const wrongAddress = verify(folder, "server-wronghost", "-verify_ip", "127.0.0.1");
	assert.notEqual(wrongAddress.status, 0);
	assert.match(wrongAddress.output, /IP address mismatch/);
	// The unrelated CA does vouch for its own server: the fixture fails only for trust.
	const otherCa = openssl("verify", "-CAfile", file("other-ca.pem"), file("server-other.pem"));
	assert.equal(otherCa.status, 0, otherCa.output);

	const now = Date.now();
	const year = 365.25 * 24 * 3600 * 1000;
	const serials = new Set<string>();
	for (const name of all) {
		const pem = certificate(name);
		// The DER file is the same certificate as the PEM file.
		assert.deepEqual(fs.readFileSync(file(`${name}.der`)), pem.raw, `${name}.der`);
		// The key is PKCS#8 in both forms and belongs to the certificate.
		const keyPem = fs.readFileSync(file(`${name}-key.pem`), "utf8");
		assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/, `${name}-key.pem is PKCS#8`);
		const keyDer = crypto.createPrivateKey({ key: fs.readFileSync(file(`${name}-key.der`)), format: "der", type: "pkcs8" });
		assert.deepEqual(keyDer.export({ format: "der", type: "pkcs8" }), crypto.createPrivateKey(keyPem).export({ format: "der", type: "pkcs8" }));
		assert.ok(pem.checkPrivateKey(keyDer), `${name}-key.der matches ${name}.pem`);
		// Signed by its issuer.
		assert.ok(pem.verify(certificate(issuerOf(name)).publicKey), `${name} is signed by ${issuerOf(name)}`);
		serials.add(pem.serialNumber);
		if (name !== "server-expired") {
			assert.ok(Date.parse(pem.validFrom) < now && now < Date.parse(pem.validTo), `${name} is valid now`);
			assert.ok(Date.parse(pem.validTo) - Date.parse(pem.validFrom) > 19.9 * year, `${name} lasts 20 years`);
		}
	}
	assert.equal(serials.size, all.length, "every serial number is different");

	// Key types Moddable's TLS accepts: RSA 2048 for the CA, the RSA server and the client,
	// P-256 for the EC server.
	for (const name of ["ca", "server-rsa", "client"]) {
		const key = certificate(name).publicKey;
		assert.equal(key.asymmetricKeyType, "rsa", name);
		assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048, name);
	}
	const ec = certificate("server-ec").publicKey;
	assert.equal(ec.asymmetricKeyType, "ec");
	assert.equal(ec.asymmetricKeyDetails?.namedCurve, "prime256v1");

	// Names: both server certificates answer for localhost and 127.0.0.1; wronghost only for
	// wrong.example.
	for (const name of ["server-rsa", "server-ec", "server-expired", "server-other"]) {
		const leaf = certificate(name);
		assert.equal(leaf.checkHost("localhost"), "localhost", name);
		assert.equal(leaf.checkIP("127.0.0.1"), "127.0.0.1", name);
	}
	assert.equal(certificate("server-wronghost").checkHost("localhost"), undefined);
	assert.equal(certificate("server-wronghost").checkHost("wrong.example"), "wrong.example");
	assert.equal(certificate("server-wronghost").checkIP("127.0.0.1"), undefined);
	assert.match(certificate("server-wronghost").subjectAltName ?? "", /^DNS:wrong\.example$/);

	// Each server's chain file is its leaf, then the CA that signed it.
	for (const name of servers) {
		const chain = pemCertificates(file(`${name}-chain.pem`));
		assert.equal(chain.length, 2, `${name}-chain.pem holds two certificates`);
		assert.deepEqual(chain[0].raw, certificate(name).raw, `${name}-chain.pem starts with the leaf`);
		assert.deepEqual(chain[1].raw, certificate(issuerOf(name)).raw, `${name}-chain.pem ends with its CA`);
	}

	// Moddable finds the trusted CA by the authorityKeyIdentifier of the last certificate the
	// server sends (the CA itself), so each CA names its own key there.
	for (const name of ["ca", "other-ca"]) {
		const text = openssl("x509", "-in", file(`${name}.pem`), "-noout", "-ext", "subjectKeyIdentifier,authorityKeyIdentifier,basicConstraints").output;
		const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)?.[1];
		const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
		assert.ok(ski, `${name} has a subjectKeyIdentifier`);
		assert.equal(aki, ski, `${name}'s authorityKeyIdentifier is its own key`);
		assert.match(text, /CA:TRUE/);
		assert.ok(certificate(name).ca);
	}
	assert.equal(certificate("server-rsa").ca, false);
	assert.equal(certificate("client").ca, false);
}

test("the committed certs/ files form the PKI the tests and the device rely on", () => {
	checkPki(certsFolder);
});

test("generate.sh regenerates a complete, correct PKI with new keys", () => {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pki-"));
	try {
		const result = spawnSync("bash", [path.join(certsFolder, "generate.sh"), folder], { encoding: "utf8" });
		assert.equal(result.status, 0, result.stderr);
		const names = (dir: string) => fs.readdirSync(dir).filter((entry) => /\.(pem|der)$/.test(entry)).sort();
		assert.deepEqual(names(folder), names(certsFolder), "the same set of files as the committed one");
		checkPki(folder);
		assert.notDeepEqual(fs.readFileSync(path.join(folder, "ca-key.der")), fs.readFileSync(path.join(certsFolder, "ca-key.der")));
		assert.equal(
			new X509Certificate(fs.readFileSync(path.join(folder, "server-rsa.pem"))).subject,
			new X509Certificate(fs.readFileSync(path.join(certsFolder, "server-rsa.pem"))).subject,
			"subject names are fixed",
		);
	} finally {
		fs.rmSync(folder, { recursive: true, force: true });
	}
});
