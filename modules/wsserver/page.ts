// A page stored in flash as a resource (manifest "resources"; mcconfig keeps the file's extension
// in the resource's name), answered straight from flash: the Resource is a host buffer, so the
// body is written from it without a copy in RAM.
import Resource from "Resource";
import { fixedAnswer, type HttpExchange, type HttpRoute } from "wsserver/route";

const getOnly = Object.freeze(["GET"]);

export class ResourceRoute implements HttpRoute {
	readonly path: string;
	readonly methods = getOnly;
	readonly #body: HostBuffer;
	readonly #contentType: string;

	constructor(path: string, resource: string, contentType: string) {
		this.path = path;
		// Checked at start-up: a resource missing from the manifest fails here, not at the first request.
		this.#body = new Resource(resource);
		this.#contentType = contentType;
	}

	start(): HttpExchange {
		return fixedAnswer({ status: 200, headers: [["Content-Type", this.#contentType], ["Cache-Control", "no-cache"]], body: this.#body });
	}
}

export function resourceRoute(path: string, resource: string, contentType: string): HttpRoute {
	return new ResourceRoute(path, resource, contentType);
}

/** The web console (console.html): a WebSocket client for this server, in one page. */
export function consoleRoute(path = "/"): HttpRoute {
	return resourceRoute(path, "console.html", "text/html; charset=utf-8");
}
