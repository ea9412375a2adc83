// ESP-AT spec §1.1–§1.3, §1.6, §1.7: line assembly, echo, dispatch and the busy rule, byte for byte.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Device, factoryUart, loadAt, table, version, type AtModules } from "./device.ts";
import type { FirmwareRealm } from "../../runtime/realm.ts";

let realm: FirmwareRealm;
let at: AtModules;
before(async () => ({ realm, at } = await loadAt()));
after(() => realm.stop());

const OK = "\r\nOK\r\n";
const ERROR = "\r\nERROR\r\n";
const BUSY = "\r\nbusy p...\r\n";

/** A device with the basic commands, a command that records its line's parameter text, and one
 *  that stays busy until the test finishes it. */
function device(hooks = {}) {
	const { Result } = at.results;
	const waiting: any[] = [];
	const seen: unknown[] = [];
	const dev = new Device(
		at,
		() => [
			at.basic.basicCommands({ version, uart: { factory: factoryUart } }),
			table(
				{
					name: "+WAIT",
					execute(call: any) {
						waiting.push(call);
						return Result.Pending;
					},
				},
				{
					name: "+X",
					set(_call: any, parameters: any) {
						seen.push(parameters.count);
						return Result.OK;
					},
				},
				{ name: "+A_B!%-./:", execute: () => Result.OK },
			),
		],
		hooks,
	);
	return { dev, waiting, seen, Result };
}

describe("§1.3 echo", () => {
	test("echo is on after boot: every byte comes back before the result", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT\r\n"), "AT\r\n" + OK);
	});

	test("bytes are echoed as they arrive, also one at a time", () => {
		const { dev } = device();
		assert.equal(dev.exchange("A"), "A");
		assert.equal(dev.exchange("T"), "T");
		assert.equal(dev.exchange("\r"), "\r");
		assert.equal(dev.exchange("\n"), "\n" + OK);
	});

	test("ATE0 is echoed, ATE1 is not", () => {
		const { dev } = device();
		assert.equal(dev.exchange("ATE0\r\n"), "ATE0\r\n" + OK);
		assert.equal(dev.exchange("AT\r\n"), OK);
		assert.equal(dev.exchange("ATE1\r\n"), OK);
		assert.equal(dev.exchange("AT\r\n"), "AT\r\n" + OK);
	});

	test("ATE0 and ATE1 take no parameters; ATE and ATE2 are unknown", () => {
		const { dev } = device();
		dev.send("ATE0\r\nAT+SYSLOG=1\r\n");
		dev.send("AT+SYSLOG=1\r\n");
		assert.equal(dev.exchange("ATE0=1\r\n"), ERROR, "no set slot: no ERR CODE");
		assert.equal(dev.exchange("ATE1=0\r\n"), ERROR);
		assert.equal(dev.exchange("ATE\r\n"), "ERR CODE:0x01090000\r\n" + ERROR);
		assert.equal(dev.exchange("ATE2\r\n"), "ERR CODE:0x01090000\r\n" + ERROR);
	});

	test("echo is back on after a restart", () => {
		const { dev } = device();
		dev.send("ATE0\r\n");
		assert.equal(dev.exchange("AT+RST\r\n"), OK + "\r\nready\r\n");
		assert.equal(dev.exchange("AT\r\n"), "AT\r\n" + OK);
	});
});

describe("§1.2 line assembly", () => {
	function quiet(hooks = {}) {
		const parts = device(hooks);
		parts.dev.send("ATE0\r\n").send("AT+SYSLOG=1\r\n").take();
		return parts;
	}

	test("a lone CR or a lone LF is data; only CR LF ends a line", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("AT\r"), "");
		assert.equal(dev.exchange("\n"), OK);
		assert.equal(dev.exchange("AT\n"), "");
		assert.equal(dev.exchange("\r\n"), "ERR CODE:0x01090000\r\n" + ERROR, "`AT\\n` is no command");
		assert.equal(dev.exchange("AT\r\r\n"), "ERR CODE:0x01090000\r\n" + ERROR);
	});

	test("an empty line or one without the AT prefix: ERR CODE 0x01030000 and ERROR", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("\r\n"), "ERR CODE:0x01030000\r\n" + ERROR);
		assert.equal(dev.exchange("GMR\r\n"), "ERR CODE:0x01030000\r\n" + ERROR);
		assert.equal(dev.exchange("A\r\n"), "ERR CODE:0x01030000\r\n" + ERROR);
		assert.equal(dev.exchange(" AT\r\n"), "ERR CODE:0x01030000\r\n" + ERROR);
	});

	test("without AT+SYSLOG=1 there is no ERR CODE line", () => {
		const { dev } = device();
		dev.send("ATE0\r\n");
		assert.equal(dev.exchange("\r\n"), ERROR);
		assert.equal(dev.exchange("AT+FAKE\r\n"), ERROR);
	});

	test("the prefix and the name are case-insensitive", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("at\r\n"), OK);
		assert.equal(dev.exchange("aT+sYsLoG?\r\n"), "+SYSLOG:1\r\n" + OK);
	});

	test("a line of 256 bytes including CR LF is a command", () => {
		const { dev, seen } = quiet();
		const line = "AT+X=" + "1,".repeat(7) + "9".repeat(256 - 2 - 5 - 14);
		assert.equal(line.length + 2, 256);
		assert.equal(dev.exchange(line + "\r\n"), OK);
		assert.deepEqual(seen, [8]);
	});

	test("a longer line is dropped and costs exactly one ERROR", () => {
		const { dev, seen } = quiet();
		const line = "AT+X=" + "9".repeat(250); // 255 bytes, then CR LF: 257
		assert.equal(dev.exchange(line + "\r\n"), "ERR CODE:0x01030000\r\n" + ERROR);
		assert.equal(dev.exchange("AT+X=" + "9".repeat(600) + "\r\n"), "ERR CODE:0x01030000\r\n" + ERROR);
		assert.deepEqual(seen, [], "no part of an over-long line reaches its command");
		assert.equal(dev.exchange("AT\r\n"), OK, "and the next line is fine");
	});

	test("the drop also happens when the over-long line arrives byte by byte", () => {
		const { dev, seen } = quiet();
		const output: string[] = [];
		for (const char of "AT+X=" + "9".repeat(251) + "\r\n") output.push(dev.exchange(char));
		assert.equal(output.join(""), "ERR CODE:0x01030000\r\n" + ERROR);
		assert.deepEqual(seen, []);
	});

	test("a dropped line is echoed as it arrives, like any byte in command mode", () => {
		const { dev } = device();
		const line = "AT+X=" + "9".repeat(300) + "\r\n";
		assert.equal(dev.exchange(line), line + ERROR);
	});

	test("the tail of a dropped line is a line of its own: 256 junk bytes then AT is a command", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("z".repeat(256) + "AT\r\n"), OK);
	});

	test("a NUL discards everything buffered up to and including it", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("AT+GMR\u0000AT\r\n"), OK);
		assert.equal(dev.exchange("garbage\u0000"), "");
		assert.equal(dev.exchange("AT\r\n"), OK);
		assert.equal(dev.exchange("AT\r\u0000\nAT\r\n"), "ERR CODE:0x01030000\r\n" + ERROR, "the LF after the NUL starts the next line");
	});

	test("name characters are letters, digits and _ ! % - . / :", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("AT+A_B!%-./:\r\n"), OK);
		assert.equal(dev.exchange("at+a_b!%-./:\r\n"), OK);
	});

	test("anything else after a name makes it unknown (0x01090000)", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("AT+GMR x\r\n"), "ERR CODE:0x01090000\r\n" + ERROR);
		assert.equal(dev.exchange("AT+GMR\t\r\n"), "ERR CODE:0x01090000\r\n" + ERROR);
		assert.equal(dev.exchange("AT+\r\n"), "ERR CODE:0x01090000\r\n" + ERROR);
		assert.equal(dev.exchange("AT&W\r\n"), "ERR CODE:0x01090000\r\n" + ERROR);
		assert.equal(dev.exchange("AT+FAKE\r\n"), "ERR CODE:0x01090000\r\n" + ERROR, "§1.6's example");
	});

	test("garbage after `?` or `=?` is a missing terminator (0x01020000)", () => {
		const { dev } = quiet();
		assert.equal(dev.exchange("AT+SYSLOG?x\r\n"), "ERR CODE:0x01020000\r\n" + ERROR);
		assert.equal(dev.exchange("AT+SYSLOG?\r\r\n"), "ERR CODE:0x01020000\r\n" + ERROR);
		assert.equal(dev.exchange("AT+SYSLOG=?1\r\n"), "ERR CODE:0x01020000\r\n" + ERROR);
	});
});

describe("§1.1 dispatch", () => {
	test("bare AT is its own command", () => {
		const { dev } = device();
		dev.send("ATE0\r\n");
		assert.equal(dev.exchange("AT\r\n"), OK);
	});

	test("a missing handler slot answers ERROR without ERR CODE; no command has a test handler", () => {
		const { dev } = device();
		dev.send("ATE0\r\n").send("AT+SYSLOG=1\r\n");
		for (const line of ["AT=?", "AT?", "AT=1", "AT+GMR=?", "AT+GMR?", "AT+GMR=1", "AT+CMD", "AT+CMD=?", "AT+SYSLOG=?", "AT+SYSLOG"])
			assert.equal(dev.exchange(line + "\r\n"), ERROR, line);
	});
});

describe("§1.2, §1.7 busy", () => {
	function busyDevice(hooks = {}) {
		const parts = device(hooks);
		parts.dev.send("ATE0\r\n").take();
		return parts;
	}

	test("input while a command runs is discarded with busy p...", () => {
		const { dev, waiting, Result } = busyDevice();
		assert.equal(dev.exchange("AT+WAIT\r\n"), "");
		assert.equal(dev.engine.busy, true);
		assert.equal(dev.exchange("AT\r\n"), BUSY);
		assert.equal(dev.exchange("x"), BUSY, "any bytes, not only lines");
		waiting[0].finish(Result.OK);
		assert.equal(dev.take(), OK);
		assert.equal(dev.exchange("AT\r\n"), OK, "the discarded line was not queued");
	});

	test("bytes received while busy are never echoed", () => {
		const { dev, waiting, Result } = device();
		assert.equal(dev.exchange("AT+WAIT\r\n"), "AT+WAIT\r\n");
		assert.equal(dev.exchange("AT\r\n"), BUSY);
		waiting[0].finish(Result.OK);
		assert.equal(dev.take(), OK);
	});

	test("with AT+SYSLOG=1 the busy answer carries ERR CODE 0x010b0000", () => {
		const { dev, waiting, Result } = busyDevice();
		dev.send("AT+SYSLOG=1\r\n").send("AT+WAIT\r\n").take();
		assert.equal(dev.exchange("AT\r\n"), "ERR CODE:0x010b0000\r\n" + BUSY);
		waiting[0].finish(Result.Error);
		assert.equal(dev.take(), ERROR);
	});

	test("commands cannot be pipelined: the rest of the burst is busy input", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT\r\nAT\r\n"), "AT\r\n" + BUSY + OK);
		dev.send("ATE0\r\n");
		assert.equal(dev.exchange("AT\r\nAT\r\nAT\r\n"), BUSY + OK, "one busy per burst");
		dev.send("AT+SYSLOG=1\r\n");
		assert.ok(dev.exchange("AT+GMR\r\nAT\r\n").startsWith("ERR CODE:0x010b0000\r\n" + BUSY + "AT version:"));
	});

	test("busy is cleared right before the final result is written", () => {
		const { dev, waiting, Result } = busyDevice();
		dev.send("AT+WAIT\r\n");
		const before = dev.writes.length;
		waiting[0].finish(Result.OK);
		assert.deepEqual(dev.writes.slice(before), [OK]);
		assert.deepEqual(dev.busyAtWrite.slice(before), [false]);
		// the next command may follow at once
		assert.equal(dev.exchange("AT\r\n"), OK);
	});

	test("a finished call cannot finish again or print", () => {
		const { dev, waiting, Result } = busyDevice();
		dev.send("AT+WAIT\r\n");
		const call = waiting[0];
		call.finish(Result.OK);
		dev.take();
		call.finish(Result.Error);
		call.info("late");
		assert.equal(call.active, false);
		assert.equal(dev.take(), "");
	});

	test("AT+RST in a discarded burst forces a restart", () => {
		const { dev, waiting, Result } = device();
		dev.send("AT+WAIT\r\n").take();
		assert.equal(dev.exchange("AT\r\nAT+RST\r\n"), "\r\nWill force to restart!!!\r\n" + OK + "\r\nready\r\n");
		assert.equal(dev.engine.busy, false);
		waiting[0].finish(Result.OK);
		assert.equal(dev.take(), "", "the abandoned command prints nothing");
		assert.equal(dev.exchange("AT\r\n"), "AT\r\n" + OK, "echo is on again");
	});

	test("AT+RST pipelined behind a command restarts before that command runs", () => {
		const { dev, waiting } = busyDevice();
		assert.equal(dev.exchange("AT+WAIT\r\nAT+RST\r\n"), "\r\nWill force to restart!!!\r\n" + OK + "\r\nready\r\n");
		assert.equal(waiting.length, 0);
	});

	test("the application's restart hook decides when `ready` comes; input meanwhile is lost", () => {
		let restarted: (() => void) | undefined;
		const { dev } = busyDevice({ restart: (done: () => void) => (restarted = done) });
		assert.equal(dev.exchange("AT+RST\r\n"), OK);
		assert.equal(dev.engine.busy, true);
		assert.equal(dev.exchange("AT\r\n"), "", "a rebooting chip answers nothing");
		dev.engine.urc("+WS_CONNECTED:0");
		assert.equal(dev.take(), "", "nor prints URCs");
		restarted!();
		assert.equal(dev.take(), "\r\nready\r\n");
		assert.equal(dev.exchange("AT\r\n"), "AT\r\n" + OK);
	});
});
