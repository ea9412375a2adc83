// The `device` target: a board running the firmware, reached over the network (DEVICE_HOST,
// DEVICE_PORT, default 8080) and, for AT tests, its UART (DEVICE_SERIAL: a serial port path).
// Nothing is started or stopped: the board is already running what was flashed.
import type { Target, TargetOptions } from "./target.ts";

export async function startDeviceTarget(options: TargetOptions): Promise<Target> {
	const host = process.env.DEVICE_HOST;
	if (!host) throw new Error("TARGET=device needs DEVICE_HOST (the board's IP address)");
	const serialPath = process.env.DEVICE_SERIAL;
	if (options.serial && !serialPath) throw new Error("this test needs the board's UART: set DEVICE_SERIAL");
	return {
		kind: "device",
		host,
		port: Number(process.env.DEVICE_PORT ?? 8080),
		serialPath,
		log: [],
		waitForLog: () => Promise.reject(new Error("the device target has no log: watch the board's console")),
		async stop() {},
	};
}
