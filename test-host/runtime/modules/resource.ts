// "Resource" on Node, after the SDK's modules/files/resource (Resource.js, Resource.c): a
// resource named in the manifest, read-only, that behaves as a buffer: byteLength,
// slice(begin, end) -> ArrayBuffer copy, `new Uint8Array(resource)` to read it in place, and the
// static exists(path). A missing one throws URIError "Resource not found: <path>".
//
// On XS a Resource is a host buffer; V8 has no such thing, so the host makes it an ArrayBuffer of
// the firmware realm whose prototype is Resource.prototype (V8 typed arrays check the internal
// slot, not the prototype). XS petrifies the buffer; V8 cannot, so writes to it are not caught.
import fs from "node:fs";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { realmArrayBuffer, realmError, toInteger } from "./realm-values.ts";

function makeResource(realm: RealmServices) {
	const arrayBufferPrototype = realm.global.ArrayBuffer.prototype;
	const byteLengthOf = Object.getOwnPropertyDescriptor(arrayBufferPrototype, "byteLength")!.get!;

	class Resource {
		constructor(path: unknown) {
			const name = String(path);
			const file = realm.resources.get(name);
			if (!file || !fs.existsSync(file)) throw realmError(realm, "URIError", `Resource not found: ${name}`);
			const buffer = realmArrayBuffer(realm, fs.readFileSync(file));
			Object.setPrototypeOf(buffer, new.target.prototype);
			return buffer as unknown as Resource;
		}

		static exists(path: unknown): boolean {
			const file = realm.resources.get(String(path));
			return file !== undefined && fs.existsSync(file);
		}

		get byteLength(): number {
			return byteLengthOf.call(this) as number;
		}

		// Resource.c Resource_slice: begin clamped at 0, end clamped to [begin, byteLength].
		slice(begin?: unknown, end?: unknown): ArrayBuffer {
			const length = this.byteLength;
			let start = 0;
			let stop = length;
			if (arguments.length) {
				start = Math.max(0, toInteger(begin));
				if (arguments.length > 1) stop = Math.min(Math.max(toInteger(end), start), length);
			}
			start = Math.min(start, stop);
			const bytes = new Uint8Array(this as unknown as ArrayBuffer, start, stop - start);
			return realmArrayBuffer(realm, bytes);
		}
	}
	// ArrayBuffer.prototype stays in the chain so that XS built-ins taking "an ArrayBuffer or a
	// host buffer" (String.fromArrayBuffer...) accept a Resource here too.
	Object.setPrototypeOf(Resource.prototype, arrayBufferPrototype);
	return Resource;
}

const factory: HostModuleFactory = (realm) => ({ default: makeResource(realm) });
export default factory;
