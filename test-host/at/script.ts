// AT scripts: a small line format of what to send and what must come back, byte for byte.
//
//   # a comment                      blank lines and comments are skipped
//   send AT+GMR\r\n                  bytes to send; C escapes \r \n \t \0 \\ \xNN, and ${NAME}
//   send-file ../../../certs/ca.pem  a file's bytes (path relative to the script)
//   expect \r\nOK\r\n                exactly these bytes next
//   prompt                           the data prompt \r\nOK\r\n\r\n>
//   match \+CIPSNTPTIME:[^\r]*\r\n   the next bytes match this regular expression (JavaScript)
//   discard                          forget what came so far (after ATE0, whose echo depends on
//                                    the state the device was in)
//   urc +WS_CONNECTED:0\r\n          a URC that must arrive at a line boundary before `settle`
//                                    or the end of the script, wherever it falls
//   ignore \+TIME_UPDATED            skip lines matching this regular expression (to CR LF)
//   any-order                        the `expect` lines up to `end` come in any order
//     expect \r\nSEND OK\r\n
//     expect +WS_DATA:0,4,test\r\n
//   end
//   settle                           wait for every URC registered so far
//   wait 100                         pause, in milliseconds
//   timeout 20000                    how long each later expectation may wait (default 10000)
//   set NAME value                   a variable for ${NAME}
//
// ${NAME} comes from `set`, the runner's variables (--var NAME=value) or the environment;
// ${SIZE:path} is the byte length of a file (relative to the script).
import fs from "node:fs";
import path from "node:path";

export type Step =
	| { kind: "send"; line: number; bytes: string }
	| { kind: "expect"; line: number; bytes: string }
	| { kind: "match"; line: number; pattern: RegExp }
	| { kind: "discard"; line: number }
	| { kind: "any-order"; line: number; items: string[] }
	| { kind: "urc"; line: number; bytes: string }
	| { kind: "ignore"; line: number; pattern: RegExp }
	| { kind: "settle"; line: number }
	| { kind: "wait"; line: number; ms: number }
	| { kind: "timeout"; line: number; ms: number };

export class ScriptError extends Error {
	override name = "ScriptError";
}

/** C escapes to bytes (a binary string); characters above 0xFF go in as UTF-8. */
export function unescape(text: string): string {
	let out = "";
	for (let index = 0; index < text.length; index++) {
		const char = text[index];
		if (char !== "\\") {
			out += char.charCodeAt(0) > 0xff ? Buffer.from(char, "utf8").toString("latin1") : char;
			continue;
		}
		const next = text[++index];
		switch (next) {
			case "r":
				out += "\r";
				break;
			case "n":
				out += "\n";
				break;
			case "t":
				out += "\t";
				break;
			case "0":
				out += "\0";
				break;
			case "x": {
				const hex = text.slice(index + 1, index + 3);
				if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ScriptError(`\\x needs two hex digits: "\\x${hex}"`);
				out += String.fromCharCode(parseInt(hex, 16));
				index += 2;
				break;
			}
			case undefined:
				throw new ScriptError("a backslash at the end of the line");
			default:
				out += next; // \\ and any other escaped character stand for themselves
		}
	}
	return out;
}

export interface ParseOptions {
	variables?: Record<string, string>;
	/** Where relative file paths start (the script's folder). */
	folder?: string;
}

/** Parses a script; throws ScriptError with the line number of what is wrong. */
export function parseScript(source: string, options: ParseOptions = {}): Step[] {
	const variables: Record<string, string> = { ...options.variables };
	const folder = options.folder ?? process.cwd();
	const steps: Step[] = [];
	let group: { line: number; items: string[] } | undefined;
	const lines = source.split(/\r?\n/);
	for (let index = 0; index < lines.length; index++) {
		const line = index + 1;
		const raw = lines[index].replace(/^\s+/, "");
		if (!raw || raw.startsWith("#")) continue;
		const space = raw.indexOf(" ");
		const keyword = space < 0 ? raw : raw.slice(0, space);
		const argument = space < 0 ? "" : raw.slice(space + 1);
		const fail = (message: string): never => {
			throw new ScriptError(`line ${line}: ${message}`);
		};
		const expand = (text: string) =>
			text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
				if (name.startsWith("SIZE:")) {
					const file = path.resolve(folder, name.slice(5));
					try {
						return String(fs.statSync(file).size);
					} catch {
						return fail(`no file ${file}`);
					}
				}
				const value = variables[name] ?? process.env[name];
				return value ?? fail(`no value for \${${name}} (give it with --var ${name}=...)`);
			});
		const bytes = () => {
			try {
				return unescape(expand(argument));
			} catch (error) {
				return fail((error as Error).message);
			}
		};
		const number = () => {
			const value = Number(expand(argument));
			return Number.isInteger(value) && value >= 0 ? value : fail(`"${argument}" is not a number of milliseconds`);
		};
		if (group && keyword !== "expect" && keyword !== "end") fail(`only expect lines go inside any-order (line ${group.line})`);
		switch (keyword) {
			case "send":
				steps.push({ kind: "send", line, bytes: bytes() });
				break;
			case "send-file": {
				const file = path.resolve(folder, expand(argument));
				let content: Buffer;
				try {
					content = fs.readFileSync(file);
				} catch {
					return fail(`cannot read ${file}`);
				}
				steps.push({ kind: "send", line, bytes: content.toString("latin1") });
				break;
			}
			case "expect":
				if (group) group.items.push(bytes());
				else steps.push({ kind: "expect", line, bytes: bytes() });
				break;
			case "prompt":
				steps.push({ kind: "expect", line, bytes: "\r\nOK\r\n\r\n>" });
				break;
			case "urc":
				steps.push({ kind: "urc", line, bytes: bytes() });
				break;
			case "match":
				try {
					steps.push({ kind: "match", line, pattern: new RegExp(expand(argument)) });
				} catch (error) {
					fail((error as Error).message);
				}
				break;
			case "discard":
				steps.push({ kind: "discard", line });
				break;
			case "ignore":
				try {
					steps.push({ kind: "ignore", line, pattern: new RegExp(expand(argument)) });
				} catch (error) {
					fail((error as Error).message);
				}
				break;
			case "any-order":
				group = { line, items: [] };
				break;
			case "end":
				if (!group) fail("end without any-order");
				steps.push({ kind: "any-order", line: group!.line, items: group!.items });
				group = undefined;
				break;
			case "settle":
				steps.push({ kind: "settle", line });
				break;
			case "wait":
				steps.push({ kind: "wait", line, ms: number() });
				break;
			case "timeout":
				steps.push({ kind: "timeout", line, ms: number() });
				break;
			case "set": {
				const match = /^([A-Za-z_]\w*) (.*)$/.exec(argument);
				if (!match) fail("set NAME value");
				variables[match![1]] = expand(match![2]);
				break;
			}
			default:
				fail(`unknown step "${keyword}"`);
		}
	}
	if (group) throw new ScriptError(`line ${group.line}: any-order without end`);
	return steps;
}
