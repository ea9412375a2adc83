// Reads a Moddable app manifest the way mcconfig does, for one platform, and answers the two
// questions the host runtime has: which module specifiers exist (and where each comes from), and
// what `mc/config` holds.
//
// Local manifests (relative paths) are followed; SDK manifests (`$(MODDABLE)/...`, `$(MODULES)/...`)
// are looked up in `sdk.ts`, which says which modules the host runtime implements for each.
import fs from "node:fs";
import path from "node:path";
import { hostModuleForProjectFile, sdkManifestModules, sdkModuleFor } from "./sdk.ts";

export type ModuleSource =
	| { kind: "file"; file: string } // a firmware source file (.ts or .js) of the project
	| { kind: "host"; name: string }; // a Moddable module the host runtime implements

export interface ResolvedManifest {
	modules: Map<string, ModuleSource>;
	preload: Set<string>; // specifiers (wildcards expanded) that XS would preload and freeze
	config: Record<string, unknown>;
	resources: string[]; // project files named in `resources` (absolute paths)
}

type Json = Record<string, any>;

const sdkVariables = /^\$\((MODDABLE|MODULES|BUILD|IO|COMMODETTO|PIU|TYPINGS)\)/;

export function resolveManifest(manifestPath: string, platform: string): ResolvedManifest {
	const result: ResolvedManifest = { modules: new Map(), preload: new Set(), config: {}, resources: [] };
	const seen = new Set<string>();
	const pendingPreloads: Array<{ dir: string; name: string }> = [];
	const configs: Json[] = [];

	function visit(file: string) {
		const absolute = path.resolve(file);
		if (seen.has(absolute)) return;
		seen.add(absolute);
		const dir = path.dirname(absolute);
		let manifest: Json;
		try {
			manifest = JSON.parse(fs.readFileSync(absolute, "utf8"));
		} catch (error) {
			throw new Error(`manifest ${absolute}: ${(error as Error).message}`);
		}
		const sections = [manifest, platformSection(manifest, platform, absolute)].filter((section): section is Json => section !== undefined);
		// mcconfig parses a manifest's includes, its platform section's too, before the manifest
		// itself: so an included manifest's config comes before the including one's.
		for (const section of sections) for (const include of list(section.include)) includeManifest(dir, include);
		for (const section of sections) {
			for (const [key, value] of Object.entries(section.modules ?? {})) addModules(dir, key, list(value));
			for (const name of list(section.preload)) pendingPreloads.push({ dir, name });
			if (section.config) configs.push(section.config);
			for (const [key, value] of Object.entries(section.resources ?? {}))
				for (const entry of list(value)) addResources(dir, key, entry);
		}
	}

	function includeManifest(dir: string, include: string) {
		if (sdkVariables.test(include)) {
			const provided = sdkManifestModules(include);
			if (!provided)
				throw new Error(`the host runtime does not implement the SDK manifest ${include} (see test-host/runtime/sdk.ts)`);
			for (const name of provided) result.modules.set(name, { kind: "host", name });
			return;
		}
		visit(path.resolve(dir, include));
	}

	function addModules(dir: string, key: string, paths: string[]) {
		for (const entry of paths) {
			if (sdkVariables.test(entry)) {
				// An SDK module named directly (e.g. "logical": "$(MODULES)/data/logical/*").
				const name = sdkModuleFor(key, entry);
				if (!name) throw new Error(`the host runtime does not implement the SDK module ${key}: ${entry} (see test-host/runtime/sdk.ts)`);
				result.modules.set(key, { kind: "host", name });
				continue;
			}
			const target = path.resolve(dir, entry);
			if (target.endsWith("*")) {
				const folder = path.dirname(target);
				for (const file of fs.readdirSync(folder).sort()) {
					if (!isSource(file)) continue;
					const base = stripExtension(file);
					result.modules.set(specifier(key, base), { kind: "file", file: path.join(folder, file) });
				}
			} else {
				if (fs.existsSync(target + ".d.ts")) continue; // typings for mcconfig, not a runtime module
				const file = sourceFile(target);
				if (!file) throw new Error(`manifest ${dir}: no source file for module ${key}: ${entry}`);
				const name = specifier(key, stripExtension(path.basename(file)));
				const standIn = hostModuleForProjectFile(file);
				result.modules.set(name, standIn ? { kind: "host", name: standIn } : { kind: "file", file });
			}
		}
	}

	function addResources(dir: string, key: string, entry: string) {
		if (sdkVariables.test(entry)) return;
		result.resources.push(path.resolve(dir, entry));
		void key;
	}

	visit(manifestPath);

	// mcconfig merges manifests in post-order (an include before the manifest that includes it, a
	// manifest's platform section after its base), so the app's own config wins.
	for (const config of configs) Object.assign(result.config, config);

	// mcconfig (tools/mcconfig.js filterPreload, SDK 8.2) matches a wildcard preload ("ws/*") against
	// JavaScript modules only: TypeScript modules are preloaded only when named one by one. The
	// host follows the same rule, so a module the chip would build in RAM is not frozen here.
	for (const { name } of pendingPreloads) {
		if (name.endsWith("*")) {
			const prefix = name.slice(0, -1);
			for (const [key, source] of result.modules)
				if (key.startsWith(prefix) && !(source.kind === "file" && source.file.endsWith(".ts"))) result.preload.add(key);
		} else result.preload.add(name);
	}
	return result;
}

function platformSection(manifest: Json, platform: string, file: string): Json | undefined {
	const platforms: Json | undefined = manifest.platforms;
	if (!platforms) return undefined;
	const section = platforms[platform] ?? platforms["..."];
	if (section?.error) throw new Error(`manifest ${file}: ${section.error}`);
	return section;
}

function list(value: unknown): string[] {
	if (value === undefined) return [];
	return Array.isArray(value) ? value : [value as string];
}

// mcconfig: a key "*" names the module after its file; "ws/*" puts it under "ws/"; any other key
// is the specifier itself.
function specifier(key: string, base: string): string {
	if (key === "*") return base;
	if (key.endsWith("*")) return key.slice(0, -1) + base;
	return key;
}

function isSource(file: string): boolean {
	return (file.endsWith(".ts") && !file.endsWith(".d.ts")) || file.endsWith(".js");
}

function stripExtension(file: string): string {
	return file.replace(/\.(ts|js)$/, "");
}

function sourceFile(target: string): string | undefined {
	for (const candidate of [target + ".ts", target + ".js", target]) {
		if (isSource(candidate) && fs.existsSync(candidate)) return candidate;
	}
	return undefined;
}
