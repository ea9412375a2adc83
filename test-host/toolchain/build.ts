// Builds our app with the installed SDK's mcconfig. Each distinct (platform, mode, manifest,
// config) gets its own output folder build/<platform>/<hash>/, because mcconfig's -o folder holds
// a tmp/ and lib/ that one build at a time may use; a lock keeps concurrent test processes apart.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { acquireLock } from "./lock.ts";
import { buildRoot, configArguments, findSdk, projectRoot, runCommand, tail } from "./sdk.ts";

export type Platform = "lin" | "esp32" | "esp";

export interface BuildOptions {
	/** The app manifest (default: the project's manifest.json). */
	manifest?: string;
	/** mc/config overrides, given to mcconfig as name=value. */
	config?: Record<string, string | number | boolean>;
	/** Debug build (-d, the default) or release. */
	debug?: boolean;
	/** Stream the tools' output to this terminal. */
	echo?: boolean;
	/** Run mcconfig and make again even if this process built the same plan already (the
	 *  manifest's content changed, not its path: make is incremental, so that costs little). */
	fresh?: boolean;
}

export interface BuildPlan {
	platform: Platform;
	manifest: string;
	/** The app's name: mcconfig names it after the manifest's folder. */
	name: string;
	mode: "debug" | "release";
	configArguments: string[];
	/** build/<platform>/<hash>: mcconfig's -o. */
	outputDirectory: string;
	/** Where mcconfig writes the makefile and intermediate files. */
	tmpDirectory: string;
}

export function planBuild(platform: Platform, options: BuildOptions = {}): BuildPlan {
	const manifest = path.resolve(options.manifest ?? path.join(projectRoot, "manifest.json"));
	if (!fs.existsSync(manifest)) throw new Error(`no manifest at ${manifest}`);
	const mode = options.debug === false ? "release" : "debug";
	const args = configArguments(options.config);
	const key = JSON.stringify({ manifest: path.relative(projectRoot, manifest), mode, config: args });
	const hash = createHash("sha256").update(key).digest("hex").slice(0, 12);
	const outputDirectory = path.join(buildRoot, platform, hash);
	const name = path.basename(path.dirname(manifest));
	// mcconfig's layout: tmp/<platform>/<mode>/<name> on chips, tmp/lin/mc/<mode>/<name> on lin.
	const tmpDirectory = path.join(outputDirectory, "tmp", platform, ...(platform === "lin" ? ["mc"] : []), mode, name);
	return { platform, manifest, name, mode, configArguments: args, outputDirectory, tmpDirectory };
}

export function mcconfigArguments(plan: BuildPlan, make: boolean): string[] {
	return [
		...(plan.mode === "debug" ? ["-d"] : []),
		...(make ? ["-m", "-t", "build"] : []),
		"-o",
		plan.outputDirectory,
		"-p",
		plan.platform,
		plan.manifest,
		...plan.configArguments,
	];
}

/** Without noEmitOnError tsc writes JavaScript even when type-checking fails, and the next make
 *  then "succeeds" with it. Dropping tsc's output after a failure makes the next build re-check. */
export function forgetTypeScriptOutput(plan: BuildPlan) {
	fs.rmSync(path.join(plan.tmpDirectory, "tsc"), { recursive: true, force: true });
}

export class BuildError extends Error {
	constructor(
		message: string,
		readonly output: string,
	) {
		super(message);
		this.name = "BuildError";
	}
}

export interface LinBuild extends BuildPlan {
	/** The app for mcsim. */
	mcSo: string;
	/** What mcconfig and make printed. */
	output: string;
}

const linBuilds = new Map<string, Promise<LinBuild>>();

/** mcconfig -d -m -p lin -t build into build/lin/<hash>/; once per process per configuration
 *  (make is incremental, so a second process only pays for the up-to-date check). */
export function buildLin(options: BuildOptions = {}): Promise<LinBuild> {
	const plan = planBuild("lin", options);
	let build = options.fresh ? undefined : linBuilds.get(plan.outputDirectory);
	if (!build) {
		build = runLinBuild(plan, options.echo ?? false);
		linBuilds.set(plan.outputDirectory, build);
		build.catch(() => linBuilds.delete(plan.outputDirectory));
	}
	return build;
}

async function runLinBuild(plan: BuildPlan, echo: boolean): Promise<LinBuild> {
	const sdk = findSdk();
	const lock = await acquireLock(`${plan.outputDirectory}.lock`, `the lin build in ${plan.outputDirectory}`);
	try {
		fs.mkdirSync(plan.outputDirectory, { recursive: true });
		fs.writeFileSync(
			path.join(plan.outputDirectory, "build.json"),
			JSON.stringify({ manifest: path.relative(projectRoot, plan.manifest), mode: plan.mode, config: plan.configArguments }, null, "\t") + "\n",
		);
		const result = await runCommand("mcconfig", mcconfigArguments(plan, true), {
			cwd: path.dirname(plan.manifest),
			env: sdk.env,
			echo,
		});
		const mcSo = path.join(plan.outputDirectory, "bin", "lin", "mc", plan.mode, plan.name, "mc.so");
		if (result.code !== 0 || !fs.existsSync(mcSo)) {
			forgetTypeScriptOutput(plan);
			throw new BuildError(
				`mcconfig -p lin failed (exit ${result.code ?? result.signal}):\n${tail(result.output)}`,
				result.output,
			);
		}
		return { ...plan, mcSo, output: result.output };
	} finally {
		lock.release();
	}
}
