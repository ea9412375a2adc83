// The ServerHello the SDK's TLS server sends has no extensions, so it never confirms secure
// renegotiation (RFC 5746), and OpenSSL 3 clients (curl, Python, Node) refuse such a server
// unless told to allow "unsafe legacy" ones. The server never renegotiates: the empty
// renegotiation_info the RFC asks for is added here, to the message on the wire and to the
// handshake hash alike, when the client asked for it. Bytes in, bytes out, no I/O.

/** RFC 5746 §3.3: TLS_EMPTY_RENEGOTIATION_INFO_SCSV. */
const scsv = 0x00ff;
/** RFC 5746 §3.2: the renegotiation_info extension type. */
const renegotiationInfo = 0xff01;
const handshakeRecord = 22;
const clientHelloType = 1;
const serverHelloType = 2;
/** The extension block a ServerHello gains: its length, then renegotiation_info with an empty
 *  renegotiated_connection (§3.6). */
const extensionBlock = Object.freeze([0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00]);

/**
 * Whether a ClientHello (the handshake records as received, headers included) signals RFC 5746
 * support: the SCSV among its suites, or the extension. False for anything it cannot parse.
 */
export function offersSecureRenegotiation(records: Uint8Array): boolean {
	const hello = handshakeBody(records);
	if (!hello || hello[0] !== clientHelloType) return false;
	// version 2, random 32, then session_id, cipher_suites, compression_methods, extensions.
	let at = 4 + 2 + 32;
	if (at >= hello.length) return false;
	at += 1 + hello[at];
	if (at + 2 > hello.length) return false;
	const suitesEnd = at + 2 + ((hello[at] << 8) | hello[at + 1]);
	if (suitesEnd > hello.length) return false;
	for (let i = at + 2; i + 1 < suitesEnd; i += 2) if (((hello[i] << 8) | hello[i + 1]) === scsv) return true;
	at = suitesEnd;
	if (at >= hello.length) return false;
	at += 1 + hello[at];
	if (at + 2 > hello.length) return false;
	const extensionsEnd = Math.min(hello.length, at + 2 + ((hello[at] << 8) | hello[at + 1]));
	for (at += 2; at + 4 <= extensionsEnd; at += 4 + ((hello[at + 2] << 8) | hello[at + 3]))
		if (((hello[at] << 8) | hello[at + 1]) === renegotiationInfo) return true;
	return false;
}

// The handshake messages carried by consecutive handshake records, joined (a ClientHello may
// span records, RFC 5246 §6.2.1).
function handshakeBody(records: Uint8Array): Uint8Array | undefined {
	const parts: Uint8Array[] = [];
	let size = 0;
	for (let at = 0; at + 5 <= records.length; ) {
		if (records[at] !== handshakeRecord) break;
		const end = Math.min(records.length, at + 5 + ((records[at + 3] << 8) | records[at + 4]));
		parts.push(records.subarray(at + 5, end));
		size += end - at - 5;
		at = end;
	}
	if (!parts.length) return undefined;
	if (parts.length === 1) return parts[0];
	const joined = new Uint8Array(size);
	let offset = 0;
	for (const part of parts) {
		joined.set(part, offset);
		offset += part.length;
	}
	return joined;
}

/**
 * A ServerHello with the renegotiation_info extension added: `headerSize` 0 for the handshake
 * message itself (what is hashed), 5 for the record that carries it (what is sent). Anything
 * else, or a ServerHello that already has extensions, comes back unchanged.
 */
export function withRenegotiationInfo(bytes: ArrayBuffer | Uint8Array, headerSize: 0 | 5): ArrayBuffer | Uint8Array {
	const input = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
	if (input.length < headerSize + 4 + 38 || input[headerSize] !== serverHelloType) return bytes;
	if (headerSize && (input[0] !== handshakeRecord || ((input[3] << 8) | input[4]) !== input.length - 5)) return bytes;
	const length = (input[headerSize + 1] << 16) | (input[headerSize + 2] << 8) | input[headerSize + 3];
	if (headerSize + 4 + length !== input.length) return bytes;
	// version 2, random 32, session_id, suite 2, compression 1: extensions would follow.
	const bare = 2 + 32 + 1 + input[headerSize + 4 + 34] + 3;
	if (bare !== length) return bytes;
	const output = new Uint8Array(input.length + extensionBlock.length);
	output.set(input);
	output.set(extensionBlock, input.length);
	const grown = length + extensionBlock.length;
	output[headerSize + 1] = grown >> 16;
	output[headerSize + 2] = grown >> 8;
	output[headerSize + 3] = grown;
	if (headerSize) {
		const record = output.length - 5;
		output[3] = record >> 8;
		output[4] = record;
	}
	return output;
}
