// The AT bridge: the command engine with its tables, on a UART. What the tables answer from (the
// board's network, clock and stores) is given by the application.
import { AtEngine } from "at/engine";
import { basicCommands, type FirmwareVersion } from "at/basic";
import type { CommandTable } from "at/table";
import { UartTransport, type UartOptions } from "at/uart";

export interface AtBridgeOptions {
	uart: Omit<UartOptions, "onReceive" | "onOverflow">;
	version: FirmwareVersion;
	/** Tables registered after the basic commands, in AT+CMD? order. */
	tables?: CommandTable[];
}

export function startAtBridge(options: AtBridgeOptions): AtEngine {
	let transport: UartTransport | undefined;
	const engine = new AtEngine({
		write: (bytes) => transport!.write(bytes),
		tables: [
			basicCommands({
				version: options.version,
				uart: { factory: { baud: options.uart.baud, dataBits: 8, stopBits: 1, parity: 0, flowControl: 0 } },
			}),
			...(options.tables ?? []),
		],
	});
	transport = new UartTransport({
		...options.uart,
		onReceive: (bytes) => engine.receive(bytes),
		onOverflow: (lost) => trace(`at: ${lost} output bytes lost: the UART queue is full\n`),
	});
	engine.ready();
	return engine;
}
