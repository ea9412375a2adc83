// ESP-AT spec §2.4: AT+SYSMFG, the certificate store, with an in-memory store standing in for the
// application's persistence; byte for byte.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Device, loadAt, table, type AtModules } from "./device.ts";
import type { FirmwareRealm } from "../../runtime/realm.ts";

let realm: FirmwareRealm;
let at: AtModules;
before(async () => ({ realm, at } = await loadAt()));
after(() => realm.stop());

const OK = "\r\nOK\r\n";
const ERROR = "\r\nERROR\r\n";
const PROMPT = "\r\nOK\r\n\r\n>";
const BUSY = "\r\nbusy p...\r\n";

class MemoryStore {
	readonly spaces = new Map<string, Map<string, { type: number; value: Uint8Array }>>([
		["wss_ca", new Map()],
		["wss_cert", new Map()],
		["wss_key", new Map()],
	]);
	namespaces() {
		return [...this.spaces.keys()];
	}
	keys(namespace: string) {
		const space = this.spaces.get(namespace);
		return space && [...space].map(([key, { type }]) => ({ key, type }));
	}
	read(namespace: string, key: string) {
		return this.spaces.get(namespace)?.get(key);
	}
	write(namespace: string, key: string, type: number, value: Uint8Array) {
		const space = this.spaces.get(namespace);
		if (!space) return false;
		space.set(key, { type, value: Uint8Array.from(value) });
		return true;
	}
	erase(namespace: string, key?: string) {
		const space = this.spaces.get(namespace);
		if (!space) return false;
		if (key === undefined) {
			space.clear();
			return true;
		}
		return space.delete(key);
	}
	text(namespace: string, key: string) {
		const entry = this.read(namespace, key);
		return entry && String.fromCharCode(...entry.value);
	}
}

function device(maxValueLength?: number) {
	const { Result } = at.results;
	const store = new MemoryStore();
	const dev = new Device(at, () => [
		table({ name: "E0", execute: (call: any) => ((call.engine.echo = false), Result.OK) }),
		at.sysmfg.sysmfgCommands({ store, maxValueLength }),
	]);
	dev.send("ATE0\r\n").take();
	return { dev, store };
}

describe("§2.4 AT+SYSMFG", () => {
	test("AT+SYSMFG? and AT+SYSMFG=1 list the namespaces", () => {
		const { dev } = device();
		const list = '+SYSMFG:"wss_ca"\r\n+SYSMFG:"wss_cert"\r\n+SYSMFG:"wss_key"\r\n' + OK;
		assert.equal(dev.exchange("AT+SYSMFG?\r\n"), list);
		assert.equal(dev.exchange("AT+SYSMFG=1\r\n"), list);
	});

	test("a write: prompt, exactly <len> raw bytes, OK", () => {
		const { dev, store } = device();
		const pem = "-----BEGIN CERTIFICATE-----\r\nMIIB\u0000\u00ff\r\n-----END CERTIFICATE-----\r\n";
		assert.equal(dev.exchange(`AT+SYSMFG=2,"wss_ca","wss_ca.0",8,${pem.length}\r\n`), PROMPT);
		assert.equal(dev.exchange(pem), OK);
		assert.equal(store.text("wss_ca", "wss_ca.0"), pem);
	});

	test("reading lists keys with their type, and a value raw with its length", () => {
		const { dev, store } = device();
		store.write("wss_cert", "wss_cert.0", 8, Uint8Array.from([0x41, 0x0d, 0x0a, 0x00, 0x42]));
		store.write("wss_cert", "wss_cert.1", 7, Uint8Array.from([0x43]));
		assert.equal(dev.exchange('AT+SYSMFG=1,"wss_cert"\r\n'), '+SYSMFG:"wss_cert","wss_cert.0",8\r\n+SYSMFG:"wss_cert","wss_cert.1",7\r\n' + OK);
		assert.equal(dev.exchange('AT+SYSMFG=1,"wss_cert","wss_cert.0"\r\n'), '+SYSMFG:"wss_cert","wss_cert.0",8,5,A\r\n\u0000B\r\n' + OK);
		assert.equal(dev.exchange('AT+SYSMFG=1,"wss_cert","wss_cert.0",1,3\r\n'), '+SYSMFG:"wss_cert","wss_cert.0",8,3,\r\n\u0000\r\n' + OK);
		assert.equal(dev.exchange('AT+SYSMFG=1,"wss_key"\r\n'), OK, "an empty namespace");
	});

	test("erasing a key or a whole namespace", () => {
		const { dev, store } = device();
		store.write("wss_key", "wss_key.0", 8, Uint8Array.of(1));
		store.write("wss_key", "wss_key.1", 8, Uint8Array.of(2));
		assert.equal(dev.exchange('AT+SYSMFG=0,"wss_key","wss_key.0"\r\n'), OK);
		assert.deepEqual(store.keys("wss_key"), [{ key: "wss_key.1", type: 8 }]);
		assert.equal(dev.exchange('AT+SYSMFG=1,"wss_key","wss_key.0"\r\n'), ERROR);
		assert.equal(dev.exchange('AT+SYSMFG=0,"wss_key"\r\n'), OK);
		assert.deepEqual(store.keys("wss_key"), []);
	});

	test("bad requests answer ERROR, and a bad write never shows the prompt", () => {
		const { dev } = device(64);
		for (const bad of [
			'2,"wss_ca","wss_ca.0",1,4', // numeric types are not kept
			'2,"wss_ca","wss_ca.0",8,0',
			'2,"wss_ca","wss_ca.0",8,65',
			'2,"wss_ca","wss_ca.0",8',
			'2,"wss_ca",,8,4',
			'1,"nope"',
			'1,"wss_ca","wss_ca.9"',
			'1,"wss_ca","wss_ca.0",0',
			'0,"nope"',
			'0,"wss_ca","wss_ca.9"',
			"3",
			"",
		])
			assert.equal(dev.exchange(`AT+SYSMFG=${bad}\r\n`), ERROR, bad);
		dev.send('AT+SYSMFG=2,"wss_ca","wss_ca.0",8,4\r\n').send("abcd").take();
		for (const range of ["0,5", "4,1", "-1,2", "1,0", "0,"]) assert.equal(dev.exchange(`AT+SYSMFG=1,"wss_ca","wss_ca.0",${range}\r\n`), ERROR, range);
		dev.engine.syslog = true;
		assert.equal(dev.exchange("AT+SYSMFG=1,wss_ca\r\n"), "ERR CODE:0x01080001\r\n" + ERROR);
	});

	test("the data phase rules hold: early bytes are busy, excess bytes are busy", () => {
		const { dev, store } = device();
		assert.equal(dev.exchange('AT+SYSMFG=2,"wss_ca","wss_ca.1",7,3\r\nxyz'), BUSY + PROMPT);
		assert.equal(dev.exchange("abcdef"), BUSY + OK);
		assert.equal(store.text("wss_ca", "wss_ca.1"), "abc");
	});
});
