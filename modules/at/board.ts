// What the AT tables answer from, on the board: the network the firmware is on (ESP-AT spec §2.2),
// its clock (§2.3) and a manufacturing store in flash for AT+SYSMFG (§2.4).
import Net from "net";
import Preference from "preference";
import Timer from "timer";
import type { ManufacturingStore, StoredKey, StoredValue } from "at/sysmfg";
import type { SntpConfig } from "at/sntp";
import { WifiMode, WifiURC, type JoinRequest, type NetworkState } from "at/wifi";
import type { UrcOutput } from "at/websocket";

const noAddress = "0.0.0.0";
const noMac = "00:00:00:00:00:00";

function netValue(name: string): string | undefined {
	const value = (Net.get as (what: string) => unknown)(name);
	return value === undefined || value === null || value === "" ? undefined : String(value);
}

/**
 * §2.2: the network as a station: connected while the firmware has an IP address (set up before
 * main by the platform: Wi-Fi on the chips, the host's network on lin and the host runtime). A
 * join cannot move the firmware to another network: it reports the one it is on.
 */
export class BoardNetwork implements NetworkState {
	readonly #urc: UrcOutput;
	mode: number = WifiMode.Station;
	#left = false;

	constructor(urc: UrcOutput) {
		this.#urc = urc;
	}

	private connected() {
		return !this.#left && netValue("IP") !== undefined;
	}

	setMode(value: number) {
		this.mode = value;
	}

	accessPoint() {
		if (!this.connected()) return undefined;
		return {
			ssid: netValue("SSID") ?? "",
			bssid: netValue("BSSID") ?? noMac,
			channel: Number(netValue("CHANNEL") ?? 1),
			rssi: Number(netValue("RSSI") ?? 0),
		};
	}

	station() {
		const connected = this.connected();
		return {
			ip: connected ? (netValue("IP") ?? noAddress) : noAddress,
			gateway: netValue("GATEWAY") ?? noAddress,
			netmask: netValue("NETMASK") ?? (connected ? "255.255.255.0" : noAddress),
			mac: netValue("MAC") ?? noMac,
		};
	}

	softAP() {
		return { ip: noAddress, mac: netValue("MAC") ?? noMac };
	}

	join(_request: JoinRequest | undefined, done: (failure?: number) => void) {
		this.#left = false;
		// §2.2: the URCs, then OK; with no address the AP counts as not found (code 3).
		if (netValue("IP") === undefined) return done(3);
		this.#urc.print([`${WifiURC.Connected}\r\n`]);
		this.#urc.print([`${WifiURC.GotIP}\r\n`]);
		this.#urc.after(() => done());
	}

	leave() {
		if (this.connected()) this.#urc.print([`${WifiURC.Disconnect}\r\n`]);
		this.#left = true;
	}
}

export function boardNetwork(urc: UrcOutput): NetworkState {
	return new BoardNetwork(urc);
}

// A clock before 2020 was never set.
const clockIsSet = () => Date.now() > Date.UTC(2020, 0, 1);

/** §2.3: the board's clock (set by the platform: SNTP on the chips before main, the host's on lin
 *  and the host runtime); `+TIME_UPDATED` once SNTP is enabled and the clock holds a real time. */
export class BoardClock {
	readonly #urc: UrcOutput;

	constructor(urc: UrcOutput) {
		this.#urc = urc;
	}

	clock(): number {
		return Date.now();
	}

	configure(config: SntpConfig) {
		const urc = this.#urc;
		if (config.enabled && clockIsSet()) Timer.set(() => urc.print(["+TIME_UPDATED\r\n"]), 0);
	}
}

export function boardClock(urc: UrcOutput): BoardClock {
	return new BoardClock(urc);
}

export interface PreferenceStoreOptions {
	/** Largest Preference value the platform takes (ESP32 NVS: 4000 bytes; ESP8266: 63). */
	maxValue?: number;
	/** The namespaces AT+SYSMFG? lists even when empty (default: ESP-AT's WebSocket ones). */
	namespaces?: string[];
}

// Where the namespaces written so far are remembered (Preference cannot list its domains).
const registryDomain = "at_sysmfg";
const registryKey = "namespaces";
// Preference domain and key names are at most 15 bytes on ESP32; a value's further pieces are
// stored under `<key>/<n>`, so a key may have at most 12.
const maxKeyLength = 12;
const pieceSeparator = "/";

const defaultNamespaces = Object.freeze(["wss_ca", "wss_cert", "wss_key"]);

function registered(): string[] {
	const value = Preference.get(registryDomain, registryKey);
	return typeof value === "string" && value ? value.split(",") : [];
}

function keysOf(namespace: string): string[] {
	return Preference.keys(namespace).filter((key) => !key.includes(pieceSeparator));
}

function removeValue(namespace: string, key: string) {
	Preference.delete(namespace, key);
	for (let index = 1; Preference.get(namespace, key + pieceSeparator + index) !== undefined; index++) Preference.delete(namespace, key + pieceSeparator + index);
}

/**
 * §2.4: AT+SYSMFG's store on Moddable's Preference, which survives a restart: one domain per
 * namespace. A value larger than one Preference value is split: the first piece (with the value's
 * type in its first byte) under the key, the others under `<key>/1`, `<key>/2`, ...
 */
export class PreferenceStore implements ManufacturingStore {
	readonly #maxValue: number;
	readonly #fixed: readonly string[];

	constructor(options: PreferenceStoreOptions = {}) {
		this.#maxValue = options.maxValue ?? 4000;
		this.#fixed = options.namespaces ?? defaultNamespaces;
	}

	namespaces(): string[] {
		const names = [...this.#fixed];
		for (const name of registered()) if (!names.includes(name)) names.push(name);
		return names;
	}

	keys(namespace: string): StoredKey[] | undefined {
		if (!this.namespaces().includes(namespace)) return undefined;
		const result: StoredKey[] = [];
		for (const key of keysOf(namespace)) {
			const first = Preference.get(namespace, key);
			if (first instanceof ArrayBuffer && first.byteLength) result.push({ key, type: new Uint8Array(first)[0] });
		}
		return result;
	}

	read(namespace: string, key: string): StoredValue | undefined {
		if (!validName(namespace) || !validName(key)) return undefined;
		const first = Preference.get(namespace, key);
		if (!(first instanceof ArrayBuffer) || !first.byteLength) return undefined;
		const pieces: Uint8Array[] = [new Uint8Array(first, 1)];
		let length = pieces[0].length;
		for (let index = 1; ; index++) {
			const piece = Preference.get(namespace, key + pieceSeparator + index);
			if (!(piece instanceof ArrayBuffer)) break;
			pieces.push(new Uint8Array(piece));
			length += piece.byteLength;
		}
		const value = new Uint8Array(length);
		let offset = 0;
		for (const piece of pieces) {
			value.set(piece, offset);
			offset += piece.length;
		}
		return { type: new Uint8Array(first)[0], value };
	}

	write(namespace: string, key: string, type: number, value: Uint8Array): boolean {
		if (!validName(namespace) || !validName(key)) return false;
		const maxValue = this.#maxValue;
		try {
			removeValue(namespace, key);
			// The first piece carries the type byte, so it holds one value byte less.
			const first = new Uint8Array(Math.min(value.length, maxValue - 1) + 1);
			first[0] = type;
			first.set(value.subarray(0, first.length - 1), 1);
			Preference.set(namespace, key, first.buffer);
			let index = 1;
			for (let offset = first.length - 1; offset < value.length; offset += maxValue, index++)
				Preference.set(namespace, key + pieceSeparator + index, value.slice(offset, offset + maxValue).buffer);
			const names = registered();
			if (!this.#fixed.includes(namespace) && !names.includes(namespace)) Preference.set(registryDomain, registryKey, [...names, namespace].join(","));
			return true;
		} catch {
			// The flash is full, or the platform refused a name or a size.
			removeValue(namespace, key);
			return false;
		}
	}

	erase(namespace: string, key?: string): boolean {
		if (!validName(namespace)) return false;
		if (key !== undefined) {
			if (!validName(key) || Preference.get(namespace, key) === undefined) return false;
			removeValue(namespace, key);
			return true;
		}
		const keys = keysOf(namespace);
		if (!keys.length && !this.namespaces().includes(namespace)) return false;
		for (const name of keys) removeValue(namespace, name);
		return true;
	}
}

export function preferenceStore(options: PreferenceStoreOptions = {}): ManufacturingStore {
	return new PreferenceStore(options);
}

function validName(name: string): boolean {
	return name.length > 0 && name.length <= maxKeyLength && !name.includes(pieceSeparator);
}
