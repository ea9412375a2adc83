// The one writer of every byte the AT port prints: final results, information lines, prompts,
// ERR CODE lines and URCs, byte for byte as ESP-AT spec §0.1 spells them.
import { ErrorCode, Result } from "at/results";

// §0.1: every final result starts with CR LF, so an information line before it shows as a blank line.
const finalResults = Object.freeze(["\r\nOK\r\n", "\r\nERROR\r\n", "\r\nSEND OK\r\n", "\r\nSEND FAIL\r\n"]);

export type Output = string | Uint8Array;

export class ResponseWriter {
	/** AT+SYSLOG (§1.6): ERR CODE lines are printed only while it is on. */
	syslog = false;
	readonly #output: { write(bytes: Uint8Array): void };

	/** `output.write` gets every byte printed, in order. */
	constructor(output: { write(bytes: Uint8Array): void }) {
		this.#output = output;
	}

	/** Writes the parts in order, each as it is: strings as UTF-8, bytes without a copy. */
	print(...parts: Output[]): void {
		for (const part of parts) {
			if (typeof part === "string") {
				if (part.length) this.#output.write(new Uint8Array(ArrayBuffer.fromString(part)));
			} else if (part.length) this.#output.write(part);
		}
	}

	/** §0.1: information lines and URCs have no leading CR LF and a trailing one. */
	line(text: string): void {
		this.print(text + "\r\n");
	}

	result(result: Result): void {
		const text = finalResults[result];
		if (text === undefined) throw new RangeError(`not a final result: ${result}`);
		this.print(text);
	}

	/** §0.1: `ERR CODE:0x%08x` (lower-case hex, no leading CR LF), only with AT+SYSLOG=1. */
	errorCode(code: number): void {
		if (this.syslog) this.print(`ERR CODE:0x${(code >>> 0).toString(16).padStart(8, "0")}\r\n`);
	}

	/** §1.2, §1.7: input discarded while a command runs. */
	busy(): void {
		this.errorCode(ErrorCode.Busy);
		this.print("\r\nbusy p...\r\n");
	}

	/** §1.8: the data prompt; nothing follows the `>`. */
	prompt(): void {
		this.print("\r\nOK\r\n\r\n>");
	}

	/** §0.1: the boot banner. */
	ready(): void {
		this.print("\r\nready\r\n");
	}

	/** §1.2: AT+RST found in input discarded while busy. */
	forcedRestart(): void {
		this.print("\r\nWill force to restart!!!\r\n");
	}
}
