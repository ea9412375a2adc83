// The client's states, numbered as ESP-AT reports a link's state in AT+WSOPEN? (ESP-AT §3.0,
// §3.9), so that the AT bridge can print them as they are.
export const ClientState = Object.freeze({
	/** Not connected and not trying: after close(), a clean close by the server, or a failure
	 *  without reconnect. */
	Stopped: 0,
	/** Resolving the name, connecting TCP (and TLS), or waiting for the 101 answer. */
	Connecting: 1,
	/** The WebSocket is open. */
	Connected: 2,
	/** The connection was lost; the next attempt starts after the reconnect interval. */
	WaitingToReconnect: 3,
	/** The closing handshake is under way (RFC 6455 §7.1.2), until the server closes TCP. */
	Closing: 4,
});
