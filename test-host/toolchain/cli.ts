// Our app with the installed Moddable SDK (MODDABLE). Behind the npm scripts:
//   npm run build:lin [-- name=value ...] [-- --release]   mcconfig -d -m -p lin -t build into build/lin/<hash>/
//   npm run check:esp32 [-- name=value ...]                  tsc + xsc + xsl for ESP32, no ESP-IDF needed
//   npm run check:esp [-- name=value ...]                    the same for ESP8266, no ESP8266 toolchain needed
//   npm run test:lin [-- tests/ws ...]                       the test suite with TARGET=lin
// name=value are mc/config overrides, as mcconfig takes them; --manifest builds another app
// (default: the project's manifest.json).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { buildLin, BuildError } from "./build.ts";
import { compileCheck, type Chip } from "./check.ts";
import { findSdk, projectRoot, SdkMissingError } from "./sdk.ts";

function usage(message?: string): never {
	if (message) process.stderr.write(`${message}\n`);
	process.stderr.write(
		"usage: cli.ts build-lin [--release] [--manifest FILE] [name=value ...]\n" +
			"       cli.ts check esp32|esp [--debug|--release] [--manifest FILE] [name=value ...]\n" +
			"       cli.ts test-lin [test files or folders ...]\n",
	);
	process.exit(2);
}

interface BuildArguments {
	config: Record<string, string>;
	debug?: boolean;
	manifest?: string;
}

function parseBuildArguments(argv: string[]): BuildArguments {
	const result: BuildArguments = { config: {} };
	for (let i = 0; i < argv.length; i++) {
		const argument = argv[i];
		if (argument === "--release") result.debug = false;
		else if (argument === "--manifest") result.manifest = path.resolve(argv[++i] ?? usage("--manifest needs a file"));
		else if (argument === "--debug") result.debug = true;
		else if (/^[A-Za-z_]\w*=/.test(argument)) {
			const equals = argument.indexOf("=");
			result.config[argument.slice(0, equals)] = argument.slice(equals + 1);
		} else usage(`unexpected argument "${argument}"`);
	}
	return result;
}

const relative = (file: string) => path.relative(process.cwd(), file) || ".";

async function main() {
	const [command, ...rest] = process.argv.slice(2);
	if (!command) usage();
	findSdk();
	switch (command) {
		case "build-lin": {
			const options = parseBuildArguments(rest);
			const build = await buildLin({ ...options, echo: true });
			console.log(`\nbuilt ${build.name} for lin (${build.mode}) into ${relative(build.outputDirectory)}`);
			console.log(`mc.so: ${relative(build.mcSo)}`);
			console.log(`run it: DISPLAY=<an X display> mcsim ${relative(build.mcSo)}`);
			return 0;
		}
		case "check": {
			const [chip, ...more] = rest;
			if (chip !== "esp32" && chip !== "esp") usage(`check needs esp32 or esp, not "${chip ?? ""}"`);
			const options = parseBuildArguments(more);
			const check = await compileCheck(chip as Chip, { ...options, echo: true });
			console.log(`\n${chip} compile check (${check.mode}) passed; compiled on this run: tsc ${check.tsc}, xsc ${check.xsc}`);
			console.log(check.linked ? `xsl linked and ran the preloads: ${check.linked.replace(/^### /, "")}` : "xsl: already linked, nothing changed");
			console.log(`makefile: ${relative(check.makefile)}`);
			return 0;
		}
		case "test-lin": {
			const result = spawnSync(process.execPath, ["--import", "tsx", path.join(projectRoot, "test-host/run-tests.ts"), ...rest], {
				stdio: "inherit",
				env: { ...process.env, TARGET: "lin" },
			});
			return result.status ?? 1;
		}
		default:
			usage(`unknown command "${command}"`);
	}
}

try {
	process.exitCode = await main();
} catch (error) {
	if (error instanceof SdkMissingError) process.stderr.write(`${error.message}\n`);
	else if (error instanceof BuildError) process.stderr.write(`\n${error.message.split("\n")[0]}\n`);
	else process.stderr.write(`${(error as Error).stack ?? error}\n`);
	process.exitCode = 1;
}
