// AT bridge throughput: payload bytes per second through AT+WSSEND to a Node echo server and back
// as +WS_DATA, as a fraction of the UART's line rate (10 bits per byte: start, 8 data, stop).
// Prints figures; asserts nothing.
//   npm run bench:at                                  sim target, 115200 baud, 1024 and 4096 bytes
//   npm run bench:at -- --baud 921600 --sizes 256,16384 --seconds 5
// On a pseudo-terminal (sim, lin) the baud rate is nominal: a pty moves bytes as fast as the
// processes do, so the fraction is computed against the configured rate and may exceed 1. On a
// board (TARGET=device) the UART really runs at that rate.
import { startEchoServer } from "../servers/echo-server.ts";
import { openPort } from "../at/port.ts";
import { AtSession } from "../at/session.ts";
import { startTarget } from "../harness/target.ts";

function option(name: string, fallback: string): string {
	const index = process.argv.indexOf(`--${name}`);
	return index >= 0 ? process.argv[index + 1] : fallback;
}

const baud = Number(option("baud", "115200"));
const seconds = Number(option("seconds", "3"));
const sizes = option("sizes", "1024,4096").split(",").map(Number);

const server = await startEchoServer();
const target = await startTarget({ serial: true, config: { atBaud: baud } });
let at: AtSession | undefined;
try {
	at = new AtSession(await openPort(target.serialPath!, baud), { timeout: 30_000 });
	await at.send("ATE0\r\n");
	await at.drain(300);
	await at.send(`AT+WSCFG=0,60,120,16384\r\n`);
	await at.expect("\r\nOK\r\n");
	await at.send(`AT+WSOPEN=0,"ws://127.0.0.1:${server.port}/"\r\n`);
	await at.expect("+WS_CONNECTED:0\r\n\r\nOK\r\n");
	const lineRate = baud / 10; // bytes per second on the wire
	console.log(`target ${target.kind}, ${baud} baud (line rate ${lineRate} B/s${target.kind === "device" ? "" : ", nominal on a pty"})`);
	// The UART is full duplex: the payload goes in as it comes out; the device-to-host direction,
	// with the +WS_DATA headers, is the busier one and is what "UART bytes" counts.
	console.log("size  messages  payload B/s  UART bytes B/s  payload/line rate");
	for (const size of sizes) {
		const payload = Buffer.alloc(size, 0x61);
		let messages = 0;
		let uartBytes = 0;
		const start = process.hrtime.bigint();
		const limit = start + BigInt(seconds * 1e9);
		while (process.hrtime.bigint() < limit) {
			const command = `AT+WSSEND=0,${size},2\r\n`;
			await at.send(command);
			await at.prompt();
			await at.send(payload);
			await at.expect("\r\nSEND OK\r\n");
			let received = 0;
			while (received < size) {
				const [header, length] = await at.read(/\+WS_DATA:0,(\d+),/);
				await at.readBytes(Number(length));
				await at.expect("\r\n");
				received += Number(length);
				uartBytes += header.length + Number(length) + 2;
			}
			messages++;
		}
		const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
		const rate = (messages * size) / elapsed;
		console.log(
			`${String(size).padStart(5)} ${String(messages).padStart(9)} ${rate.toFixed(0).padStart(12)} ${(uartBytes / elapsed).toFixed(0).padStart(15)} ${(rate / lineRate).toFixed(3).padStart(18)}`,
		);
	}
	await at.send("AT+WSCLOSE=0\r\n");
	await at.expect("\r\nOK\r\n");
} finally {
	at?.close();
	await target.stop();
	await server.close();
}
