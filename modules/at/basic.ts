// ESP-AT spec §2.1: the basic commands. The first six entries and their order are what AT+CMD?
// must list first (§2.1); the restart and the UART reconfiguration are application hooks.
import type { Parameters } from "at/parameters";
import { Result } from "at/results";
import type { Call, Command, CommandTable } from "at/table";

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

export function basicCommands(options: BasicOptions): CommandTable {
	const uart = options.uart;
	let saved = { ...(uart.saved ?? uart.factory) };
	let current = { ...saved };
	let sysmsg = 0;

	function setUart(call: Call, parameters: Parameters, persist: boolean): Result {
		// §2.1: all five parameters, each in range.
		if (parameters.count !== 5) return Result.Error;
		const values = [0, 1, 2, 3, 4].map((index) => parameters.int(index));
		const [baud, dataBits, stopBits, parity, flowControl] = values;
		if (baud === undefined || baud < minBaud || baud > maxBaud) return Result.Error;
		if (dataBits === undefined || dataBits < 5 || dataBits > 8) return Result.Error;
		if (stopBits === undefined || stopBits < 1 || stopBits > 3) return Result.Error;
		if (parity === undefined || parity < 0 || parity > 2) return Result.Error;
		if (flowControl === undefined || flowControl < 0 || flowControl > 3) return Result.Error;
		current = { baud, dataBits, stopBits, parity, flowControl };
		if (persist) {
			saved = { ...current };
			uart.save?.(saved);
		}
		call.finish(Result.OK);
		uart.apply?.({ ...current });
		return Result.Pending;
	}

	const uartLine = (name: string, config: UartConfig) =>
		`+${name}:${config.baud},${config.dataBits},${config.stopBits},${config.parity},${config.flowControl}`;

	const commands: Command[] = [
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
			execute(call) {
				call.finish(Result.OK);
				call.engine.restart();
				return Result.Pending;
			},
			// §2.1: `AT+RST=0` restarts like AT+RST; download mode (1) is not a bridge's business.
			set(call, parameters) {
				if (parameters.count !== 1 || parameters.int(0) !== 0) return Result.Error;
				return this.execute!(call);
			},
		},
		{
			name: "+GMR",
			execute(call) {
				const version = options.version;
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
					call.info(
						`+CMD:${index},"AT${command.name}",${flag(command.test)},${flag(command.query)},${flag(command.set)},${flag(command.execute)}`,
					),
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
			query(call) {
				call.print(`+SYSMSG:${sysmsg}`);
				return Result.OK;
			},
			set(call, parameters) {
				const state = parameters.int(0);
				if (parameters.count !== 1 || state === undefined || state < 0 || state > 7) return Result.Error;
				sysmsg = state;
				return Result.OK;
			},
		},
		{
			name: "+UART_CUR",
			query(call) {
				call.info(uartLine("UART_CUR", current));
				return Result.OK;
			},
			set: (call, parameters) => setUart(call, parameters, false),
		},
		{
			name: "+UART_DEF",
			query(call) {
				call.info(uartLine("UART_DEF", saved));
				return Result.OK;
			},
			set: (call, parameters) => setUart(call, parameters, true),
		},
		{
			name: "+SLEEP",
			// §2.1: the bridge never sleeps: it reports 0 and accepts only 0.
			query(call) {
				call.info("+SLEEP:0");
				return Result.OK;
			},
			set(call, parameters) {
				return parameters.count === 1 && parameters.int(0) === 0 ? Result.OK : Result.Error;
			},
		},
	];

	return {
		commands,
		reset() {
			sysmsg = 0;
			// A restart brings the port back to its saved settings.
			if (!sameUart(current, saved)) {
				current = { ...saved };
				uart.apply?.({ ...current });
			}
		},
		restore() {
			saved = { ...uart.factory };
			uart.save?.(saved);
		},
	};
}

function sameUart(a: UartConfig, b: UartConfig): boolean {
	return a.baud === b.baud && a.dataBits === b.dataBits && a.stopBits === b.stopBits && a.parity === b.parity && a.flowControl === b.flowControl;
}
