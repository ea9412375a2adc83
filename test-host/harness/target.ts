// A firmware target the integration tests talk to. The same tests run against any kind:
//   sim    the host runtime (default; what CI runs)
//   lin    the mcconfig build for Moddable's Linux simulator, run under mcsim (needs MODDABLE)
//   device a board on the network: DEVICE_HOST (and DEVICE_SERIAL for the AT console)
// Chosen with the TARGET environment variable.

export type TargetKind = "sim" | "lin" | "device";

export interface TargetOptions {
	/** mc/config overrides (mcconfig's name=value). Targets that cannot change config at run time
	 *  (device) ignore them; lin rebuilds when they differ. */
	config?: Record<string, string | number | boolean>;
	/** The app manifest (default: the project's manifest.json), e.g. a profile's
	 *  (profiles/esp8266/manifest.json); a device runs what was flashed. */
	manifest?: string;
	/** Attach the AT console to a fresh pseudo-terminal pair and give its far end to the test. */
	serial?: boolean;
}

export interface Target {
	readonly kind: TargetKind;
	/** Address and port of the firmware's WebSocket/HTTP server. */
	readonly host: string;
	readonly port: number;
	/** The TLS port (wss://, https://), when the build serves one. */
	readonly tlsPort?: number;
	/** The device path a test opens to talk to the AT console (a pty end, or a real port). */
	readonly serialPath?: string;
	/** The process running the firmware on this machine (sim, lin), for CPU-time figures. */
	readonly pid?: number;
	/** Everything the firmware traced so far, one entry per line. */
	readonly log: string[];
	/** Resolves with the first log line matching, rejects after timeoutMs. */
	waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
	/** Stops the firmware; rejects if it aborted (an XS abort or a non-zero exit) while running. */
	stop(): Promise<void>;
}

export function targetKind(): TargetKind {
	const kind = (process.env.TARGET ?? "sim") as TargetKind;
	if (!["sim", "lin", "device"].includes(kind)) throw new Error(`TARGET=${kind}: expected sim, lin or device`);
	return kind;
}

export async function startTarget(options: TargetOptions = {}): Promise<Target> {
	switch (targetKind()) {
		case "sim":
			return (await import("./sim.ts")).startSimTarget(options);
		case "lin":
			return (await import("./lin.ts")).startLinTarget(options);
		case "device":
			return (await import("./device.ts")).startDeviceTarget(options);
	}
}
