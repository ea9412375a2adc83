// ESP-AT spec §1.8 (the `>` data phase), §1.5 (final results and information lines) and §1.10
// (URCs), byte for byte. The commands here are test commands shaped like AT+WSSEND.
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
const BUSY = "\r\nbusy p...\r\n";
const PROMPT = "\r\nOK\r\n\r\n>";
const SEND_OK = "\r\nSEND OK\r\n";

function device(echo = false) {
	const { Result } = at.results;
	const received: string[] = [];
	const calls: any[] = [];
	const dev = new Device(at, () => [
		table(
			{ name: "", execute: () => Result.OK },
			{ name: "E0", execute: (call: any) => ((call.engine.echo = false), Result.OK) },
			{ name: "+SYSLOG", set: (call: any, p: any) => ((call.engine.syslog = p.int(0) === 1), Result.OK) },
			{
				// AT+SEND=<length>: validated first (no prompt on error), 0 sends nothing, else a data phase.
				name: "+SEND",
				set(call: any, parameters: any) {
					const length = parameters.int(0);
					if (length === undefined || length < 0 || length > 16384) return Result.Error;
					if (length === 0) return Result.SendOK;
					return call.receive(length, (data: Uint8Array) => {
						received.push(String.fromCharCode(...Uint8Array.from(data)));
						return Result.SendOK;
					});
				},
			},
			{
				// AT+LATER=<length>: the data phase, then a send that completes later.
				name: "+LATER",
				set(call: any, parameters: any) {
					return call.receive(parameters.int(0), (data: Uint8Array) => {
						received.push(String.fromCharCode(...Uint8Array.from(data)));
						calls.push(call);
						return Result.Pending;
					});
				},
			},
			{
				name: "+INFO",
				execute(call: any) {
					call.info("+INFO:1");
					calls.push(call);
					return Result.Pending;
				},
			},
			{ name: "+FAIL", execute: () => Result.SendFail },
		),
	]);
	if (!echo) dev.send("ATE0\r\n").take();
	return { dev, received, calls, Result };
}

describe("§1.8 the data phase", () => {
	test("the prompt is exactly CR LF OK CR LF CR LF >, then exactly N raw bytes", () => {
		const { dev, received } = device(true);
		assert.equal(dev.exchange("AT+SEND=4\r\n"), "AT+SEND=4\r\n" + PROMPT);
		assert.equal(dev.exchange("ab\r\n"), SEND_OK, "no echo, CR LF is data");
		assert.deepEqual(received, ["ab\r\n"]);
		assert.equal(dev.exchange("AT\r\n"), "AT\r\n" + OK, "back in command mode, echo on");
	});

	test("the bytes may come in any pieces", () => {
		const { dev, received } = device();
		dev.send("AT+SEND=5\r\n").take();
		for (const char of "abcd") assert.equal(dev.exchange(char), "");
		assert.equal(dev.exchange("e"), SEND_OK);
		assert.deepEqual(received, ["abcde"]);
	});

	test("the data is raw: NUL, CR LF, quotes, commas, an AT command, +++", () => {
		const { dev, received } = device();
		const payload = 'AT\r\n\u0000"a,b"\\+++\u00ff';
		dev.send(`AT+SEND=${payload.length}\r\n`).take();
		assert.equal(dev.exchange(payload), SEND_OK);
		assert.deepEqual(received, [payload]);
	});

	test("there is no timeout: the device waits for the rest, taking command lines as data", () => {
		const { dev, received } = device();
		dev.send("AT+SEND=8\r\n").take();
		assert.equal(dev.exchange("AT\r\n"), "");
		assert.equal(dev.engine.busy, true);
		assert.equal(dev.exchange("AT\r\n"), SEND_OK);
		assert.deepEqual(received, ["AT\r\nAT\r\n"]);
	});

	test("bytes sent with the command line: busy p... before the prompt, then N fresh bytes", () => {
		const { dev, received } = device(true);
		assert.equal(dev.exchange("AT+SEND=4\r\nabcd"), "AT+SEND=4\r\n" + BUSY + PROMPT);
		assert.equal(dev.exchange("wxyz"), SEND_OK);
		assert.deepEqual(received, ["wxyz"]);
	});

	test("excess bytes: busy p... before the final result, the first N bytes are used", () => {
		const { dev, received } = device();
		dev.send("AT+SEND=4\r\n").take();
		assert.equal(dev.exchange("abcdEXTRA\r\n"), BUSY + SEND_OK);
		dev.send("AT+SEND=4\r\n").take();
		dev.send("ab");
		assert.equal(dev.exchange("cdEF"), BUSY + SEND_OK, "also when the excess comes with the last piece");
		assert.deepEqual(received, ["abcd", "abcd"]);
	});

	test("with AT+SYSLOG=1 the excess is answered with ERR CODE 0x010b0000 too", () => {
		const { dev } = device();
		dev.send("AT+SYSLOG=1\r\n").send("AT+SEND=1\r\n").take();
		assert.equal(dev.exchange("ab"), "ERR CODE:0x010b0000\r\n" + BUSY + SEND_OK);
	});

	test("parameter errors end before the prompt; length 0 has no data phase", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT+SEND=-1\r\n"), ERROR);
		assert.equal(dev.exchange("AT+SEND=16385\r\n"), ERROR);
		assert.equal(dev.exchange("AT+SEND=0\r\n"), SEND_OK);
		assert.equal(dev.engine.busy, false);
	});

	test("after the data the command may still run: input is busy until its result", () => {
		const { dev, calls, Result, received } = device();
		dev.send("AT+LATER=2\r\n").take();
		assert.equal(dev.exchange("hi"), "");
		assert.deepEqual(received, ["hi"]);
		assert.equal(dev.exchange("AT\r\n"), BUSY);
		calls[0].finish(Result.SendOK);
		assert.equal(dev.take(), SEND_OK);
		assert.equal(dev.exchange("AT+SEND=0\r\n"), SEND_OK);
	});

	test("URCs may be printed while the device sits at the prompt", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT+SEND=2\r\n"), PROMPT);
		dev.engine.urc("+WS_CONNECTED:1");
		assert.equal(dev.take(), "+WS_CONNECTED:1\r\n");
		assert.equal(dev.exchange("ok"), SEND_OK);
	});
});

describe("§1.5 final results and information lines", () => {
	test("every final result is framed by CR LF; an information line before OK shows a blank line", () => {
		const { dev, calls, Result } = device();
		assert.equal(dev.exchange("AT+INFO\r\n"), "+INFO:1\r\n");
		calls[0].finish(Result.OK);
		assert.equal(dev.take(), OK);
		dev.send("AT+INFO\r\n").take();
		calls[1].finish(Result.Error);
		assert.equal(dev.take(), ERROR);
		assert.equal(dev.exchange("AT+FAIL\r\n"), "\r\nSEND FAIL\r\n");
	});
});

describe("§1.10 URCs", () => {
	test("a URC is one whole line without a leading CR LF", () => {
		const { dev } = device();
		dev.engine.urc("WIFI GOT IP");
		assert.deepEqual(dev.writes.slice(-1), ["WIFI GOT IP\r\n"]);
	});

	test("URCs come between the lines of a running command, never inside one", () => {
		const { dev, calls, Result } = device();
		dev.take();
		const before = dev.writes.length;
		dev.send("AT+INFO\r\n");
		dev.engine.urc("+WS_DISCONNECTED:0");
		calls[0].finish(Result.Error);
		assert.deepEqual(dev.writes.slice(before), ["+INFO:1\r\n", "+WS_DISCONNECTED:0\r\n", ERROR]);
	});

	test("+WS_DATA carries its payload raw, in order, without a copy of the payload", () => {
		const { dev } = device();
		dev.take();
		const payload = Uint8Array.from([0x00, 0x0d, 0x0a, 0x2c, 0x22, 0xff]);
		const before = dev.writes.length;
		dev.engine.urcBytes(`+WS_DATA:0,${payload.length},`, payload, "\r\n");
		assert.equal(dev.take(), "+WS_DATA:0,6,\u0000\r\n,\"\u00ff\r\n");
		assert.deepEqual(dev.writes.slice(before), ["+WS_DATA:0,6,", "\u0000\r\n,\"\u00ff", "\r\n"]);
	});
});
