// "rng" on Node, after the SDK's modules/crypt/etc/rng.js: a frozen object with get(n), which
// returns an ArrayBuffer of n random bytes, and init(seed). The host draws them from node:crypto.
import crypto from "node:crypto";
import type { HostModuleFactory, RealmServices } from "../host-module.ts";
import { realmArrayBuffer, toInteger } from "./realm-values.ts";

function makeRNG(realm: RealmServices) {
	const RNG = new realm.global.Object() as { get(n: unknown): ArrayBuffer; init(seed?: unknown): void };
	RNG.get = (n: unknown) => realmArrayBuffer(realm, crypto.randomBytes(Math.max(0, toInteger(n))));
	RNG.init = () => {}; // the system generator needs no seed
	return Object.freeze(RNG);
}

const factory: HostModuleFactory = (realm) => ({ default: makeRNG(realm) });
export default factory;
