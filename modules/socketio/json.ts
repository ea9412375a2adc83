// JSON.parse on XS descends one native call (and XS stack slots) per nesting level, and the chip's
// stack is small (ESP8266: 256 slots for the whole VM): a packet of 1,000 "[" must be refused
// before it is parsed, not abort the VM while it is.

/**
 * Whether the JSON text from `start` nests arrays and objects at most `maxDepth` deep. Brackets
 * inside strings do not count; the text is not otherwise checked (JSON.parse does that).
 */
export function withinDepth(text: string, start: number, maxDepth: number): boolean {
	const end = text.length;
	// A depth of d needs d opening brackets: a short text cannot be too deep.
	if (end - start <= maxDepth) return true;
	let depth = 0;
	for (let i = start; i < end; i++) {
		const c = text.charCodeAt(i);
		if (c === 0x22) {
			// A string: jump to its closing quote natively, one not escaped by an odd run of "\".
			for (;;) {
				const quote = text.indexOf('"', i + 1);
				if (quote < 0) return true;
				let slash = quote - 1;
				while (text.charCodeAt(slash) === 0x5c) slash--;
				i = quote;
				if ((quote - 1 - slash) % 2 === 0) break;
			}
		} else if (c === 0x5b || c === 0x7b) {
			if (++depth > maxDepth) return false;
		} else if (c === 0x5d || c === 0x7d) depth--;
	}
	return true;
}
