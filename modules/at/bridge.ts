// The AT bridge: the command engine with its tables, on a UART. What the tables answer from (the
// board's network, clock and stores) is given by the application. URCs go through one bounded
// queue (at/urcqueue) that writes `+WS_DATA` only while the UART keeps up.
import Timer from "timer";
import { AtEngine, type AtEngineOptions } from "at/engine";
import { basicCommands, type FirmwareVersion } from "at/basic";
import type { CommandTable } from "at/table";
import { UartTransport, type UartOptions } from "at/uart";
import { UrcQueue, type UrcQueueOptions } from "at/urcqueue";
import type { UrcOutput } from "at/websocket";
import type { Output } from "at/writer";
import type { MemoryBudget } from "ws/budget";

export interface AtBridgeOptions {
	uart: Omit<UartOptions, "onReceive" | "onOverflow" | "onDrain">;
	version: FirmwareVersion;
	/** Tables registered after the basic commands, in AT+CMD? order, made with the URC path. */
	tables?: (urc: UrcOutput) => CommandTable[];
	/** Most `+WS_DATA` bytes held while the UART is behind (default 32 KiB); more is lost. */
	maxPendingData?: number;
	/** The app's memory budget (ws/budget), shared with the server: `+WS_DATA` and output
	 *  waiting for the UART count against it (the links' tables take it too). */
	budget?: MemoryBudget;
}

// The UART's queue holds URCs up to this much; the rest is kept for command answers, which are
// never refused for lack of room behind a flood of `+WS_DATA`. It must exceed the largest URC
// (a 16 KiB `+WS_DATA` piece with its header).
const urcShare = 24 * 1024;
const uartQueue = 48 * 1024;

/**
 * The wiring between the engine, the URC queue and the UART: one object that is the options of
 * all three (its methods live once, in flash, instead of a closure each in RAM).
 */
export class AtBridge implements AtEngineOptions, UrcQueueOptions, UartOptions {
	readonly engine: AtEngine;
	/** Where the tables print URCs. */
	readonly urc: UrcQueue;
	readonly #transport: UartTransport;
	readonly tables: readonly CommandTable[];
	readonly limit: number;
	readonly maxQueue = uartQueue;
	readonly baud: number;
	readonly device?: string;
	readonly port?: number;
	readonly receive?: number;
	readonly transmit?: number;
	readonly budget?: MemoryBudget;
	#lost = 0;

	constructor(options: AtBridgeOptions) {
		const uart = options.uart;
		this.baud = uart.baud;
		this.device = uart.device;
		this.port = uart.port;
		this.receive = uart.receive;
		this.transmit = uart.transmit;
		this.budget = options.budget;
		if (uart.maxQueue !== undefined) this.maxQueue = uart.maxQueue;
		this.limit = options.maxPendingData ?? 32 * 1024;
		this.urc = new UrcQueue(this);
		this.tables = [
			basicCommands({ version: options.version, uart: { factory: { baud: uart.baud, dataBits: 8, stopBits: 1, parity: 0, flowControl: 0 } } }),
			...(options.tables?.(this.urc) ?? []),
		];
		this.engine = new AtEngine(this);
		this.#transport = new UartTransport(this);
		// The boot banner goes out from the run loop, not from under main(): the start-up chain
		// (main, the bridge, the tables, the UART) is already as deep as an ESP8266's XS stack.
		Timer.set(() => this.engine.ready());
	}

	// AtEngineOptions: the engine's output goes to the UART.
	write(bytes: Uint8Array): void {
		this.#transport.write(bytes);
	}

	restart(done: () => void): void {
		// §2.1: nothing printed before the restart survives it.
		this.urc.clear();
		done();
	}

	// UrcQueueOptions: a URC goes through the engine, between whole output lines.
	writeUrc(parts: Output[]): void {
		this.engine.urcBytes(...parts);
	}

	room(): number {
		return urcShare - (this.#transport?.queued ?? 0);
	}

	onLost(bytes: number): void {
		this.#lost += bytes;
		trace(`at: ${bytes} bytes of +WS_DATA lost (${this.#lost} in all): the UART is slower than the links\n`);
	}

	// UartOptions: input goes to the engine; room in the UART lets waiting URCs go.
	onReceive(bytes: Uint8Array): void {
		this.engine.receive(bytes);
	}

	onOverflow(bytes: number): void {
		trace(`at: ${bytes} output bytes lost: the UART queue is full\n`);
	}

	onDrain(): void {
		this.urc.drain();
	}
}

export function startAtBridge(options: AtBridgeOptions): AtBridge {
	return new AtBridge(options);
}
