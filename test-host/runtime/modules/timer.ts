// "timer" on Node, after the SDK's modules/base/timer (timer.js, modTimer.c): set(callback,
// first, repeat), repeat(callback, interval), schedule(timer, first, repeat), schedule(timer) to
// unschedule, clear(timer), delay(ms). A callback is called with `this` the global object and the
// timer as its argument. A one-shot timer that fired and was not rescheduled by its callback is
// spent: clear() ignores it and schedule() throws, as XS does once the timer's host data is gone.
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { closedError, realmError, toInteger } from "./realm-values.ts";

interface TimerState {
	callback: (...args: any[]) => unknown;
	first: number;
	repeat: number;
	handle: NodeJS.Timeout | undefined;
	/** Bumped by every (re)schedule, so a callback can tell it was rescheduled while it ran. */
	generation: number;
}

function makeTimer(realm: RealmServices) {
	const states = new WeakMap<object, TimerState>();
	const live = new Set<TimerState>();
	realm.onStop(() => {
		for (const state of live) if (state.handle) clearTimeout(state.handle);
		live.clear();
	});

	function arm(timer: object, state: TimerState, first: number, repeat: number) {
		if (state.handle) clearTimeout(state.handle);
		state.first = Math.max(0, first);
		state.repeat = Math.max(0, repeat);
		state.generation++;
		const generation = state.generation;
		state.handle = setTimeout(() => fire(timer, state, generation), state.first);
	}

	function fire(timer: object, state: TimerState, generation: number) {
		state.handle = undefined;
		if (state.repeat) {
			// The next period is armed before the callback, which may clear or reschedule it.
			state.generation++;
			const next = state.generation;
			state.handle = setTimeout(() => fire(timer, state, next), state.repeat);
			generation = next;
		}
		realm.invoke(state.callback, realm.global, timer);
		if (!state.repeat && state.generation === generation && states.get(timer) === state) {
			// modTimer.c xs_timer_callback: a one-shot timer is released after its callback.
			states.delete(timer);
			live.delete(state);
		}
	}

	function create(callback: unknown, first: number, repeat: number): object {
		if (typeof callback !== "function") throw realmError(realm, "TypeError", "callback is not a function");
		const timer = new realm.global.Object();
		const state: TimerState = { callback: callback as TimerState["callback"], first, repeat, handle: undefined, generation: 0 };
		states.set(timer, state);
		live.add(state);
		arm(timer, state, first, repeat);
		return timer;
	}

	return class Timer {
		static set(callback: unknown, first?: unknown, repeat?: unknown): object {
			return create(callback, arguments.length > 1 ? toInteger(first) : 0, arguments.length > 2 ? toInteger(repeat) : 0);
		}

		static repeat(callback: unknown, interval: unknown): object {
			const ms = toInteger(interval);
			return create(callback, ms, ms);
		}

		static schedule(timer: object, first?: unknown, repeat?: unknown): void {
			const state = typeof timer === "object" && timer !== null ? states.get(timer) : undefined;
			if (!state) throw closedError(realm);
			if (arguments.length === 1) {
				// modTimerUnschedule: the timer stays, without a due time, until scheduled again.
				if (state.handle) clearTimeout(state.handle);
				state.handle = undefined;
				state.repeat = 0;
				state.generation++;
				return;
			}
			arm(timer, state, toInteger(first), arguments.length > 2 ? toInteger(repeat) : 0);
		}

		static clear(timer?: object): void {
			if (typeof timer !== "object" || timer === null) return;
			const state = states.get(timer);
			if (!state) return;
			if (state.handle) clearTimeout(state.handle);
			state.handle = undefined;
			state.generation++;
			states.delete(timer);
			live.delete(state);
		}

		static delay(ms: unknown): void {
			// modTimerDelayMS blocks the whole machine; so does this.
			const duration = toInteger(ms);
			if (duration > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, duration);
		}
	};
}

const factory: HostModuleFactory = (realm) => ({ default: makeTimer(realm) });
export default factory;
