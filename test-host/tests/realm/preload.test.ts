// Preloading decides whether the firmware fits a chip: a module that is not preloaded builds every
// function, class and literal it has in RAM at start-up (the app needed > 4,096 XS slots idle
// before every module was named). mcconfig matches a wildcard preload against JavaScript modules
// only, so each TypeScript module must be named.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveManifest } from "../../runtime/manifest.ts";
import { projectRoot } from "../../runtime/realm.ts";

test("a wildcard preload does not reach TypeScript modules, as in mcconfig", () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preload-"));
	try {
		fs.writeFileSync(path.join(dir, "a.ts"), "export const a = 1;\n");
		fs.writeFileSync(path.join(dir, "b.js"), "export const b = 2;\n");
		fs.writeFileSync(path.join(dir, "c.ts"), "export const c = 3;\n");
		fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ modules: { "x/*": "./*" }, preload: ["x/*", "x/c"] }));
		const manifest = resolveManifest(path.join(dir, "manifest.json"), "lin");
		assert.deepEqual([...manifest.preload].sort(), ["x/b", "x/c"]);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

for (const platform of ["lin", "esp32", "esp"]) {
	test(`every firmware module of the app is preloaded (${platform})`, () => {
		const manifest = resolveManifest(path.join(projectRoot, "manifest.json"), platform);
		const firmware = [...manifest.modules]
			.filter(([, source]) => source.kind === "file")
			.map(([name]) => name)
			.sort();
		assert.ok(firmware.includes("main") && firmware.includes("ws/protocol"), "the app's modules are found");
		const missing = firmware.filter((name) => !manifest.preload.has(name));
		assert.deepEqual(missing, [], "name these in their module's manifest \"preload\" list");
	});
}
