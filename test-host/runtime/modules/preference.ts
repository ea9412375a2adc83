// "preference" on Node, with the limits of the ESP32's NVS store behind the SDK's
// modules/files/preference/esp32/modPreference.c: domain and key names of at most 15 bytes,
// strings of at most 3999 bytes (4000 with their NUL), ArrayBuffers of at most 4000 bytes (the SDK
// documentation's figure), integers only (int32), booleans. Errors carry the SDK's messages.
// Each domain is a JSON file in the run's dataDirectory (kept in memory when none is given).
import fs from "node:fs";
import path from "node:path";
import { types } from "node:util";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { bytesOf, realmArrayBuffer, realmError } from "./realm-values.ts";

/** NVS_KEY_NAME_MAX_SIZE (16) less the NUL: the longest namespace or key. */
export const maxNameLength = 15;
/** NVS string limit, NUL included. */
export const maxStringSize = 4000;
/** The SDK documentation's value limit on ESP32. */
export const maxBufferSize = 4000;

type Stored = { type: "boolean"; value: boolean } | { type: "integer"; value: number } | { type: "string"; value: string } | { type: "buffer"; value: string };
type Domain = Record<string, Stored>;

function makePreference(realm: RealmServices) {
	const folder = realm.options.dataDirectory ? path.join(realm.options.dataDirectory, "preference") : undefined;
	const memory = new Map<string, Domain>();

	const tooLong = (name: string) => Buffer.byteLength(name, "utf8") > maxNameLength || name.length === 0;
	const fileOf = (domain: string) => path.join(folder!, `${encodeURIComponent(domain)}.json`);

	function load(domain: string): Domain | undefined {
		if (!folder) return memory.get(domain);
		try {
			return JSON.parse(fs.readFileSync(fileOf(domain), "utf8")) as Domain;
		} catch {
			return undefined;
		}
	}

	function save(domain: string, entries: Domain) {
		if (!folder) return void memory.set(domain, entries);
		fs.mkdirSync(folder, { recursive: true });
		const file = fileOf(domain);
		fs.writeFileSync(file + ".tmp", JSON.stringify(entries, null, "\t"));
		fs.renameSync(file + ".tmp", file); // a crash mid-write leaves the old values, as NVS does
	}

	return class Preference {
		static set(domainName: unknown, keyName: unknown, value: unknown): void {
			const domain = String(domainName);
			const key = String(keyName);
			if (tooLong(domain)) throw realmError(realm, "Error", "nvs_open fail");
			let stored: Stored;
			if (typeof value === "boolean") stored = { type: "boolean", value };
			else if (typeof value === "number") {
				if (value !== (value | 0)) throw realmError(realm, "Error", "float unsupported");
				stored = { type: "integer", value };
			} else if (typeof value === "string") {
				if (Buffer.byteLength(value, "utf8") + 1 > maxStringSize) throw realmError(realm, "Error", "nvs set fail");
				stored = { type: "string", value };
			} else if (types.isArrayBuffer(value)) {
				const bytes = bytesOf(value)!;
				if (bytes.length > maxBufferSize) throw realmError(realm, "Error", "nvs set fail");
				stored = { type: "buffer", value: Buffer.from(bytes).toString("base64") };
			} else throw realmError(realm, "Error", "unsupported type");
			if (tooLong(key)) throw realmError(realm, "Error", "nvs set fail");
			const entries = load(domain) ?? {};
			entries[key] = stored;
			save(domain, entries);
		}

		static get(domainName: unknown, keyName: unknown): unknown {
			const domain = String(domainName);
			const key = String(keyName);
			if (tooLong(domain)) return undefined; // nvs_open fails: "most likely that domain doesn't exist yet"
			const entries = load(domain);
			if (!entries) return undefined;
			if (tooLong(key)) throw realmError(realm, "Error", "nvs get fail");
			const stored = Object.hasOwn(entries, key) ? entries[key] : undefined;
			if (!stored) return undefined;
			if (stored.type === "buffer") return realmArrayBuffer(realm, Buffer.from(stored.value, "base64"));
			return stored.value;
		}

		static delete(domainName: unknown, keyName: unknown): void {
			const domain = String(domainName);
			const key = String(keyName);
			if (tooLong(domain)) return;
			const entries = load(domain);
			if (!entries) return;
			if (tooLong(key)) throw realmError(realm, "Error", "nvs erase fail");
			if (!Object.hasOwn(entries, key)) return;
			delete entries[key];
			save(domain, entries);
		}

		static keys(domainName: unknown): string[] {
			const result = new realm.global.Array() as string[];
			const domain = String(domainName);
			if (tooLong(domain)) return result;
			for (const key of Object.keys(load(domain) ?? {})) result.push(key);
			return result;
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makePreference(realm) });
export default factory;
