// crypt, logical, rng, Resource, preference, net, instrumentation, debug and time as the SDK has them.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bytes, certs, openRealm, thrown } from "./helpers.ts";

test("crypt: Digest SHA1 of the RFC 6455 §1.3 handshake example; close(true) keeps the running state", async () => {
	const t = await openRealm();
	const { Digest } = await t.load("crypt");
	const sha1 = new Digest("SHA1");
	sha1.write("dGhlIHNhbXBsZSBub25jZQ==");
	sha1.write(new TextEncoder().encode("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
	assert.equal(bytes(sha1.close()).toString("base64"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	const sha256 = new Digest("SHA256");
	sha256.write("ab");
	const partial = bytes(sha256.close(true));
	sha256.write("c");
	assert.deepEqual(partial, crypto.createHash("sha256").update("ab").digest());
	assert.deepEqual(bytes(sha256.close()), crypto.createHash("sha256").update("abc").digest());
	assert.equal(sha256.outputSize, 32);
	assert.deepEqual(thrown(() => new Digest("SHA3")), { name: "Error", message: "crypt: unsupported digest" });
	t.stop();
});

test("logical: xor repeats the source over the destination; not inverts; a count throws since logical.js drops it", async () => {
	const t = await openRealm();
	const { default: Logical } = await t.load("logical");
	const data = new Uint8Array([1, 2, 3, 4, 5, 6]);
	Logical.xor(data.subarray(1), new Uint8Array([0xf0, 0x0f]).buffer);
	assert.deepEqual([...data], [1, 2 ^ 0xf0, 3 ^ 0x0f, 4 ^ 0xf0, 5 ^ 0x0f, 6 ^ 0xf0]);
	const mask = new Uint8Array([1, 2, 3, 4]);
	Logical.not(mask);
	assert.deepEqual([...mask], [0xfe, 0xfd, 0xfc, 0xfb]);
	Logical.and(mask, 0x0f);
	assert.deepEqual([...mask], [0x0e, 0x0d, 0x0c, 0x0b]);
	assert.equal(thrown(() => Logical.xor(mask, 1, 2))?.name, "RangeError");
	t.stop();
});

test("rng: get(n) returns n random bytes as an ArrayBuffer of the firmware realm", async () => {
	const t = await openRealm();
	const { default: RNG } = await t.load("rng");
	const a = RNG.get(32);
	assert.ok(a instanceof t.realm.services.global.ArrayBuffer);
	assert.equal(a.byteLength, 32);
	assert.notDeepEqual(bytes(a), bytes(RNG.get(32)));
	t.stop();
});

test("Resource: reads a manifest resource as a buffer; a missing one throws URIError", async () => {
	const t = await openRealm();
	const { default: Resource } = await t.load("Resource");
	const ca = new Resource("ca.der");
	const file = fs.readFileSync(path.join(certs, "ca.der"));
	assert.equal(ca.byteLength, file.length);
	assert.deepEqual(Buffer.from(new t.realm.services.global.Uint8Array(ca)), file, "new Uint8Array(resource) works");
	assert.deepEqual(bytes(ca.slice(2, 6)), file.subarray(2, 6));
	assert.equal(Resource.exists("ca.der"), true);
	assert.equal(Resource.exists("nope.der"), false);
	assert.deepEqual(thrown(() => new Resource("nope.der")), { name: "URIError", message: "Resource not found: nope.der" });
	t.stop();
});

test("preference: values persist across runs in the data folder; NVS limits hold", async () => {
	const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "prefs-"));
	try {
		const first = await openRealm({ dataDirectory });
		const { default: Preference } = await first.load("preference");
		Preference.set("wifi", "ssid", "lab");
		Preference.set("wifi", "channel", 6);
		Preference.set("wifi", "open", false);
		Preference.set("wifi", "key", new Uint8Array([1, 2, 3]).buffer);
		assert.deepEqual(thrown(() => Preference.set("wifi", "k", 1.5)), { name: "Error", message: "float unsupported" });
		assert.deepEqual(thrown(() => Preference.set("wifi", "a-key-of-16-char", 1)), { name: "Error", message: "nvs set fail" });
		assert.deepEqual(thrown(() => Preference.set("a-domain-16-char", "k", 1)), { name: "Error", message: "nvs_open fail" });
		assert.deepEqual(thrown(() => Preference.set("wifi", "k", "x".repeat(4000))), { name: "Error", message: "nvs set fail" });
		assert.deepEqual(thrown(() => Preference.set("wifi", "k", new Uint8Array(2))), { name: "Error", message: "unsupported type" });
		first.stop();

		const second = await openRealm({ dataDirectory });
		const { default: again } = await second.load("preference");
		assert.equal(again.get("wifi", "ssid"), "lab");
		assert.equal(again.get("wifi", "channel"), 6);
		assert.equal(again.get("wifi", "open"), false);
		assert.deepEqual([...bytes(again.get("wifi", "key"))], [1, 2, 3]);
		assert.deepEqual([...again.keys("wifi")].sort(), ["channel", "key", "open", "ssid"]);
		again.delete("wifi", "ssid");
		assert.equal(again.get("wifi", "ssid"), undefined);
		assert.equal(again.get("nothing", "here"), undefined);
		second.stop();
	} finally {
		fs.rmSync(dataDirectory, { recursive: true, force: true });
	}
});

test("net: resolve answers the first address, IPv4 only; get('IP') is an IPv4 address", async () => {
	const t = await openRealm();
	const { default: Net } = await t.load("net");
	assert.match(Net.get("IP"), /^\d+\.\d+\.\d+\.\d+$/);
	assert.equal(Net.get("SSID"), undefined, "lin has only IP");
	const answer = await new Promise<unknown[]>((resolve) => Net.resolve("127.0.0.1", (...args: unknown[]) => resolve(args)));
	assert.deepEqual(answer, ["127.0.0.1", "127.0.0.1"]);
	const missing = await new Promise<unknown[]>((resolve) => Net.resolve("no-such-host.invalid", (...args: unknown[]) => resolve(args)));
	assert.deepEqual(missing, ["no-such-host.invalid", undefined]);
	t.stop();
});

test("instrumentation maps the SDK's names; debug and time exist", async () => {
	const t = await openRealm();
	const { default: Instrumentation } = await t.load("instrumentation");
	const slot = Instrumentation.map("XS Slot Heap Used");
	const chunk = Instrumentation.map("XS Chunk Heap Used");
	assert.equal(Instrumentation.name(slot), "XS Slot Heap Used");
	// No XS heap on the host: not kept, rather than V8's figures under XS names.
	assert.equal(Instrumentation.get(slot), undefined);
	assert.equal(Instrumentation.get(chunk), undefined);
	assert.equal(Instrumentation.get(Instrumentation.map("Timers")), 0);
	assert.equal(Instrumentation.map("nothing"), undefined);
	const { default: Debug } = await t.load("debug");
	Debug.gc();
	const { default: Time } = await t.load("time");
	assert.equal(typeof Time.ticks, "number");
	t.stop();
});
