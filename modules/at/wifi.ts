// ESP-AT spec §2.2: the Wi-Fi commands host start-up sequences use, answered from the network
// state the application supplies. A bridge whose uplink is not Wi-Fi answers as a connected
// station. The Wi-Fi URCs (`WIFI CONNECTED`, `WIFI GOT IP`, `WIFI DISCONNECT`) are the
// application's to print with engine.urc(WifiURC.x) whenever they happen, also during AT+CWJAP.
import { Result } from "at/results";
import { commandList, type Call, type Command, type CommandTable } from "at/table";

/** §2.2: the Wi-Fi URC lines (without their CR LF). */
export const WifiURC = Object.freeze({
	Connected: "WIFI CONNECTED",
	GotIP: "WIFI GOT IP",
	Disconnect: "WIFI DISCONNECT",
});

/** §2.2 AT+CWJAP failure codes. */
export const JoinFailure = Object.freeze({
	Timeout: 1,
	WrongPassword: 2,
	NotFound: 3,
	ConnectFailed: 4,
});

/** AT+CWMODE values. */
export const WifiMode = Object.freeze({ Off: 0, Station: 1, SoftAP: 2, Both: 3 });

export interface JoinRequest {
	ssid: string;
	password: string;
	bssid: string | undefined;
	pciEnabled: number; // 0/1
	reconnectInterval: number; // s, 0..7200
	listenInterval: number; // beacon intervals, 1..100
	scanMode: number; // 0 fast, 1 all channels
	timeout: number; // s, 3..600: the application reports JoinFailure.Timeout after it
	pmf: number; // bit 0 capable, bit 1 required
}

/** The access point the station is associated with. */
export interface AccessPoint {
	ssid: string;
	bssid: string; // "xx:xx:xx:xx:xx:xx"
	channel: number;
	rssi: number;
}

export interface InterfaceAddress {
	ip: string; // dotted IPv4
	mac: string; // "xx:xx:xx:xx:xx:xx"
}

export interface StationAddress extends InterfaceAddress {
	gateway: string;
	netmask: string;
}

/** The board's real network state, supplied by the application. */
export interface NetworkState {
	/** AT+CWMODE (WifiMode). */
	readonly mode: number;
	setMode(mode: number, autoConnect: boolean): void;
	/** The associated access point, or undefined when the station is not connected. */
	accessPoint(): AccessPoint | undefined;
	station(): StationAddress;
	softAP(): InterfaceAddress;
	/** Joins (request) or rejoins with the stored configuration (undefined); `done` reports the
	 *  outcome once: no argument after `WIFI GOT IP`, else a JoinFailure code. */
	join(request: JoinRequest | undefined, done: (failure?: number) => void): void;
	/** Leaves the access point (its `WIFI DISCONNECT` URC follows when it was connected). */
	leave(): void;
}

// AT+CWJAP? reports the join options in force; these are ESP-AT's defaults.
const defaults = Object.freeze({ pciEnabled: 0, reconnectInterval: 1, listenInterval: 3, scanMode: 0, pmf: 1 });

type JoinOptions = Pick<JoinRequest, "pciEnabled" | "reconnectInterval" | "listenInterval" | "scanMode" | "pmf">;

/** §2.2's commands on the application's network state, and the join options AT+CWJAP? shows. */
export class WifiTable implements CommandTable {
	readonly network: NetworkState;
	joined: JoinOptions = defaults;

	constructor(network: NetworkState) {
		this.network = network;
	}

	get commands(): readonly Command<WifiTable>[] {
		return commands;
	}

	get station(): boolean {
		return (this.network.mode & WifiMode.Station) !== 0;
	}
}

export function wifiCommands(network: NetworkState): CommandTable {
	return new WifiTable(network);
}

function finishJoin(call: Call) {
	return (failure?: number) => {
		if (failure !== undefined) call.info(`+CWJAP:${failure}`);
		call.finish(failure === undefined ? Result.OK : Result.Error);
	};
}

// `xx:xx:xx:xx:xx:xx` in hex digits of either case.
function isBssid(text: string): boolean {
	if (text.length !== 17) return false;
	for (let i = 0; i < 17; i++) {
		const c = text.charCodeAt(i);
		if (i % 3 === 2) {
			if (c !== 0x3a) return false;
		} else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) return false;
	}
	return true;
}

const commands = commandList<WifiTable>([
	{
		name: "+CWMODE",
		query(call, table) {
			call.info(`+CWMODE:${table.network.mode}`);
			return Result.OK;
		},
		set(_call, parameters, table) {
			const mode = parameters.int(0);
			const autoConnect = parameters.count > 1 ? parameters.int(1) : 1;
			if (parameters.count > 2 || mode === undefined || mode < 0 || mode > 3) return Result.Error;
			if (autoConnect !== 0 && autoConnect !== 1) return Result.Error;
			table.network.setMode(mode, autoConnect === 1);
			return Result.OK;
		},
	},
	{
		name: "+CWJAP",
		// Not connected: just OK.
		query(call, table) {
			const ap = table.network.accessPoint();
			const joined = table.joined;
			if (ap)
				call.info(
					`+CWJAP:"${ap.ssid}","${ap.bssid.toLowerCase()}",${ap.channel},${ap.rssi},${joined.pciEnabled},${joined.reconnectInterval},${joined.listenInterval},${joined.scanMode},${joined.pmf}`,
				);
			return Result.OK;
		},
		// AT+CWJAP="ssid","pwd"[,"bssid"][,pci_en][,reconn_interval][,listen_interval][,scan_mode][,jap_timeout][,pmf]
		set(call, parameters, table) {
			if (parameters.count > 9 || !table.station) return Result.Error;
			const ssid = parameters.string(0);
			const password = parameters.count > 1 ? (parameters.string(1) ?? "") : "";
			const bssid = parameters.count > 2 ? parameters.string(2) : undefined;
			const option = (index: number, fallback: number, min: number, max: number) => {
				const value = parameters.count > index ? (parameters.int(index) ?? fallback) : fallback;
				return value >= min && value <= max ? value : undefined;
			};
			const pciEnabled = option(3, defaults.pciEnabled, 0, 1);
			const reconnectInterval = option(4, defaults.reconnectInterval, 0, 7200);
			const listenInterval = option(5, defaults.listenInterval, 1, 100);
			const scanMode = option(6, defaults.scanMode, 0, 1);
			const timeout = option(7, 15, 3, 600);
			const pmf = option(8, defaults.pmf, 0, 3);
			if (!ssid || (bssid !== undefined && !isBssid(bssid))) return Result.Error;
			if (pciEnabled === undefined || reconnectInterval === undefined || listenInterval === undefined) return Result.Error;
			if (scanMode === undefined || timeout === undefined || pmf === undefined) return Result.Error;
			table.joined = { pciEnabled, reconnectInterval, listenInterval, scanMode, pmf };
			table.network.join({ ssid, password, bssid, pciEnabled, reconnectInterval, listenInterval, scanMode, timeout, pmf }, finishJoin(call));
			return Result.Pending;
		},
		// Rejoins with the stored configuration.
		execute(call, table) {
			if (!table.station) return Result.Error;
			table.network.join(undefined, finishJoin(call));
			return Result.Pending;
		},
	},
	{
		name: "+CWQAP",
		execute(_call, table) {
			table.network.leave();
			return Result.OK;
		},
	},
	{
		name: "+CIPSTA",
		query(call, table) {
			const address = table.network.station();
			call.info(`+CIPSTA:ip:"${address.ip}"`);
			call.info(`+CIPSTA:gateway:"${address.gateway}"`);
			call.info(`+CIPSTA:netmask:"${address.netmask}"`);
			return Result.OK;
		},
	},
	{
		name: "+CIFSR",
		// §2.2: the softAP's lines first, then the station's; MACs in lower-case hex.
		execute(call, table) {
			const network = table.network;
			if (network.mode & WifiMode.SoftAP) {
				const ap = network.softAP();
				call.info(`+CIFSR:APIP,"${ap.ip}"`);
				call.info(`+CIFSR:APMAC,"${ap.mac.toLowerCase()}"`);
			}
			if (network.mode & WifiMode.Station) {
				const address = network.station();
				call.info(`+CIFSR:STAIP,"${address.ip}"`);
				call.info(`+CIFSR:STAMAC,"${address.mac.toLowerCase()}"`);
			}
			return Result.OK;
		},
	},
]);
