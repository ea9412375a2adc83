// A page stored in flash as a resource (manifest "resources"; mcconfig keeps the file's extension
// in the resource's name), answered straight from flash: the Resource is a host buffer, so the
// body is written from it without a copy in RAM.
import Resource from "Resource";
import type { HttpExchange, HttpRoute } from "wsserver/route";

export function resourceRoute(path: string, resource: string, contentType: string): HttpRoute {
	// Checked at start-up: a resource missing from the manifest fails here, not at the first request.
	const body = new Resource(resource);
	return {
		path,
		methods: ["GET"],
		start(): HttpExchange {
			return { end: () => ({ status: 200, headers: [["Content-Type", contentType], ["Cache-Control", "no-cache"]], body }) };
		},
	};
}

/** The web console (console.html): a WebSocket client for this server, in one page. */
export function consoleRoute(path = "/"): HttpRoute {
	return resourceRoute(path, "console.html", "text/html; charset=utf-8");
}
