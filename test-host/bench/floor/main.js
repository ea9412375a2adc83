// The floor for bench:xs: about the least JavaScript a WebSocket echo on ECMA-419 TCP can run
// per message. It trusts its peer completely (one whole masked frame per read, under 64 KB, no
// limits, no UTF-8 check, no control frames), so it is not a server: it shows what the engine
// and the socket cost before any protocol work. Listens on mc/config "port". It stands alone
// (plain JavaScript, none of the project's modules, its own few lines of handshake) so that
// nothing of ours is in what it costs.
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Logical from "logical";
import { Digest } from "crypt";
import config from "mc/config";

const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function onReadable(count) {
	const bytes = new Uint8Array(this.read(count));
	if (!this.open) {
		const key = /Sec-WebSocket-Key: *([^\r]+)/i.exec(String.fromArrayBuffer(bytes.buffer))[1];
		const digest = new Digest("SHA1");
		digest.write(key + guid);
		const accept = new Uint8Array(digest.close()).toBase64();
		this.write(ArrayBuffer.fromString(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`));
		this.open = true;
		return;
	}
	let length = bytes[1] & 0x7f;
	let start = 6;
	if (length === 126) {
		length = (bytes[2] << 8) | bytes[3];
		start = 8;
	}
	// Unmask in place (native, as websocket.js does); the unmasked header goes just before the
	// payload, over the mask, so the echo is one write of a view of the bytes read.
	Logical.xor(bytes.subarray(start, start + length), bytes.subarray(start - 4, start));
	const first = bytes[0];
	if (length < 126) {
		bytes[start - 2] = first;
		bytes[start - 1] = length;
		this.write(bytes.subarray(start - 2, start + length));
	} else {
		bytes[start - 4] = first;
		bytes[start - 3] = 126;
		bytes[start - 2] = length >> 8;
		bytes[start - 1] = length & 0xff;
		this.write(bytes.subarray(start - 4, start + length));
	}
}

new Listener({
	port: config.port,
	onReadable(count) {
		while (count--) new TCP({ from: this.read(), format: "buffer", nodelay: true, onReadable });
	},
});
trace("floor: listening\n");
