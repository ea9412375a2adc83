// XS has Uint8Array.fromBase64 (the TC39 proposal, ES2026), but TypeScript declares it only in its
// esnext library and mcconfig compiles against es2025: only what at/* uses is declared here.
interface Uint8ArrayConstructor {
	fromBase64(text: string, options?: { alphabet?: "base64" | "base64url"; lastChunkHandling?: "loose" | "strict" | "stop-before-partial" }): Uint8Array;
}
