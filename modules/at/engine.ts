// The ESP-AT command engine without I/O: fed the bytes the host sends, it writes back the bytes
// ESP-AT would print (spec §1). It owns line assembly, echo, the busy rule, dispatch to the
// command tables and the `>` data phase; a transport only moves bytes in and out.
import { CommandType, parseCommandLine } from "at/command";
import { LineAssembler } from "at/line";
import { ParameterError, Parameters } from "at/parameters";
import { ErrorCode, Result } from "at/results";
import type { Call, Command, CommandTable } from "at/table";
import { ResponseWriter, type Output } from "at/writer";

export interface AtEngineOptions {
	/** Where every output byte goes, in order. The engine never changes a buffer after handing
	 *  it over; echoes are views of the buffers given to receive(). */
	write(bytes: Uint8Array): void;
	/** Command tables, in registration order (AT+CMD? lists them so, §2.1). */
	tables: readonly CommandTable[];
	/** The application's part of a restart (AT+RST, AT+RESTORE, §1.2's forced restart): called
	 *  after the tables were reset; `done` prints `ready`. Without it the restart is immediate. */
	restart?(done: () => void): void;
	/** The application's part of AT+RESTORE, before the restart. */
	restore?(): void;
}

const State = Object.freeze({
	Idle: 0, // command mode: bytes are echoed and assembled into lines
	Busy: 1, // a command runs: input is answered with busy p...
	Data: 2, // §1.8: a command reads raw bytes
	Restarting: 3, // input is lost, as on a rebooting chip
});
type State = (typeof State)[keyof typeof State];

// §1.2: the only input honoured while busy.
const forcedRestartCommand = "AT+RST\r\n";

// What a running call may reach of its engine, and nothing more.
interface CallHost {
	writer(engine: AtEngine): ResponseWriter;
	running(engine: AtEngine, call: RunningCall): boolean;
	finish(engine: AtEngine, call: RunningCall, result: Result): void;
	startData(engine: AtEngine, call: RunningCall, length: number, received: (data: Uint8Array) => Result): void;
}

// Filled and frozen by AtEngine's static block.
const callHost = {} as CallHost;

export class AtEngine {
	/** ATE0/ATE1 (§1.3): on after every boot. */
	echo = true;
	readonly #writer: ResponseWriter;
	readonly #options: AtEngineOptions;
	readonly #line = new LineAssembler();
	#state: State = State.Idle;
	#call: RunningCall | undefined;
	// §1.8 data phase
	#dataLength = 0;
	#dataFilled = 0;
	#data: Uint8Array | undefined;
	#received: ((data: Uint8Array) => Result) | undefined;

	constructor(options: AtEngineOptions) {
		this.#options = options;
		this.#writer = new ResponseWriter(options);
	}

	/** AT+SYSLOG (§1.6): print ERR CODE lines. Off after every boot. */
	get syslog(): boolean {
		return this.#writer.syslog;
	}
	set syslog(value: boolean) {
		this.#writer.syslog = value;
	}

	/** Every registered command, in registration order (a new list: AT+CMD? is rare, and the
	 *  tables are not copied into RAM for it). */
	get commands(): readonly Command[] {
		const commands: Command[] = [];
		for (const table of this.#options.tables) commands.push(...table.commands);
		return commands;
	}

	/** True while a command runs (including its data phase) or a restart is under way. */
	get busy(): boolean {
		return this.#state !== State.Idle;
	}

	/** The boot banner `\r\nready\r\n`, for the application to print once it has started. */
	ready(): void {
		this.#writer.ready();
	}

	/** A URC line (§1.10): the text and CR LF, in one piece between other output lines. */
	urc(text: string): void {
		if (this.#state !== State.Restarting) this.#writer.line(text);
	}

	/** A URC written exactly as given (`+WS_DATA` with its raw payload, §3.7). */
	urcBytes(...parts: Output[]): void {
		if (this.#state !== State.Restarting) this.#writer.print(...parts);
	}

	/** Bytes from the host, in arrival order; one call is one burst (§1.2). */
	receive(bytes: Uint8Array): void {
		let offset = 0;
		while (offset < bytes.length) {
			switch (this.#state) {
				case State.Idle: {
					const end = this.#line.feed(bytes, offset);
					// §1.3: echo every byte taken in idle command mode, as it arrives.
					if (this.echo) this.#writer.print(bytes.subarray(offset, end < 0 ? bytes.length : end));
					if (end < 0) return;
					const line = this.#line.line();
					this.#state = State.Busy;
					// §1.2: the rest of the burst arrived while the command runs: no pipelining.
					if (end < bytes.length && !this.discard(bytes.subarray(end))) return;
					this.dispatch(line);
					return;
				}
				case State.Data:
					offset = this.receiveData(bytes, offset);
					break;
				case State.Busy:
					this.discard(bytes.subarray(offset));
					return;
				default:
					return; // restarting
			}
		}
	}

	/** A restart as AT+RST does it: everything in RAM back to boot values, then `ready`. */
	restart(): void {
		this.#call = undefined;
		this.#received = undefined;
		this.#data = undefined;
		this.#state = State.Restarting;
		this.#line.reset();
		this.echo = true;
		this.syslog = false;
		for (const table of this.#options.tables) table.reset?.();
		let restarted = false;
		const done = () => {
			if (restarted) return;
			restarted = true;
			this.#state = State.Idle;
			this.#writer.ready();
		};
		if (this.#options.restart) this.#options.restart(done);
		else done();
	}

	/** AT+RESTORE: factory values for what is persisted, then a restart. */
	restore(): void {
		for (const table of this.#options.tables) table.restore?.();
		this.#options.restore?.();
		this.restart();
	}

	// §1.2, §1.7: input while busy is thrown away and answered. Answers false when it held the
	// forced restart, which abandons the running command.
	private discard(bytes: Uint8Array): boolean {
		if (indexOf(bytes, forcedRestartCommand) >= 0) {
			this.#writer.forcedRestart();
			this.#state = State.Idle; // §1.2: the busy flag is cleared before a final result
			this.#writer.result(Result.OK);
			this.restart();
			return false;
		}
		this.#writer.busy();
		return true;
	}

	private dispatch(line: Uint8Array): void {
		const parsed = parseCommandLine(line);
		if (typeof parsed === "number") return this.reject(parsed);
		// A look through the tables, in registration order (a name registered twice: the first).
		let command: Command | undefined;
		let table: CommandTable | undefined;
		search: for (table of this.#options.tables)
			for (command of table.commands) if (command.name === parsed.name) break search;
		if (!command || command.name !== parsed.name) return this.reject(ErrorCode.UnsupportedCommand);
		const found = command;
		const owner = table!;
		const call = new RunningCall(this);
		this.#call = call;
		switch (parsed.type) {
			case CommandType.Test:
				return this.run(call, found.test && (() => found.test!(call, owner)));
			case CommandType.Query:
				return this.run(call, found.query && (() => found.query!(call, owner)));
			case CommandType.Execute:
				return this.run(call, found.execute && (() => found.execute!(call, owner)));
			default: {
				const parameters = Parameters.split(line.subarray(parsed.parameters));
				return this.run(call, found.set && parameters && (() => found.set!(call, parameters, owner)));
			}
		}
	}

	// A line rejected before any handler runs.
	private reject(code: number): void {
		this.#writer.errorCode(code);
		this.#state = State.Idle;
		this.#writer.result(Result.Error);
	}

	// §1.1: a missing slot answers ERROR without an ERR CODE line.
	private run(call: RunningCall, handler: (() => Result) | undefined | false): void {
		let result: Result = Result.Error;
		try {
			if (handler) result = handler();
		} catch (error) {
			if (!(error instanceof ParameterError)) {
				call.finish(Result.Error);
				throw error;
			}
			// §1.4: printed where the parse failed, right before ERROR.
			result = call.fail(error.code);
		}
		if (result !== Result.Pending) call.finish(result);
	}

	// §1.2: busy is cleared right before the final result is printed.
	private finish(call: RunningCall, result: Result): void {
		if (this.#call !== call) return;
		this.#call = undefined;
		this.#received = undefined;
		this.#data = undefined;
		this.#state = State.Idle;
		this.#writer.result(result);
	}

	// §1.8 step 2: raw mode and the prompt.
	private startData(call: RunningCall, length: number, received: (data: Uint8Array) => Result): void {
		if (this.#call !== call) return;
		this.#state = State.Data;
		this.#dataLength = length;
		this.#dataFilled = 0;
		this.#data = undefined;
		this.#received = received;
		this.#writer.prompt();
	}

	// §1.8 step 3: exactly N bytes, no echo, no terminator; excess bytes are busy input.
	private receiveData(bytes: Uint8Array, offset: number): number {
		const wanted = this.#dataLength - this.#dataFilled;
		const taken = Math.min(wanted, bytes.length - offset);
		let data: Uint8Array;
		if (taken === wanted && this.#dataFilled === 0) data = bytes.subarray(offset, offset + taken);
		else {
			data = this.#data ??= new Uint8Array(this.#dataLength);
			data.set(bytes.subarray(offset, offset + taken), this.#dataFilled);
			this.#dataFilled += taken;
			if (this.#dataFilled < this.#dataLength) return bytes.length;
		}
		offset += taken;
		const call = this.#call!;
		const received = this.#received!;
		this.#received = undefined;
		this.#data = undefined;
		this.#state = State.Busy;
		// §1.8: the busy answer to excess bytes comes before the command's final result.
		if (offset < bytes.length && !this.discard(bytes.subarray(offset))) return bytes.length;
		this.run(call, () => received(data));
		return bytes.length;
	}

	// What a RunningCall may reach of its engine, and nothing more. Made while the module is
	// preloaded, so these functions are in flash, not made again in RAM for each engine.
	static {
		callHost.writer = (engine) => engine.#writer;
		callHost.running = (engine, call) => engine.#call === call;
		callHost.finish = (engine, call, result) => engine.finish(call, result);
		callHost.startData = (engine, call, length, received) => engine.startData(call, length, received);
		Object.freeze(callHost);
	}
}

/** The Call a handler gets (see at/table). */
class RunningCall implements Call {
	readonly engine: AtEngine;
	#finished = false;

	constructor(engine: AtEngine) {
		this.engine = engine;
	}

	get active(): boolean {
		return !this.#finished && callHost.running(this.engine, this);
	}

	info(text: string): void {
		if (this.active) callHost.writer(this.engine).line(text);
	}

	print(...parts: Output[]): void {
		if (this.active) callHost.writer(this.engine).print(...parts);
	}

	fail(code: number): Result {
		if (this.active) callHost.writer(this.engine).errorCode(code);
		return Result.Error;
	}

	receive(length: number, received: (data: Uint8Array) => Result): Result {
		if (!(length > 0)) throw new RangeError("a data phase reads at least one byte");
		if (this.active) callHost.startData(this.engine, this, length, received);
		return Result.Pending;
	}

	finish(result: Result): void {
		if (this.#finished) return;
		this.#finished = true;
		callHost.finish(this.engine, this, result);
	}
}

function indexOf(bytes: Uint8Array, text: string): number {
	const last = bytes.length - text.length;
	search: for (let index = 0; index <= last; index++) {
		for (let position = 0; position < text.length; position++)
			if (bytes[index + position] !== text.charCodeAt(position)) continue search;
		return index;
	}
	return -1;
}
