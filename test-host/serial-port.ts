// Serial ports for every host tool (the host runtime's embedded:io/serial, the AT script runner,
// the tests), through npm `serialport`, with one of its reads replaced.
//
// On Linux and macOS, serialport's read (bindings-cpp unixRead) retries a read that returns no
// bytes at once, and again, forever (serialport/bindings-cpp#162). A port whose far end went away
// returns exactly that: a USB adapter unplugged, or the other end of a pty closed (Linux hangs
// the tty up, and reads on it return 0). The process then spins at full CPU, creating a read
// request per turn, until it runs out of memory; the port's 'close' never comes. Here a read
// that returns nothing is the end of the port: it fails as a disconnection, which serialport
// reports as 'close' with a DisconnectedError. Windows' reads never do this and stay as they are.
import fs from "node:fs";
import { promisify } from "node:util";
import { SerialPort } from "serialport";

export type SerialPortOptions = ConstructorParameters<typeof SerialPort>[0];

type ReadResult = { bytesRead: number; buffer: Buffer };

/** What a Linux or macOS port of bindings-cpp has beside the common interface. */
interface UnixPort {
	fd: number | null;
	readonly isOpen: boolean;
	readonly poller: { once(event: "readable", listener: (error?: Error | null) => void): unknown };
	read(buffer: Buffer, offset: number, length: number): Promise<ReadResult>;
}

const readFile = promisify(fs.read);

/** A read the port's own close ended: serialport expects `canceled`, and does not disconnect. */
class PortClosed extends Error {
	readonly canceled = true;
	constructor() {
		super("Port is not open");
	}
}

function isUnixPort(port: object): port is UnixPort {
	return "fd" in port && "poller" in port;
}

function readable(port: UnixPort): Promise<void> {
	return new Promise((resolve, reject) => port.poller.once("readable", (error) => (error ? reject(error) : resolve())));
}

/** bindings-cpp's unixRead, where no bytes is the end of the port rather than a reason to retry. */
async function readUntilBytes(port: UnixPort, buffer: Buffer, offset: number, length: number): Promise<ReadResult> {
	for (;;) {
		if (!port.isOpen || port.fd === null) throw new PortClosed();
		let bytesRead: number;
		try {
			({ bytesRead } = await readFile(port.fd, buffer, offset, length, null));
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code !== "EAGAIN" && code !== "EWOULDBLOCK" && code !== "EINTR") throw error;
			if (!port.isOpen) throw new PortClosed();
			await readable(port);
			continue;
		}
		if (bytesRead === 0) throw new Error("the port went away (a read returned no bytes)");
		return { bytesRead, buffer };
	}
}

const detected = SerialPort.binding;

/** The platform's binding, its Linux and macOS ports reading with readUntilBytes. */
const binding = {
	list: () => detected.list(),
	async open(options: Parameters<typeof detected.open>[0]) {
		const port = await detected.open(options as never);
		if (process.env.NOFIX === undefined && isUnixPort(port)) port.read = (buffer, offset, length) => readUntilBytes(port, buffer, offset, length);
		return port;
	},
};

/** A serialport SerialPort (same options, same events) that reports a port gone away as 'close'. */
export function serialPort(options: SerialPortOptions): SerialPort {
	// The typings leave `binding` out, but the constructor spreads the options over its default.
	return new SerialPort({ ...options, binding } as unknown as SerialPortOptions);
}
