// ESP-AT's command table (spec §1.1): each command is one entry with up to four handler slots.
// Commands are registered in tables; AT+CMD? lists them in registration order (§2.1).
import type { AtEngine } from "at/engine";
import type { Parameters } from "at/parameters";
import type { Result } from "at/results";
import type { Output } from "at/writer";

/** What a running command can do. Everything it prints goes through the engine's one writer. */
export interface Call {
	readonly engine: AtEngine;
	/** False once the command has finished, or when a restart abandoned it. */
	readonly active: boolean;
	/** An information line: the text, then CR LF (§0.1). */
	info(text: string): void;
	/** Raw output, exactly these bytes (information lines without CR LF, raw values, §1.5). */
	print(...parts: Output[]): void;
	/** Prints `ERR CODE:` (only with AT+SYSLOG=1, §1.6) and answers Result.Error to return. */
	fail(code: number): Result;
	/** §1.8: prints the prompt and reads exactly `length` raw bytes; `received` then answers the
	 *  final result (or Pending). `data` may view the received buffer: copy it to keep it. */
	receive(length: number, received: (data: Uint8Array) => Result): Result;
	/** Ends a command whose handler answered Pending. Ignored once the call is no longer active. */
	finish(result: Result): void;
}

/**
 * One command: its name as typed after `AT` (upper case: "", "E0", "+GMR") and its handlers. A
 * missing slot answers ERROR without an ERR CODE line (§1.1). Each handler also gets the table
 * the command is registered with, which holds the state: so a table's commands can be one
 * module-level, frozen list that preloading keeps in flash, instead of closures made in RAM at
 * start-up.
 */
export interface Command<Table extends CommandTable = CommandTable> {
	readonly name: string;
	test?(call: Call, table: Table): Result;
	query?(call: Call, table: Table): Result;
	set?(call: Call, parameters: Parameters, table: Table): Result;
	execute?(call: Call, table: Table): Result;
}

export interface CommandTable {
	/** In AT+CMD? order; best a frozen module-level list (see Command). */
	readonly commands: readonly Command<any>[];
	/** AT+RST and every restart: state held in RAM goes back to its boot value (§2.1). */
	reset?(): void;
	/** AT+RESTORE: persisted settings go back to their factory values (before the restart). */
	restore?(): void;
}

/** A table's command list as preloading should keep it: the list and each entry frozen, so that
 *  none of it needs RAM at run time (xsl warns about what a preloaded module leaves unfrozen). */
export function commandList<Table extends CommandTable>(commands: Command<Table>[]): readonly Command<Table>[] {
	for (const command of commands) Object.freeze(command);
	return Object.freeze(commands);
}
