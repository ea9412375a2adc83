// "time" on Node, after the SDK's modules/base/time (time.js, lin/time.c): ticks (milliseconds),
// delta(start, end). On lin set(), timezone and dst do nothing and read as undefined; the host
// does the same, so firmware never depends on a clock it cannot set.
import type { HostModuleFactory } from "../host-module.ts";

const now = () => Math.floor(Date.now());

const factory: HostModuleFactory = () => ({
	default: class Time {
		static set(_seconds: unknown): void {}
		static get timezone(): undefined {
			return undefined;
		}
		static set timezone(_value: unknown) {}
		static get dst(): undefined {
			return undefined;
		}
		static set dst(_value: unknown) {}
		static get ticks(): number {
			return now();
		}
		static delta(start: unknown, end?: unknown): number {
			return (arguments.length > 1 ? Number(end) : now()) - Number(start);
		}
	},
});
export default factory;
