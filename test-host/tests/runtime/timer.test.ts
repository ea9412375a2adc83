// "timer" as the SDK's modules/base/timer: order, repeat, schedule, clear, and an exception in a
// callback aborts the firmware.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openRealm, thrown, until } from "./helpers.ts";

test("timers fire in due order with the timer as argument; clear() stops one", async () => {
	const t = await openRealm();
	const { default: Timer } = await t.load("timer");
	const fired: string[] = [];
	let argument: unknown;
	let self: unknown;
	const last = Timer.set(function (this: unknown, timer: unknown) {
		self = this;
		argument = timer;
		fired.push("30");
	}, 30);
	Timer.set(() => fired.push("10"), 10);
	const cleared = Timer.set(() => fired.push("cleared"), 20);
	Timer.set(() => fired.push("20"), 20);
	Timer.clear(cleared);
	await until(() => fired.length === 3, "three timers");
	assert.deepEqual(fired, ["10", "20", "30"]);
	assert.equal(argument, last);
	assert.equal(self, t.realm.services.global, "`this` is the global object");
	assert.deepEqual(thrown(() => Timer.schedule(last, 5)), { name: "SyntaxError", message: "C: xsGetHostData: invalid host data" }, "a fired one-shot timer is spent");
	Timer.clear(last);
	t.stop();
});

test("repeat fires until cleared; schedule(timer) unschedules and schedule(timer, ms) reschedules", async () => {
	const t = await openRealm();
	const { default: Timer } = await t.load("timer");
	let ticks = 0;
	const repeating = Timer.repeat((timer: unknown) => {
		if (++ticks === 3) Timer.clear(timer);
	}, 2);
	let paused = 0;
	const idle = Timer.set(() => paused++, 1, 1);
	Timer.schedule(idle);
	await until(() => ticks === 3, "three ticks");
	await new Promise((resolve) => setTimeout(resolve, 20));
	assert.equal(ticks, 3, "a cleared repeating timer stops");
	assert.equal(paused, 0, "an unscheduled timer does not fire");
	Timer.schedule(idle, 1);
	await until(() => paused === 1, "the rescheduled timer");
	Timer.clear(repeating);
	t.stop();
});

test("an exception in a timer callback aborts the firmware, and its timers stop", async () => {
	const t = await openRealm();
	const { default: Timer } = await t.load("timer");
	let later = 0;
	Timer.repeat(() => later++, 5);
	const { start } = await t.load("throw-in-timer");
	start();
	const abort = await t.realm.aborted;
	assert.match(abort.message, /^XS abort: unhandled exception\nError: thrown by a timer callback/);
	const seen = later;
	await new Promise((resolve) => setTimeout(resolve, 30));
	assert.equal(later, seen, "nothing runs after the abort");
});
