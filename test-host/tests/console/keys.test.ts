// What the keys of a raw terminal send to the AT console (test-host/terminal.ts): Enter is the
// line ending ESP-AT wants (spec §0.1: a command ends with CR LF), the quit keys never reach the
// device, every other byte goes as typed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { translateKeys } from "../../terminal.ts";

const typed = (text: string) => Buffer.from(text, "latin1");
const sent = (text: string, eol: "crlf" | "cr" | "lf" = "crlf") => {
	const { bytes, quit } = translateKeys(typed(text), eol);
	return { bytes: bytes.toString("latin1"), quit };
};

test("Enter (CR from a raw terminal) sends CR LF by default", () => {
	assert.deepEqual(sent("AT\r"), { bytes: "AT\r\n", quit: false });
	assert.deepEqual(sent("AT\rATE0\r"), { bytes: "AT\r\nATE0\r\n", quit: false });
});

test("--eol cr and --eol lf change what Enter sends", () => {
	assert.deepEqual(sent("AT\r", "cr"), { bytes: "AT\r", quit: false });
	assert.deepEqual(sent("AT\r", "lf"), { bytes: "AT\n", quit: false });
});

test("Ctrl-J and every other byte go unchanged", () => {
	const all = Array.from({ length: 256 }, (_, byte) => byte).filter((byte) => ![0x0d, 0x03, 0x1d].includes(byte));
	const { bytes, quit } = translateKeys(Buffer.from(all), "crlf");
	assert.deepEqual([...bytes], all);
	assert.equal(quit, false);
});

test("Ctrl-C and Ctrl-] quit; what was typed before them still goes, nothing after", () => {
	assert.deepEqual(sent("\x03"), { bytes: "", quit: true });
	assert.deepEqual(sent("\x1d"), { bytes: "", quit: true });
	assert.deepEqual(sent("AT\r\x03AT\r"), { bytes: "AT\r\n", quit: true });
});
