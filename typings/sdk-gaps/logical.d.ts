// The SDK ships "logical" ($(MODULES)/data/logical) without typings; mcconfig needs this file
// listed in the manifest of the module that imports it.
declare module "logical" {
	type Source = ArrayBufferLike | ArrayBufferView | number | string;
	const Logical: {
		/** dst[i] ^= src[i % src.length] for the first `count` bytes of dst (all when omitted). */
		xor(dst: ArrayBufferLike | ArrayBufferView, src: Source, count?: number): void;
		and(dst: ArrayBufferLike | ArrayBufferView, src: Source, count?: number): void;
		or(dst: ArrayBufferLike | ArrayBufferView, src: Source, count?: number): void;
		not(dst: ArrayBufferLike | ArrayBufferView, count?: number): void;
	};
	export default Logical;
}
