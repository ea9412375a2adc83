// "text/decoder" on Node, after the SDK's modules/data/text/decoder (textdecoder.js,
// textdecoder.c): UTF-8 only, the options fatal and ignoreBOM, and decode(buffer) of a buffer or
// a view. fatal is strict as in Unicode Table 3-7, as Node's own decoder is.
//
// textdecoder.js passes decode() only its buffer, so the native code never sees `{stream: true}`
// on XS: a stream option is silently dropped and an unfinished sequence at the end of a buffer
// fails (fatal) or becomes U+FFFD. Here a second argument throws, so firmware that relies on
// streaming fails on the host instead of misreading text on the chip.
import { TextDecoder as NodeTextDecoder } from "node:util";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { bytesOf, realmError } from "./realm-values.ts";

function makeTextDecoder(realm: RealmServices) {
	return class TextDecoder {
		readonly #decoder: NodeTextDecoder;
		readonly fatal: boolean;
		readonly ignoreBOM: boolean;

		constructor(label?: unknown, options?: { fatal?: unknown; ignoreBOM?: unknown }) {
			// textdecoder.js always hands the native both arguments, and textdecoder.c compares the
			// label's string with "utf-8" exactly: even a missing label is "undefined" there.
			if (String(label) !== "utf-8") throw realmError(realm, "RangeError", "unsupported encoding");
			this.fatal = Boolean(options?.fatal);
			this.ignoreBOM = Boolean(options?.ignoreBOM);
			this.#decoder = new NodeTextDecoder("utf-8", { fatal: this.fatal, ignoreBOM: this.ignoreBOM });
		}

		get encoding() {
			return "utf-8";
		}

		decode(buffer?: unknown) {
			if (arguments.length > 1)
				throw realmError(realm, "RangeError", "TextDecoder.decode: the SDK's textdecoder.js drops the options argument (no streaming on XS)");
			if (buffer === undefined) return "";
			const bytes = bytesOf(buffer);
			if (!bytes) throw realmError(realm, "TypeError", "not a buffer");
			try {
				return this.#decoder.decode(bytes);
			} catch {
				throw realmError(realm, "TypeError", "invalid utf-8");
			}
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makeTextDecoder(realm) });
export default factory;
