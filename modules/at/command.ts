// ESP-AT spec §1.1, §1.2: a command line (without its CR LF) split into the command's name, its
// type, and where its parameters start. Looking the name up is the engine's job.
import { ErrorCode } from "at/results";

/** §1.1: the four command types, each served by its own handler slot. */
export const CommandType = Object.freeze({
	Test: 0, // AT+NAME=?
	Query: 1, // AT+NAME?
	Set: 2, // AT+NAME=p1,p2,...
	Execute: 3, // AT+NAME
});
export type CommandType = (typeof CommandType)[keyof typeof CommandType];

export interface CommandLine {
	/** What follows `AT`, letters folded to upper case: "" for `AT`, "E0" for `ATE0`, "+GMR". */
	name: string;
	type: CommandType;
	/** Set commands: the index in the line where the parameter text starts (after `=`). */
	parameters: number;
}

const PLUS = 0x2b;
const EQUALS = 0x3d;
const QUESTION = 0x3f;

// §1.2: command-name characters are letters, digits and _ ! % - . / :
function isNameByte(byte: number): boolean {
	if ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)) return true;
	return byte === 0x5f || byte === 0x21 || byte === 0x25 || byte === 0x2d || byte === 0x2e || byte === 0x2f || byte === 0x3a;
}

/** Parses a command line; a failure answers the ERR CODE it earns (§1.6). */
export function parseCommandLine(line: Uint8Array): CommandLine | number {
	// §1.2: the prefix is A or a, then T or t; an empty line has none.
	if (line.length < 2 || (line[0] | 0x20) !== 0x61 || (line[1] | 0x20) !== 0x74) return ErrorCode.NoPrefix;
	let index = 2;
	let name = "";
	// Extended commands carry a `+` before their name; basic ones (`ATE0`) do not.
	if (line[index] === PLUS) {
		name = "+";
		index++;
	}
	for (; index < line.length && isNameByte(line[index]); index++) {
		const byte = line[index];
		// §1.2: the name is folded to upper case (`at+gmr` works).
		name += String.fromCharCode(byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte);
	}
	if (index === line.length) return { name, type: CommandType.Execute, parameters: index };
	const next = line[index];
	if (next === QUESTION) {
		// §1.2: garbage between `?` and CR LF.
		if (index + 1 !== line.length) return ErrorCode.NoTerminator;
		return { name, type: CommandType.Query, parameters: index + 1 };
	}
	if (next === EQUALS) {
		if (line[index + 1] === QUESTION) {
			if (index + 2 !== line.length) return ErrorCode.NoTerminator;
			return { name, type: CommandType.Test, parameters: index + 2 };
		}
		return { name, type: CommandType.Set, parameters: index + 1 };
	}
	// §1.2: anything else after the name (`AT+GMR x`) makes a name no command has.
	return ErrorCode.UnsupportedCommand;
}
