// Independent peers for the tests: Node's `ws` client, the Python websockets client
// (py-client.py), `openssl s_client`, and the Python servers started as child processes.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import WebSocket, { type ClientOptions } from "ws";
import { python3 } from "../harness/python.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
export const certsFolder = path.resolve(here, "../../certs");
export const serversFolder = path.resolve(here, "../servers");
export const cert = (name: string) => path.join(certsFolder, name);
export const read = (name: string) => fs.readFileSync(cert(name));

/** What a client trusts and presents: the CA and, for mutual TLS, the client certificate. */
export const trustCA = { ca: read("ca.pem") };
export const clientIdentity = { cert: read("client.pem"), key: read("client-key.pem") };
/** A client limited the way Moddable's TLS is: TLS 1.2, P-256, AES-128-GCM ECDHE suites. */
export const moddableLike = {
	maxVersion: "TLSv1.2",
	ecdhCurve: "P-256",
	ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
} as const;

export interface Echo {
	data: Buffer;
	isBinary: boolean;
}

/**
 * Opens a WebSocket with Node's `ws`, sends each message after the previous one's echo, closes
 * with 1000 and resolves with what came back. Rejects on any error or non-101 answer.
 */
export function nodeExchange(
	url: string,
	messages: Array<string | Uint8Array>,
	options: ClientOptions & { protocols?: string[]; servername?: string } = {},
): Promise<{ echoes: Echo[]; protocol: string; tls?: { version: string; cipher: string } }> {
	return new Promise((resolve, reject) => {
		const { protocols, ...clientOptions } = options;
		const ws = new WebSocket(url, protocols ?? [], { perMessageDeflate: false, ...clientOptions });
		const echoes: Echo[] = [];
		let tls: { version: string; cipher: string } | undefined;
		const sendNext = () => {
			const next = messages[echoes.length];
			if (next === undefined) ws.close(1000);
			else ws.send(next, { binary: typeof next !== "string" });
		};
		ws.on("upgrade", (response) => {
			const socket = response.socket as import("node:tls").TLSSocket;
			if (typeof socket.getProtocol === "function")
				tls = { version: String(socket.getProtocol()), cipher: socket.getCipher().standardName ?? socket.getCipher().name };
		});
		ws.on("open", sendNext);
		ws.on("message", (data: Buffer, isBinary: boolean) => {
			echoes.push({ data, isBinary });
			sendNext();
		});
		ws.on("unexpected-response", (_request, response) => reject(new Error(`unexpected response ${response.statusCode}`)));
		ws.on("error", reject);
		ws.on("close", () => resolve({ echoes, protocol: ws.protocol, tls }));
	});
}

/** Connects with Node's `ws` and resolves with the error that stops it; rejects if it opens. */
export function nodeConnectError(url: string, options: ClientOptions & { servername?: string } = {}): Promise<Error & { code?: string }> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
		ws.on("open", () => {
			// In TLS 1.3 the server judges the client certificate after the client's handshake is
			// done, so a refusal arrives as an error after the upgrade request, never as "open".
			ws.terminate();
			reject(new Error("the connection opened"));
		});
		ws.on("unexpected-response", (_request, response) => resolve(new Error(`unexpected response ${response.statusCode}`)));
		ws.on("error", resolve);
	});
}

export type PythonEcho = { text: string } | { binary: string } | { tls: string; cipher: string } | { error: string };

/** Runs py-client.py; resolves with its JSON lines and exit status. */
export function pythonExchange(
	url: string,
	options: { text?: string[]; binary?: string[]; ca?: string; cert?: string; key?: string; moddableLike?: boolean; ciphers?: string; serverName?: string } = {},
): Promise<{ lines: PythonEcho[]; status: number | null }> {
	const args = [path.join(here, "py-client.py"), url];
	for (const text of options.text ?? []) args.push("--text", text);
	for (const hex of options.binary ?? []) args.push("--binary", hex);
	if (options.ca) args.push("--ca", options.ca);
	if (options.cert) args.push("--cert", options.cert, "--key", options.key!);
	if (options.moddableLike) args.push("--moddable-like");
	if (options.ciphers) args.push("--ciphers", options.ciphers);
	if (options.serverName) args.push("--server-name", options.serverName);
	return new Promise((resolve, reject) => {
		const child = spawn(python3, args, { stdio: ["ignore", "pipe", "inherit"] });
		let out = "";
		child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
		child.on("error", reject);
		child.on("close", (status) =>
			resolve({ lines: out.split("\n").filter(Boolean).map((line) => JSON.parse(line) as PythonEcho), status }),
		);
	});
}

export interface PythonServer {
	port: number;
	process: ChildProcess;
	stop(): Promise<void>;
}

/**
 * Starts test-host/servers/<script> on a free port and waits for its "listening HOST PORT" line.
 * The caller must stop() it (tests do so in after hooks and finally blocks).
 */
export function startPythonServer(script: string, args: string[] = []): Promise<PythonServer> {
	const child = spawn(python3, [path.join(serversFolder, script), "--port", "0", ...args], {
		stdio: ["ignore", "pipe", "pipe"],
	});
	let stderr = "";
	child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
		await exited;
	};
	return new Promise((resolve, reject) => {
		const lines = readline.createInterface({ input: child.stdout! });
		lines.once("line", (line) => {
			const match = /^listening \S+ (\d+)$/.exec(line);
			if (match) resolve({ port: Number(match[1]), process: child, stop });
			else void stop().then(() => reject(new Error(`${script} said "${line}"`)));
		});
		child.once("exit", (status) => reject(new Error(`${script} exited (${status}) before listening: ${stderr}`)));
		child.once("error", reject);
	});
}

/** What `openssl s_client` sees of a TLS server: the certificates sent and the verification. */
export function opensslClient(
	port: number,
	options: { clientCertificate?: boolean; servername?: string; moddableLike?: boolean; extra?: string[] } = {},
): Promise<{ certificatesSent: number; chainSubjects: string[]; verify: string; protocol: string; cipher: string; output: string }> {
	const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", options.servername ?? "localhost"];
	args.push("-CAfile", cert("ca.pem"), "-verify_hostname", options.servername ?? "localhost", "-showcerts");
	if (options.clientCertificate) args.push("-cert", cert("client.pem"), "-key", cert("client-key.pem"));
	if (options.moddableLike) args.push("-tls1_2", "-groups", "P-256", "-cipher", moddableLike.ciphers);
	args.push(...(options.extra ?? []));
	return new Promise((resolve, reject) => {
		const child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"] });
		let output = "";
		child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
		child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
		child.stdin.end(); // EOF on stdin: s_client closes once the handshake is done
		child.on("error", reject);
		child.on("close", () =>
			resolve({
				certificatesSent: output.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0,
				chainSubjects: [...output.matchAll(/^ *\d+ s:(.*)$/gm)].map((match) => match[1].trim()),
				verify: /Verify return code: (.*)/.exec(output)?.[1] ?? "",
				protocol: /Protocol *: *(\S+)/.exec(output)?.[1] ?? "",
				cipher: /Cipher *: *(\S+)/.exec(output)?.[1] ?? "",
				output,
			}),
		);
	});
}
