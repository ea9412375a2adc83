// Compile check for a chip without its C toolchain (ESP-IDF, or the ESP8266 SDK and xtensa gcc).
// mcconfig without -m only writes the makefile. That makefile is mcconfig's definitions (the
// module list, preloads, creation parameters for the chip), then the SDK's platform fragment
// (tools/mcconfig/make.<platform>.mk: C toolchain, flashing, and parse-time checks that fail
// without ESP-IDF), then the rules that compile every module with tsc and xsc. We take out the
// fragment, add back its one platform-independent rule (xsl links the modules and runs the
// preloads), and make that: tsc + xsc + xsl for the chip's module set, stopping before any C.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { acquireLock } from "./lock.ts";
import { BuildError, forgetTypeScriptOutput, mcconfigArguments, planBuild, type BuildOptions, type BuildPlan } from "./build.ts";
import { findSdk, runCommand, tail } from "./sdk.ts";

export type Chip = "esp32" | "esp";

export const compileCheckTarget = "compile-check";

// The link step as every make.<platform>.mk states it, less the chip's dependencies on
// sdkconfig.h and the like.
const linkRule = `
${compileCheckTarget}: $(TMP_DIR)/mc.xs.c

$(TMP_DIR)/mc.xs.c: $(MODULES) $(MANIFEST)
	@echo "# xsl modules"
	xsl -b $(MODULES_DIR) -o $(TMP_DIR) $(PRELOADS) $(STRIPS) $(CREATION) $(MODULES)
`;

export interface CompileCheck extends BuildPlan {
	/** The makefile we ran (in the build folder). */
	makefile: string;
	/** How many modules tsc and xsc compiled on this run (0 when all were up to date). */
	tsc: number;
	xsc: number;
	/** xsl's summary line ("### 462 instances, 812 keys, ..."). */
	linked: string;
	output: string;
}

/** Chip defaults: ESP8266 debug builds use its only UART for xsbug, so what ships there (and
 *  the AT bridge) is a release build; ESP32 is checked as developers build it, with -d. */
export function defaultDebug(chip: Chip): boolean {
	return chip === "esp32";
}

export async function compileCheck(chip: Chip, options: BuildOptions = {}): Promise<CompileCheck> {
	const sdk = findSdk();
	const plan = planBuild(chip, { ...options, debug: options.debug ?? defaultDebug(chip) });
	const lock = await acquireLock(`${plan.outputDirectory}.lock`, `the ${chip} check in ${plan.outputDirectory}`);
	try {
		fs.mkdirSync(plan.outputDirectory, { recursive: true });
		const env = { ...sdk.env };
		if (chip === "esp") {
			// mcconfig -p esp insists that ESP_BASE (default ~/esp) is a folder before writing
			// anything; nothing is read from it when only the makefile is written.
			env.ESP_BASE = path.join(plan.outputDirectory, "no-esp-toolchain");
			fs.mkdirSync(env.ESP_BASE, { recursive: true });
		}
		const configured = await runCommand("mcconfig", mcconfigArguments(plan, false), {
			cwd: path.dirname(plan.manifest),
			env,
			echo: options.echo,
		});
		const generated = path.join(plan.tmpDirectory, "makefile");
		if (configured.code !== 0 || !fs.existsSync(generated))
			throw new BuildError(
				`mcconfig -p ${chip} failed (exit ${configured.code ?? configured.signal}):\n${tail(configured.output)}`,
				configured.output,
			);

		const fragmentPath = path.join(sdk.root, "tools", "mcconfig", `make.${chip}.mk`);
		const text = fs.readFileSync(generated, "utf8");
		const fragment = fs.readFileSync(fragmentPath, "utf8");
		const at = text.indexOf(fragment);
		if (at < 0 || text.indexOf(fragment, at + 1) >= 0)
			throw new Error(`the makefile mcconfig wrote does not contain ${fragmentPath} once: this SDK lays it out differently`);
		const makefile = path.join(plan.tmpDirectory, `${compileCheckTarget}.mk`);
		fs.writeFileSync(makefile, text.slice(0, at) + text.slice(at + fragment.length) + linkRule);

		const made = await runCommand("make", ["-f", makefile, `-j${os.availableParallelism()}`, compileCheckTarget], {
			cwd: plan.tmpDirectory,
			env,
			echo: options.echo,
		});
		const linked = made.output.split("\n").find((line) => /^### \d+ instances/.test(line)) ?? "";
		if (made.code !== 0) {
			forgetTypeScriptOutput(plan);
			throw new BuildError(`the ${chip} compile check failed (make exit ${made.code ?? made.signal}):\n${tail(made.output)}`, made.output);
		}
		// "*": "./main" in a manifest matches nothing when main.ts is missing; XS would only
		// find out at boot.
		if (!fs.existsSync(path.join(plan.tmpDirectory, "modules", "main.xsb")))
			throw new BuildError(`the ${chip} compile check failed: the app has no main module (no main.ts or main.js next to its manifest)`, made.output);
		const count = (tool: string) => made.output.split("\n").filter((line) => line.startsWith(`# ${tool} `)).length;
		return { ...plan, makefile, tsc: count("tsc"), xsc: count("xsc"), linked, output: configured.output + made.output };
	} finally {
		lock.release();
	}
}
