// mcsim is a GTK program and needs an X display even though nothing here looks at its window.
// With DISPLAY unset, one Xvfb serves every mcsim this process starts; it goes when we go.
import { spawn, type ChildProcess } from "node:child_process";

let display: Promise<string> | undefined;
const children = new Set<ChildProcess>();

/** Kills, on our way out, a helper process we started. */
export function killOnExit(child: ChildProcess) {
	children.add(child);
	child.once("exit", () => children.delete(child));
}

function killChildren() {
	for (const child of children) child.kill("SIGKILL");
	children.clear();
}

process.once("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
	const onSignal = () => {
		killChildren();
		// Then die of the same signal, as we would have without this handler (unless another
		// handler wants it).
		if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
	};
	process.once(signal, onSignal);
}

export function ensureDisplay(): Promise<string> {
	if (process.env.DISPLAY) return Promise.resolve(process.env.DISPLAY);
	display ??= startXvfb().catch((error) => {
		display = undefined;
		throw error;
	});
	return display;
}

function startXvfb(): Promise<string> {
	return new Promise((resolve, reject) => {
		// -displayfd: Xvfb picks a free display number and writes it on fd 3 once it is ready.
		let xvfb: ChildProcess;
		try {
			xvfb = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp"], {
				stdio: ["ignore", "ignore", "pipe", "pipe"],
			});
		} catch (error) {
			reject(new Error(`Xvfb could not start (Debian package xvfb): ${(error as Error).message}`));
			return;
		}
		killOnExit(xvfb);
		let number = "";
		let stderr = "";
		const fd3 = xvfb.stdio[3] as NodeJS.ReadableStream & { unref?: () => void };
		fd3.setEncoding("utf8");
		fd3.on("data", (chunk: string) => {
			number += chunk;
			if (number.includes("\n")) {
				// It must not keep this process alive once the tests are done.
				xvfb.unref();
				fd3.unref?.();
				(xvfb.stderr as unknown as { unref?: () => void }).unref?.();
				xvfb.once("exit", () => (display = undefined));
				resolve(`:${number.trim()}`);
			}
		});
		xvfb.stderr!.setEncoding("utf8");
		xvfb.stderr!.on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
		xvfb.once("error", (error) => reject(new Error(`Xvfb could not start (Debian package xvfb): ${error.message}`)));
		xvfb.once("exit", (code, signal) => reject(new Error(`Xvfb exited (${code ?? signal}) before it was ready:\n${stderr}`)));
	});
}
