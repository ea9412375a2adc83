// A serial port or pseudo-terminal as AT host software opens it: raw mode, a baud rate, bytes in
// and out. Linux only (stty sets the line; a pty ignores the rate).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import tty from "node:tty";

export interface AtPort {
	write(bytes: Uint8Array): Promise<void>;
	/** Called with every chunk of bytes that arrives. */
	onData(listener: (bytes: Buffer) => void): void;
	close(): void;
}

export function openPort(path: string, baud = 115200): AtPort {
	try {
		execFileSync("stty", ["-F", path, String(baud), "raw", "-echo"], { stdio: "ignore" });
	} catch {
		// A pty may refuse an odd rate; a real port that refuses fails below when it says nothing.
	}
	const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
	if (!tty.isatty(fd)) {
		fs.closeSync(fd);
		throw new Error(`${path} is not a serial port or terminal`);
	}
	const stream = new tty.ReadStream(fd);
	stream.setRawMode(true);
	const listeners: Array<(bytes: Buffer) => void> = [];
	stream.on("data", (chunk: Buffer) => {
		for (const listener of listeners) listener(chunk);
	});
	stream.on("error", () => {});
	return {
		write(bytes) {
			return new Promise((resolve, reject) => {
				(stream as unknown as NodeJS.WritableStream).write(Buffer.from(bytes), (error?: Error | null) => (error ? reject(error) : resolve()));
			});
		},
		onData(listener) {
			listeners.push(listener);
		},
		close() {
			stream.destroy();
		},
	};
}
