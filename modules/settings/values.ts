// Reading mc/config values the app is configured with. Values from the manifest keep their JSON
// type; values given on the mcconfig (or npm start) command line as name=value arrive as strings,
// so every reader accepts both.
export type Settings = Readonly<Record<string, unknown>>;

/** A string; `fallback` when absent. */
export function text(settings: Settings, name: string, fallback: string): string {
	const value = settings[name];
	return value === undefined ? fallback : String(value);
}

/** A non-negative number; `fallback` when absent or empty. A flag given for a number: true takes
 *  the fallback, false is 0 (so `clientReconnect=false` turns reconnecting off). */
export function number(settings: Settings, name: string, fallback: number): number {
	const value = settings[name];
	if (value === undefined || value === "") return fallback;
	if (value === true || value === "true") return fallback;
	if (value === false || value === "false") return 0;
	const result = Number(value);
	if (!Number.isFinite(result) || result < 0) throw new Error(`mc/config ${name}: "${value}" is not a number`);
	return result;
}

/** A boolean: true, "true", 1 or "1"; `fallback` when absent or empty. */
export function flag(settings: Settings, name: string, fallback: boolean): boolean {
	const value = settings[name];
	if (value === undefined || value === "") return fallback;
	return value === true || value === "true" || value === "1" || value === 1;
}

/** A resource name (a file the manifest lists in "resources"); "" or false means none. */
export function resource(settings: Settings, name: string, fallback?: string): string | undefined {
	const value = settings[name];
	if (value === undefined) return fallback;
	if (value === "" || value === false || value === "false") return undefined;
	return String(value);
}

/** Resource names, comma-separated (a JSON array in the manifest works too); none when absent. */
export function resources(settings: Settings, name: string): string[] {
	const value = settings[name];
	if (value === undefined || value === false || value === "false") return [];
	return String(value).split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0);
}
