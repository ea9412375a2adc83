// @moddable/typings 5.6.0 has no "crypt" module; the SDK's typings/crypt.d.ts does (mcconfig uses
// that one). Only what the firmware uses is declared here.
declare module "crypt" {
	export class Digest {
		constructor(algorithm: "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512");
		write(message: string | ArrayBuffer): void;
		/** `more`: the hash so far, and the digest goes on. */
		close(more?: boolean): ArrayBuffer;
		reset(): void;
	}
}
