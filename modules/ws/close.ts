// Close frames (RFC 6455 §5.5.1, §7.4): status codes, and the payload a Close frame carries.
import { InvalidPayloadError, ProtocolError } from "ws/errors";
import { isValidUtf8 } from "ws/utf8";

/** RFC 6455 §7.4.1 status codes. */
export const CloseCode = Object.freeze({
	Normal: 1000,
	GoingAway: 1001,
	ProtocolError: 1002,
	UnsupportedData: 1003,
	/** Reported, never sent: the Close frame had no status code (§7.1.5). */
	NoStatus: 1005,
	/** Reported, never sent: the connection ended without a Close frame (§7.1.5). */
	Abnormal: 1006,
	InvalidPayload: 1007,
	PolicyViolation: 1008,
	MessageTooBig: 1009,
	MandatoryExtension: 1010,
	InternalError: 1011,
});

/** RFC 6455 §5.5: a control frame payload is at most 125 bytes, so a reason at most 123. */
export const maxCloseReason = 123;

/**
 * Whether a status code may appear in a Close frame (§7.4.1, §7.4.2): 1000-1003 and 1007-1011
 * are defined for the wire, 3000-4999 belong to libraries and applications. 1004 is reserved,
 * 1005/1006/1015 must never be sent, and every other value is unassigned.
 */
export function isValidCloseCode(code: number): boolean {
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

export interface ClosePayload {
	code: number;
	reason: string;
}

/** Reads a received Close frame's payload (§5.5.1); throws the error the peer's fault maps to. */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
	if (payload.length === 0) return { code: CloseCode.NoStatus, reason: "" };
	if (payload.length === 1) throw new ProtocolError("close frame with a 1-byte payload");
	const code = (payload[0] << 8) | payload[1];
	if (!isValidCloseCode(code)) throw new ProtocolError(`invalid close code ${code}`);
	const reasonBytes = payload.subarray(2);
	if (!isValidUtf8(reasonBytes)) throw new InvalidPayloadError("close reason is not UTF-8");
	return { code, reason: decodeUtf8(reasonBytes) };
}

/** The payload of a Close frame to send: empty without a code, else code and UTF-8 reason. */
export function encodeClosePayload(code?: number, reason = ""): Uint8Array {
	if (code === undefined || code === CloseCode.NoStatus) {
		if (reason) throw new RangeError("a close reason needs a close code");
		return new Uint8Array(0);
	}
	if (!isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
	const reasonBytes = new Uint8Array(ArrayBuffer.fromString(reason));
	if (reasonBytes.length > maxCloseReason) throw new RangeError(`close reason longer than ${maxCloseReason} bytes`);
	const payload = new Uint8Array(2 + reasonBytes.length);
	payload[0] = code >> 8;
	payload[1] = code & 0xff;
	payload.set(reasonBytes, 2);
	return payload;
}

function decodeUtf8(bytes: Uint8Array): string {
	if (bytes.length === 0) return "";
	// A copy of its own (not bytes.slice(), whose buffer could be of another realm on the host).
	const copy = new Uint8Array(bytes.length);
	copy.set(bytes);
	return String.fromArrayBuffer(copy.buffer);
}
