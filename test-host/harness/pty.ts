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

export async function openPtyPair(): Promise<PtyPair> {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pty-"));
	const device = path.join(folder, "device");
	const host = path.join(folder, "host");
	let socat: ChildProcess;
	try {
		socat = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`], {
			stdio: ["ignore", "ignore", "pipe"],
		});
	} catch (error) {
		throw new Error(`socat is needed for serial tests (Debian package socat): ${(error as Error).message}`);
	}
	let stderr = "";
	socat.stderr!.on("data", (chunk) => (stderr += chunk));
	const failed = new Promise<never>((_, reject) => {
		socat.once("error", (error) => reject(new Error(`socat could not start (Debian package socat): ${error.message}`)));
		socat.once("exit", (code) => reject(new Error(`socat exited with ${code}: ${stderr.trim()}`)));
	});
	const ready = (async () => {
		// socat logs "starting data transfer loop" once both ends exist.
		while (!/starting data transfer loop/.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 10));
	})();
	await Promise.race([ready, failed]);
	failed.catch(() => {});
	return {
		device,
		host,
		close() {
			socat.kill();
			fs.rmSync(folder, { recursive: true, force: true });
		},
	};
}
