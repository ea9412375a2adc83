// ESP-AT spec §2.4: AT+SYSMFG stores certificates and keys as the host wrote them, "PEM text or
// DER". The SDK's TLS takes DER only, so a PEM value is turned into the DER of its first block
// (RFC 7468 §2: base64 between the BEGIN and END lines) when a link is configured.

const DASH = 0x2d;

/** The DER bytes of a stored certificate or key: itself when it is DER, the first PEM block's
 *  content when it is PEM, undefined when it is PEM that does not decode. */
export function toDer(value: Uint8Array): Uint8Array | undefined {
	if (!(value.length >= 5 && value[0] === DASH && value[1] === DASH)) return value;
	let text: string;
	try {
		text = String.fromArrayBuffer(value.slice().buffer);
	} catch {
		return undefined;
	}
	const match = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(text);
	if (!match) return undefined;
	try {
		return Uint8Array.fromBase64(match[1].replace(/\s+/g, ""));
	} catch {
		return undefined;
	}
}
