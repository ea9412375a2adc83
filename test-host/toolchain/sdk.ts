// The installed Moddable SDK as our build scripts use it: where it is (MODDABLE), the PATH its
// tools need, and a runner for its commands. Nothing here fetches or builds the SDK itself.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Where our builds go: build/ is in .gitignore. */
export const buildRoot = path.join(projectRoot, "build");

export const sdkMissingMessage =
	"MODDABLE is not set: install the Moddable SDK (Moddable's Getting Started guide, Linux section) " +
	"and export MODDABLE=<the SDK folder>";

export class SdkMissingError extends Error {
	constructor(detail = sdkMissingMessage) {
		super(detail);
		this.name = "SdkMissingError";
	}
}

export interface Sdk {
	/** The SDK folder (MODDABLE). */
	readonly root: string;
	/** Its Linux tools: mcconfig, mcsim, xsc, xsl. */
	readonly bin: string;
	/** The environment for mcconfig, make and mcsim. */
	readonly env: NodeJS.ProcessEnv;
}

/** True when MODDABLE names a folder; tests use it to decide whether to skip. */
export function sdkAvailable(): boolean {
	try {
		findSdk();
		return true;
	} catch {
		return false;
	}
}

export function findSdk(): Sdk {
	const root = process.env.MODDABLE;
	if (!root) throw new SdkMissingError();
	const bin = path.join(root, "build", "bin", "lin", "release");
	if (!fs.existsSync(path.join(bin, "mcconfig")))
		throw new SdkMissingError(
			`MODDABLE=${root} has no build/bin/lin/release/mcconfig: build the SDK's Linux tools first ` +
				"(Moddable's Getting Started guide, Linux section)",
		);
	// mcconfig calls `tsc` by name: the project's pinned TypeScript comes first, as `npm run`
	// would arrange, so no global TypeScript is needed.
	const tscBin = path.join(projectRoot, "node_modules", ".bin");
	const env: NodeJS.ProcessEnv = {
		...process.env,
		MODDABLE: root,
		PATH: [tscBin, bin, process.env.PATH ?? ""].join(path.delimiter),
	};
	return { root, bin, env };
}

export interface RunResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	/** stdout and stderr, interleaved as they came. */
	output: string;
}

/** Runs a command to completion, keeping its output; `echo` also streams it to this terminal. */
export function runCommand(
	command: string,
	args: string[],
	options: { cwd: string; env: NodeJS.ProcessEnv; echo?: boolean },
): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		const take = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
			output += chunk.toString("utf8");
			if (options.echo) stream.write(chunk);
		};
		child.stdout.on("data", take(process.stdout));
		child.stderr.on("data", take(process.stderr));
		child.once("error", (error) => reject(new Error(`${command} could not start: ${error.message}`)));
		child.once("close", (code, signal) => resolve({ code, signal, output }));
	});
}

/** The last lines of a tool's output, for an error message. */
export function tail(output: string, lines = 40): string {
	return output.trimEnd().split("\n").slice(-lines).join("\n");
}

/** mcconfig's command-line form of mc/config overrides. mcconfig hands every one to the app as a
 *  string (wsPort=9001 arrives as "9001"), whatever type the manifest's own value has. */
export function configArguments(config: Record<string, string | number | boolean> = {}): string[] {
	return Object.entries(config)
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([name, value]) => `${name}=${value}`);
}
