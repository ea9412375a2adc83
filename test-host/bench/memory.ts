// Memory benchmark on the real XS engine (needs MODDABLE): each profile built for lin with the
// SDK's instrumentation, the fixed scenario of test-host/harness/memory.ts run against it, and the
// smallest fixed slot heap the scenario passes in, found by bisection (one incremental build per
// try). Prints figures; asserts nothing.
//   npm run bench:memory                          both profiles
//   npm run bench:memory -- --profile esp8266     one
//   npm run bench:memory -- --no-search           without the bisection (much faster)
//   npm run bench:memory -- --step 16             the bisection's resolution in slots (default 32)
//   npm run bench:memory -- --chunk 16384         the chunk heap fixed too, in bytes, while bisecting
import { sdkAvailable, sdkMissingMessage } from "../toolchain/sdk.ts";
import {
	chipSlotBytes,
	messageSizes,
	passesInHeap,
	profileLimits,
	profiles,
	runScenario,
	startProfile,
	type Profile,
	type ScenarioFigures,
} from "../harness/memory.ts";

interface Options {
	profiles: Profile[];
	search: boolean;
	step: number;
	chunk?: number;
	verbose: boolean;
}

function parseOptions(argv: string[]): Options {
	const options: Options = { profiles: [...profiles], search: true, step: 32, verbose: false };
	for (let i = 0; i < argv.length; i++) {
		const argument = argv[i];
		if (argument === "--profile") {
			const profile = argv[++i] as Profile;
			if (!profiles.includes(profile)) throw new Error(`--profile ${profile}: one of ${profiles.join(", ")}`);
			options.profiles = [profile];
		} else if (argument === "--no-search") options.search = false;
		else if (argument === "--step") options.step = Number(argv[++i]);
		else if (argument === "--chunk") options.chunk = Number(argv[++i]);
		else if (argument === "--verbose") options.verbose = true;
		else throw new Error(`unknown option ${argument}`);
	}
	return options;
}

const number = (value: number) => value.toLocaleString("en-US");
const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const log = (line: string) => process.stderr.write(`${line}\n`);

function row(what: string, slots: number | string, chunks: number | string, chip: string): string {
	return `  ${what.padEnd(34)}${String(slots).padStart(8)}${String(chunks).padStart(14)}   ${chip}`;
}

function figureRow(what: string, figure: { slots: number; chunks: number }): string {
	return row(what, number(figure.slots), number(figure.chunks), `${kilobytes(figure.slots * chipSlotBytes)} of slots`);
}

/** Smallest heap in [low, high] (slots, to `step`) the scenario passes in; high must pass. */
async function smallestHeap(profile: Profile, low: number, high: number, step: number, chunk: number | undefined, verbose: boolean): Promise<{ heap: number; failures: string[] }> {
	const failures: string[] = [];
	while (high - low > step) {
		const middle = Math.ceil((low + high) / 2 / step) * step;
		const heap = middle >= high ? high - step : middle;
		const result = await passesInHeap(profile, heap, { chunk, echo: verbose });
		log(`    ${number(heap)} slots: ${result.passed ? "passes" : `fails (${result.reason})`}`);
		if (result.passed) high = heap;
		else {
			low = heap;
			failures.push(`${number(heap)}: ${result.reason}`);
		}
	}
	return { heap: high, failures };
}

async function benchProfile(profile: Profile, options: Options) {
	const limits = profileLimits(profile);
	log(`${profile}: building and measuring...`);
	const target = await startProfile(profile, { echo: options.verbose });
	let figures: ScenarioFigures;
	try {
		figures = await runScenario(target, { progress: (step) => log(`  ${step}`) });
	} finally {
		await target.stop();
	}

	let smallest: string;
	if (options.search) {
		log(`  bisecting the fixed slot heap (step ${options.step})...`);
		// The scenario needs at least its idle heap; the heap it grew to is the first guess above.
		let high = Math.ceil(figures.reserved.slots / options.step) * options.step;
		let low = Math.floor(figures.idle.slots / options.step) * options.step;
		for (;;) {
			const result = await passesInHeap(profile, high, { chunk: options.chunk, echo: options.verbose });
			log(`    ${number(high)} slots: ${result.passed ? "passes" : `fails (${result.reason})`}`);
			if (result.passed) break;
			low = high;
			high *= 2;
			if (high > 65536) throw new Error(`${profile}: the scenario does not pass even in ${number(high / 2)} slots`);
		}
		const found = await smallestHeap(profile, low, high, options.step, options.chunk, options.verbose);
		smallest = row(`smallest fixed slot heap (±${options.step})`, number(found.heap), options.chunk === undefined ? "" : `${number(options.chunk)} fixed`, `${kilobytes(found.heap * chipSlotBytes)} of slots`);
	} else smallest = row("smallest fixed slot heap", "-", "", "not searched (--no-search)");

	const lines = [
		"",
		`${profile}: ${limits.maxClients} WebSocket clients${limits.tlsClients ? ` (${limits.tlsClients} of them over wss://)` : ""}, messages up to ${number(limits.maxMessage)} bytes (${messageSizes(limits.maxMessage).join(", ")}), ` +
			`${limits.links} AT link${limits.links === 1 ? "" : "s"}, HTTP bodies up to ${number(limits.maxBody)}, wss:// client ${limits.wss ? "in" : "left out"}, ` +
			(limits.tlsClients ? "TLS server in" : "no TLS server"),
		row("", "slots", "chunk bytes", "on the chip (slots × 16 bytes)"),
		figureRow("idle, after a collection", figures.idle),
		figureRow("per idle WebSocket client", figures.perClient),
		figureRow("per open AT link", figures.perLink),
		...(limits.tlsClients ? [figureRow("per idle wss:// session (TLS server)", figures.perTlsSession)] : []),
		figureRow("peak during the scenario (sampled)", figures.peak),
		figureRow("heap XS grew to (reserved)", figures.reserved),
		row(`stack peak (of ${number(figures.stack.size)})`, number(figures.stack.peak), "", `${kilobytes(figures.stack.peak * chipSlotBytes)} of stack`),
		smallest,
		figureRow("idle again afterwards", figures.idleAfter),
		`  (${number(figures.collections)} collections; slot figures count lin's 32-byte slots as slots; chunk bytes are lin's, 64-bit)`,
	];
	process.stdout.write(lines.join("\n") + "\n");
}

async function main() {
	if (!sdkAvailable()) {
		process.stdout.write(`bench:memory skipped: ${sdkMissingMessage}\n`);
		return;
	}
	const options = parseOptions(process.argv.slice(2));
	for (const profile of options.profiles) await benchProfile(profile, options);
}

try {
	await main();
} catch (error) {
	process.stderr.write(`${(error as Error).stack ?? error}\n`);
	process.exitCode = 1;
}
