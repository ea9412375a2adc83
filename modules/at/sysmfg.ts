// ESP-AT spec §2.4: AT+SYSMFG, the manufacturing store the WebSocket TLS certificates live in
// (namespaces wss_ca, wss_cert, wss_key). Persistence is the application's: it supplies the store.
import { Result } from "at/results";
import { commandList, type Call, type Command, type CommandTable } from "at/table";

/** AT+SYSMFG value types the bridge keeps: both are written through a `>` data phase. */
export const ValueType = Object.freeze({ String: 7, Binary: 8 });

export interface StoredKey {
	key: string;
	type: number;
}

export interface StoredValue {
	type: number;
	value: Uint8Array;
}

/** The application's persistent store of manufacturing values. */
export interface ManufacturingStore {
	namespaces(): string[];
	/** The keys of a namespace in listing order, or undefined when there is no such namespace. */
	keys(namespace: string): StoredKey[] | undefined;
	read(namespace: string, key: string): StoredValue | undefined;
	/** `value` may view a receive buffer: the store copies what it keeps. False: not stored. */
	write(namespace: string, key: string, type: number, value: Uint8Array): boolean;
	/** Erases one key, or the whole namespace. False when there was nothing to erase. */
	erase(namespace: string, key?: string): boolean;
}

export interface SysmfgOptions {
	store: ManufacturingStore;
	/** Largest value AT+SYSMFG may write (default 8192, enough for a certificate chain). */
	maxValueLength?: number;
}

const Operation = Object.freeze({ Erase: 0, Read: 1, Write: 2 });

/** §2.4's AT+SYSMFG on the application's store. */
export class SysmfgTable implements CommandTable {
	readonly store: ManufacturingStore;
	readonly maxValueLength: number;

	constructor(options: SysmfgOptions) {
		this.store = options.store;
		this.maxValueLength = options.maxValueLength ?? 8192;
	}

	get commands(): readonly Command<SysmfgTable>[] {
		return commands;
	}
}

export function sysmfgCommands(options: SysmfgOptions): CommandTable {
	return new SysmfgTable(options);
}

function listNamespaces(call: Call, table: SysmfgTable): Result {
	for (const namespace of table.store.namespaces()) call.info(`+SYSMFG:"${namespace}"`);
	return Result.OK;
}

const commands = commandList<SysmfgTable>([
	{
		name: "+SYSMFG",
		query: listNamespaces,
		set(call, parameters, table) {
			const store = table.store;
			const operation = parameters.int(0);
			const namespace = parameters.count > 1 ? parameters.string(1) : undefined;
			const key = parameters.count > 2 ? parameters.string(2) : undefined;
			switch (operation) {
				// AT+SYSMFG=0,"ns"[,"key"]
				case Operation.Erase:
					if (parameters.count > 3 || !namespace) return Result.Error;
					return store.erase(namespace, key) ? Result.OK : Result.Error;
				// AT+SYSMFG=1 | 1,"ns" | 1,"ns","key"[,offset,length]
				case Operation.Read: {
					if (parameters.count === 1) return listNamespaces(call, table);
					if (!namespace) return Result.Error;
					if (parameters.count === 2) {
						const keys = store.keys(namespace);
						if (!keys) return Result.Error;
						for (const entry of keys) call.info(`+SYSMFG:"${namespace}","${entry.key}",${entry.type}`);
						return Result.OK;
					}
					if ((parameters.count !== 3 && parameters.count !== 5) || !key) return Result.Error;
					const stored = store.read(namespace, key);
					if (!stored) return Result.Error;
					let value = stored.value;
					if (parameters.count === 5) {
						const offset = parameters.int(3);
						const length = parameters.int(4);
						if (offset === undefined || length === undefined || offset < 0 || length < 1) return Result.Error;
						if (offset + length > value.length) return Result.Error;
						value = value.subarray(offset, offset + length);
					}
					// The value is raw, between the header and the line's CR LF.
					call.print(`+SYSMFG:"${namespace}","${key}",${stored.type},${value.length},`, value, "\r\n");
					return Result.OK;
				}
				// AT+SYSMFG=2,"ns","key",<type>,<length>, then the value after the prompt (§1.8)
				case Operation.Write: {
					if (parameters.count !== 5 || !namespace || !key) return Result.Error;
					const type = parameters.int(3);
					const length = parameters.int(4);
					if (type !== ValueType.String && type !== ValueType.Binary) return Result.Error;
					if (length === undefined || length < 1 || length > table.maxValueLength) return Result.Error;
					return call.receive(length, (value) => (store.write(namespace, key, type, value) ? Result.OK : Result.Error));
				}
				default:
					return Result.Error;
			}
		},
	},
]);
