// RFC 6455 §3: ws:// and wss:// URIs, split into what the connection and the handshake need.

export interface WebSocketUri {
	secure: boolean;
	host: string;
	port: number;
	/** Path and query ("/" when the URI has no path), RFC 6455 §3 resource-name. */
	resource: string;
	/** From "user:password@" (RFC 3986 §3.2.1), percent-decoded. */
	user?: string;
	password?: string;
}

/** Parses a ws/wss URI (scheme case-insensitive); throws a SyntaxError for anything else. */
export function parseUri(text: string): WebSocketUri {
	// Made when it runs: a module-level RegExp would be preloaded into flash, and XS crashes when a
	// collection runs inside exec() of a preloaded RegExp. URIs are parsed once per connection.
	const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]]*)(?::([0-9]*))?([^#]*)$/.exec(text);
	if (!match) throw new SyntaxError(`not a WebSocket URI: ${text}`);
	const [, schemeText, userInfo, hostText, portText, rest] = match;
	const scheme = schemeText.toLowerCase();
	// §3: only ws and wss, and no fragment.
	if (scheme !== "ws" && scheme !== "wss") throw new SyntaxError(`not a ws or wss URI: ${text}`);
	const secure = scheme === "wss";
	const host = hostText.startsWith("[") ? hostText.slice(1, -1) : hostText;
	if (!host) throw new SyntaxError(`no host in ${text}`);
	const port = portText ? Number(portText) : secure ? 443 : 80;
	if (!(port > 0 && port < 65536)) throw new SyntaxError(`bad port in ${text}`);
	const resource = rest === "" ? "/" : rest.startsWith("?") ? "/" + rest : rest;
	const uri: WebSocketUri = { secure, host, port, resource };
	if (userInfo !== undefined) {
		const colon = userInfo.indexOf(":");
		uri.user = decodeURIComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
		uri.password = colon < 0 ? "" : decodeURIComponent(userInfo.slice(colon + 1));
	}
	return uri;
}
