// XS (SDK 8.2.3) installs a class's #private methods on every instance, as the spec describes
// them: each costs every object one slot (16 bytes on a chip), and a call to one takes more stack
// than a call to a prototype method. Firmware classes are made per connection and per link, so
// their helper methods are TypeScript-private (on the prototype) and only fields are #private.
// The checks here: the cost itself, on lin (needs MODDABLE), and no #method in any firmware module.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import ts from "typescript";
import { projectRoot } from "../../runtime/realm.ts";
import { buildLin } from "../../toolchain/build.ts";
import { sdkAvailable, sdkMissingMessage } from "../../toolchain/sdk.ts";
import { startMcsim } from "../../harness/lin.ts";
import { findInSource, firmwareSources } from "./firmware-sources.ts";

const fixture = path.join(projectRoot, "test-host/tests/realm/fixtures/private-methods/manifest.json");

test("XS gives every instance a slot for each #private method (lin)", async (t) => {
	if (!sdkAvailable()) return t.skip(sdkMissingMessage);
	const build = await buildLin({ manifest: fixture });
	const target = await startMcsim(build.mcSo, { ready: /^private-methods: / });
	try {
		const line = target.log.find((entry) => entry.startsWith("private-methods: "))!;
		const [, hash, prototype] = /#methods ([\d.]+) prototype ([\d.]+)/.exec(line)!.map(Number);
		// If this fails, XS no longer spends a slot per #method per instance: the rule below
		// could be relaxed.
		assert.ok(hash - prototype >= 5, `five #methods cost ${hash - prototype} slots more per instance (${line})`);
	} finally {
		await target.stop();
	}
});

/** #private methods and accessors declared in a class (static ones cost nothing per instance). */
function privateMethod(node: ts.Node): string | undefined {
	if (!(ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) || !ts.isPrivateIdentifier(node.name)) return undefined;
	if (node.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.StaticKeyword)) return undefined;
	return node.name.text;
}

test("no firmware class declares a #private method", () => {
	const files = firmwareSources();
	assert.ok(files.length > 40, "the firmware modules are found");
	assert.deepEqual(files.flatMap((file) => findInSource(file, privateMethod)), []);
});
