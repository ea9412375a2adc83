// ESP-AT spec §1.4: the one parameter parser. A test command hands its parameters to a reader the
// test chooses; parse failures must come back as ERR CODE 0x010800NN + ERROR.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Device, loadAt, table, type AtModules } from "./device.ts";
import type { FirmwareRealm } from "../../runtime/realm.ts";

let realm: FirmwareRealm;
let at: AtModules;
before(async () => ({ realm, at } = await loadAt()));
after(() => realm.stop());

const OK = "\r\nOK\r\n";
const ERROR = "\r\nERROR\r\n";
const parseError = (index: number) => `ERR CODE:0x010800${index.toString(16).padStart(2, "0")}\r\n` + ERROR;

/** Sends `AT+P=<text>` with SYSLOG=1; answers what the device printed and what `read` returned. */
function parse(text: string, read: (parameters: any) => unknown, syslog = true) {
	const { Result } = at.results;
	let value: unknown = "handler not reached";
	const dev = new Device(at, (engine) => [
		table(
			{ name: "+P", set: (_call: any, parameters: any) => ((value = read(parameters)), Result.OK) },
			{ name: "E0", execute: (call: any) => ((call.engine.echo = false), Result.OK) },
		),
	]);
	dev.send("ATE0\r\n");
	dev.engine.syslog = syslog;
	const output = dev.exchange(`AT+P=${text}\r\n`);
	return { output, value };
}

const ints = (n: number) => (p: any) => Array.from({ length: n }, (_, i) => p.int(i));
const strings = (n: number) => (p: any) => Array.from({ length: n }, (_, i) => p.string(i));
const shape = (p: any) => [p.count, ...Array.from({ length: p.count + 1 }, (_, i) => p.omitted(i))];

describe("§1.4 splitting", () => {
	test("fields are split at commas; empty fields are omitted", () => {
		assert.deepEqual(parse("1,2,3", shape).value, [3, false, false, false, true]);
		assert.deepEqual(parse("1,,3", shape).value, [3, false, true, false, true]);
		assert.deepEqual(parse("1,,3", ints(3)).value, [1, undefined, 3]);
		assert.deepEqual(parse(",", shape).value, [2, true, true, true]);
	});

	test("nothing after `=` is one omitted field", () => {
		const { output, value } = parse("", shape);
		assert.equal(output, OK);
		assert.deepEqual(value, [1, true, true]);
	});

	test("asking beyond the supplied parameters is a parse failure of that index", () => {
		assert.equal(parse("1", ints(2)).output, parseError(1));
		assert.equal(parse("1,2,3", (p) => p.string(5)).output, parseError(5));
	});

	test("double quotes do not protect commas; a backslash does", () => {
		assert.deepEqual(parse('"a,b"', shape).value, [2, false, false, true]);
		assert.equal(parse('"a,b"', strings(1)).output, parseError(0));
		assert.deepEqual(parse('"a\\,b"', strings(1)).value, ["a,b"]);
		assert.deepEqual(parse('"a\\,b",7', (p) => [p.count, p.string(0), p.int(1)]).value, [2, "a,b", 7]);
	});

	test("up to 16 fields", () => {
		const sixteen = Array.from({ length: 16 }, (_, i) => String(i)).join(",");
		assert.deepEqual(parse(sixteen, ints(16)), { output: OK, value: Array.from({ length: 16 }, (_, i) => i) });
		const { output, value } = parse(sixteen + ",16", shape);
		assert.equal(output, ERROR, "a 17th field: ERROR, the handler is not called");
		assert.equal(value, "handler not reached");
	});
});

describe("§1.4 strings", () => {
	const string = (text: string) => parse(text, strings(1));

	test("a string starts and ends with a double quote; \\c stands for c", () => {
		assert.deepEqual(string('"abc"'), { output: OK, value: ["abc"] });
		assert.deepEqual(string('"a\\\\b"'), { output: OK, value: ["a\\b"] });
		assert.deepEqual(string('"a\\"b"'), { output: OK, value: ['a"b'] });
		assert.deepEqual(string('"\\x\\y"'), { output: OK, value: ["xy"] });
	});

	test('"" is the empty string, not an omitted parameter', () => {
		assert.deepEqual(parse('""', (p) => [p.omitted(0), p.string(0)]).value, [false, ""]);
		assert.deepEqual(parse("", strings(1)).value, [undefined]);
	});

	test("CR and LF inside a line are ordinary bytes of a string", () => {
		assert.deepEqual(string('"a\rb\nc"').value, ["a\rb\nc"]);
	});

	test("malformed strings fail with their index", () => {
		for (const text of ['abc', '"abc', 'abc"', '"', '"a"b"', '"abc\\"', ' "a"', '"a" ', "'a'"])
			assert.equal(string(text).output, parseError(0), text);
		assert.equal(parse('0, "a"', (p) => [p.int(0), p.string(1)]).output, parseError(1), "no whitespace trimming");
	});

	test("strings are UTF-8; the raw bytes are there for anything else", () => {
		assert.deepEqual(string('"h\u00c3\u00a9"').value, ["h\u00e9"]);
		assert.equal(string('"\u00ff"').output, parseError(0));
		// (a NUL cannot be part of a line: §1.2 discards the line up to it)
		const { value } = parse('"\u00ff\\,\u0001"', (p) => Array.from(p.bytes(0)));
		assert.deepEqual(value, [0xff, 0x2c, 0x01]);
	});

	test("a number field is not a string, a string field is not a number", () => {
		assert.equal(parse("5", strings(1)).output, parseError(0));
		assert.equal(parse('"5"', ints(1)).output, parseError(0));
	});
});

describe("§1.4 integers", () => {
	const int = (text: string) => parse(text, ints(1));

	test("decimal, with an optional minus and leading zeros", () => {
		assert.deepEqual(int("0").value, [0]);
		assert.deepEqual(int("007").value, [7]);
		assert.deepEqual(int("-5").value, [-5]);
		assert.deepEqual(int("-0").value, [0]);
		assert.deepEqual(int("2147483647").value, [2147483647]);
		assert.deepEqual(int("-2147483648").value, [-2147483648]);
	});

	test("hexadecimal with 0x or 0X", () => {
		assert.deepEqual(int("0x1F").value, [31]);
		assert.deepEqual(int("0X1f").value, [31]);
		assert.deepEqual(int("0x00000010").value, [16]);
		assert.deepEqual(int("0x7fffffff").value, [2147483647]);
		assert.deepEqual(int("0xffffffff").value, [-1], "32 bits, read as int32_t");
	});

	test("anything else fails, and so does a value that overflows 32 bits", () => {
		for (const text of ["+5", " 5", "5 ", "-", "0x", "-0x10", "1.5", "1e3", "abc", "12a", "0x1g", "2147483648", "-2147483649", "0x100000000", "99999999999"])
			assert.equal(int(text).output, parseError(0), text);
	});

	test("the ERR CODE names the failing index, in hex", () => {
		const fields = Array.from({ length: 16 }, () => "1");
		fields[15] = "x";
		assert.equal(parse(fields.join(","), ints(16)).output, parseError(15));
		assert.equal(parseError(15).slice(0, 20), "ERR CODE:0x0108000f\r");
	});

	test("without AT+SYSLOG=1 a parse failure is a bare ERROR", () => {
		assert.equal(parse("x", ints(1), false).output, ERROR);
	});
});

describe("Parameters directly", () => {
	test("split answers undefined beyond 16 fields and the fields otherwise", () => {
		const { Parameters } = at.parameters;
		const encode = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
		assert.equal(Parameters.split(encode("1,".repeat(16) + "1")), undefined);
		const parameters = Parameters.split(encode('0x10,"a\\"b",,-3'));
		assert.equal(parameters.count, 4);
		assert.equal(parameters.int(0), 16);
		assert.equal(parameters.string(1), 'a"b');
		assert.equal(parameters.omitted(2), true);
		assert.equal(parameters.int(3), -3);
		assert.throws(() => parameters.int(1), (error: any) => error.name === "ParameterError" && error.code === 0x01080001);
	});
});
