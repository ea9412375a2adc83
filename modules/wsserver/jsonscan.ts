// Checks JSON text (RFC 8259) on its bytes, without building anything: JSON.parse of a peer's
// body makes an object or an array item for every value, and 1 KB of "[0,0,0,...]" is 512 of
// them, more than an ESP8266's whole heap. A body checked here can be echoed as it came.
// The bytes must already be valid UTF-8 (§8.1); only the grammar and the nesting are checked.

export const JsonScan = Object.freeze({ Valid: 0, Invalid: 1, TooDeep: 2 });

// Which open containers are objects: one bit per depth, so the depth is capped below 31.
const deepestTracked = 30;

const Quote = 0x22;
const Backslash = 0x5c;
const Comma = 0x2c;
const Colon = 0x3a;
const OpenBrace = 0x7b;
const CloseBrace = 0x7d;
const OpenBracket = 0x5b;
const CloseBracket = 0x5d;
const Minus = 0x2d;
const Plus = 0x2b;
const Dot = 0x2e;
const Zero = 0x30;
const Nine = 0x39;

/** JsonScan.Valid, Invalid, or TooDeep (arrays and objects nested deeper than `maxDepth`, at most
 *  30; RFC 8259 §9 lets a parser limit the depth). */
export function scanJson(bytes: Uint8Array, maxDepth: number): number {
	const limit = maxDepth < deepestTracked ? maxDepth : deepestTracked;
	const length = bytes.length;
	let depth = 0;
	let objects = 0;
	let i = skipSpace(bytes, 0);
	for (;;) {
		// A value begins at i.
		if (i >= length) return JsonScan.Invalid;
		const first = bytes[i];
		if (first === OpenBrace || first === OpenBracket) {
			if (++depth > limit) return JsonScan.TooDeep;
			if (first === OpenBrace) objects |= 1 << depth;
			else objects &= ~(1 << depth);
			i = skipSpace(bytes, i + 1);
			if (bytes[i] !== (first === OpenBrace ? CloseBrace : CloseBracket)) {
				if (first === OpenBrace && (i = member(bytes, i)) < 0) return JsonScan.Invalid;
				continue;
			}
			depth--;
			i++;
		} else if ((i = first === Quote ? string(bytes, i) : first === Minus || (first >= Zero && first <= Nine) ? number(bytes, i) : literal(bytes, i)) < 0) return JsonScan.Invalid;
		// After a value: the end of the text, or a separator, or the end of its container.
		for (;;) {
			i = skipSpace(bytes, i);
			if (depth === 0) return i === length ? JsonScan.Valid : JsonScan.Invalid;
			const inObject = (objects >> depth) & 1;
			const byte = bytes[i];
			if (byte === Comma) {
				i = skipSpace(bytes, i + 1);
				if (inObject && (i = member(bytes, i)) < 0) return JsonScan.Invalid;
				break;
			}
			if (byte !== (inObject ? CloseBrace : CloseBracket)) return JsonScan.Invalid;
			depth--;
			i++;
		}
	}
}

// RFC 8259 §2: ws = space, tab, LF, CR.
function skipSpace(bytes: Uint8Array, i: number): number {
	for (let byte = bytes[i]; byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d; byte = bytes[++i]);
	return i;
}

// A member's name and its colon (§4); the index of its value, or -1.
function member(bytes: Uint8Array, i: number): number {
	if (bytes[i] !== Quote || (i = string(bytes, i)) < 0) return -1;
	i = skipSpace(bytes, i);
	return bytes[i] === Colon ? skipSpace(bytes, i + 1) : -1;
}

// §7: a string from its opening quote; the index after its closing quote, or -1.
function string(bytes: Uint8Array, i: number): number {
	const length = bytes.length;
	for (i++; i < length; i++) {
		const byte = bytes[i];
		if (byte === Quote) return i + 1;
		if (byte < 0x20) return -1;
		if (byte !== Backslash) continue;
		const escaped = bytes[++i];
		if (escaped === 0x75 /* u */) {
			for (let k = 0; k < 4; k++) if (!isHexDigit(bytes[++i])) return -1;
		} else if (escaped !== Quote && escaped !== Backslash && escaped !== 0x2f && escaped !== 0x62 && escaped !== 0x66 && escaped !== 0x6e && escaped !== 0x72 && escaped !== 0x74) return -1;
	}
	return -1;
}

function isHexDigit(byte: number): boolean {
	return (byte >= Zero && byte <= Nine) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

// §6: [ minus ] int [ frac ] [ exp ]; the index after it, or -1.
function number(bytes: Uint8Array, i: number): number {
	if (bytes[i] === Minus) i++;
	if (bytes[i] === Zero) i++;
	else if ((i = digits(bytes, i)) < 0) return -1;
	if (bytes[i] === Dot && (i = digits(bytes, i + 1)) < 0) return -1;
	const e = bytes[i];
	if (e === 0x65 || e === 0x45) {
		i++;
		if (bytes[i] === Plus || bytes[i] === Minus) i++;
		if ((i = digits(bytes, i)) < 0) return -1;
	}
	return i;
}

// One digit or more; the index after them, or -1.
function digits(bytes: Uint8Array, i: number): number {
	const start = i;
	for (let byte = bytes[i]; byte >= Zero && byte <= Nine; byte = bytes[++i]);
	return i > start ? i : -1;
}

// §3: true, false, null; the index after it, or -1.
function literal(bytes: Uint8Array, i: number): number {
	const word = bytes[i] === 0x74 ? "true" : bytes[i] === 0x66 ? "false" : bytes[i] === 0x6e ? "null" : "";
	if (!word) return -1;
	for (let k = 0; k < word.length; k++) if (bytes[i + k] !== word.charCodeAt(k)) return -1;
	return i + word.length;
}
