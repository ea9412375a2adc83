// The whole suite: every test-host/tests/**/*.test.ts under Node's test runner, in a Node with
// vm modules (the host runtime needs them). TARGET picks the firmware target (default sim).
//   npm test                     all tests
//   npm test -- tests/ws         only the files under a folder (or a single file)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

function testFiles(folder: string): string[] {
	if (fs.statSync(folder).isFile()) return [folder];
	return fs
		.readdirSync(folder, { withFileTypes: true })
		.flatMap((entry) => {
			const full = path.join(folder, entry.name);
			if (entry.isDirectory()) return testFiles(full);
			return entry.name.endsWith(".test.ts") ? [full] : [];
		})
		.sort();
}

const roots = process.argv.slice(2).map((argument) => path.resolve(here, argument));
const files = (roots.length ? roots : [path.join(here, "tests")]).flatMap(testFiles);
if (files.length === 0) {
	console.error("no test files found");
	process.exit(1);
}
console.log(`target: ${process.env.TARGET ?? "sim"}; ${files.length} test files`);
const result = spawnSync(
	process.execPath,
	["--experimental-vm-modules", "--no-warnings=ExperimentalWarning", "--import", "tsx", "--test", ...files],
	{ stdio: "inherit" },
);
process.exit(result.status ?? 1);
