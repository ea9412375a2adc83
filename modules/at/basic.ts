// ESP-AT spec §2.1: the basic commands. The first six entries and their order are what AT+CMD?
// must list first (§2.1); the restart and the UART reconfiguration are application hooks.
import type { Parameters } from "at/parameters";
import { Result } from "at/results";
import { commandList, type Call, type Command, type CommandTable } from "at/table";

/** AT+GMR's four lines (§2.1): `AT version:<at>`, `SDK version:<sdk>`,
 *  `compile time(<commit>):<compiled>`, `Bin version:<bin>`. */
export interface FirmwareVersion {
	at: string;
	sdk: string;
	commit: string;
	compiled: string;
	bin: string;
}

/** AT+UART_CUR / AT+UART_DEF fields, as ESP-AT numbers them (§2.1). */
export interface UartConfig {
	baud: number;
	dataBits: number; // 5..8
	stopBits: number; // 1: 1, 2: 1.5, 3: 2
	parity: number; // 0 none, 1 odd, 2 even
	flowControl: number; // 0 none, 1 RTS, 2 CTS, 3 both
}

export interface UartSettings {
	/** What AT+RESTORE goes back to. */
	factory: UartConfig;
	/** What AT+UART_DEF saved earlier (default: factory). */
	saved?: UartConfig;
	/** Reconfigures the port; called after the OK was handed to the writer (§2.1: OK at the old settings). */
	apply?(config: UartConfig): void;
	/** Persists AT+UART_DEF. */
	save?(config: UartConfig): void;
}

export interface BasicOptions {
	version: FirmwareVersion;
	uart: UartSettings;
}

// ESP-AT's UART baud range on ESP32-class chips.
const minBaud = 80;
const maxBaud = 5000000;

/** §2.1's basic commands with their state: the UART settings and AT+SYSMSG. */
export class BasicTable implements CommandTable {
	readonly options: BasicOptions;
	/** AT+UART_DEF, what a restart goes back to. */
	saved: UartConfig;
	/** AT+UART_CUR. */
	current: UartConfig;
	sysmsg = 0;

	constructor(options: BasicOptions) {
		this.options = options;
		this.saved = { ...(options.uart.saved ?? options.uart.factory) };
		this.current = { ...this.saved };
	}

	get commands(): readonly Command<BasicTable>[] {
		return commands;
	}

	reset() {
		this.sysmsg = 0;
		// A restart brings the port back to its saved settings.
		if (!sameUart(this.current, this.saved)) {
			this.current = { ...this.saved };
			this.options.uart.apply?.({ ...this.current });
		}
	}

	restore() {
		const uart = this.options.uart;
		this.saved = { ...uart.factory };
		uart.save?.(this.saved);
	}
}

export function basicCommands(options: BasicOptions): CommandTable {
	return new BasicTable(options);
}

function setUart(call: Call, parameters: Parameters, table: BasicTable, persist: boolean): Result {
	// §2.1: all five parameters, each in range.
	if (parameters.count !== 5) return Result.Error;
	const baud = parameters.int(0);
	const dataBits = parameters.int(1);
	const stopBits = parameters.int(2);
	const parity = parameters.int(3);
	const flowControl = parameters.int(4);
	if (baud === undefined || baud < minBaud || baud > maxBaud) return Result.Error;
	if (dataBits === undefined || dataBits < 5 || dataBits > 8) return Result.Error;
	if (stopBits === undefined || stopBits < 1 || stopBits > 3) return Result.Error;
	if (parity === undefined || parity < 0 || parity > 2) return Result.Error;
	if (flowControl === undefined || flowControl < 0 || flowControl > 3) return Result.Error;
	table.current = { baud, dataBits, stopBits, parity, flowControl };
	if (persist) {
		table.saved = { ...table.current };
		table.options.uart.save?.(table.saved);
	}
	call.finish(Result.OK);
	table.options.uart.apply?.({ ...table.current });
	return Result.Pending;
}

const uartLine = (name: string, config: UartConfig) => `+${name}:${config.baud},${config.dataBits},${config.stopBits},${config.parity},${config.flowControl}`;

const restart = (call: Call) => {
	call.finish(Result.OK);
	call.engine.restart();
	return Result.Pending;
};

// Module-level and frozen: preloading keeps the table in flash.
const commands = commandList<BasicTable>([
	// §1.1: bare AT is its own command.
	{ name: "", execute: () => Result.OK },
	// §1.3: echo; ATE0 is echoed because echo is still on when it arrives.
	{
		name: "E0",
		execute(call) {
			call.engine.echo = false;
			return Result.OK;
		},
	},
	{
		name: "E1",
		execute(call) {
			call.engine.echo = true;
			return Result.OK;
		},
	},
	{
		name: "+RST",
		// §2.1: OK, then the restart, then `ready`.
		execute: restart,
		// §2.1: `AT+RST=0` restarts like AT+RST; download mode (1) is not a bridge's business.
		set(call, parameters) {
			if (parameters.count !== 1 || parameters.int(0) !== 0) return Result.Error;
			return restart(call);
		},
	},
	{
		name: "+GMR",
		execute(call, table) {
			const version = table.options.version;
			call.info(`AT version:${version.at}`);
			call.info(`SDK version:${version.sdk}`);
			call.info(`compile time(${version.commit}):${version.compiled}`);
			call.info(`Bin version:${version.bin}`);
			return Result.OK;
		},
	},
	{
		name: "+CMD",
		// §2.1: one line per registered command; the flags say which slots exist.
		query(call) {
			const flag = (slot: unknown) => (slot ? 1 : 0);
			call.engine.commands.forEach((command, index) =>
				call.info(`+CMD:${index},"AT${command.name}",${flag(command.test)},${flag(command.query)},${flag(command.set)},${flag(command.execute)}`),
			);
			return Result.OK;
		},
	},
	{
		name: "+RESTORE",
		execute(call) {
			call.finish(Result.OK);
			call.engine.restore();
			return Result.Pending;
		},
	},
	{
		name: "+SYSLOG",
		query(call) {
			call.info(`+SYSLOG:${call.engine.syslog ? 1 : 0}`);
			return Result.OK;
		},
		set(call, parameters) {
			const status = parameters.int(0);
			if (parameters.count !== 1 || (status !== 0 && status !== 1)) return Result.Error;
			call.engine.syslog = status === 1;
			return Result.OK;
		},
	},
	{
		name: "+SYSMSG",
		// §1.5: printed without its CR LF, so no blank line before OK.
		query(call, table) {
			call.print(`+SYSMSG:${table.sysmsg}`);
			return Result.OK;
		},
		set(_call, parameters, table) {
			const state = parameters.int(0);
			if (parameters.count !== 1 || state === undefined || state < 0 || state > 7) return Result.Error;
			table.sysmsg = state;
			return Result.OK;
		},
	},
	{
		name: "+UART_CUR",
		query(call, table) {
			call.info(uartLine("UART_CUR", table.current));
			return Result.OK;
		},
		set: (call, parameters, table) => setUart(call, parameters, table, false),
	},
	{
		name: "+UART_DEF",
		query(call, table) {
			call.info(uartLine("UART_DEF", table.saved));
			return Result.OK;
		},
		set: (call, parameters, table) => setUart(call, parameters, table, true),
	},
	{
		name: "+SLEEP",
		// §2.1: the bridge never sleeps: it reports 0 and accepts only 0.
		query(call) {
			call.info("+SLEEP:0");
			return Result.OK;
		},
		set(_call, parameters) {
			return parameters.count === 1 && parameters.int(0) === 0 ? Result.OK : Result.Error;
		},
	},
]);

function sameUart(a: UartConfig, b: UartConfig): boolean {
	return a.baud === b.baud && a.dataBits === b.dataBits && a.stopBits === b.stopBits && a.parity === b.parity && a.flowControl === b.flowControl;
}
