// The AT bridge: the command engine with its tables, on a UART. What the tables answer from (the
// board's network, clock and stores) is given by the application. URCs go through one bounded
// queue (at/urcqueue) that writes `+WS_DATA` only while the UART keeps up.
import { AtEngine } from "at/engine";
import { basicCommands, type FirmwareVersion } from "at/basic";
import type { CommandTable } from "at/table";
import { UartTransport, type UartOptions } from "at/uart";
import { UrcQueue } from "at/urcqueue";
import type { UrcOutput } from "at/websocket";

export interface AtBridgeOptions {
	uart: Omit<UartOptions, "onReceive" | "onOverflow" | "onDrain">;
	version: FirmwareVersion;
	/** Tables registered after the basic commands, in AT+CMD? order, made with the URC path. */
	tables?: (urc: UrcOutput) => CommandTable[];
	/** Most `+WS_DATA` bytes held while the UART is behind (default 32 KiB); more is lost. */
	maxPendingData?: number;
}

export interface AtBridge {
	readonly engine: AtEngine;
	readonly urc: UrcOutput;
}

// The UART's queue holds URCs up to this much; the rest is kept for command answers, which are
// never refused for lack of room behind a flood of `+WS_DATA`. It must exceed the largest URC
// (a 16 KiB `+WS_DATA` piece with its header).
const urcShare = 24 * 1024;
const uartQueue = 48 * 1024;

export function startAtBridge(options: AtBridgeOptions): AtBridge {
	let transport: UartTransport | undefined;
	let lost = 0;
	const urcs = new UrcQueue({
		write: (parts) => engine.urcBytes(...parts),
		room: () => urcShare - (transport?.queued ?? 0),
		limit: options.maxPendingData ?? 32 * 1024,
		onLost(bytes) {
			lost += bytes;
			trace(`at: ${bytes} bytes of +WS_DATA lost (${lost} in all): the UART is slower than the links\n`);
		},
	});
	const urc: UrcOutput = {
		print: (parts, data) => urcs.print(parts, data),
		after: (action) => urcs.after(action),
		congested: () => urcs.congested,
		whenRoom: (resume) => urcs.whenRoom(resume),
	};
	const engine: AtEngine = new AtEngine({
		write: (bytes) => transport!.write(bytes),
		tables: [
			basicCommands({
				version: options.version,
				uart: { factory: { baud: options.uart.baud, dataBits: 8, stopBits: 1, parity: 0, flowControl: 0 } },
			}),
			...(options.tables?.(urc) ?? []),
		],
		restart(done) {
			// §2.1: nothing printed before the restart survives it.
			urcs.clear();
			done();
		},
	});
	transport = new UartTransport({
		maxQueue: uartQueue,
		...options.uart,
		onReceive: (bytes) => engine.receive(bytes),
		onOverflow: (bytes) => trace(`at: ${bytes} output bytes lost: the UART queue is full\n`),
		onDrain: () => urcs.drain(),
	});
	engine.ready();
	return { engine, urc };
}
