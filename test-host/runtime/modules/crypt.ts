// "crypt" on Node: the Digest class of the SDK's modules/crypt/digest (crypt.js, modCrypt.c) and
// nothing more. Algorithms as modCrypt.c's table: MD5, SHA1, SHA224, SHA256, SHA384, SHA512.
// write() takes a string (its UTF-8 bytes up to a NUL, as strlen) or any buffer; close() returns
// the digest as an ArrayBuffer; close(true) returns it and keeps the running state; reset()
// starts over.
import crypto from "node:crypto";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { bytesOf, realmArrayBuffer, realmError } from "./realm-values.ts";

const algorithms: Record<string, { node: string; blockSize: number; outputSize: number }> = {
	MD5: { node: "md5", blockSize: 64, outputSize: 16 },
	SHA1: { node: "sha1", blockSize: 64, outputSize: 20 },
	SHA256: { node: "sha256", blockSize: 64, outputSize: 32 },
	SHA224: { node: "sha224", blockSize: 64, outputSize: 28 },
	SHA512: { node: "sha512", blockSize: 128, outputSize: 64 },
	SHA384: { node: "sha384", blockSize: 128, outputSize: 48 },
};

function makeDigest(realm: RealmServices) {
	return class Digest {
		#algorithm: (typeof algorithms)[string];
		#hash: crypto.Hash | undefined;

		constructor(type: unknown) {
			const algorithm = algorithms[String(type)];
			if (!algorithm) throw realmError(realm, "Error", "crypt: unsupported digest");
			this.#algorithm = algorithm;
			this.#hash = crypto.createHash(algorithm.node);
		}

		write(data: unknown): void {
			let bytes: Uint8Array | undefined;
			if (typeof data === "string") {
				const nul = data.indexOf("\0");
				bytes = Buffer.from(nul < 0 ? data : data.slice(0, nul), "utf8");
			} else bytes = bytesOf(data);
			if (!bytes) throw realmError(realm, "TypeError", "not a buffer");
			// The SDK keeps writing into a finished context and yields garbage; failing is kinder.
			if (!this.#hash) throw realmError(realm, "Error", "crypt: can't call digest write after close");
			this.#hash.update(bytes);
		}

		close(more?: unknown): ArrayBuffer {
			if (!this.#hash) throw realmError(realm, "Error", "crypt: can't call digest close after close");
			let result: Buffer;
			if (more) result = this.#hash.copy().digest();
			else {
				result = this.#hash.digest();
				this.#hash = undefined;
			}
			return realmArrayBuffer(realm, result);
		}

		reset(): void {
			this.#hash = crypto.createHash(this.#algorithm.node);
		}

		get blockSize(): number {
			return this.#algorithm.blockSize;
		}

		get outputSize(): number {
			return this.#algorithm.outputSize;
		}

		process(...chunks: unknown[]): ArrayBuffer {
			this.reset();
			for (const chunk of chunks) this.write(chunk);
			return this.close();
		}

		update(data: unknown): void {
			this.write(data);
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ Digest: makeDigest(realm) });
export default factory;
