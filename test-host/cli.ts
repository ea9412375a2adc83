// Runs the firmware on the host runtime:
//   npm start                         echo server on ws://127.0.0.1:8080/ws, AT console on this terminal
//   npm start -- --eol cr|lf|crlf     what Enter sends on the terminal (default crlf, as ESP-AT wants)
//   npm start -- --port 9000          another port (same as wsPort=9000)
//   npm start -- --serial /dev/pts/7  AT console on a serial port or pseudo-terminal instead (COM3 on Windows)
//   npm start -- --serial none        no AT console
//   npm start -- name=value ...       any mc/config value, as mcconfig takes them
// On a terminal, Ctrl-C or Ctrl-] quits (status 0) and gives the terminal back as it was. When
// standard input is not a terminal (a pipe), its bytes go to the AT console unchanged.
// Exits non-zero when the firmware aborts, as XS would, or when the serial port does not open.
import path from "node:path";
import os from "node:os";
import type tty from "node:tty";
import { FirmwareRealm, projectRoot } from "./runtime/realm.ts";
import { describeLineEnding, lineEndings, openTerminalConsole, type LineEnding, type TerminalConsole } from "./terminal.ts";

interface RunArguments {
	config: Record<string, string>;
	serialDevice: string;
	dataDirectory: string;
	eol: LineEnding;
	manifest?: string;
}

function usage(message?: string): never {
	if (message) process.stderr.write(`${message}\n`);
	process.stderr.write(
		"usage: cli.ts run [--port N] [--serial PATH|stdio|none] [--eol crlf|cr|lf] [--data DIR] [--manifest FILE] [name=value ...]\n",
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
		eol: "crlf",
	};
	for (let i = 0; i < rest.length; i++) {
		const argument = rest[i];
		const value = () => rest[++i] ?? usage(`${argument} needs a value`);
		if (argument === "--port") result.config.wsPort = value();
		else if (argument === "--serial") result.serialDevice = value();
		else if (argument === "--data") result.dataDirectory = value();
		else if (argument === "--manifest") result.manifest = path.resolve(value());
		else if (argument === "--eol") {
			const eol = value().toLowerCase();
			if (!(eol in lineEndings)) usage(`--eol takes crlf, cr or lf, not "${eol}"`);
			result.eol = eol as LineEnding;
		} else if (/^[A-Za-z_][\w]*=/.test(argument)) {
			const equals = argument.indexOf("=");
			result.config[argument.slice(0, equals)] = argument.slice(equals + 1);
		} else usage(`unexpected argument "${argument}"`);
	}
	return result;
}

/** What a person needs to start: where the servers are, where the AT console is, which keys. */
function startupLines(config: Readonly<Record<string, unknown>>, atConsole: string | undefined): string[] {
	const lines: string[] = [];
	if (config.role === "client") lines.push(`echo client  ${String(config.clientUrl ?? "(no clientUrl)")}`);
	else {
		const port = String(config.wsPort ?? 8080);
		lines.push(`echo server  ws://127.0.0.1:${port}${String(config.wsPath ?? "/ws")}`);
		lines.push(`web console  http://127.0.0.1:${port}/`);
	}
	lines.push(`AT console   ${atConsole ?? "off"}`);
	return lines;
}

async function main() {
	const options = parseArguments(process.argv.slice(2));
	// As on lin, the AT console opens the device config.atDevice names, and is off unless one is
	// named; the host runtime always has one (the terminal by default).
	const atSettings = options.serialDevice === "none" ? { at: "false" } : { at: "true", atDevice: options.serialDevice };
	const config = { ...atSettings, ...options.config };
	const onTerminal = options.serialDevice === "stdio" && process.stdin.isTTY === true;
	let realm: FirmwareRealm | undefined;
	let terminal: TerminalConsole | undefined;

	const stop = (status: number) => {
		realm?.stop();
		terminal?.close();
		process.exit(status);
	};
	// Whatever ends the process (an abort too) gives the terminal back.
	process.on("exit", () => terminal?.close());
	if (onTerminal) terminal = openTerminalConsole({ stdin: process.stdin as tty.ReadStream, stdout: process.stdout, eol: options.eol, onQuit: () => stop(0) });

	// Settled once the AT console's port is open: undefined, or why it could not be opened.
	let serialOpen: Promise<string | undefined> | undefined;
	realm = await FirmwareRealm.create({
		manifest: options.manifest ?? path.join(projectRoot, "manifest.json"),
		config,
		host: {
			serialDevice: options.serialDevice,
			dataDirectory: options.dataDirectory,
			stdio: terminal,
			onSerialOpen: (_device, opened) => {
				serialOpen = opened.then(
					() => undefined,
					(error: Error) => error.message,
				);
			},
		},
		// Trace goes to stderr when the terminal is the AT console, so AT bytes stay clean on stdout.
		trace: (line) => (options.serialDevice === "stdio" ? process.stderr : process.stdout).write(line + "\n"),
		onAbort: (abort) => {
			process.stderr.write(abort.message + "\n");
			process.exit(1);
		},
	});
	process.on("SIGINT", () => stop(0));
	process.on("SIGTERM", () => stop(0));
	process.on("SIGHUP", () => stop(0));
	// XS aborts on a promise rejection nobody handles; so does the host.
	process.on("unhandledRejection", (reason) => realm!.abort("unhandled rejection", reason));
	try {
		await realm.runMain();
	} catch (error) {
		realm.abort("module failed to load", error);
	}
	if (!realm.running) return;

	let atConsole: string | undefined;
	if (serialOpen) {
		const error = await serialOpen;
		if (error) {
			// The person asked for this port: a firmware without its console is no use to them.
			process.stderr.write(`AT console: ${error}\n`);
			stop(1);
		}
		if (onTerminal) atConsole = `this terminal: type AT and Enter (Enter sends ${describeLineEnding(options.eol)}); Ctrl-C or Ctrl-] quits`;
		else if (options.serialDevice === "stdio") atConsole = "standard input and output";
		else atConsole = `${options.serialDevice}, ${String(realm.config.atBaud ?? 115200)} baud`;
	}
	process.stderr.write(startupLines(realm.config, atConsole).join("\n") + "\n");
}

await main();
