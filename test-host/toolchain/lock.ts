// A lock shared by every process on this machine: node:test runs each test file in its own
// process, and two mcconfig runs into one output folder corrupt each other (shared tmp and lib),
// as two mcsim instances on one port would fail to listen. mkdir is atomic; the owner's pid
// lets a lock left by a killed process be taken over.
import fs from "node:fs";
import path from "node:path";

export interface Lock {
	release(): void;
}

function ownerAlive(folder: string): boolean {
	let pid: number;
	try {
		pid = Number(fs.readFileSync(path.join(folder, "pid"), "utf8"));
	} catch {
		// Just created and the pid not yet written, or already released.
		return true;
	}
	if (!Number.isInteger(pid) || pid <= 0) return false;
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === "EPERM";
	}
}

export async function acquireLock(folder: string, what: string, timeoutMs = 15 * 60_000): Promise<Lock> {
	fs.mkdirSync(path.dirname(folder), { recursive: true });
	const deadline = Date.now() + timeoutMs;
	let staleChecks = 0;
	for (;;) {
		try {
			fs.mkdirSync(folder);
			fs.writeFileSync(path.join(folder, "pid"), String(process.pid));
			let released = false;
			return {
				release() {
					if (released) return;
					released = true;
					fs.rmSync(folder, { recursive: true, force: true });
				},
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
		}
		// A pid file is written right after mkdir: only call the owner gone after two looks.
		if (!ownerAlive(folder)) {
			if (++staleChecks >= 2) {
				fs.rmSync(folder, { recursive: true, force: true });
				staleChecks = 0;
			}
		} else staleChecks = 0;
		if (Date.now() > deadline) throw new Error(`${what} stayed locked by another process (${folder})`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
