// Test support: the AT modules loaded in the firmware realm, and a device that is fed host bytes
// and collects what it prints. Bytes are compared as binary strings (one char per byte) so that a
// failing assertion shows the exact bytes.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FirmwareRealm } from "../../runtime/realm.ts";

const manifest = path.join(path.dirname(fileURLToPath(import.meta.url)), "manifest.json");

export interface AtModules {
	engine: any;
	results: any;
	parameters: any;
	basic: any;
	wifi: any;
	sntp: any;
	sysmfg: any;
}

export async function loadAt(): Promise<{ realm: FirmwareRealm; at: AtModules }> {
	const realm = await FirmwareRealm.create({ manifest, trace: () => {}, onAbort: () => {} });
	const at: AtModules = {
		engine: await realm.import("at/engine"),
		results: await realm.import("at/results"),
		parameters: await realm.import("at/parameters"),
		basic: await realm.import("at/basic"),
		wifi: await realm.import("at/wifi"),
		sntp: await realm.import("at/sntp"),
		sysmfg: await realm.import("at/sysmfg"),
	};
	return { realm, at };
}

/** Binary string (one char per byte) to bytes. */
export function bytes(text: string): Uint8Array {
	return Uint8Array.from(text, (char) => {
		const code = char.charCodeAt(0);
		if (code > 0xff) throw new RangeError("test input must be bytes");
		return code;
	});
}

export function binary(data: ArrayLike<number>): string {
	let text = "";
	for (let index = 0; index < data.length; index++) text += String.fromCharCode(data[index]);
	return text;
}

export const version = {
	at: "4.2.0.0-dev(32ff6e1 - ESP32C3 - Jul 24 2026 09:54:05)",
	sdk: "v5.4.1-dirty",
	commit: "0123abc",
	compiled: "Jul 24 2026 09:54:05",
	bin: "v4.2.0.0-dev(MINI-1)",
};

export const factoryUart = { baud: 115200, dataBits: 8, stopBits: 1, parity: 0, flowControl: 0 };

export class Device {
	readonly engine: any;
	#output = "";
	/** Every write the engine made, in order, each as a binary string. */
	readonly writes: string[] = [];
	/** engine.busy as it was at each write. */
	readonly busyAtWrite: boolean[] = [];

	constructor(at: AtModules, tables: (engine: () => any) => unknown[], hooks: { restart?: (done: () => void) => void; restore?: () => void } = {}) {
		this.engine = new at.engine.AtEngine({
			write: (data: Uint8Array) => {
				// A realm Uint8Array: copy the bytes out.
				const text = binary(Uint8Array.from(data));
				this.writes.push(text);
				this.busyAtWrite.push(this.engine.busy);
				this.#output += text;
			},
			tables: tables(() => this.engine),
			...hooks,
		});
	}

	/** One burst from the host. */
	send(text: string | Uint8Array): this {
		this.engine.receive(typeof text === "string" ? bytes(text) : text);
		return this;
	}

	/** What the device printed since the last take(). */
	take(): string {
		const output = this.#output;
		this.#output = "";
		return output;
	}

	/** Sends one burst and answers what the device printed in response. */
	exchange(text: string | Uint8Array): string {
		this.take();
		this.send(text);
		return this.take();
	}
}

/** A table of one command built by the test. */
export function table(...commands: object[]) {
	return { commands };
}

/** A network state with no Wi-Fi behind it: a connected station, as §2.2 asks of such bridges. */
export function fakeNetwork() {
	const joins: unknown[] = [];
	return {
		joins,
		mode: 1,
		autoConnect: true,
		leaves: 0,
		ap: { ssid: "lab", bssid: "AA:bb:cc:00:11:22", channel: 6, rssi: -52 } as object | undefined,
		pending: undefined as undefined | ((failure?: number) => void),
		setMode(mode: number, autoConnect: boolean) {
			this.mode = mode;
			this.autoConnect = autoConnect;
		},
		accessPoint() {
			return this.ap;
		},
		station() {
			return { ip: "192.168.4.20", gateway: "192.168.4.1", netmask: "255.255.255.0", mac: "24:0A:C4:12:34:56" };
		},
		softAP() {
			return { ip: "192.168.5.1", mac: "26:0A:C4:12:34:57" };
		},
		join(request: unknown, done: (failure?: number) => void) {
			joins.push(request);
			this.pending = done;
		},
		leave() {
			this.leaves++;
		},
	};
}

/** A realm object or array as a plain host value, so deepEqual compares contents, not realms. */
export function plain<T>(value: T): T {
	return structuredClone(value);
}
