// A serial port or pseudo-terminal as AT host software opens it: a baud rate, 8N1, no flow
// control, bytes in and out. Through the npm `serialport` package, which sets the line natively
// on Linux, macOS and Windows (a pty takes any rate and ignores it).
import { SerialPort } from "serialport";
import { serialPort } from "../serial-port.ts";

export interface AtPort {
	write(bytes: Uint8Array): Promise<void>;
	/** Called with every chunk of bytes that arrives. */
	onData(listener: (bytes: Buffer) => void): void;
	/** Resolves once the port is closed: its lock is released only then, so whoever opens the
	 *  same port next (another script) waits for this, or finds it locked. */
	close(): Promise<void>;
}

/** A port that could not be opened, with the system's reason. */
export class PortError extends Error {
	override name = "PortError";
}

/** Opens the port; rejects with the system's reason when it cannot (no such port, in use...). */
export async function openPort(path: string, baud = 115200): Promise<AtPort> {
	const port = serialPort({ path, baudRate: baud, dataBits: 8, parity: "none", stopBits: 1, rtscts: false, autoOpen: false });
	// serialport's reasons read "Error: No such file or directory, cannot open PATH".
	await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(new PortError(error.message.replace(/^Error: /, ""))) : resolve())));
	const listeners: Array<(bytes: Buffer) => void> = [];
	port.on("data", (chunk: Buffer) => {
		for (const listener of listeners) listener(chunk);
	});
	// A port that goes away (a board unplugged, socat ended) shows up as missing replies, which
	// the session reports with what did come.
	port.on("error", () => {});
	return {
		write(bytes) {
			return new Promise((resolve, reject) => {
				port.write(Buffer.from(bytes), (error) => (error ? reject(error) : resolve()));
			});
		},
		onData(listener) {
			listeners.push(listener);
		},
		close() {
			return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
		},
	};
}

export interface PortDescription {
	path: string;
	/** USB vendor and product ids (hex, as the system reports them), for USB adapters. */
	vendorId?: string;
	productId?: string;
	manufacturer?: string;
	serialNumber?: string;
}

/** The serial ports the system reports, USB adapters (where a board usually is) first. */
export async function listPorts(): Promise<PortDescription[]> {
	const ports = await SerialPort.list();
	return ports
		.map(({ path, vendorId, productId, manufacturer, serialNumber }) => ({ path, vendorId, productId, manufacturer, serialNumber }))
		.sort((a, b) => Number(!a.vendorId) - Number(!b.vendorId) || a.path.localeCompare(b.path, "en", { numeric: true }));
}

/** One line per port: path, then USB vendor:product and who made it, where known. */
export function describePort(port: PortDescription): string {
	const usb = port.vendorId ? `USB ${port.vendorId}:${port.productId ?? "?"}` : "";
	const details = [usb, port.manufacturer, port.serialNumber && `serial ${port.serialNumber}`].filter(Boolean).join(", ");
	return details ? `${port.path}  ${details}` : port.path;
}
