// Shared by the runtime fidelity tests: a firmware realm on the fixture manifest, whose traces
// and abort are recorded, and small waits on real events.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FirmwareRealm, type FirmwareAbort } from "../../runtime/realm.ts";
import type { HostOptions } from "../../runtime/host-module.ts";

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
export const certs = path.resolve(fixtures, "../../../../certs");

export interface TestRealm {
	realm: FirmwareRealm;
	traces: string[];
	aborts: FirmwareAbort[];
	/** Host module or firmware module namespace. */
	load(specifier: string): Promise<any>;
	stop(): void;
}

export async function openRealm(host: HostOptions & { listenAddress?: string } = {}): Promise<TestRealm> {
	const traces: string[] = [];
	const aborts: FirmwareAbort[] = [];
	const realm = await FirmwareRealm.create({
		manifest: path.join(fixtures, "manifest.json"),
		host,
		trace: (line) => traces.push(line),
		onAbort: (abort) => aborts.push(abort),
	});
	return {
		realm,
		traces,
		aborts,
		load: (specifier) => realm.import(specifier),
		stop: () => realm.stop(),
	};
}

/** A copy of the bytes in an ArrayBuffer of the firmware's realm, as firmware would hold them. */
export function realmBuffer(t: TestRealm, bytes: Uint8Array): ArrayBuffer {
	const global = t.realm.services.global as unknown as { ArrayBuffer: ArrayBufferConstructor; Uint8Array: Uint8ArrayConstructor };
	const buffer = new global.ArrayBuffer(bytes.length);
	new global.Uint8Array(buffer).set(bytes);
	return buffer;
}

/** Resolves once `predicate` holds, checking after every turn of the event loop. */
export async function until(predicate: () => boolean, what = "condition"): Promise<void> {
	const deadline = Date.now() + 10_000;
	while (!predicate()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 2));
	}
}

/** A copy of what firmware got (a realm ArrayBuffer) as a host Buffer. */
export function bytes(buffer: unknown): Buffer {
	return Buffer.from(new Uint8Array(buffer as ArrayBuffer));
}

/** The message and realm-independent class name of an error thrown by a host module. */
export function thrown(fn: () => unknown): { name: string; message: string } | undefined {
	try {
		fn();
	} catch (error) {
		return { name: (error as Error).constructor.name, message: (error as Error).message };
	}
	return undefined;
}
