// The firmware's source files and a walk over their syntax, for the tests that hold every
// firmware module to a rule the XS engine imposes (regexp.test.ts, private-methods.test.ts).
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { resolveManifest } from "../../runtime/manifest.ts";
import { projectRoot } from "../../runtime/realm.ts";

/** Every module file the app's manifest and the ESP8266 profile's build for lin. */
export function firmwareSources(): string[] {
	const files = new Set<string>();
	for (const manifest of ["manifest.json", "profiles/esp8266/manifest.json"])
		for (const [, source] of resolveManifest(path.join(projectRoot, manifest), "lin").modules) if (source.kind === "file") files.add(source.file);
	return [...files];
}

/** Each node of the file that `describe` names, as "file:line: what". */
export function findInSource(file: string, describe: (node: ts.Node) => string | undefined): string[] {
	const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
	const found: string[] = [];
	const visit = (node: ts.Node) => {
		const what = describe(node);
		if (what !== undefined) {
			const { line } = source.getLineAndCharacterOfPosition(node.getStart());
			found.push(`${path.relative(projectRoot, file)}:${line + 1}: ${what}`);
		}
		ts.forEachChild(node, visit);
	};
	visit(source);
	return found;
}
