// The AT script runner from the command line:
//   npm run at -- script.at [more.at ...] --port /dev/ttyUSB0 [--baud 115200] [--var NAME=value ...]
//                 [--timeout MS]
//   npm run at -- --list       the serial ports this machine sees (path, USB vendor:product), to
//                              find a board's port
// Runs the scripts in order against whatever is on the port (a board, or the pty end of
// `npm start -- --serial ...`), prints PASS or where a reply differed, exits 1 on any failure.
import { describePort, listPorts, PortError } from "./port.ts";
import { report, runScripts } from "./runner.ts";
import { ScriptError } from "./script.ts";

function usage(message?: string): never {
	if (message) process.stderr.write(`${message}\n`);
	process.stderr.write("usage: npm run at -- SCRIPT.at [...] --port PATH [--baud N] [--var NAME=value ...] [--timeout MS]\n       npm run at -- --list\n");
	process.exit(2);
}

const files: string[] = [];
const variables: Record<string, string> = {};
let port: string | undefined;
let baud = 115200;
let timeout: number | undefined;
let list = false;
const args = process.argv.slice(2);
for (let index = 0; index < args.length; index++) {
	const argument = args[index];
	const value = () => args[++index] ?? usage(`${argument} needs a value`);
	if (argument === "--list") list = true;
	else if (argument === "--port") port = value();
	else if (argument === "--baud") baud = Number(value());
	else if (argument === "--timeout") timeout = Number(value());
	else if (argument === "--var") {
		const match = /^([A-Za-z_]\w*)=(.*)$/s.exec(value());
		if (!match) usage("--var NAME=value");
		variables[match[1]] = match[2];
	} else if (argument.startsWith("--")) usage(`unknown option ${argument}`);
	else files.push(argument);
}
if (list) {
	const ports = await listPorts();
	if (!ports.length) console.log("no serial ports found");
	for (const found of ports) console.log(describePort(found));
	process.exit(0);
}
if (!port) usage("--port is required");
if (!files.length) usage("no script given");

try {
	const results = await runScripts(files, port, { baud, variables, timeout });
	results.forEach((result, index) => console.log(report(files[index], result)));
	process.exit(results.every((result) => result.ok) ? 0 : 1);
} catch (error) {
	if (error instanceof ScriptError) usage(error.message);
	// A port that cannot be opened: the system's reason is the whole story.
	if (!(error instanceof PortError)) throw error;
	process.stderr.write(`${error.message}\n`);
	process.exit(1);
}
