// Plain HTTP on the WebSocket port: what a route is, and which route (or which error) a request
// gets. The server shell reads the body and writes the answer; a route only turns a request and
// its body into an answer.
import type { HttpRequest } from "ws/http";

export interface HttpAnswer {
	status: number;
	headers?: Array<[string, string]>;
	/** A string is sent as UTF-8; bytes (a Resource, a host buffer in flash, too) are sent as they
	 *  are, without a copy. */
	body?: string | ArrayBuffer | Uint8Array | HostBuffer;
}

/** One request being answered: its body arrives in pieces, then the route answers. */
export interface HttpExchange {
	/** A piece of the body, as it arrives (a view: copy what is kept). */
	body?(piece: Uint8Array): void;
	/** The body is complete. */
	end(): HttpAnswer;
}

/** What a route may ask of the server it runs in (for /api/status). */
export interface ServerView {
	readonly path: string;
	readonly clientCount: number;
	readonly connectionCount: number;
	readonly startedAt: number;
	/** Whether the connection came to the TLS port (https://, wss://). */
	readonly tls: boolean;
	readonly limits: Readonly<Record<string, number>>;
	/** The memory budget of WebSocket data: bytes held now, the most held at once, the limit,
	 *  and how many connections wait for room. */
	dataBudget(): { held: number; peak: number; limit: number; waiting: number };
	links(): ReadonlyArray<Readonly<Record<string, unknown>>>;
}

export interface HttpRoute {
	readonly path: string;
	/** The methods it answers; a route that answers GET answers HEAD too (RFC 9110 §9.3.2). */
	readonly methods: readonly string[];
	start(request: HttpRequest, server: ServerView): HttpExchange;
}

/** The path of a request-target in origin-form (RFC 9112 §3.2.1), without its query. */
export function targetPath(target: string): string {
	const query = target.indexOf("?");
	return query < 0 ? target : target.slice(0, query);
}

/** The methods a route allows, for the Allow field of a 405 (RFC 9110 §10.2.1). */
export function allowedMethods(route: HttpRoute): string[] {
	const methods = route.methods.slice();
	if (methods.includes("GET") && !methods.includes("HEAD")) methods.push("HEAD");
	return methods;
}

/** The route for a request, or the error it gets: 404 for an unknown path, 405 (with Allow) for
 *  a method the path does not answer (RFC 9110 §15.5.5, §15.5.6). */
export function findRoute(routes: readonly HttpRoute[], method: string, path: string): HttpRoute | HttpAnswer {
	const route = routes.find((candidate) => candidate.path === path);
	if (!route) return { status: 404, body: "not found\n" };
	const allowed = allowedMethods(route);
	if (!allowed.includes(method)) return { status: 405, headers: [["Allow", allowed.join(", ")]], body: "method not allowed\n" };
	return route;
}

/** An exchange that ignores the body and gives a fixed answer. */
export function fixedAnswer(answer: HttpAnswer): HttpExchange {
	return { end: () => answer };
}
