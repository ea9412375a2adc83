// Serial ports for every host tool (the host runtime's embedded:io/serial, the AT script runner,
// the tests), through npm `serialport`, with its Linux and macOS reads and writes replaced. Two
// bugs of bindings-cpp 13 hang or spin a tool there:
// - A read that returns no bytes is retried at once, forever (serialport/bindings-cpp#162). A
//   port whose far end went away returns exactly that: a USB adapter unplugged, or the other end
//   of a pty closed (Linux hangs the tty up, and reads on it return 0). The process spins at full
//   CPU, creating a read request per turn, until it runs out of memory; 'close' never comes.
//   Here no bytes is the end of the port: the read fails as a disconnection, which serialport
//   reports as 'close' with a DisconnectedError.
// - Its poller watches only the event of its latest request (poller.cpp starts uv_poll with the
//   new event alone, though it remembers both). A read that starts waiting for bytes while a
//   write waits for room stops the write from ever hearing that the port is writable: the write
//   hangs until some byte arrives, and when the far end waits for the rest of that write, none
//   does. Here each wait asks for every event someone is waiting for.
// Windows' reads and writes have neither problem and stay as they are.
import fs from "node:fs";
import { promisify } from "node:util";
import { SerialPort } from "serialport";

export type SerialPortOptions = ConstructorParameters<typeof SerialPort>[0];

type ReadResult = { bytesRead: number; buffer: Buffer };
type PortEvent = "readable" | "writable";

/** What a Linux or macOS port of bindings-cpp has beside the common interface. */
interface UnixPort {
	fd: number | null;
	readonly isOpen: boolean;
	readonly poller: {
		once(event: PortEvent, listener: (error?: Error | null) => void): unknown;
		/** Watches exactly these events (bindings-cpp's UV_READABLE 1, UV_WRITABLE 2). */
		poll(events: number): void;
	};
	read(buffer: Buffer, offset: number, length: number): Promise<ReadResult>;
	write(buffer: Buffer): Promise<void>;
	/** The write in progress, which drain() waits for. */
	writeOperation: Promise<void> | null;
}

const readFile = promisify(fs.read);
const writeFile = promisify(fs.write);
const pollFlags: Record<PortEvent, number> = { readable: 1, writable: 2 };

/** A read or write the port's own close ended: serialport expects `canceled`, and does not
 *  disconnect. */
class PortClosed extends Error {
	readonly canceled = true;
	constructor() {
		super("Port is not open");
	}
}

function isUnixPort(port: object): port is UnixPort {
	return "fd" in port && "poller" in port && "writeOperation" in port;
}

function wouldBlock(error: unknown): boolean {
	const code = (error as NodeJS.ErrnoException).code;
	return code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR";
}

/** The events each port's reads and writes are waiting for. */
const waiting = new WeakMap<UnixPort, Record<PortEvent, number>>();

/** Resolves once the port is readable or writable; the poller is asked for that and for
 *  whatever else is awaited, so that one wait never silences another. */
function whenReady(port: UnixPort, event: PortEvent): Promise<void> {
	let counts = waiting.get(port);
	if (!counts) waiting.set(port, (counts = { readable: 0, writable: 0 }));
	const awaited = counts;
	awaited[event]++;
	return new Promise((resolve, reject) => {
		port.poller.once(event, (error) => {
			awaited[event]--;
			if (error) reject(error);
			else resolve();
		});
		port.poller.poll((awaited.readable ? pollFlags.readable : 0) | (awaited.writable ? pollFlags.writable : 0));
	});
}

/** bindings-cpp's unixRead, where no bytes is the end of the port rather than a reason to retry. */
async function readSome(port: UnixPort, buffer: Buffer, offset: number, length: number): Promise<ReadResult> {
	for (;;) {
		if (!port.isOpen || port.fd === null) throw new PortClosed();
		let bytesRead: number;
		try {
			({ bytesRead } = await readFile(port.fd, buffer, offset, length, null));
		} catch (error) {
			if (!wouldBlock(error)) throw error;
			if (!port.isOpen) throw new PortClosed();
			await whenReady(port, "readable");
			continue;
		}
		if (bytesRead === 0) throw new Error("the port went away (a read returned no bytes)");
		return { bytesRead, buffer };
	}
}

/** bindings-cpp's unixWrite, waiting for room through whenReady. */
async function writeAll(port: UnixPort, buffer: Buffer): Promise<void> {
	let offset = 0;
	while (offset < buffer.length) {
		if (!port.isOpen || port.fd === null) throw new PortClosed();
		try {
			offset += (await writeFile(port.fd, buffer, offset, buffer.length - offset)).bytesWritten;
		} catch (error) {
			if (!wouldBlock(error)) throw error;
			if (!port.isOpen) throw new PortClosed();
			await whenReady(port, "writable");
		}
	}
}

const detected = SerialPort.binding;

/** The platform's binding, its Linux and macOS ports reading and writing as above. */
const binding = {
	list: () => detected.list(),
	async open(options: Parameters<typeof detected.open>[0]) {
		const port = await detected.open(options as never);
		if (isUnixPort(port)) {
			port.read = (buffer, offset, length) => readSome(port, buffer, offset, length);
			port.write = (buffer) => {
				const operation = writeAll(port, buffer).then(() => {
					if (port.writeOperation === operation) port.writeOperation = null;
				});
				port.writeOperation = operation;
				return operation;
			};
		}
		return port;
	},
};

/** A serialport SerialPort (same options, same events) on the binding above. */
export function serialPort(options: SerialPortOptions): SerialPort {
	// The typings leave `binding` out, but the constructor spreads the options over its default.
	return new SerialPort({ ...options, binding } as unknown as SerialPortOptions);
}
