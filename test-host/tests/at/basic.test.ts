// ESP-AT spec §2.1: the basic commands, byte for byte.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Device, factoryUart, fakeNetwork, loadAt, version, type AtModules } from "./device.ts";
import type { FirmwareRealm } from "../../runtime/realm.ts";

let realm: FirmwareRealm;
let at: AtModules;
before(async () => ({ realm, at } = await loadAt()));
after(() => realm.stop());

const OK = "\r\nOK\r\n";
const ERROR = "\r\nERROR\r\n";
const READY = "\r\nready\r\n";

/** The WebSocket entries §2.1 requires AT+CMD? to list, with their slots (t, q, s, e). */
const wsEntries: Array<[string, string]> = [
	["+WSCFG", "0010"],
	["+WSOPEN", "0110"],
	["+WSHEAD", "0110"],
	["+WSSEND", "0010"],
	["+WSDATAFMT", "0010"],
	["+WSCLOSE", "0010"],
];

function device(options: { saved?: object; hooks?: object } = {}) {
	const { Result } = at.results;
	const uart = {
		applied: [] as Array<{ config: object; lastWrite: string | undefined }>,
		saves: [] as object[],
	};
	const resets = { reset: 0, restore: 0 };
	let dev: Device;
	const handler = () => Result.OK;
	const wsTable = {
		commands: wsEntries.map(([name, slots]) => {
			const command: Record<string, unknown> = { name };
			["test", "query", "set", "execute"].forEach((slot, index) => slots[index] === "1" && (command[slot] = handler));
			return command;
		}),
		reset: () => resets.reset++,
		restore: () => resets.restore++,
	};
	dev = new Device(
		at,
		() => [
			at.basic.basicCommands({
				version,
				uart: {
					factory: factoryUart,
					saved: options.saved,
					// what the port last printed when it is reconfigured
					apply: (config: object) => uart.applied.push({ config: { ...config }, lastWrite: dev.writes.at(-1) }),
					save: (config: object) => uart.saves.push({ ...config }),
				},
			}),
			at.wifi.wifiCommands(fakeNetwork()),
			at.sntp.sntpCommands({ clock: () => 0 }),
			at.sysmfg.sysmfgCommands({ store: { namespaces: () => [] } }),
			wsTable,
		],
		options.hooks,
	);
	dev.send("ATE0\r\n").take();
	return { dev, uart, resets };
}

describe("§2.1 AT, AT+GMR, AT+CMD?", () => {
	test("AT answers OK", () => {
		assert.equal(device().dev.exchange("AT\r\n"), OK);
	});

	test("AT+GMR prints its four lines, then OK", () => {
		assert.equal(
			device().dev.exchange("AT+GMR\r\n"),
			"AT version:4.2.0.0-dev(32ff6e1 - ESP32C3 - Jul 24 2026 09:54:05)\r\n" +
				"SDK version:v5.4.1-dirty\r\n" +
				"compile time(0123abc):Jul 24 2026 09:54:05\r\n" +
				"Bin version:v4.2.0.0-dev(MINI-1)\r\n" +
				OK,
		);
	});

	test("AT+CMD? lists every command in registration order with its handler flags", () => {
		const output = device().dev.exchange("AT+CMD?\r\n");
		assert.ok(output.endsWith("\r\n" + OK));
		const lines = output.slice(0, -OK.length).split("\r\n").slice(0, -1);
		assert.deepEqual(lines.slice(0, 6), [
			'+CMD:0,"AT",0,0,0,1',
			'+CMD:1,"ATE0",0,0,0,1',
			'+CMD:2,"ATE1",0,0,0,1',
			'+CMD:3,"AT+RST",0,0,1,1',
			'+CMD:4,"AT+GMR",0,0,0,1',
			'+CMD:5,"AT+CMD",0,1,0,0',
		]);
		const ws = lines.slice(-6);
		const first = lines.length - 6;
		assert.deepEqual(ws, [
			`+CMD:${first},"AT+WSCFG",0,0,1,0`,
			`+CMD:${first + 1},"AT+WSOPEN",0,1,1,0`,
			`+CMD:${first + 2},"AT+WSHEAD",0,1,1,0`,
			`+CMD:${first + 3},"AT+WSSEND",0,0,1,0`,
			`+CMD:${first + 4},"AT+WSDATAFMT",0,0,1,0`,
			`+CMD:${first + 5},"AT+WSCLOSE",0,0,1,0`,
		]);
		lines.forEach((line, index) => assert.match(line, new RegExp(`^\\+CMD:${index},"AT[^"]*",[01],[01],[01],[01]$`)));
		// No command has a test handler (§1.1), and each listed command answers as its flags say.
		assert.ok(lines.every((line) => /,0,[01],[01],[01]$/.test(line)));
		const names = lines.map((line) => line.split('"')[1]);
		for (const name of ["AT+SYSLOG", "AT+SYSMSG", "AT+UART_CUR", "AT+UART_DEF", "AT+RESTORE", "AT+SLEEP", "AT+CWMODE", "AT+CWJAP", "AT+CWQAP", "AT+CIPSTA", "AT+CIFSR", "AT+CIPSNTPCFG", "AT+CIPSNTPTIME", "AT+SYSMFG"])
			assert.ok(names.includes(name), name);
		assert.equal(new Set(names).size, names.length);
	});
});

describe("§2.1 AT+SYSLOG and AT+SYSMSG", () => {
	test("AT+SYSLOG: default 0, exactly one parameter 0..1", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT+SYSLOG?\r\n"), "+SYSLOG:0\r\n" + OK);
		for (const bad of ["2", "-1", "", "1,0", "0,"]) assert.equal(dev.exchange(`AT+SYSLOG=${bad}\r\n`), ERROR, bad);
		assert.equal(dev.exchange("AT+SYSLOG=1\r\n"), OK);
		assert.equal(dev.exchange("AT+SYSLOG?\r\n"), "+SYSLOG:1\r\n" + OK);
		assert.equal(dev.exchange("AT+SYSLOG=2\r\n"), ERROR, "a range error prints no ERR CODE");
		assert.equal(dev.exchange('AT+SYSLOG="1"\r\n'), "ERR CODE:0x01080000\r\n" + ERROR);
		assert.equal(dev.exchange("AT+SYSLOG=0\r\n"), OK);
		assert.equal(dev.exchange("AT+FAKE\r\n"), ERROR);
	});

	test("AT+SYSMSG? has no blank line before OK; 0..7 are stored and echoed back", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT+SYSMSG?\r\n"), "+SYSMSG:0\r\nOK\r\n");
		assert.equal(dev.exchange("AT+SYSMSG=7\r\n"), OK);
		assert.equal(dev.exchange("AT+SYSMSG?\r\n"), "+SYSMSG:7\r\nOK\r\n");
		for (const bad of ["8", "-1", "", "1,1"]) assert.equal(dev.exchange(`AT+SYSMSG=${bad}\r\n`), ERROR, bad);
	});

	test("a restart puts SYSLOG and SYSMSG back to 0", () => {
		const { dev } = device();
		dev.send("AT+SYSLOG=1\r\n").send("AT+SYSMSG=3\r\n");
		assert.equal(dev.exchange("AT+RST\r\n"), OK + READY);
		dev.send("ATE0\r\n").take();
		assert.equal(dev.exchange("AT+SYSLOG?\r\n"), "+SYSLOG:0\r\n" + OK);
		assert.equal(dev.exchange("AT+SYSMSG?\r\n"), "+SYSMSG:0\r\nOK\r\n");
	});
});

describe("§2.1 AT+UART_CUR and AT+UART_DEF", () => {
	test("queries print baud, data bits, stop bits, parity, flow control", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT+UART_CUR?\r\n"), "+UART_CUR:115200,8,1,0,0\r\n" + OK);
		assert.equal(dev.exchange("AT+UART_DEF?\r\n"), "+UART_DEF:115200,8,1,0,0\r\n" + OK);
	});

	test("AT+UART_CUR=: OK at the old settings, then the port is reconfigured", () => {
		const { dev, uart } = device();
		dev.send("AT+UART_CUR=921600,8,3,2,3\r\n");
		assert.deepEqual(uart.applied, [{ config: { baud: 921600, dataBits: 8, stopBits: 3, parity: 2, flowControl: 3 }, lastWrite: OK }]);
		assert.equal(dev.exchange("AT+UART_CUR?\r\n"), "+UART_CUR:921600,8,3,2,3\r\n" + OK);
		assert.equal(dev.exchange("AT+UART_DEF?\r\n"), "+UART_DEF:115200,8,1,0,0\r\n" + OK);
		assert.deepEqual(uart.saves, []);
	});

	test("AT+UART_DEF= also saves, and a restart keeps it", () => {
		const { dev, uart } = device();
		dev.send("AT+UART_DEF=9600,7,2,1,1\r\n");
		const config = { baud: 9600, dataBits: 7, stopBits: 2, parity: 1, flowControl: 1 };
		assert.deepEqual(uart.saves, [config]);
		assert.deepEqual(uart.applied, [{ config, lastWrite: OK }]);
		assert.equal(dev.exchange("AT+UART_DEF?\r\n"), "+UART_DEF:9600,7,2,1,1\r\n" + OK);
		assert.equal(dev.exchange("AT+UART_CUR?\r\n"), "+UART_CUR:9600,7,2,1,1\r\n" + OK);
		dev.send("AT+RST\r\n").send("ATE0\r\n").take();
		assert.equal(dev.exchange("AT+UART_CUR?\r\n"), "+UART_CUR:9600,7,2,1,1\r\n" + OK);
		assert.equal(uart.applied.length, 1, "nothing to reconfigure");
	});

	test("a restart brings AT+UART_CUR back to the saved settings", () => {
		const { dev, uart } = device({ saved: { baud: 230400, dataBits: 8, stopBits: 1, parity: 0, flowControl: 0 } });
		assert.equal(dev.exchange("AT+UART_CUR?\r\n"), "+UART_CUR:230400,8,1,0,0\r\n" + OK);
		dev.send("AT+UART_CUR=9600,8,1,0,0\r\n");
		dev.send("AT+RST\r\n");
		assert.deepEqual(uart.applied.at(-1)!.config, { baud: 230400, dataBits: 8, stopBits: 1, parity: 0, flowControl: 0 });
	});

	test("all five parameters are required and range-checked", () => {
		const { dev, uart } = device();
		for (const bad of ["115200,8,1,0", "115200,8,1,0,0,0", ",8,1,0,0", "115200,4,1,0,0", "115200,9,1,0,0", "115200,8,0,0,0", "115200,8,4,0,0", "115200,8,1,3,0", "115200,8,1,-1,0", "115200,8,1,0,4", "79,8,1,0,0", "5000001,8,1,0,0"]) {
			assert.equal(dev.exchange(`AT+UART_CUR=${bad}\r\n`), ERROR, bad);
			assert.equal(dev.exchange(`AT+UART_DEF=${bad}\r\n`), ERROR, bad);
		}
		assert.deepEqual(uart.applied, []);
		dev.send("AT+SYSLOG=1\r\n").take();
		assert.equal(dev.exchange("AT+UART_CUR=115200,8,x,0,0\r\n"), "ERR CODE:0x01080002\r\n" + ERROR);
	});
});

describe("§2.1 AT+RST, AT+RESTORE, AT+SLEEP", () => {
	test("AT+RST: OK, the restart, then ready; every table is reset", () => {
		const { dev, resets } = device();
		assert.equal(dev.exchange("AT+RST\r\n"), OK + READY);
		assert.deepEqual(resets, { reset: 1, restore: 0 });
		assert.equal(dev.exchange("AT\r\n"), "AT\r\n" + OK, "echo is on again");
	});

	test("AT+RST=0 restarts like AT+RST; other modes and the query are errors", () => {
		const { dev, resets } = device();
		assert.equal(dev.exchange("AT+RST=1\r\n"), ERROR);
		assert.equal(dev.exchange("AT+RST=\r\n"), ERROR);
		assert.equal(dev.exchange("AT+RST?\r\n"), ERROR);
		assert.equal(dev.exchange("AT+RST=0\r\n"), OK + READY);
		assert.equal(resets.reset, 1);
	});

	test("AT+RST waits for the application's restart before ready", () => {
		const steps: string[] = [];
		let done: () => void = () => {};
		const { dev } = device({ hooks: { restart: (finish: () => void) => ((done = finish), steps.push("restart")) } });
		assert.equal(dev.exchange("AT+RST\r\n"), OK);
		assert.deepEqual(steps, ["restart"]);
		done();
		assert.equal(dev.take(), READY);
	});

	test("AT+RESTORE: OK, factory settings, restart, ready", () => {
		const restores: number[] = [];
		const { dev, uart, resets } = device({
			saved: { baud: 9600, dataBits: 8, stopBits: 1, parity: 0, flowControl: 0 },
			hooks: { restore: () => restores.push(1) },
		});
		assert.equal(dev.exchange("AT+RESTORE\r\n"), OK + READY);
		assert.equal(uart.applied[0].lastWrite, OK, "the port is back at factory settings before ready");
		assert.deepEqual(resets, { reset: 1, restore: 1 });
		assert.deepEqual(restores, [1]);
		assert.deepEqual(uart.saves, [factoryUart]);
		assert.deepEqual(uart.applied.map((a) => a.config), [factoryUart]);
		dev.send("ATE0\r\n").take();
		assert.equal(dev.exchange("AT+UART_DEF?\r\n"), "+UART_DEF:115200,8,1,0,0\r\n" + OK);
	});

	test("AT+SLEEP reports 0 and accepts only 0", () => {
		const { dev } = device();
		assert.equal(dev.exchange("AT+SLEEP?\r\n"), "+SLEEP:0\r\n" + OK);
		assert.equal(dev.exchange("AT+SLEEP=0\r\n"), OK);
		assert.equal(dev.exchange("AT+SLEEP=1\r\n"), ERROR);
		assert.equal(dev.exchange("AT+SLEEP\r\n"), ERROR);
	});
});
