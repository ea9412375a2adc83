// The firmware realm gives firmware what XS gives an mcconfig app, and nothing of Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FirmwareRealm, type FirmwareAbort } from "../../runtime/realm.ts";

const manifest = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/manifest.json");
const quiet = { trace: () => {}, onAbort: () => {} };

test("Node's and the browser's globals are absent; XS's built-ins are present", async () => {
	const realm = await FirmwareRealm.create({ manifest, ...quiet });
	const globals = await realm.import("globals");
	for (const name of ["setTimeout", "setInterval", "process", "Buffer", "require", "fetch", "TextEncoder", "TextDecoder", "console", "URL", "structuredClone", "queueMicrotask", "WebAssembly"])
		assert.equal(globals.typeOfGlobal(name), "undefined", `${name} must not exist for firmware`);
	for (const name of ["trace", "Iterator", "SharedArrayBuffer", "WeakRef"])
		assert.notEqual(globals.typeOfGlobal(name), "undefined", `${name} exists on XS`);
	assert.deepEqual(Array.from(globals.xsBuiltins()), ["aMOpAP8=", "68c3a900ff", "h\u00e9\u20ac\u{1F600}", "4", "7"]);
	realm.stop();
});

test("String.fromArrayBuffer takes an ArrayBuffer, not a view, as XS does", async () => {
	const realm = await FirmwareRealm.create({ manifest, ...quiet });
	const globals = await realm.import("globals");
	assert.equal(globals.fromArrayBufferRejectsViews(), "TypeError: argument: not an ArrayBuffer instance");
	realm.stop();
});

test("firmware using setTimeout, process or Buffer fails", async () => {
	const realm = await FirmwareRealm.create({ manifest, ...quiet });
	const nodeisms = await realm.import("nodeisms");
	assert.throws(() => nodeisms.useSetTimeout(), { name: "ReferenceError", message: /setTimeout is not defined/ });
	assert.throws(() => nodeisms.useProcess(), { name: "ReferenceError", message: /process is not defined/ });
	assert.throws(() => nodeisms.useBuffer(), { name: "ReferenceError", message: /Buffer is not defined/ });
	realm.stop();
});

test("importing a module no manifest provides fails at load", async () => {
	const realm = await FirmwareRealm.create({ manifest, ...quiet });
	await assert.rejects(realm.import("missing-import"), /module "not\/in\/any\/manifest" not found \(imported by "missing-import"\)/);
	await assert.rejects(realm.import("globals-typo"), /module "globals-typo" not found/);
	realm.stop();
});

test("mc/config merges included manifests, the app's own config and its platform section", async () => {
	const realm = await FirmwareRealm.create({ manifest, config: { answer: "7" }, ...quiet });
	const { default: config } = await realm.import("mc/config");
	assert.equal(config.who, "app", "the including manifest wins over its includes");
	assert.equal(config.childOnly, true);
	assert.equal(config.platformValue, "lin", "the host runtime stands in for lin");
	assert.equal(config.answer, "7", "command-line values override the manifests");
	assert.ok(Object.isFrozen(config));
	realm.stop();
});

test("what a preloaded module exports is read-only, as XS keeps it in flash", async () => {
	const realm = await FirmwareRealm.create({ manifest, ...quiet });
	const { table, Codec } = await realm.import("child/table");
	assert.throws(() => {
		"use strict";
		table.limit = 17;
	}, TypeError);
	assert.throws(() => {
		Codec.version = 2;
	}, TypeError);
	realm.stop();
});

test("an exception escaping a firmware callback aborts the firmware with its stack", async () => {
	let reported: FirmwareAbort | undefined;
	const realm = await FirmwareRealm.create({ manifest, trace: () => {}, onAbort: (abort) => (reported = abort) });
	const probe = await realm.import("probe/throws");
	probe.throwFromTimer();
	const abort = await realm.aborted;
	assert.equal(reported, abort);
	assert.match(abort.message, /^XS abort: unhandled exception\nError: thrown from a timer callback/);
	assert.match(abort.message, /probe\/throws\.ts/);
	assert.equal(realm.running, false);
});

// XS aborts when JSON nesting exhausts its stack (measured on lin: see xs-globals.js); the host
// realm stops at a comparable depth so that host tests fail where the board would.
async function jsonRealm() {
	let reported: FirmwareAbort | undefined;
	const realm = await FirmwareRealm.create({ manifest, trace: () => {}, onAbort: (abort) => (reported = abort) });
	return { realm, json: await realm.import("json"), reported: () => reported };
}

test("JSON.parse within XS's stack parses; nesting XS cannot hold aborts the firmware", async () => {
	const { realm, json, reported } = await jsonRealm();
	assert.equal(json.parse(json.nested("array", 200)), "parsed");
	assert.equal(json.parse(json.nested("object", 100)), "parsed");
	assert.equal(json.parse("x" + "[".repeat(300)), "SyntaxError", "XS stops at the first wrong byte, before any nesting");
	assert.equal(json.parse("[".repeat(100)), "SyntaxError");
	assert.equal(reported(), undefined);
	realm.stop();
	for (const text of [json.nested("array", 250), json.nested("object", 110), "[".repeat(300), '{"a":'.repeat(120) + "x"]) {
		const deep = await jsonRealm();
		deep.json.parse(text); // whatever firmware does after this, the VM is already stopped
		assert.match(deep.reported()?.message ?? "", /^XS abort: JavaScript stack overflow/, text.slice(0, 20));
		assert.equal(deep.realm.running, false);
	}
});

test("JSON.stringify of nesting XS cannot hold aborts the firmware", async () => {
	const { realm, json, reported } = await jsonRealm();
	assert.equal(json.stringify("array", 200), 401);
	assert.equal(json.stringify("object", 50), 50 * 6 + 1);
	assert.equal(reported(), undefined);
	realm.stop();
	const deep = await jsonRealm();
	assert.throws(() => deep.json.stringify("object", 60));
	assert.match(deep.reported()?.message ?? "", /^XS abort: JavaScript stack overflow/);
});
