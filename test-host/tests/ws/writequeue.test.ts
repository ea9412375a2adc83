// The write queue of the I/O shells: writes within the budget go out at once, the rest waits for
// the next grant, and a socket that answers a write without a budget (the SDK's TCP when the
// peer is gone) is a failed connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { FirmwareRealm, projectRoot } from "../../runtime/realm.ts";

async function loadQueue() {
	const realm = await FirmwareRealm.create({ manifest: path.join(projectRoot, "modules/ws/manifest.json"), trace: () => {} });
	const { WriteQueue } = await realm.import("ws/writequeue");
	return { realm, WriteQueue };
}

/** A socket that takes writes while its budget lasts and answers what is left, or nothing once
 *  it is broken. */
function socket(budget: number) {
	const written: number[] = [];
	return {
		written,
		broken: false,
		write(bytes: Uint8Array) {
			if (bytes.length > budget) throw new Error("would block");
			written.push(...bytes);
			budget -= bytes.length;
			return this.broken ? undefined : budget;
		},
		grant(count: number) {
			budget = count;
		},
	};
}

test("bytes within the budget are written at once; the rest waits for the next grant, in order", async () => {
	const { realm, WriteQueue } = await loadQueue();
	const queue = new WriteQueue(100, undefined, true);
	const peer = socket(4);
	queue.grant(4);
	assert.equal(queue.send(Uint8Array.of(1, 2, 3), peer), true);
	assert.equal(queue.send(Uint8Array.of(4, 5, 6), peer), true);
	assert.deepEqual(peer.written, [1, 2, 3, 4]);
	assert.equal(queue.queued, 2);
	peer.grant(10);
	queue.grant(10);
	queue.flush(peer);
	assert.deepEqual(peer.written, [1, 2, 3, 4, 5, 6]);
	assert.equal(queue.queued, 0);
	assert.equal(queue.failed, false);
	realm.stop();
});

test("a budgeted writer that answers a write without a budget has failed: nothing is written after it", async () => {
	const { realm, WriteQueue } = await loadQueue();
	const queue = new WriteQueue(100, undefined, true);
	const peer = socket(8);
	queue.grant(8);
	peer.broken = true;
	queue.send(Uint8Array.of(1, 2), peer);
	assert.equal(queue.failed, true);
	assert.equal(queue.send(Uint8Array.of(3, 4), peer), true, "what is sent after is dropped, not refused");
	peer.grant(8);
	queue.grant(8);
	queue.flush(peer);
	assert.deepEqual(peer.written, [1, 2]);
	assert.equal(queue.queued, 0);
	realm.stop();
});

test("a writer that never answers a budget (serial, TLS) is counted down from the grant instead", async () => {
	const { realm, WriteQueue } = await loadQueue();
	const queue = new WriteQueue(100);
	const written: number[] = [];
	queue.grant(3);
	queue.send(Uint8Array.of(1, 2), { write: (bytes: Uint8Array) => void written.push(...bytes) });
	queue.send(Uint8Array.of(3, 4), { write: (bytes: Uint8Array) => void written.push(...bytes) });
	assert.deepEqual(written, [1, 2, 3]);
	assert.equal(queue.failed, false);
	assert.equal(queue.queued, 1);
	realm.stop();
});
