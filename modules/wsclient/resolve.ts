// Names to addresses: embedded:io/socket/tcp takes a dotted IPv4 `address` only (a `host` option
// is rejected on lin), so a host name is resolved first with the net module's Net.resolve.
import Net from "net";

/** A dotted IPv4 address: four decimal numbers 0 to 255 without leading zeros. (Not a
 *  module-level RegExp: XS preloads it into flash, and its test() crashes when a garbage
 *  collection runs inside it.) */
export function isIPv4(host: string): boolean {
	let parts = 0;
	let digits = 0;
	let value = 0;
	for (let i = 0; i <= host.length; i++) {
		const c = i < host.length ? host.charCodeAt(i) : 0x2e;
		if (c === 0x2e) {
			if (!digits || ++parts > 4) return false;
			digits = value = 0;
		} else if (c >= 0x30 && c <= 0x39) {
			// A leading zero only as the whole number.
			if (digits === 1 && value === 0) return false;
			value = value * 10 + (c - 0x30);
			if (++digits > 3 || value > 255) return false;
		} else return false;
	}
	return parts === 4;
}

/**
 * Calls back with the host's IPv4 address, or undefined when it has none: Net.resolve answers
 * undefined for an unknown name, and on lin also when the first address the system gives is IPv6
 * (e.g. "localhost" resolving to ::1 first). A dotted IPv4 answers at once.
 */
export function resolveIPv4(host: string, callback: (address: string | undefined) => void): void {
	if (isIPv4(host)) {
		callback(host);
		return;
	}
	Net.resolve(host, (_name: string, address?: string) => callback(address && isIPv4(address) ? address : undefined));
}
