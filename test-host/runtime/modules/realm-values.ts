// Values crossing between the host and the firmware realm. What firmware hands over is foreign
// (another realm's ArrayBuffer, a view, a Resource): read it through node:util's type checks,
// which work across realms, never through instanceof. What goes back is made with the realm's
// own constructors, so firmware sees ArrayBuffers and Errors of its realm.
import { types } from "node:util";
import type { RealmServices } from "../host-module.ts";

/** The bytes of a buffer firmware passed (ArrayBuffer, SharedArrayBuffer, typed array or DataView
 *  of either realm), as a view on the same memory; undefined for anything else. */
export function bytesOf(value: unknown): Uint8Array | undefined {
	if (types.isArrayBuffer(value) || types.isSharedArrayBuffer(value)) return new Uint8Array(value as ArrayBuffer);
	if (types.isArrayBufferView(value)) {
		const view = value as ArrayBufferView;
		return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
	}
	return undefined;
}

/** A copy of a buffer's bytes, or the given error when the value is not a buffer. */
export function copyBytes(realm: RealmServices, value: unknown, what = "buffer"): Buffer {
	const bytes = bytesOf(value);
	if (!bytes) throw realmError(realm, "TypeError", `${what}: not a buffer`);
	return Buffer.from(bytes);
}

/** A new ArrayBuffer of the firmware realm holding a copy of the bytes. */
export function realmArrayBuffer(realm: RealmServices, bytes: Uint8Array): ArrayBuffer {
	const buffer = new realm.global.ArrayBuffer(bytes.byteLength);
	new realm.global.Uint8Array(buffer).set(bytes);
	return buffer;
}

type ErrorName = "Error" | "TypeError" | "RangeError" | "SyntaxError" | "URIError" | "ReferenceError";

/** An error of the firmware realm. XS's xsUnknownError is a plain Error. */
export function realmError(realm: RealmServices, name: ErrorName, message: string): Error {
	return new realm.global[name](message);
}

/** What XS throws when a method of a closed host object runs: its host data is gone
 *  (xs/sources/xsAPI.c, fxGetHostDataValidate). */
export function closedError(realm: RealmServices): Error {
	return realmError(realm, "SyntaxError", "C: xsGetHostData: invalid host data");
}

/** A firmware callback option the way the SDK's builtinGetCallback reads it: absent (undefined or
 *  null) is fine, anything else must be callable (modules/io/common/builtinCommon.c). */
export function callbackOption(realm: RealmServices, options: Record<string, unknown>, name: string): ((...args: any[]) => unknown) | undefined {
	const value = options[name];
	if (value === undefined || value === null) return undefined;
	if (typeof value !== "function") throw realmError(realm, "Error", "not a function");
	return value as (...args: any[]) => unknown;
}

/** xsmcToInteger: ToNumber then truncation toward zero into an int32. */
export function toInteger(value: unknown): number {
	const number = Number(value);
	return Number.isFinite(number) ? Math.trunc(number) | 0 : 0;
}

/** Runs `task` after the current firmware turn: I/O events never re-enter a firmware callback
 *  from inside a call it is making, as on XS where they come from the run loop. */
export function nextTurn(task: () => void): void {
	setImmediate(task);
}
