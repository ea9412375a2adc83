// The firmware's realm on Node: a node:vm context holding only what XS gives an mcconfig app,
// with the project's firmware modules (TypeScript, compiled by the same TypeScript the toolchain
// pins) and host stand-ins for the Moddable modules the manifests bring. Needs Node's
// --experimental-vm-modules.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type TypeScript from "typescript";
import type { HostOptions, RealmServices } from "./host-module.ts";
import { resolveManifest, type ResolvedManifest } from "./manifest.ts";
import { loadHostModule } from "./sdk.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.resolve(here, "../..");
const require = createRequire(import.meta.url);

export interface FirmwareRealmOptions {
	/** The app manifest (default: the project's manifest.json). */
	manifest?: string;
	/** Which manifest platform section applies. The host runtime stands in for "lin". */
	platform?: string;
	/** mc/config overrides, as mcconfig's name=value arguments. */
	config?: Record<string, unknown>;
	host?: HostOptions;
	/** Receives each line firmware traces (default: stdout). */
	trace?: (line: string) => void;
	/** Called once when the firmware aborts (default: print to stderr). */
	onAbort?: (error: FirmwareAbort) => void;
}

/** What XS reports when it aborts: the reason and the error that caused it. */
export class FirmwareAbort extends Error {
	constructor(
		readonly reason: string,
		readonly error?: unknown,
	) {
		super(`XS abort: ${reason}${error === undefined ? "" : `\n${describe(error)}`}`);
	}
}

function describe(error: unknown): string {
	if (error && typeof error === "object" && "stack" in error && typeof error.stack === "string") return error.stack;
	return String(error);
}

// Globals that the polyfill bundle adds but XS does not have: they must not exist for firmware.
const notInXS = [
	"atob", "btoa", "clearImmediate", "setImmediate", "queueMicrotask", "self", "structuredClone",
	"__core-js_shared__", "compositeKey", "compositeSymbol", "Observable", "DOMException",
	"setInterval", "setTimeout", "clearInterval", "clearTimeout", "URLSearchParams", "URL",
	"AsyncIterator", "DisposableStack", "AsyncDisposableStack", "SuppressedError",
	// V8 has these in every context; XS has neither.
	"WebAssembly", "Intl", "console",
];

let polyfillSource: vm.Script | undefined;
let xsGlobalsSource: vm.Script | undefined;

export class FirmwareRealm {
	readonly context: vm.Context;
	readonly manifest: ResolvedManifest;
	readonly config: Readonly<Record<string, unknown>>;
	readonly services: RealmServices;
	/** Set when the firmware aborted. */
	abortError: FirmwareAbort | undefined;
	/** Resolves with the abort when the firmware aborts. */
	readonly aborted: Promise<FirmwareAbort>;

	#modules = new Map<string, Promise<vm.Module>>();
	#instantiated: vm.Module[] = [];
	#importing: Promise<unknown> = Promise.resolve();
	#cleanups: Array<() => void> = [];
	#running = true;
	#traceBuffer = "";
	#resolveAborted!: (error: FirmwareAbort) => void;
	#options: FirmwareRealmOptions;

	private constructor(options: FirmwareRealmOptions) {
		this.#options = options;
		const manifestPath = options.manifest ?? path.join(projectRoot, "manifest.json");
		this.manifest = resolveManifest(manifestPath, options.platform ?? "lin");
		this.config = { ...this.manifest.config, ...(options.config ?? {}) };
		this.aborted = new Promise((resolve) => (this.#resolveAborted = resolve));
		this.context = vm.createContext(
			{ __traceSink: (text: string) => this.#trace(text), __abortSink: (reason: string) => this.abort(reason) },
			{ name: "firmware" },
		);
		installGlobals(this.context);

		const realm = this;
		const resources = new Map<string, string>();
		for (const file of this.manifest.resources) resources.set(path.basename(file), file);
		this.services = {
			global: vm.runInContext("globalThis", this.context),
			context: this.context,
			config: this.config,
			resources,
			options: options.host ?? {},
			invoke: (callback, thisArg, ...args) => realm.invoke(callback, thisArg, ...args),
			abort: (reason, error) => realm.abort(reason, error),
			onStop: (cleanup) => realm.#cleanups.push(cleanup),
			get running() {
				return realm.#running;
			},
			trace: (text) => realm.#trace(text),
		};
	}

	static async create(options: FirmwareRealmOptions = {}): Promise<FirmwareRealm> {
		return new FirmwareRealm(options);
	}

	get running(): boolean {
		return this.#running;
	}

	/** Loads and evaluates a firmware module; resolves to its namespace. */
	import(specifier: string): Promise<any> {
		// One at a time: two module graphs that share a module must not be linked concurrently.
		const result = this.#importing.then(() => this.#import(specifier));
		this.#importing = result.catch(() => {});
		return result;
	}

	async #import(specifier: string): Promise<any> {
		const module = await this.#load(specifier, undefined);
		if (module.status === "unlinked") await module.link((name, referencing) => this.#load(name, referencing));
		if (module.status === "linked") await module.evaluate();
		if (module.status === "errored") throw module.error;
		this.#freezePreloaded();
		return module.namespace;
	}

	/** Starts the app the way XS does: evaluates "main" and calls its default export if it is a function. */
	async runMain(): Promise<void> {
		const main = await this.import("main");
		if (typeof main.default === "function") this.invoke(main.default, undefined);
	}

	/** Calls a firmware callback; an exception escaping it aborts the firmware, as on XS. */
	invoke<T>(callback: (...args: any[]) => T, thisArg: unknown, ...args: unknown[]): T | undefined {
		if (!this.#running) return undefined;
		try {
			return callback.apply(thisArg, args);
		} catch (error) {
			this.abort("unhandled exception", error);
			return undefined;
		}
	}

	abort(reason: string, error?: unknown): void {
		if (!this.#running) return;
		this.abortError = new FirmwareAbort(reason, error);
		this.stop();
		this.#resolveAborted(this.abortError);
		if (this.#options.onAbort) this.#options.onAbort(this.abortError);
		else process.stderr.write(this.abortError.message + "\n");
	}

	/** Stops the firmware: closes everything its modules opened. */
	stop(): void {
		if (!this.#running) return;
		this.#running = false;
		this.#flushTrace();
		for (const cleanup of this.#cleanups.splice(0).reverse()) {
			try {
				cleanup();
			} catch {
				// A resource that fails to close while stopping has nothing left to report to.
			}
		}
	}

	// mcconfig runs preloaded modules at build time and XS keeps what they made in flash, read
	// only: writing to it at run time throws. Freezing what they export makes the host fail alike.
	#freezePreloaded() {
		for (const module of this.#instantiated) {
			if (!preloaded.has(module) || module.status !== "evaluated" || frozen.has(module)) continue;
			frozen.add(module);
			const namespace = module.namespace as Record<string, unknown>;
			for (const key of Object.keys(namespace)) deepFreeze(namespace[key]);
		}
	}

	#trace(text: string) {
		this.#traceBuffer += text;
		let newline: number;
		while ((newline = this.#traceBuffer.indexOf("\n")) >= 0) {
			const line = this.#traceBuffer.slice(0, newline);
			this.#traceBuffer = this.#traceBuffer.slice(newline + 1);
			this.#emitTrace(line);
		}
	}

	#flushTrace() {
		if (this.#traceBuffer) this.#emitTrace(this.#traceBuffer);
		this.#traceBuffer = "";
	}

	#emitTrace(line: string) {
		if (this.#options.trace) this.#options.trace(line);
		else process.stdout.write(line + "\n");
	}

	#load(specifier: string, referencing: vm.Module | undefined): Promise<vm.Module> {
		const name = resolveSpecifier(specifier, referencing && moduleNames.get(referencing));
		let module = this.#modules.get(name);
		if (!module) {
			module = this.#instantiate(name, referencing);
			this.#modules.set(name, module);
		}
		return module;
	}

	async #instantiate(name: string, referencing: vm.Module | undefined): Promise<vm.Module> {
		let module: vm.Module;
		if (name === "mc/config") {
			// mcconfig generates mc/config from the manifests' config and the command line.
			const config = vm.runInContext(`Object.freeze(JSON.parse(${JSON.stringify(JSON.stringify(this.config))}))`, this.context);
			module = new vm.SyntheticModule(["default"], function () {
				this.setExport("default", config);
			}, { context: this.context, identifier: name });
		} else {
			const source = this.manifest.modules.get(name);
			if (!source) {
				const by = referencing ? ` (imported by "${moduleNames.get(referencing)}")` : "";
				throw new Error(`module "${name}" not found${by}: no manifest of the app provides it`);
			}
			if (source.kind === "host") {
				const factory = await loadHostModule(source.name);
				const exports = factory(this.services);
				module = new vm.SyntheticModule(Object.keys(exports), function () {
					for (const [key, value] of Object.entries(exports)) this.setExport(key, value);
				}, { context: this.context, identifier: name });
			} else {
				module = new vm.SourceTextModule(compile(source.file), {
					context: this.context,
					identifier: source.file,
				});
			}
		}
		moduleNames.set(module, name);
		if (this.manifest.preload.has(name)) preloaded.add(module);
		this.#instantiated.push(module);
		return module;
	}
}

const moduleNames = new WeakMap<vm.Module, string>();
const preloaded = new WeakSet<vm.Module>();
const frozen = new WeakSet<vm.Module>();

function deepFreeze(value: unknown, seen = new Set<unknown>()) {
	if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
	seen.add(value);
	Object.freeze(value);
	for (const key of Reflect.ownKeys(value)) {
		const descriptor = Object.getOwnPropertyDescriptor(value, key);
		if (descriptor && "value" in descriptor) deepFreeze(descriptor.value, seen);
	}
}

// XS resolves "./x" and "../x" against the importing module's specifier ("ws/protocol" + "./frame"
// is "ws/frame"); anything else is a specifier as the manifests name it.
function resolveSpecifier(specifier: string, from: string | undefined): string {
	if (!specifier.startsWith("./") && !specifier.startsWith("../")) return specifier;
	const base = from ? from.split("/").slice(0, -1) : [];
	for (const part of specifier.split("/")) {
		if (part === "..") base.pop();
		else if (part !== ".") base.push(part);
	}
	return base.join("/");
}

const compiled = new Map<string, { mtime: number; code: string }>();
// TypeScript is large and slow to load: only a cache miss needs it.
let typescript: typeof TypeScript | undefined;
const loadTypeScript = () => (typescript ??= require("typescript") as typeof TypeScript);
const typescriptVersion = (JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")) as { version: string }).version;
// Every sim target is a new process: what TypeScript made of a source is kept on disk, keyed by
// the source and the compiler's version, so only changed files are compiled again.
const diskCache = path.join(projectRoot, "node_modules", ".cache", "firmware-js");

function compile(file: string): string {
	const mtime = fs.statSync(file).mtimeMs;
	const cached = compiled.get(file);
	if (cached && cached.mtime === mtime) return cached.code;
	const source = fs.readFileSync(file, "utf8");
	let code = source;
	if (file.endsWith(".ts")) {
		const key = crypto.createHash("sha256").update(typescriptVersion).update("\0").update(file).update("\0").update(source).digest("hex");
		const cacheFile = path.join(diskCache, key + ".js");
		try {
			code = fs.readFileSync(cacheFile, "utf8");
			compiled.set(file, { mtime, code });
			return code;
		} catch {
			// not compiled yet
		}
		const ts = loadTypeScript();
		const output = ts.transpileModule(source, {
			fileName: file,
			reportDiagnostics: true,
			compilerOptions: {
				target: ts.ScriptTarget.ES2022,
				module: ts.ModuleKind.ESNext,
				isolatedModules: true,
				useDefineForClassFields: true,
			},
		});
		const errors = (output.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
		if (errors.length) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, "\n")}`);
		code = output.outputText;
		try {
			fs.mkdirSync(diskCache, { recursive: true });
			fs.writeFileSync(cacheFile + "." + process.pid, code);
			fs.renameSync(cacheFile + "." + process.pid, cacheFile);
		} catch {
			// a read-only checkout just compiles every time
		}
	}
	compiled.set(file, { mtime, code });
	return code;
}

function installGlobals(context: vm.Context) {
	// The standard library XS has and Node 20 lacks (base64/hex on Uint8Array, iterator helpers,
	// Promise.withResolvers, Set methods...) comes from core-js; then every global XS lacks goes.
	polyfillSource ??= new vm.Script(fs.readFileSync(require.resolve("core-js-bundle/minified.js"), "utf8"), {
		filename: "core-js-bundle",
	});
	xsGlobalsSource ??= new vm.Script(fs.readFileSync(path.join(here, "xs-globals.js"), "utf8"), {
		filename: "xs-globals.js",
	});
	polyfillSource.runInContext(context);
	for (const name of notInXS) vm.runInContext(`delete globalThis[${JSON.stringify(name)}]`, context);
	xsGlobalsSource.runInContext(context);
}
