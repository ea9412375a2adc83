// The profiles on the real XS engine in a fixed slot heap (lin, needs MODDABLE; skips without):
// an app that outgrows a fixed heap stops with "memory full", as a chip reboots. The scenario is
// test-host/harness/memory.ts's: every client the profile allows echoing messages up to its
// maximum, every AT link sending and receiving, the HTTP API and the console page.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { chipSlotBytes, runBurst, runScenario, startProfile } from "../../harness/memory.ts";
import { sdkAvailable, sdkMissingMessage } from "../../toolchain/sdk.ts";

/** The targets. */
const esp32Heap = 4096;
const esp32Idle = 1500;
const esp8266Heap = 1024;
const esp8266ChunkPeak = 12 * 1024;
const perClientBytes = 1536;

test(`the ESP32 profile idles in at most ${esp32Idle} slots, holds at most ${perClientBytes} bytes of slots per idle client, and runs the scenario in a fixed ${esp32Heap}-slot heap`, async (t) => {
	if (!sdkAvailable()) return t.skip(sdkMissingMessage);
	const target = await startProfile("esp32", { heap: esp32Heap });
	let figures;
	try {
		figures = await runScenario(target);
	} finally {
		await target.stop().catch((error) => assert.fail(`mcsim: ${(error as Error).message}`));
	}
	assert.equal(target.aborted(), undefined);
	t.diagnostic(`idle ${figures.idle.slots} slots (${((figures.idle.slots * chipSlotBytes) / 1024).toFixed(1)} KB on a chip), ${figures.perClient.slots} per client, peak ${figures.peak.slots} slots, ${figures.peak.chunks} chunk bytes`);
	assert.ok(figures.idle.slots <= esp32Idle, `idle ${figures.idle.slots} slots`);
	assert.ok(figures.perClient.slots * chipSlotBytes <= perClientBytes, `${figures.perClient.slots} slots per idle client`);
});

test(`the ESP32 profile keeps running in a fixed ${esp32Heap}-slot heap when every client sends its largest messages at once`, async (t) => {
	if (!sdkAvailable()) return t.skip(sdkMissingMessage);
	const target = await startProfile("esp32", { heap: esp32Heap });
	let figures;
	try {
		figures = await runBurst(target);
		// Still serving after the burst.
		await target.probe();
	} finally {
		await target.stop().catch((error) => assert.fail(`mcsim: ${(error as Error).message}`));
	}
	assert.equal(target.aborted(), undefined);
	const { budget } = figures;
	t.diagnostic(`${figures.messages} messages of ${target.limits.maxMessage} bytes at once: the budget peaked at ${budget.peak} of ${budget.limit} bytes`);
	assert.ok(budget.peak >= target.limits.maxMessage, "the budget counted the messages");
	assert.ok(budget.peak <= budget.limit, `budget peak ${budget.peak} within ${budget.limit}`);
});

/** The ESP8266 profile's scenario in a fixed esp8266Heap-slot heap and a fixed chunk heap. */
async function esp8266Scenario(t: TestContext, chunk: number) {
	if (!sdkAvailable()) return t.skip(sdkMissingMessage);
	const target = await startProfile("esp8266", { heap: esp8266Heap, chunk }).catch((error: Error) => assert.fail(`did not start in ${esp8266Heap} slots: ${error.message.split("\n")[0]}`));
	let figures;
	try {
		figures = await runScenario(target);
	} finally {
		await target.stop().catch(() => {});
	}
	assert.equal(target.aborted(), undefined);
	t.diagnostic(`peak ${figures.peak.slots} slots, ${figures.peak.chunks} chunk bytes`);
}

test(`the ESP8266 profile runs the scenario in a fixed ${esp8266Heap}-slot heap and a fixed 12 KB chunk heap`, async (t) => {
	await esp8266Scenario(t, esp8266ChunkPeak);
});
