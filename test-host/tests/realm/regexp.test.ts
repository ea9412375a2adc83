// XS (SDK 8.2.3) keeps a RegExp made while a module is preloaded in flash; its test() and exec()
// then work on a temporary copy of the match state, which a garbage collection running inside
// them (the result array they build allocates) corrupts: the engine crashes. Every firmware module
// is preloaded, so none may make a RegExp at its top level. The checks here: the crash itself, on
// lin (needs MODDABLE), and no top-level RegExp in any firmware module.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import ts from "typescript";
import { FirmwareRealm, projectRoot } from "../../runtime/realm.ts";
import { buildLin } from "../../toolchain/build.ts";
import { sdkAvailable, sdkMissingMessage } from "../../toolchain/sdk.ts";
import { startMcsim } from "../../harness/lin.ts";
import { findInSource, firmwareSources } from "./firmware-sources.ts";

const fixture = path.join(projectRoot, "test-host/tests/realm/fixtures/preloaded-regexp/manifest.json");

test("XS crashes in test() of a preloaded RegExp when collections run inside it (lin)", async (t) => {
	if (!sdkAvailable()) return t.skip(sdkMissingMessage);
	const build = await buildLin({ manifest: fixture });
	let outcome: string;
	try {
		const target = await startMcsim(build.mcSo, { ready: /^preloaded-regexp: start/ });
		outcome = await Promise.race([
			target.waitForLog(/^preloaded-regexp: done/, 30_000).then(() => "finished"),
			target.waitForLog(/^mcsim exited/, 30_000),
		]).catch((error: Error) => error.message);
		await target.stop().catch(() => {});
	} catch (error) {
		// It may crash before the harness sees it start.
		outcome = (error as Error).message;
	}
	// If this fails, the SDK no longer crashes: the rule below could be relaxed.
	assert.match(outcome, /mcsim exited \(code (null, signal SIGSEGV|139)/);
});

// Whether a node runs later than the module's evaluation (inside a function, or an instance
// field's initializer, which the constructor runs).
function runsLater(node: ts.Node): boolean {
	for (let at = node.parent; at; at = at.parent) {
		if (ts.isFunctionLike(at)) return true;
		if (ts.isPropertyDeclaration(at) && !at.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.StaticKeyword)) return true;
	}
	return false;
}

/** A RegExp literal or RegExp construction that runs when the module is evaluated (preloaded). */
function topLevelRegExp(node: ts.Node): string | undefined {
	const isRegExp =
		node.kind === ts.SyntaxKind.RegularExpressionLiteral ||
		((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === "RegExp");
	return isRegExp && !runsLater(node) ? node.getText().slice(0, 60) : undefined;
}

test("no firmware module makes a RegExp at its top level", () => {
	const files = firmwareSources();
	assert.ok(files.length > 40, "the firmware modules are found");
	assert.deepEqual(files.flatMap((file) => findInSource(file, topLevelRegExp)), []);
});

test("the character tests that replace RegExps accept and refuse what the RegExps did", async () => {
	const realm = await FirmwareRealm.create({ manifest: path.join(projectRoot, "modules/wsclient/manifest.json"), trace: () => {} });
	const { isIPv4 } = await realm.import("wsclient/resolve");
	const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
	const candidates = [
		"127.0.0.1", "0.0.0.0", "255.255.255.255", "192.168.1.10", "10.0.0.256", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3",
		".1.2.3", "1.2.3.", "1.2.3.4 ", "a.b.c.d", "", "localhost", "::1", "1.2.3.00", "300.1.1.1", "9.99.199.249", "1.2.3.-4",
	];
	for (const text of candidates) assert.equal(isIPv4(text), ipv4.test(text), text);
	for (let i = 0; i < 2000; i++) {
		const text = Array.from({ length: 4 }, () => String(Math.floor(Math.random() * 300)).padStart(Math.random() < 0.1 ? 2 : 1, "0")).join(".");
		assert.equal(isIPv4(text), ipv4.test(text), text);
	}
});

test("HTTP tokens, versions and WebSocket keys are checked as the RegExps did (ws/http, ws/handshake)", async () => {
	const { loadWs } = await import("../ws/ws.ts");
	const ws = await loadWs();
	const ascii = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));
	const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
	const httpVersion = /^HTTP\/[0-9]\.[0-9]$/;
	const keyFormat = /^[A-Za-z0-9+/]{21}[AQgw]==$/;
	const parses = (text: string) => {
		try {
			ws.http.parseRequest(ascii(text));
			return true;
		} catch {
			return false;
		}
	};
	for (let code = 0x21; code < 0x7f; code++) {
		const c = String.fromCharCode(code);
		if (c === ":") continue;
		assert.equal(parses(`G${c}T / HTTP/1.1\r\n\r\n`), token.test(`G${c}T`), `method G${c}T`);
		assert.equal(parses(`GET / HTTP/1.1\r\nX${c}Y: v\r\n\r\n`), token.test(`X${c}Y`), `field name X${c}Y`);
		assert.equal(parses(`GET / HTTP/1.${c}\r\n\r\n`), httpVersion.test(`HTTP/1.${c}`), `version HTTP/1.${c}`);
	}
	for (const version of ["HTTP/1.1", "HTTP/2.0", "HTTP/1.10", "HTTP/11", "http/1.1", "HTTP/1,1", "HTTP/.1"])
		assert.equal(parses(`GET / ${version}\r\n\r\n`), httpVersion.test(version), version);
	const upgrade = (key: string) =>
		ws.http.parseRequest(ascii(`GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`));
	const keys = ["dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAA==", "/+/+/+/+/+/+/+/+/+/+/w==", "AAAAAAAAAAAAAAAAAAAAAB==", "AAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAA-A==", "AAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAA=A"];
	for (let i = 0; i < 200; i++) keys.push(Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256))).toString("base64"));
	for (const key of keys) assert.equal(!("status" in ws.handshake.checkRequest(upgrade(key))), keyFormat.test(key), key);
});
