// Peers for the plain-HTTP tests: Debian's curl, and a parser for the raw bytes of responses
// (several in a row on one connection, delimited by Content-Length, RFC 9112 §6.3).
import { execFile } from "node:child_process";

export interface ParsedResponse {
	version: string;
	status: number;
	headers: Record<string, string>;
	body: Buffer;
}

/** Parses the complete responses at the start of `bytes`; returns them and the bytes left over. */
export function parseResponses(bytes: Buffer, headRequest = false): { responses: ParsedResponse[]; rest: Buffer } {
	const responses: ParsedResponse[] = [];
	let offset = 0;
	for (;;) {
		const end = bytes.indexOf("\r\n\r\n", offset);
		if (end < 0) break;
		const [statusLine, ...lines] = bytes.subarray(offset, end).toString("latin1").split("\r\n");
		const headers: Record<string, string> = {};
		for (const line of lines) {
			const colon = line.indexOf(":");
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
		}
		const length = headRequest ? 0 : Number(headers["content-length"] ?? 0);
		if (bytes.length < end + 4 + length) break;
		const [version, status] = statusLine.split(" ");
		responses.push({ version, status: Number(status), headers, body: bytes.subarray(end + 4, end + 4 + length) });
		offset = end + 4 + length;
	}
	return { responses, rest: bytes.subarray(offset) };
}

export interface CurlResult {
	/** Every response curl printed with -i (an interim 1xx would come first). */
	responses: ParsedResponse[];
	status: number;
	headers: Record<string, string>;
	body: Buffer;
}

/** Runs curl -sS -i with the arguments; `input` goes to its stdin (for --data-binary @-). */
export function curl(args: string[], input?: Buffer | string): Promise<CurlResult> {
	return new Promise((resolve, reject) => {
		const child = execFile("curl", ["-sS", "-i", "--max-time", "20", ...args], { encoding: "buffer", maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
			if (error) return reject(new Error(`curl ${args.join(" ")}: ${error.message}\n${stderr.toString()}`));
			const head = args.includes("-I") || args.includes("--head");
			const { responses } = parseResponses(stdout, head);
			const last = responses.at(-1);
			if (!last) return reject(new Error(`curl printed no response: ${stdout.toString("latin1").slice(0, 300)}`));
			resolve({ responses, status: last.status, headers: last.headers, body: last.body });
		});
		// curl may be done (a refused or closed connection) before it reads its input: that is
		// its answer, reported above, not an error of the test.
		child.stdin!.on("error", () => {});
		child.stdin!.end(input ?? "");
	});
}

/** Waits until `check` returns true (it is retried as the server's state settles), or fails. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
