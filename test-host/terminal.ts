// The AT console on the terminal a person types in, as a serial terminal set up for ESP-AT
// (ESP-IDF's monitor, miniterm, PuTTY) behaves:
// - the terminal is in raw mode: no local echo (the device echoes while ATE1 is on, so each
//   character appears once), no line editing, every key goes out as it is typed;
// - Enter (a raw terminal sends CR) goes out as the line ending ESP-AT wants, CR LF, or as
//   --eol says;
// - Ctrl-C, and Ctrl-] as in ESP-IDF's monitor, quit instead of going to the device;
// - closing restores the terminal's settings.
import { PassThrough, type Readable, type Writable } from "node:stream";
import type tty from "node:tty";

export type LineEnding = "crlf" | "cr" | "lf";
export const lineEndings: Record<LineEnding, string> = { crlf: "\r\n", cr: "\r", lf: "\n" };

/** The bytes a raw terminal sends for these keys. */
export const Key = { Enter: 0x0d, CtrlC: 0x03, CtrlRightBracket: 0x1d } as const;

/** How the keys are shown in the start-up lines. */
export function describeLineEnding(eol: LineEnding): string {
	return { crlf: "CR LF", cr: "CR", lf: "LF" }[eol];
}

export interface Keystrokes {
	/** What goes to the device. */
	bytes: Buffer;
	/** A quit key was pressed (what came after it is dropped). */
	quit: boolean;
}

/** What a raw terminal's bytes mean for the device: Enter becomes the line ending, a quit key
 *  ends the input, every other byte (Ctrl-J included) goes unchanged. */
export function translateKeys(typed: Uint8Array, eol: LineEnding): Keystrokes {
	const ending = Buffer.from(lineEndings[eol], "latin1");
	const out: Buffer[] = [];
	let start = 0;
	for (let index = 0; index < typed.length; index++) {
		const byte = typed[index];
		if (byte === Key.CtrlC || byte === Key.CtrlRightBracket) {
			out.push(Buffer.from(typed.subarray(start, index)));
			return { bytes: Buffer.concat(out), quit: true };
		}
		if (byte === Key.Enter) {
			out.push(Buffer.from(typed.subarray(start, index)), ending);
			start = index + 1;
		}
	}
	out.push(Buffer.from(typed.subarray(start)));
	return { bytes: Buffer.concat(out), quit: false };
}

export interface TerminalConsole {
	/** The keys, translated: what the AT console reads. */
	readonly input: Readable;
	/** Where the AT console writes: the terminal. */
	readonly output: Writable;
	/** Gives the terminal back as it was. */
	close(): void;
}

export function openTerminalConsole(options: { stdin: tty.ReadStream; stdout: Writable; eol: LineEnding; onQuit(): void }): TerminalConsole {
	const { stdin, stdout, eol, onQuit } = options;
	const input = new PassThrough();
	let open = true;
	const typed = (chunk: Buffer) => {
		const { bytes, quit } = translateKeys(chunk, eol);
		if (bytes.length) input.write(bytes);
		if (quit) onQuit();
	};
	// libuv keeps the settings it found and puts them back on setRawMode(false).
	stdin.setRawMode(true);
	stdin.on("data", typed);
	return {
		input,
		output: stdout,
		close() {
			if (!open) return;
			open = false;
			stdin.off("data", typed);
			stdin.setRawMode(false);
			stdin.pause();
		},
	};
}
