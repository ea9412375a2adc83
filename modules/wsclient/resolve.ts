// Names to addresses: embedded:io/socket/tcp takes a dotted IPv4 `address` only (a `host` option
// is rejected on lin), so a host name is resolved first with the net module's Net.resolve.
import Net from "net";

const dottedIPv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(host: string): boolean {
	return dottedIPv4.test(host);
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
