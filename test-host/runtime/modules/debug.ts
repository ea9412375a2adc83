// "debug" on Node, after the SDK's modules/base/debug: Debug.gc() collects garbage (when Node runs
// with --expose-gc; otherwise it does nothing), Debug.gc(enable) is accepted and ignored.
import type { HostModuleFactory } from "../host-module.ts";

const factory: HostModuleFactory = () => ({
	default: class Debug {
		static gc(enable?: unknown) {
			if (arguments.length) return void enable;
			(globalThis as { gc?: () => void }).gc?.();
		}
	},
});
export default factory;
