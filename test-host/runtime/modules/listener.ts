// "embedded:io/socket/listener" on Node, after the SDK's lin listener (modules/io/socket/lin/
// listener.js and tcp.c): onReadable(count) reports how many accepted connections wait; read()
// returns one as a native socket that firmware adopts with `new TCP({from: handle, ...})`, or
// undefined when none waits.
//
// lin binds every interface. A test machine should not expose the firmware under test to its
// network, so the host binds 127.0.0.1 unless the firmware names an `address` or the run's host
// options carry `listenAddress` (e.g. "0.0.0.0").
import net from "node:net";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { callbackOption, closedError, nextTurn, realmError, toInteger } from "./realm-values.ts";
import { Channel, channels, tcpClass } from "./tcp.ts";

// libuv's TCP handle, the one net.Server wraps: it binds synchronously and reports errors as codes.
const { TCP: TCPWrap, constants: tcpWrapConstants } = (process as unknown as { binding(name: string): any }).binding("tcp_wrap");

interface ListenerState {
	server: net.Server;
	pending: net.Socket[];
	onReadable?: (...args: any[]) => unknown;
	reportScheduled: boolean;
}

function makeListener(realm: RealmServices) {
	const TCP = tcpClass(realm);
	const states = new WeakMap<object, ListenerState>();

	function stateOf(listener: object): ListenerState {
		const state = states.get(listener);
		if (!state) throw closedError(realm);
		return state;
	}

	function closeState(state: ListenerState) {
		state.server.close();
		for (const socket of state.pending.splice(0)) socket.destroy();
	}

	return class Listener {
		constructor(options: Record<string, unknown> = {}) {
			let port = 0;
			if ("port" in options) {
				if (options.port === undefined) throw realmError(realm, "Error", "invalid");
				port = toInteger(options.port);
				if (port < 0 || port > 65535) throw realmError(realm, "RangeError", "invalid port");
			}
			const onReadable = callbackOption(realm, options, "onReadable");
			if ("format" in options && options.format && String(options.format) !== "socket/tcp")
				throw realmError(realm, "RangeError", "unimplemented");
			const hostOptions = realm.options as { listenAddress?: string };
			const address = options.address !== undefined ? String(options.address) : (hostOptions.listenAddress ?? "127.0.0.1");

			// lin binds and listens inside the constructor: a port in use throws there, and `port` is
			// known as soon as the constructor returns. server.listen({host}) would bind a turn later
			// (after a lookup), so the socket is bound here on libuv's handle, then given to the server.
			const handle = new TCPWrap(tcpWrapConstants.SERVER);
			const failure = (net.isIPv6(address) ? handle.bind6(address, port, 0) : handle.bind(address, port)) || handle.listen(511);
			if (failure) {
				handle.close();
				throw realmError(realm, "Error", "bind socket failed");
			}
			// Half-open, as a kernel socket is: the peer's FIN does not end this side (lin writes on
			// after it until firmware closes). No read-ahead (tcp.ts reads as lin's readBuf allows).
			const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true, highWaterMark: 0 });
			const state: ListenerState = { server, pending: [], onReadable, reportScheduled: false };
			server.on("error", () => {});
			server.listen(handle);
			server.on("connection", (socket) => {
				socket.on("error", () => {}); // until adopted, a reset just ends the pending socket
				state.pending.push(socket);
				if (state.reportScheduled) return;
				state.reportScheduled = true;
				// lin listenerTask: one onReadable per poll with all pending connections.
				nextTurn(() => {
					state.reportScheduled = false;
					if (states.get(this) !== state || !state.onReadable || !state.pending.length) return;
					realm.invoke(state.onReadable, this, state.pending.length);
				});
			});
			if ("target" in options) (this as Record<string, unknown>).target = options.target;
			states.set(this, state);
			realm.onStop(() => closeState(state));
		}

		read(): object | undefined {
			const state = stateOf(this);
			const socket = state.pending.shift();
			if (!socket) return undefined;
			socket.removeAllListeners("error");
			const handle = new TCP();
			channels.set(handle, new Channel(realm, socket, true));
			socket.resume();
			return handle;
		}

		close() {
			const state = states.get(this);
			if (!state) return;
			states.delete(this);
			closeState(state);
		}

		get port(): number | undefined {
			const state = stateOf(this);
			const address = state.server.address();
			return typeof address === "object" && address ? address.port : undefined;
		}

		get format(): string {
			return "socket/tcp";
		}

		set format(value: string) {
			if (String(value) !== "socket/tcp") throw realmError(realm, "RangeError", "");
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makeListener(realm) });
export default factory;
