// A TCP proxy in front of the TLS server that hands every whole record the client sends to the
// test, which writes it on (changed, cut, late); the server's bytes go back as they come. Record
// headers are in the clear throughout, and so are the handshake messages before the client's
// ChangeCipherSpec.
import net from "node:net";

export interface RecordProxy {
	readonly port: number;
	close(): void;
}

/** `forward` gets each record of each connection in order, and the connection to the server. */
export function recordProxy(serverPort: number, forward: (record: Buffer, upstream: net.Socket) => void): Promise<RecordProxy> {
	const server = net.createServer((client) => {
		const upstream = net.connect(serverPort, "127.0.0.1");
		upstream.setNoDelay(true);
		let pending = Buffer.alloc(0);
		client.on("data", (chunk: Buffer) => {
			pending = Buffer.concat([pending, chunk]);
			while (pending.length >= 5) {
				const size = 5 + pending.readUInt16BE(3);
				if (pending.length < size) break;
				forward(Buffer.from(pending.subarray(0, size)), upstream);
				pending = pending.subarray(size);
			}
		});
		upstream.on("data", (chunk) => client.write(chunk));
		// A side that closes is ended on the other after what it sent (the server's alert) went
		// out: destroying at once could drop those bytes.
		client.on("close", () => upstream.end());
		upstream.on("close", () => client.end());
		const fail = () => {
			client.destroy();
			upstream.destroy();
		};
		client.on("error", fail);
		upstream.on("error", fail);
	});
	return new Promise((resolve) =>
		server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as net.AddressInfo).port, close: () => server.close() })),
	);
}
