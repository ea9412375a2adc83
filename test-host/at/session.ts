// An AT conversation with exact bytes (ESP-AT spec §0.1): what the host sends, and what it must
// read back, byte for byte. URCs (§1.10) come at line boundaries between other output: a session
// can be told to expect one somewhere later (urc) or to skip lines of a kind (ignore). A reply that
// differs fails with a report of where, what was expected and what came.
import type { AtPort } from "./port.ts";

/** Bytes as a binary string (one char per byte), the form every comparison here uses. */
export function binary(bytes: Uint8Array | string): string {
	return typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("latin1");
}

/** A binary string shown readably: printable ASCII as is, the rest as C escapes. */
export function show(text: string, limit = 400): string {
	let out = "";
	for (const char of text.length > limit ? text.slice(0, limit) : text) {
		const code = char.charCodeAt(0);
		if (char === "\r") out += "\\r";
		else if (char === "\n") out += "\\n";
		else if (char === "\\") out += "\\\\";
		else if (code < 0x20 || code > 0x7e) out += `\\x${code.toString(16).padStart(2, "0")}`;
		else out += char;
	}
	return text.length > limit ? `${out}... (${text.length} bytes)` : out;
}

export class AtMismatch extends Error {
	override name = "AtMismatch";
}

export interface SessionOptions {
	/** How long an expectation waits for its bytes (default 10 s); a failure, not a measurement. */
	timeout?: number;
}

export class AtSession {
	readonly #port: AtPort;
	#buffer = "";
	#position = 0;
	#timeout: number;
	#pending: string[] = [];
	#ignored: RegExp[] = [];
	#wake: (() => void) | undefined;

	constructor(port: AtPort, options: SessionOptions = {}) {
		this.#port = port;
		this.#timeout = options.timeout ?? 10_000;
		port.onData((chunk) => {
			this.#buffer += chunk.toString("latin1");
			this.#wake?.();
		});
	}

	set timeout(value: number) {
		this.#timeout = value;
	}

	/** Everything received so far. */
	get received(): string {
		return this.#buffer;
	}

	/** Bytes received and not yet matched. */
	get unread(): string {
		return this.#buffer.slice(this.#position);
	}

	/** URCs registered with urc() and not yet seen. */
	get pendingUrcs(): readonly string[] {
		return this.#pending;
	}

	async send(bytes: Uint8Array | string): Promise<void> {
		await this.#port.write(Buffer.from(binary(bytes), "latin1"));
	}

	/** These exact bytes come next (registered URCs and ignored lines may come first). */
	expect(bytes: string, timeout = this.#timeout): Promise<void> {
		return this.#match([bytes], timeout);
	}

	/** Each of these comes next, in any order. */
	expectAnyOrder(items: string[], timeout = this.#timeout): Promise<void> {
		return this.#match([...items], timeout);
	}

	/** §1.8: the data prompt. */
	prompt(timeout = this.#timeout): Promise<void> {
		return this.expect("\r\nOK\r\n\r\n>", timeout);
	}

	/** A URC (its whole bytes, CR LF included) that must arrive at some line boundary before
	 *  settle() (or the end of a script). */
	urc(bytes: string): void {
		this.#pending.push(bytes);
	}

	/** Lines matching this (at a line boundary, up to and including CR LF) are skipped. */
	ignore(pattern: RegExp): void {
		this.#ignored.push(new RegExp(`^(?:${pattern.source})\\r\\n`, pattern.flags.replace("g", "")));
	}

	/** Waits until every registered URC has arrived. */
	async settle(timeout = this.#timeout): Promise<void> {
		const deadline = Date.now() + timeout;
		while (this.#pending.length) {
			this.#skip();
			if (!this.#pending.length) break;
			const rest = this.unread;
			if (rest.length && !this.#couldBeSkipped(rest)) throw this.#mismatch(`the URCs ${this.#pending.map((urc) => `"${show(urc)}"`).join(", ")}`, rest);
			if (!(await this.#more(deadline))) throw this.#mismatch(`the URCs ${this.#pending.map((urc) => `"${show(urc)}"`).join(", ")}`, this.unread, true);
		}
	}

	/** The next bytes match this (anchored) pattern, at a line boundary when `line` is set; answers
	 *  the match (used to read a `+WS_DATA` header whose length is not known in advance). */
	async read(pattern: RegExp, timeout = this.#timeout): Promise<RegExpExecArray> {
		const anchored = new RegExp(`^(?:${pattern.source})`, pattern.flags.replace("g", ""));
		const deadline = Date.now() + timeout;
		for (;;) {
			this.#skip();
			const rest = this.unread;
			const match = anchored.exec(rest);
			if (match) {
				this.#position += match[0].length;
				return match;
			}
			if (!(await this.#more(deadline))) throw this.#mismatch(`/${pattern.source}/`, rest, true);
		}
	}

	/** The next `count` bytes, whatever they are (a raw payload, §3.7). */
	async readBytes(count: number, timeout = this.#timeout): Promise<string> {
		const deadline = Date.now() + timeout;
		while (this.#buffer.length - this.#position < count)
			if (!(await this.#more(deadline))) throw this.#mismatch(`${count} raw bytes`, this.unread, true);
		const bytes = this.#buffer.slice(this.#position, this.#position + count);
		this.#position += count;
		return bytes;
	}

	/** Forgets everything received so far. */
	discard(): void {
		this.#position = this.#buffer.length;
	}

	/** Reads whatever comes within `ms` and answers it unmatched (for reports and diagnostics). */
	async drain(ms: number): Promise<string> {
		await new Promise((resolve) => setTimeout(resolve, ms));
		const rest = this.unread;
		this.#position = this.#buffer.length;
		return rest;
	}

	close(): Promise<void> {
		return this.#port.close();
	}

	// --- matching ----------------------------------------------------------------------------

	async #match(items: string[], timeout: number): Promise<void> {
		const deadline = Date.now() + timeout;
		const wanted = items.map((item) => `"${show(item)}"`).join(items.length > 1 ? " and, in any order, " : "");
		for (;;) {
			this.#skip();
			const rest = this.unread;
			const index = items.findIndex((item) => rest.startsWith(item));
			if (index >= 0) {
				this.#position += items[index].length;
				items.splice(index, 1);
				if (!items.length) return;
				continue;
			}
			// Waiting is right only while what came could still become one of the items, a URC
			// or an ignored line.
			const incomplete = items.some((item) => item.startsWith(rest)) || this.#couldBeSkipped(rest);
			if (!incomplete) throw this.#mismatch(wanted, rest);
			if (!(await this.#more(deadline))) throw this.#mismatch(wanted, rest, true);
		}
	}

	// Registered URCs and ignored lines at line boundaries.
	#skip() {
		for (;;) {
			if (!this.#atLineBoundary()) return;
			const rest = this.unread;
			const urc = this.#pending.findIndex((item) => rest.startsWith(item));
			if (urc >= 0) {
				this.#position += this.#pending[urc].length;
				this.#pending.splice(urc, 1);
				continue;
			}
			const line = this.#ignored.map((pattern) => pattern.exec(rest)).find((match) => match);
			if (line) {
				this.#position += line[0].length;
				continue;
			}
			return;
		}
	}

	#couldBeSkipped(rest: string): boolean {
		if (!this.#atLineBoundary()) return false;
		if (this.#pending.some((item) => item.startsWith(rest))) return true;
		// An ignored line is known only once its CR LF came.
		return this.#ignored.length > 0 && !rest.includes("\r\n");
	}

	// §1.10: URCs start a line: at the beginning, after a CR LF, or right after the `>` prompt.
	#atLineBoundary(): boolean {
		const position = this.#position;
		if (position === 0) return true;
		const previous = this.#buffer[position - 1];
		return previous === "\n" || previous === ">";
	}

	#more(deadline: number): Promise<boolean> {
		const left = deadline - Date.now();
		if (left <= 0) return Promise.resolve(false);
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				this.#wake = undefined;
				resolve(false);
			}, left);
			this.#wake = () => {
				clearTimeout(timer);
				this.#wake = undefined;
				resolve(true);
			};
		});
	}

	#mismatch(wanted: string, got: string, timedOut = false): AtMismatch {
		const before = this.#buffer.slice(Math.max(0, this.#position - 80), this.#position);
		const lines = [
			`expected ${wanted}`,
			timedOut ? `but ${got.length ? `only "${show(got)}" came` : "nothing came"} within the timeout` : `but received "${show(got)}"`,
			`after byte ${this.#position} of the reply, which ended "${show(before)}"`,
		];
		if (this.#pending.length) lines.push(`URCs still expected: ${this.#pending.map((urc) => `"${show(urc)}"`).join(", ")}`);
		return new AtMismatch(lines.join("\n"));
	}
}
