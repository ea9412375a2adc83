// wsserver/jsonscan against V8's JSON.parse as the reference (RFC 8259): every text the parser
// takes the scanner takes, and every text it refuses the scanner refuses, with the depth limit.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import vm from "node:vm";
import { FirmwareRealm, projectRoot } from "../../runtime/realm.ts";

let scanJson: (bytes: Uint8Array, maxDepth: number) => number;
let JsonScan: { Valid: number; Invalid: number; TooDeep: number };
let realmBytes: (text: string) => Uint8Array;

before(async () => {
	const realm = await FirmwareRealm.create({ manifest: path.join(projectRoot, "modules/wsserver/manifest.json"), trace: () => {} });
	const module = await realm.import("wsserver/jsonscan");
	scanJson = module.scanJson;
	JsonScan = module.JsonScan;
	const RealmUint8Array = vm.runInContext("Uint8Array", realm.context) as Uint8ArrayConstructor;
	realmBytes = (text) => RealmUint8Array.from(Buffer.from(text));
});

const valid = [
	"0", "-0", "1", "-12.5e+3", "1E9", "0.25", "1e-7", '""', '"a"', '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00"', '"ünïcödé €"',
	"true", "false", "null", " \t\r\n 7 \n", "[]", "{}", "[ ]", "{ }", "[1,2,3]", '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
	' { "a" : [ 1 , { } , [ ] ] } ', '[[[[[[[[[[]]]]]]]]]]', '{"":0}', '[-1.0e0,"x",{"k":[null]}]',
];
const invalid = [
	"", " ", "01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul", "True", "'a'", '"a', '"\\x"', '"\\u12"', '"\\u12G4"',
	'"tab\there"', '"line\nbreak"', "[", "]", "[1,]", "[,1]", "[1 2]", "{", '{"a"}', '{"a":}', '{"a":1,}', "{a:1}", '{"a" 1}', "{1:2}", "[1]]", "[1]x",
	"1 2", '"a" "b"', "[}", "{]", '{"a":1]', "[{]}", "/* */1", "[1,,2]",
];

test("the scanner takes what JSON.parse takes and refuses what it refuses", () => {
	for (const text of [...valid, ...invalid]) {
		let parses = true;
		try {
			JSON.parse(text);
		} catch {
			parses = false;
		}
		assert.equal(valid.includes(text), parses, `the test's own list is wrong about ${JSON.stringify(text)}`);
		assert.equal(scanJson(realmBytes(text), 30), parses ? JsonScan.Valid : JsonScan.Invalid, JSON.stringify(text));
	}
});

test("nesting deeper than the limit is TooDeep, at the limit Valid, and the limit stops at 30", () => {
	const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
	assert.equal(scanJson(realmBytes(nested(10, "[", "]")), 10), JsonScan.Valid);
	assert.equal(scanJson(realmBytes(nested(11, "[", "]")), 10), JsonScan.TooDeep);
	assert.equal(scanJson(realmBytes('{"a":'.repeat(10) + "1" + "}".repeat(10)), 10), JsonScan.Valid);
	assert.equal(scanJson(realmBytes('{"a":'.repeat(11) + "1" + "}".repeat(11)), 10), JsonScan.TooDeep);
	// Objects and arrays alternating: each level's kind is its own.
	assert.equal(scanJson(realmBytes('[{"a":[{"b":[]}]}]'), 10), JsonScan.Valid);
	assert.equal(scanJson(realmBytes('[{"a":[{"b":[}]}]'), 10), JsonScan.Invalid);
	assert.equal(scanJson(realmBytes(nested(31, "[", "]")), 1000), JsonScan.TooDeep);
	assert.equal(scanJson(realmBytes(nested(100000, "[", "]")), 10), JsonScan.TooDeep);
});

test("random texts: the scanner agrees with JSON.parse", () => {
	// Small texts from JSON's own alphabet, most of them invalid, some valid.
	const alphabet = ['[', ']', '{', '}', ',', ':', '"a"', "1", "-", ".", "e", "0", " ", "true", "null", '"\\n"', '"\\u0041"'];
	let seed = 7;
	const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
	let validCount = 0;
	for (let n = 0; n < 20000; n++) {
		let text = "";
		const length = 1 + Math.floor(random() * 8);
		for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
		let parses = true;
		try {
			JSON.parse(text);
		} catch {
			parses = false;
		}
		if (parses) validCount++;
		assert.equal(scanJson(realmBytes(text), 30), parses ? JsonScan.Valid : JsonScan.Invalid, JSON.stringify(text));
	}
	assert.ok(validCount > 200, `only ${validCount} valid texts were tried`);
});
