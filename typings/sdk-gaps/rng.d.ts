// The SDK ships "rng" ($(MODULES)/crypt/etc/rng: the platform's random generator) without
// typings; mcconfig needs this file listed in the manifest of the module that imports it.
declare module "rng" {
	const RNG: {
		/** `count` random bytes. */
		get(count: number): ArrayBuffer;
		init(seed?: ArrayBufferLike | string): void;
	};
	export default RNG;
}
