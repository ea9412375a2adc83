// The profiles (profiles/<chip>/manifest.json) and the project's manifest.json, as mcconfig
// merges them: which features and limits each build gets. Read with the host runtime's manifest
// reader, which follows mcconfig's rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { resolveManifest } from "../../runtime/manifest.ts";
import { projectRoot } from "../../runtime/realm.ts";

const root = path.join(projectRoot, "manifest.json");
const profile = (name: string) => path.join(projectRoot, "profiles", name, "manifest.json");
const tls = "embedded:io/socket/tcp/tls";

test("mcconfig -p esp of the project gets the ESP8266 profile, every other platform the ESP32 one", () => {
	const limits = ["profile", "wsMaxClients", "wsMaxMessage", "wsMaxBody", "atLinks"];
	const pick = (config: Record<string, unknown>) => Object.fromEntries(limits.map((name) => [name, config[name]]));
	const esp8266 = pick(resolveManifest(profile("esp8266"), "lin").config);
	const esp32 = pick(resolveManifest(profile("esp32"), "lin").config);
	assert.deepEqual(esp8266, { profile: "esp8266", wsMaxClients: 2, wsMaxMessage: 4096, wsMaxBody: esp8266.wsMaxBody, atLinks: 1 });
	assert.equal(esp32.profile, "esp32");
	assert.deepEqual(pick(resolveManifest(root, "esp").config), esp8266);
	for (const platform of ["esp32", "lin", "mac"]) assert.deepEqual(pick(resolveManifest(root, platform).config), esp32, platform);
	// The platform's own settings (the AT UART's pins) stay.
	assert.equal(resolveManifest(root, "esp").config.atPort, 0);
	assert.equal(resolveManifest(root, "esp32").config.atPort, 1);
});

test("the ESP8266 profile leaves the SDK's TLS out; the ESP32 profile and the project on lin have it", () => {
	for (const [manifest, platform] of [[profile("esp8266"), "lin"], [profile("esp8266"), "esp"], [root, "esp"]] as const) {
		const resolved = resolveManifest(manifest, platform);
		assert.equal(resolved.modules.has(tls), false, `${manifest} ${platform}`);
		const stub = resolved.modules.get("wsclient/tls");
		assert.ok(stub?.kind === "file" && stub.file.includes(path.join("wsclient", "notls")), "the stub stands in for wsclient/tls");
	}
	for (const [manifest, platform] of [[profile("esp32"), "lin"], [profile("esp32"), "esp32"], [root, "lin"], [root, "esp32"]] as const) {
		const resolved = resolveManifest(manifest, platform);
		assert.equal(resolved.modules.has(tls), true, `${manifest} ${platform}`);
		const module = resolved.modules.get("wsclient/tls");
		assert.ok(module?.kind === "file" && module.file.endsWith(path.join("wsclient", "tls", "tls.ts")));
	}
});

test("a profile built for the other chip stops with a message", () => {
	assert.throws(() => resolveManifest(profile("esp32"), "esp"), /the ESP32 profile does not fit an ESP8266/);
});

for (const name of ["esp32", "esp8266"])
	test(`every firmware module of the ${name} profile is preloaded`, () => {
		const manifest = resolveManifest(profile(name), name === "esp8266" ? "esp" : "esp32");
		const missing = [...manifest.modules].filter(([module, source]) => source.kind === "file" && !manifest.preload.has(module)).map(([module]) => module);
		assert.deepEqual(missing, []);
	});
