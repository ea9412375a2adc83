// XS has Uint8Array base64 (the TC39 proposal, ES2026), but TypeScript declares it only in its
// esnext library and mcconfig compiles against es2025: only what ws/* uses is declared here.
interface Uint8Array {
	toBase64(options?: { alphabet?: "base64" | "base64url"; omitPadding?: boolean }): string;
}
