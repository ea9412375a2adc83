// ESP-AT spec §2.2 (Wi-Fi) and §2.3 (SNTP), answered from the network state and clock the
// application injects; byte for byte.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Device, fakeNetwork, loadAt, plain, table, type AtModules } from "./device.ts";
import type { FirmwareRealm } from "../../runtime/realm.ts";

let realm: FirmwareRealm;
let at: AtModules;
before(async () => ({ realm, at } = await loadAt()));
after(() => realm.stop());

const OK = "\r\nOK\r\n";
const ERROR = "\r\nERROR\r\n";
const BUSY = "\r\nbusy p...\r\n";

function device(options: { clock?: () => number; initial?: object } = {}) {
	const { Result } = at.results;
	const network = fakeNetwork();
	const configured: any[] = [];
	const dev = new Device(at, () => [
		table(
			{ name: "", execute: () => Result.OK },
			{ name: "E0", execute: (call: any) => ((call.engine.echo = false), Result.OK) },
			{ name: "+RST", execute: (call: any) => (call.finish(Result.OK), call.engine.restart(), Result.Pending) },
		),
		at.wifi.wifiCommands(network),
		at.sntp.sntpCommands({ clock: options.clock ?? (() => 5000), initial: options.initial, configure: (config: object) => configured.push(config) }),
	]);
	dev.send("ATE0\r\n").take();
	return { dev, network, configured };
}

describe("§2.2 AT+CWMODE", () => {
	test("the query reports the mode; the set form takes mode 0..3 and auto_connect 0/1", () => {
		const { dev, network } = device();
		assert.equal(dev.exchange("AT+CWMODE?\r\n"), "+CWMODE:1\r\n" + OK);
		assert.equal(dev.exchange("AT+CWMODE=3\r\n"), OK);
		assert.deepEqual([network.mode, network.autoConnect], [3, true]);
		assert.equal(dev.exchange("AT+CWMODE=2,0\r\n"), OK);
		assert.deepEqual([network.mode, network.autoConnect], [2, false]);
		assert.equal(dev.exchange("AT+CWMODE?\r\n"), "+CWMODE:2\r\n" + OK);
		for (const bad of ["4", "-1", "", "1,2", "1,1,1", "1,"]) assert.equal(dev.exchange(`AT+CWMODE=${bad}\r\n`), ERROR, bad);
		assert.equal(dev.exchange("AT+CWMODE=?\r\n"), ERROR);
		assert.equal(network.mode, 2);
	});
});

describe("§2.2 AT+CWJAP, AT+CWQAP", () => {
	test("a join prints the Wi-Fi URCs, then OK; the device is busy meanwhile", () => {
		const { dev, network } = device();
		assert.equal(dev.exchange('AT+CWJAP="lab","secret"\r\n'), "");
		assert.deepEqual(plain(network.joins), [
			{ ssid: "lab", password: "secret", bssid: undefined, pciEnabled: 0, reconnectInterval: 1, listenInterval: 3, scanMode: 0, timeout: 15, pmf: 1 },
		]);
		assert.equal(dev.exchange("AT\r\n"), BUSY);
		// The application prints the Wi-Fi events as they happen, then reports the outcome.
		dev.engine.urc(at.wifi.WifiURC.Connected);
		dev.engine.urc(at.wifi.WifiURC.GotIP);
		network.pending!();
		assert.equal(dev.take(), "WIFI CONNECTED\r\nWIFI GOT IP\r\n" + OK);
	});

	test("a failed join prints +CWJAP:<code> and ERROR", () => {
		const { dev, network } = device();
		for (const code of [1, 2, 3, 4]) {
			dev.send('AT+CWJAP="lab","wrong"\r\n');
			network.pending!(code);
			assert.equal(dev.take(), `+CWJAP:${code}\r\n` + ERROR);
		}
		assert.equal(at.wifi.JoinFailure.WrongPassword, 2);
	});

	test("every optional parameter is passed on, range-checked", () => {
		const { dev, network } = device();
		dev.send('AT+CWJAP="my\\,net","p\\"w","aa:bb:cc:dd:ee:ff",1,7200,100,1,600,3\r\n');
		assert.deepEqual(plain(network.joins[0]), {
			ssid: "my,net", password: 'p"w', bssid: "aa:bb:cc:dd:ee:ff", pciEnabled: 1, reconnectInterval: 7200, listenInterval: 100, scanMode: 1, timeout: 600, pmf: 3,
		});
		network.pending!();
		dev.take();
		for (const bad of [',"pw"', '"lab","pw","aa:bb"', '"lab","pw",,2', '"lab","pw",,,7201', '"lab","pw",,,,0', '"lab","pw",,,,101', '"lab","pw",,,,,2', '"lab","pw",,,,,,2', '"lab","pw",,,,,,601', '"lab","pw",,,,,,,4', '"lab","pw",,,,,,,,1'])
			assert.equal(dev.exchange(`AT+CWJAP=${bad}\r\n`), ERROR, bad);
		assert.equal(network.joins.length, 1);
	});

	test("joining needs station mode", () => {
		const { dev, network } = device();
		network.mode = 2;
		assert.equal(dev.exchange('AT+CWJAP="lab","pw"\r\n'), ERROR);
		assert.equal(dev.exchange("AT+CWJAP\r\n"), ERROR);
		assert.equal(network.joins.length, 0);
	});

	test("AT+CWJAP alone rejoins with the stored configuration", () => {
		const { dev, network } = device();
		dev.send("AT+CWJAP\r\n");
		assert.deepEqual(network.joins, [undefined]);
		network.pending!(3);
		assert.equal(dev.take(), "+CWJAP:3\r\n" + ERROR);
	});

	test("AT+CWJAP? reports the access point and the join options; just OK when not connected", () => {
		const { dev, network } = device();
		assert.equal(dev.exchange("AT+CWJAP?\r\n"), '+CWJAP:"lab","aa:bb:cc:00:11:22",6,-52,0,1,3,0,1\r\n' + OK);
		dev.send('AT+CWJAP="lab","pw",,1,5,10,1,20,0\r\n');
		network.pending!();
		dev.take();
		assert.equal(dev.exchange("AT+CWJAP?\r\n"), '+CWJAP:"lab","aa:bb:cc:00:11:22",6,-52,1,5,10,1,0\r\n' + OK);
		network.ap = undefined;
		assert.equal(dev.exchange("AT+CWJAP?\r\n"), OK);
	});

	test("AT+CWQAP leaves the access point and answers OK", () => {
		const { dev, network } = device();
		assert.equal(dev.exchange("AT+CWQAP\r\n"), OK);
		assert.equal(network.leaves, 1);
	});
});

describe("§2.2 AT+CIPSTA?, AT+CIFSR", () => {
	test("AT+CIPSTA? prints ip, gateway and netmask", () => {
		assert.equal(
			device().dev.exchange("AT+CIPSTA?\r\n"),
			'+CIPSTA:ip:"192.168.4.20"\r\n+CIPSTA:gateway:"192.168.4.1"\r\n+CIPSTA:netmask:"255.255.255.0"\r\n' + OK,
		);
	});

	test("AT+CIFSR prints the softAP's lines first, then the station's, MACs in lower case", () => {
		const { dev, network } = device();
		assert.equal(dev.exchange("AT+CIFSR\r\n"), '+CIFSR:STAIP,"192.168.4.20"\r\n+CIFSR:STAMAC,"24:0a:c4:12:34:56"\r\n' + OK);
		network.mode = 3;
		assert.equal(
			dev.exchange("AT+CIFSR\r\n"),
			'+CIFSR:APIP,"192.168.5.1"\r\n+CIFSR:APMAC,"26:0a:c4:12:34:57"\r\n+CIFSR:STAIP,"192.168.4.20"\r\n+CIFSR:STAMAC,"24:0a:c4:12:34:56"\r\n' + OK,
		);
		network.mode = 2;
		assert.equal(dev.exchange("AT+CIFSR\r\n"), '+CIFSR:APIP,"192.168.5.1"\r\n+CIFSR:APMAC,"26:0a:c4:12:34:57"\r\n' + OK);
	});
});

describe("§2.3 SNTP", () => {
	test("AT+CIPSNTPCFG? when disabled: enable flag and timezone only", () => {
		assert.equal(device().dev.exchange("AT+CIPSNTPCFG?\r\n"), "+CIPSNTPCFG:0,0\r\n" + OK);
	});

	test("enabling without servers uses the three default servers", () => {
		const { dev, configured } = device();
		assert.equal(dev.exchange("AT+CIPSNTPCFG=1,8\r\n"), OK);
		assert.equal(dev.exchange("AT+CIPSNTPCFG?\r\n"), '+CIPSNTPCFG:1,8,"cn.ntp.org.cn","ntp.sjtu.edu.cn","us.pool.ntp.org"\r\n' + OK);
		assert.deepEqual(plain(configured), [{ enabled: true, timezone: 8, servers: ["cn.ntp.org.cn", "ntp.sjtu.edu.cn", "us.pool.ntp.org"] }]);
	});

	test("named servers, ±hhmm timezones, disabling", () => {
		const { dev } = device();
		assert.equal(dev.exchange('AT+CIPSNTPCFG=1,530,"pool.ntp.org"\r\n'), OK);
		assert.equal(dev.exchange("AT+CIPSNTPCFG?\r\n"), '+CIPSNTPCFG:1,530,"pool.ntp.org"\r\n' + OK);
		assert.equal(dev.exchange('AT+CIPSNTPCFG=1,-1200,"a","b","c"\r\n'), OK);
		assert.equal(dev.exchange("AT+CIPSNTPCFG?\r\n"), '+CIPSNTPCFG:1,-1200,"a","b","c"\r\n' + OK);
		assert.equal(dev.exchange("AT+CIPSNTPCFG=0,-5\r\n"), OK);
		assert.equal(dev.exchange("AT+CIPSNTPCFG?\r\n"), "+CIPSNTPCFG:0,-5\r\n" + OK);
	});

	test("bad parameters answer ERROR", () => {
		const { dev, configured } = device();
		for (const bad of ["2", "", "-1", "1,1500", "1,-1300", "1,1460", "1,1401", '1,8,"a","b","c","d"', "1,8,5"])
			assert.equal(dev.exchange(`AT+CIPSNTPCFG=${bad}\r\n`), ERROR, bad);
		assert.deepEqual(configured, []);
	});

	test("AT+CIPSNTPTIME? prints asctime without its newline and no blank line before OK", () => {
		assert.equal(device().dev.exchange("AT+CIPSNTPTIME?\r\n"), "+CIPSNTPTIME:Thu Jan  1 00:00:05 1970\r\nOK\r\n");
	});

	test("the time is the clock's, in the configured timezone", () => {
		const { dev } = device({ clock: () => Date.UTC(2021, 9, 18, 12, 12, 27) });
		dev.send("AT+CIPSNTPCFG=1,8\r\n").take();
		assert.equal(dev.exchange("AT+CIPSNTPTIME?\r\n"), "+CIPSNTPTIME:Mon Oct 18 20:12:27 2021\r\nOK\r\n");
		dev.send("AT+CIPSNTPCFG=1,-330\r\n").take();
		assert.equal(dev.exchange("AT+CIPSNTPTIME?\r\n"), "+CIPSNTPTIME:Mon Oct 18 08:42:27 2021\r\nOK\r\n");
		dev.send("AT+CIPSNTPCFG=1,545\r\n").take();
		assert.equal(dev.exchange("AT+CIPSNTPTIME?\r\n"), "+CIPSNTPTIME:Mon Oct 18 17:57:27 2021\r\nOK\r\n");
	});

	test("a restart brings back the boot configuration", () => {
		const { dev } = device({ initial: { enabled: true, timezone: 1, servers: ["boot.example"] } });
		dev.send("AT+CIPSNTPCFG=0,3\r\n").send("AT+RST\r\n").send("ATE0\r\n").take();
		assert.equal(dev.exchange("AT+CIPSNTPCFG?\r\n"), '+CIPSNTPCFG:1,1,"boot.example"\r\n' + OK);
	});

	test("asctime pads single-digit days with a space", () => {
		assert.equal(at.sntp.asctime(Date.UTC(2024, 1, 29, 23, 59, 59)), "Thu Feb 29 23:59:59 2024");
		assert.equal(at.sntp.asctime(Date.UTC(2026, 6, 4, 1, 2, 3)), "Sat Jul  4 01:02:03 2026");
	});
});
