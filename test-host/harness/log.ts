// Collects a firmware's output as lines and lets tests wait for one.
import type { Readable } from "node:stream";

export class LogCollector {
	readonly lines: string[] = [];
	#partial = new Map<Readable, string>();
	#waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
	#ended: string | undefined;
	#rejecters = new Set<(error: Error) => void>();

	attach(stream: Readable) {
		stream.setEncoding("utf8");
		stream.on("data", (chunk: string) => {
			const text = (this.#partial.get(stream) ?? "") + chunk;
			const parts = text.split("\n");
			this.#partial.set(stream, parts.pop()!);
			for (const line of parts) this.push(line.replace(/\r$/, ""));
		});
	}

	push(line: string) {
		this.lines.push(line);
		for (const waiter of [...this.#waiters]) {
			if (waiter.pattern.test(line)) {
				this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
				waiter.resolve(line);
			}
		}
	}

	/** No more lines will come (the firmware stopped): pending waits fail with this reason. */
	end(reason: string) {
		for (const [, partial] of this.#partial) if (partial) this.push(partial);
		this.#partial.clear();
		this.#ended = reason;
		for (const reject of this.#rejecters) reject(new Error(reason));
	}

	waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
		const found = this.lines.find((line) => pattern.test(line));
		if (found !== undefined) return Promise.resolve(found);
		if (this.#ended) return Promise.reject(new Error(`${this.#ended}; never logged ${pattern}`));
		return new Promise((resolve, reject) => {
			const fail = (error: Error) => {
				clearTimeout(timer);
				this.#rejecters.delete(fail);
				reject(error);
			};
			const timer = setTimeout(() => fail(new Error(`no log line matched ${pattern} within ${timeoutMs} ms`)), timeoutMs);
			this.#rejecters.add(fail);
			this.#waiters.push({
				pattern,
				resolve: (line) => {
					clearTimeout(timer);
					this.#rejecters.delete(fail);
					resolve(line);
				},
			});
		});
	}
}
