// ESP-AT spec §2.3: SNTP configuration and the clock. The time comes from an injected clock; the
// application applies the configuration (and prints `+TIME_UPDATED` with engine.urc after a sync).
import { Result } from "at/results";
import { commandList, type Command, type CommandTable } from "at/table";

export interface SntpConfig {
	enabled: boolean;
	/** As given to AT+CIPSNTPCFG: whole hours -12..14, or ±hhmm (e.g. 530, -330). */
	timezone: number;
	servers: string[];
}

export interface SntpOptions {
	/** Milliseconds since 1970-01-01 UTC, as the board's clock has it (near 0 before a sync). */
	clock(): number;
	/** The configuration at boot (default: disabled, timezone 0, no servers). */
	initial?: SntpConfig;
	/** Applies a new configuration. */
	configure?(config: SntpConfig): void;
}

/** §2.3: the servers used when AT+CIPSNTPCFG enables SNTP without naming any. */
export const defaultServers = Object.freeze(["cn.ntp.org.cn", "ntp.sjtu.edu.cn", "us.pool.ntp.org"]);

/** §2.3: a timezone's offset from UTC in minutes, or undefined when it is out of range. */
export function timezoneOffset(timezone: number): number | undefined {
	if (timezone >= -12 && timezone <= 14) return timezone * 60;
	const hours = Math.trunc(timezone / 100);
	const minutes = Math.abs(timezone % 100);
	if (hours < -12 || hours > 14 || minutes > 59 || timezone < -1200 || timezone > 1400) return undefined;
	return (timezone < 0 ? -1 : 1) * (Math.abs(hours) * 60 + minutes);
}

const days = Object.freeze(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);
const months = Object.freeze(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]);
const two = (value: number) => String(value).padStart(2, "0");

/** C's asctime() without its newline: `Thu Jan  1 00:00:05 1970` (day padded with a space). */
export function asctime(milliseconds: number): string {
	const date = new Date(milliseconds);
	const day = String(date.getUTCDate()).padStart(2, " ");
	const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
	return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${day} ${time} ${date.getUTCFullYear()}`;
}

const disabled: SntpConfig = Object.freeze({ enabled: false, timezone: 0, servers: Object.freeze([]) as unknown as string[] });

/** §2.3's commands with the configuration in force. */
export class SntpTable implements CommandTable {
	readonly options: SntpOptions;
	config: SntpConfig;

	constructor(options: SntpOptions) {
		this.options = options;
		this.config = options.initial ?? disabled;
	}

	get commands(): readonly Command<SntpTable>[] {
		return commands;
	}

	reset() {
		this.config = this.options.initial ?? disabled;
	}
}

export function sntpCommands(options: SntpOptions): CommandTable {
	return new SntpTable(options);
}

// The configuration in force is replaced, never changed in place: it may be the boot one.
const commands = commandList<SntpTable>([
	{
		name: "+CIPSNTPCFG",
		query(call, table) {
			const config = table.config;
			if (!config.enabled) call.info(`+CIPSNTPCFG:0,${config.timezone}`);
			else call.info(`+CIPSNTPCFG:1,${config.timezone}${config.servers.map((server) => `,"${server}"`).join("")}`);
			return Result.OK;
		},
		// AT+CIPSNTPCFG=<enable>[,<timezone>][,"s1"][,"s2"][,"s3"]
		set(_call, parameters, table) {
			if (parameters.count > 5) return Result.Error;
			const enable = parameters.int(0);
			if (enable !== 0 && enable !== 1) return Result.Error;
			const timezone = parameters.count > 1 ? (parameters.int(1) ?? table.config.timezone) : table.config.timezone;
			if (timezoneOffset(timezone) === undefined) return Result.Error;
			const servers: string[] = [];
			for (let index = 2; index < parameters.count; index++) {
				const server = parameters.string(index);
				if (server) servers.push(server);
			}
			const config = { enabled: enable === 1, timezone, servers: enable && !servers.length ? [...defaultServers] : servers };
			table.config = config;
			table.options.configure?.({ ...config, servers: [...config.servers] });
			return Result.OK;
		},
	},
	{
		name: "+CIPSNTPTIME",
		// §1.5: printed without its CR LF, so no blank line before OK.
		query(call, table) {
			const offset = timezoneOffset(table.config.timezone) ?? 0;
			call.print(`+CIPSNTPTIME:${asctime(table.options.clock() + offset * 60000)}`);
			return Result.OK;
		},
	},
]);
