// The echo server's answer to a message: the same message back, text as text and binary as
// binary, framed where it was received (no copy). As in ESP-IDF's ws_echo_server example, the
// text "Trigger async" also gets "Async data", sent from outside the receive path.
import Timer from "timer";
import type { Client } from "wsserver/server";

const trigger = "Trigger async";

export function echo(client: Client, bytes: Uint8Array, binary: boolean): void {
	client.send(bytes, binary);
	if (!binary && spells(bytes, trigger)) Timer.set(() => client.send("Async data"), 0);
}

// Whether the bytes are this ASCII text, compared where they lie.
function spells(bytes: Uint8Array, text: string): boolean {
	const length = text.length;
	if (bytes.length !== length) return false;
	for (let i = 0; i < length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
	return true;
}
