// Runs the firmware on the host runtime:
//   npm start                         echo server on ws://127.0.0.1:8080/ws, AT console on this terminal
//   npm start -- --port 9000          another port (same as wsPort=9000)
//   npm start -- --serial /dev/pts/7 AT console on a serial device or pseudo-terminal instead
//   npm start -- --serial none        no AT console
//   npm start -- name=value ...       any mc/config value, as mcconfig takes them
// Exits non-zero when the firmware aborts, as XS would.
import path from "node:path";
import os from "node:os";
import { FirmwareRealm, projectRoot } from "./runtime/realm.ts";

interface RunArguments {
	config: Record<string, string>;
	serialDevice: string;
	dataDirectory: string;
	manifest?: string;
}

function usage(message?: string): never {
	if (message) process.stderr.write(`${message}\n`);
	process.stderr.write(
		"usage: cli.ts run [--port N] [--serial PATH|stdio] [--data DIR] [--manifest FILE] [name=value ...]\n",
	);
	process.exit(2);
}

function parseArguments(argv: string[]): RunArguments {
	const [command, ...rest] = argv;
	if (command !== "run") usage(command ? `unknown command "${command}"` : undefined);
	const result: RunArguments = {
		config: {},
		serialDevice: "stdio",
		dataDirectory: path.join(os.tmpdir(), "moddable-ws-at-bridge"),
	};
	for (let i = 0; i < rest.length; i++) {
		const argument = rest[i];
		const value = () => rest[++i] ?? usage(`${argument} needs a value`);
		if (argument === "--port") result.config.wsPort = value();
		else if (argument === "--serial") result.serialDevice = value();
		else if (argument === "--data") result.dataDirectory = value();
		else if (argument === "--manifest") result.manifest = path.resolve(value());
		else if (/^[A-Za-z_][\w]*=/.test(argument)) {
			const equals = argument.indexOf("=");
			result.config[argument.slice(0, equals)] = argument.slice(equals + 1);
		} else usage(`unexpected argument "${argument}"`);
	}
	return result;
}

async function main() {
	const options = parseArguments(process.argv.slice(2));
	// As on lin, the AT console opens the device config.atDevice names, and is off unless one is
	// named; the host runtime always has one (the terminal by default).
	const console = options.serialDevice === "none" ? { at: "false" } : { at: "true", atDevice: options.serialDevice };
	const config = { ...console, ...options.config };
	const realm = await FirmwareRealm.create({
		manifest: options.manifest ?? path.join(projectRoot, "manifest.json"),
		config,
		host: { serialDevice: options.serialDevice, dataDirectory: options.dataDirectory },
		// Trace goes to stderr when the terminal is the AT console, so AT bytes stay clean on stdout.
		trace: (line) => (options.serialDevice === "stdio" ? process.stderr : process.stdout).write(line + "\n"),
		onAbort: (abort) => {
			process.stderr.write(abort.message + "\n");
			process.exit(1);
		},
	});
	const stop = () => {
		realm.stop();
		process.exit(0);
	};
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
	// XS aborts on a promise rejection nobody handles; so does the host.
	process.on("unhandledRejection", (reason) => realm.abort("unhandled rejection", reason));
	try {
		await realm.runMain();
	} catch (error) {
		realm.abort("module failed to load", error);
	}
}

await main();
