// ESP-AT spec §0.1 and §1.6: the final results a command can end with, and the extended error
// codes (0x01SSEEEE) printed as `ERR CODE:` lines while AT+SYSLOG=1.

/** What a handler answers: one of the final results of §0.1, or Pending when it finishes later
 *  through its Call (ESP-AT's "process done": the device stays busy meanwhile, §1.2). */
export const Result = Object.freeze({
	OK: 0,
	Error: 1,
	SendOK: 2,
	SendFail: 3,
	Pending: 4,
});
export type Result = (typeof Result)[keyof typeof Result];

/** §1.6: module id 0x01, sub-category SS, extension EEEE. */
export const ErrorCode = Object.freeze({
	/** SS 02: a malformed tail after `?` or `=?`. */
	NoTerminator: 0x01020000,
	/** SS 03: no `AT` prefix, an empty line, or a line over the 256-byte limit. */
	NoPrefix: 0x01030000,
	/** SS 08: parameter parse failure; the extension is the zero-based parameter index. */
	ParameterParse: 0x01080000,
	/** SS 09: no command of that name. */
	UnsupportedCommand: 0x01090000,
	/** SS 0B: input while a command runs. */
	Busy: 0x010b0000,
});
