// A pseudo-terminal pair made by socat: what one end writes, the other reads, like a serial
// cable. The firmware's AT console opens one end; a test (pyserial, the AT script runner) the other.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface PtyPair {
	/** The end given to the firmware. */
	readonly device: string;
	/** The end a test or a person opens. */
	readonly host: string;
	close(): void;
}

const running = new Set<ChildProcess>();
// A socat left behind would keep its ptys; end them with the process that started them.
process.once("exit", () => {
	for (const socat of running) socat.kill();
});

/**
 * Opens a pair whose ends are links named `device` and `host` in `folder`: a fresh temporary
 * folder by default, or a fixed one (the lin target compiles the device path into its build, so
 * a path that stays the same lets the build be reused).
 */
export async function openPtyPair(folder?: string): Promise<PtyPair> {
	const temporary = folder === undefined;
	const where = folder ?? fs.mkdtempSync(path.join(os.tmpdir(), "pty-"));
	fs.mkdirSync(where, { recursive: true });
	const device = path.join(where, "device");
	const host = path.join(where, "host");
	for (const link of [device, host]) fs.rmSync(link, { force: true });
	const socat = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`], {
		stdio: ["ignore", "ignore", "pipe"],
	});
	running.add(socat);
	socat.once("exit", () => running.delete(socat));
	let stderr = "";
	socat.stderr!.setEncoding("utf8");
	await new Promise<void>((resolve, reject) => {
		socat.stderr!.on("data", (chunk: string) => {
			stderr += chunk;
			// socat logs this once both ends exist.
			if (/starting data transfer loop/.test(stderr)) resolve();
		});
		socat.once("error", (error) => reject(new Error(`socat could not start (Debian package socat): ${error.message}`)));
		socat.once("exit", (code) => reject(new Error(`socat exited with ${code}: ${stderr.trim()}`)));
	});
	return {
		device,
		host,
		close() {
			socat.kill();
			if (temporary) fs.rmSync(where, { recursive: true, force: true });
			else for (const link of [device, host]) fs.rmSync(link, { force: true });
		},
	};
}
