// The memory bench's probe: built into the app only by the bench's wrapper manifest (never into
// what a user flashes). A "setup/" module runs before main. It listens on its own port (mc/config
// memoryProbePort); each connection gets one line of JSON and is closed:
//   {"slots": live slot heap bytes after a collection, "chunks": live chunk heap bytes after it,
//    "peakSlots", "peakChunks": the most seen in use (garbage included) since the last answer,
//    "gcs": collections so far}
// The live figures are taken before the connection is accepted, so they do not include it. The
// peaks are sampled every millisecond between callbacks: a lower bound of the true peak.
import config from "mc/config";
import Debug from "debug";
import Instrumentation from "instrumentation";
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";

export default function (done) {
	// Native calls: at run time, not while xsl preloads the module.
	const slotIndex = Instrumentation.map("XS Slot Heap Used");
	const chunkIndex = Instrumentation.map("XS Chunk Heap Used");
	const gcIndex = Instrumentation.map("XS Garbage Collection Count");
	const sockets = new Set();
	let peakSlots = 0;
	let peakChunks = 0;
	const sample = () => {
		const slots = Instrumentation.get(slotIndex);
		const chunks = Instrumentation.get(chunkIndex);
		if (slots > peakSlots) peakSlots = slots;
		if (chunks > peakChunks) peakChunks = chunks;
	};
	Debug.gc();
	const before = Instrumentation.get(slotIndex);
	new Listener({
		port: Number(config.memoryProbePort ?? 8099),
		onReadable(count) {
			while (count--) {
				sample();
				Debug.gc();
				let line = JSON.stringify({
					slots: Instrumentation.get(slotIndex),
					chunks: Instrumentation.get(chunkIndex),
					peakSlots,
					peakChunks,
					gcs: Instrumentation.get(gcIndex),
				}) + "\n";
				peakSlots = peakChunks = 0;
				// Kept until closed: a socket the collector reclaims while open brings mcsim down.
				const socket = new TCP({
					from: this.read(),
					format: "buffer",
					onWritable() {
						if (!line) return;
						this.write(ArrayBuffer.fromString(line));
						line = "";
						Timer.set(() => {
							sockets.delete(socket);
							socket.close();
						}, 0);
					},
					onError() {
						sockets.delete(socket);
						socket.close();
					},
				});
				sockets.add(socket);
			}
		},
	});
	Timer.repeat(sample, 1);
	Debug.gc();
	trace(`memoryprobe: listening on port ${Number(config.memoryProbePort ?? 8099)}, its own cost ${Instrumentation.get(slotIndex) - before} slot bytes\n`);
	done();
}
