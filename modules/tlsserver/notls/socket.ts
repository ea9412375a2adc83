// "tlsserver/socket" in builds without a TLS server (the ESP8266 profile): the SDK's TLS
// modules are left out, and a configured wssPort is refused at start with a message that says
// why. The same exports as tlsserver/tls/socket.ts.
import type { ServerCredentials } from "tlsserver/identity";

/** Whether this build can serve TLS. */
export const tlsServerAvailable = false;

export function prepareIdentity(_credentials: ServerCredentials): object {
	throw new Error("wssPort: this build has no TLS server (see the profile's manifest)");
}

export default class TLSServerSocket {
	constructor(_options: object) {
		throw new Error("this build has no TLS server");
	}
}
