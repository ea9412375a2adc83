// "net" on Node, after the SDK's lin net module (modules/network/net/lin): Net.get("IP") is the
// first non-loopback IPv4 address (127.0.0.1 when there is none): the host is a connected
// station. Other properties are undefined, as on lin. Net.resolve(name, callback) calls back
// (from the run loop, `this` the global object) with (name, address): the first address the
// system returns, or undefined when that one is IPv6 or the name does not resolve.
import dns from "node:dns";
import os from "node:os";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { realmError } from "./realm-values.ts";

function localAddress(): string | undefined {
	let loopback = false;
	for (const addresses of Object.values(os.networkInterfaces())) {
		for (const entry of addresses ?? []) {
			if (entry.family !== "IPv4") continue;
			if (entry.address === "127.0.0.1") loopback = true;
			else return entry.address;
		}
	}
	return loopback ? "127.0.0.1" : undefined;
}

function makeNet(realm: RealmServices) {
	let stopped = false;
	realm.onStop(() => (stopped = true));
	return class Net {
		static get(property: unknown): string | undefined {
			return String(property) === "IP" ? localAddress() : undefined;
		}

		static resolve(host: unknown, callback: unknown): void {
			const name = String(host);
			if (typeof callback !== "function") throw realmError(realm, "TypeError", "callback is not a function");
			// glib's resolver, like getaddrinfo, returns the addresses in the system's order.
			dns.lookup(name, { all: true, verbatim: true }, (error, addresses) => {
				if (stopped) return;
				const first = error ? undefined : addresses[0];
				realm.invoke(callback as (...args: any[]) => unknown, realm.global, name, first?.family === 4 ? first.address : undefined);
			});
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makeNet(realm) });
export default factory;
