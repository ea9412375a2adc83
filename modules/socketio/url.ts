// From the URL a Socket.IO user writes (http://host:3000, https://host/admin?token=x) to the
// WebSocket the Engine.IO session runs on: ws(s)://host:3000/socket.io/?EIO=4&transport=websocket.
// As in socket.io-client, the URL's path names the namespace and its query goes to the server.

export interface EngineUrl {
	/** ws:// or wss:// URL of the Engine.IO WebSocket transport. */
	url: string;
	/** The namespace the URL's path names ("/" when it has none). */
	nsp: string;
}


/**
 * @param url http://, https://, ws:// or wss://
 * @param path the Engine.IO path on the server (default "/socket.io/"; socket.io's `path` option)
 * @param query more query parameters, "a=1&b=2"
 */
export function engineUrl(url: string, path = "/socket.io/", query = ""): EngineUrl {
	// Made here, at run time: a RegExp at a preloaded module's top level lives in flash, and XS
	// crashes when a collection runs inside its exec() (see test-host/tests/realm/regexp.test.ts).
	const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(url);
	if (!match) throw new SyntaxError(`not a Socket.IO server URL: ${url}`);
	const [, schemeText, authority, pathname, urlQuery] = match;
	const scheme = schemeText.toLowerCase();
	let secure: boolean;
	if (scheme === "http" || scheme === "ws") secure = false;
	else if (scheme === "https" || scheme === "wss") secure = true;
	else throw new SyntaxError(`not an http, https, ws or wss URL: ${url}`);
	if (!authority) throw new SyntaxError(`no host in ${url}`);
	// engine.io matches the path with its trailing slash.
	let enginePath = path.startsWith("/") ? path : "/" + path;
	if (!enginePath.endsWith("/")) enginePath += "/";
	let search = "EIO=4&transport=websocket";
	if (urlQuery) search += "&" + urlQuery;
	if (query) search += "&" + (query.startsWith("?") || query.startsWith("&") ? query.slice(1) : query);
	return { url: `${secure ? "wss" : "ws"}://${authority}${enginePath}?${search}`, nsp: pathname && pathname !== "/" ? pathname : "/" };
}

/**
 * The wait before reconnect attempt `attempt` (0 first), as socket.io-client's backoff: `delay`
 * doubled each attempt up to `max`, spread by ± `randomization` × the wait so that devices that
 * lost the same server do not all come back at once.
 */
export function reconnectDelay(attempt: number, delay: number, max: number, randomization: number): number {
	let ms = delay * 2 ** Math.min(attempt, 30);
	if (randomization > 0) {
		const random = Math.random();
		const deviation = Math.floor(random * randomization * ms);
		ms = (Math.floor(random * 10) & 1) === 0 ? ms - deviation : ms + deviation;
	}
	return Math.max(0, Math.floor(Math.min(ms, max)));
}
