// The contract between the realm and the host implementations of Moddable modules
// (test-host/runtime/modules/*.ts). A host module is a factory: given the realm's services it
// returns the module's exports (`default` and named ones), built so that firmware sees objects of
// its own realm.
import type { Readable, Writable } from "node:stream";
import type vm from "node:vm";

export interface RealmServices {
	/** The firmware realm's global object: use its constructors (ArrayBuffer, Uint8Array, Error,
	 *  RangeError, Promise...) for every value handed to firmware. */
	readonly global: typeof globalThis;
	readonly context: vm.Context;
	/** Calls a firmware callback. An exception escaping it aborts the firmware the way XS aborts
	 *  (message, stack, non-zero exit), so host code never sees it return after a throw. */
	invoke<T>(callback: (...args: any[]) => T, thisArg: unknown, ...args: unknown[]): T | undefined;
	/** Reports a fatal error (what XS would print before aborting) and stops the firmware. */
	abort(reason: string, error?: unknown): void;
	/** mc/config as the firmware sees it. */
	readonly config: Readonly<Record<string, unknown>>;
	/** The project's resources (manifest "resources"): name -> absolute file path. */
	readonly resources: ReadonlyMap<string, string>;
	/** Host-side options of this run (serial device, data folder for preferences...). */
	readonly options: Readonly<HostOptions>;
	/** Everything that must be torn down when the firmware stops (sockets, timers, ports). */
	onStop(cleanup: () => void): void;
	/** Whether the firmware is still running (false after abort or stop). */
	readonly running: boolean;
	/** The trace() sink. */
	trace(text: string): void;
}

export interface HostOptions {
	/** The AT console's serial device: a path (pty or real port), or "stdio" for the terminal. */
	serialDevice?: string;
	/** What the device "stdio" reads and writes: the CLI's terminal console (its keys already
	 *  translated), by default this process's stdin and stdout with bytes unchanged. */
	stdio?: { input: Readable; output: Writable };
	/** Told when firmware opens a serial port: `opened` resolves once the port takes bytes, or
	 *  rejects with the reason it cannot be opened. */
	onSerialOpen?(device: string, opened: Promise<void>): void;
	/** Where `preference` and files persist between runs (a folder). */
	dataDirectory?: string;
}

export type HostModuleFactory = (realm: RealmServices) => Record<string, unknown>;
