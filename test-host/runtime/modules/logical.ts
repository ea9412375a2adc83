// "logical" on Node, after the SDK's modules/data/logical (logical.js, modLogical.c): xor, and, or
// apply a source (a number: one byte; a string: its UTF-8 bytes; a buffer) repeated over the
// whole writable destination buffer; not(dst) is xor with 0xFF.
//
// modLogical.c reads an optional third argument, count, but logical.js calls the native with
// only (dst, src): on XS a count is silently ignored and the whole buffer is changed. Here a count
// throws, so firmware that relies on it fails on the host instead of corrupting data on the chip.
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { bytesOf, realmError } from "./realm-values.ts";

type Operation = (a: number, b: number) => number;

function makeLogical(realm: RealmServices) {
	function apply(operation: Operation, args: IArguments | unknown[], name: string) {
		if (args.length > 2 && args[2] !== undefined)
			throw realmError(realm, "RangeError", `Logical.${name}: the SDK's logical.js drops the count argument; pass a view of the bytes to change`);
		const dst = bytesOf(args[0]);
		if (!dst) throw realmError(realm, "TypeError", "not a buffer");
		if (Object.isFrozen(args[0])) throw realmError(realm, "TypeError", "read-only buffer");
		const src = args[1];
		let source: Uint8Array;
		if (typeof src === "number") source = Uint8Array.of(Math.trunc(src) & 0xff);
		else if (typeof src === "string") source = Buffer.from(src, "utf8");
		else if (typeof src === "object" && src !== null) {
			const bytes = bytesOf(src);
			if (!bytes) throw realmError(realm, "TypeError", "not a buffer");
			source = Uint8Array.from(bytes); // the source may overlap the destination
		} else throw realmError(realm, "Error", "unsupported source");
		// An empty string or buffer: modLogical.c reads the string's terminating NUL, a zero byte.
		if (!source.length) source = Uint8Array.of(0);
		for (let i = 0, j = 0; i < dst.length; i++) {
			dst[i] = operation(dst[i], source[j]);
			if (++j === source.length) j = 0;
		}
	}

	return class Logical {
		static xor(dst: unknown, src: unknown) {
			apply((a, b) => a ^ b, arguments, "xor");
		}
		static and(dst: unknown, src: unknown) {
			apply((a, b) => a & b, arguments, "and");
		}
		static or(dst: unknown, src: unknown) {
			apply((a, b) => a | b, arguments, "or");
		}
		static not(dst: unknown, count?: unknown) {
			apply((a, b) => a ^ b, count === undefined ? [dst, 0xff] : [dst, 0xff, count], "not");
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makeLogical(realm) });
export default factory;
