// "wsclient/tls" in builds without wss:// (the ESP8266 profile): the SDK's TLS modules are left
// out of the build, and a wss:// URL is refused when the client is made, with a message that says
// why. The same exports as wsclient/tls/tls.ts.
import type { Socket, TlsSocketOptions } from "wsclient/transport";

/** Whether this build can open wss:// connections. */
export const tlsAvailable = false;

export function openTlsSocket(_options: TlsSocketOptions): Socket {
	throw new Error("wss:// is not in this build (no TLS: see the profile's manifest)");
}
