// Which Moddable SDK modules the host runtime stands in for, and which SDK manifest brings which
// module. Only modules listed here resolve; a firmware import of anything else fails the way a
// missing manifest entry fails on XS.
import type { HostModuleFactory } from "./host-module.ts";

/** SDK manifests the project may include, and the module specifiers each one brings. */
const sdkManifests: Record<string, string[]> = {
	"$(MODDABLE)/examples/manifest_base.json": ["timer", "Resource", "instrumentation", "time"],
	"$(MODDABLE)/examples/manifest_net.json": ["net", "sntp", "wifi"],
	"$(MODDABLE)/modules/io/manifest.json": [
		"embedded:io/socket/tcp",
		"embedded:io/socket/listener",
		"embedded:io/socket/udp",
		"embedded:io/serial",
		// modules/io/manifests/lin (and esp32) include manifest_net.json
		"net",
		"sntp",
		"wifi",
	],
	"$(MODDABLE)/examples/io/tcp/tlssocket/manifest.json": [
		"embedded:io/socket/tcp",
		"embedded:io/socket/listener",
		"embedded:io/socket/udp",
		"embedded:io/serial",
		"embedded:io/socket/tcp/tls",
	],
	"$(MODULES)/crypt/digest/manifest.json": ["crypt"],
	// The SDK's TLS engine (modules/crypt/ssl): the host has none of its modules; the project
	// module that drives it as a server is stood in for whole (projectModulesOverSdk).
	"$(MODDABLE)/modules/crypt/tls_419.json": [],
	"$(MODULES)/files/preference/manifest.json": ["preference"],
	"$(MODULES)/base/instrumentation/manifest.json": ["instrumentation"],
	"$(MODULES)/base/debug/manifest.json": ["debug"],
	"$(MODULES)/data/text/decoder/manifest.json": ["text/decoder"],
};

/** SDK module files a manifest may name directly under its own key. */
const sdkModuleFiles: Record<string, string> = {
	"$(MODULES)/crypt/ssl/session_419": "ssl/session",
	// Named by modules/tlsserver/tls with their typings; only its socket (stood in for whole,
	// below) imports them, so the host never loads them.
	"$(MODULES)/crypt/etc/x509": "x509",
	"$(MODULES)/crypt/etc/pkcs1_5": "pkcs1_5",
	"$(MODULES)/data/logical/*": "logical",
	"$(MODULES)/crypt/etc/rng": "rng",
};

/**
 * Project modules whose whole job is to drive SDK code the host does not have, by their file
 * (relative to the project): the host runs its own implementation of the same exports instead.
 * Only tlsserver/tls/socket.ts, over the SDK's TLS session ($(MODULES)/crypt/ssl); the code above
 * it (wsserver) runs unchanged, and lin runs the real module.
 */
const projectModulesOverSdk: Record<string, string> = {
	"modules/tlsserver/tls/socket.ts": "tlsserver/socket",
};

/** The host module standing in for a project file (an absolute path), if any. */
export function hostModuleForProjectFile(file: string): string | undefined {
	const normalized = file.split("\\").join("/");
	for (const [suffix, name] of Object.entries(projectModulesOverSdk)) if (normalized.endsWith(`/${suffix}`)) return name;
	return undefined;
}

/** The host implementations, one file each under modules/. */
const hostModules: Record<string, () => Promise<{ default: HostModuleFactory }>> = {
	"timer": () => import("./modules/timer.ts"),
	"Resource": () => import("./modules/resource.ts"),
	"instrumentation": () => import("./modules/instrumentation.ts"),
	"debug": () => import("./modules/debug.ts"),
	"time": () => import("./modules/time.ts"),
	"net": () => import("./modules/net.ts"),
	"crypt": () => import("./modules/crypt.ts"),
	"logical": () => import("./modules/logical.ts"),
	"rng": () => import("./modules/rng.ts"),
	"text/decoder": () => import("./modules/textdecoder.ts"),
	"preference": () => import("./modules/preference.ts"),
	"embedded:io/socket/tcp": () => import("./modules/tcp.ts"),
	"embedded:io/socket/listener": () => import("./modules/listener.ts"),
	"embedded:io/serial": () => import("./modules/serial.ts"),
	"embedded:io/socket/tcp/tls": () => import("./modules/tls.ts"),
	"tlsserver/socket": () => import("./modules/tlsserver.ts"),
};

export function sdkManifestModules(include: string): string[] | undefined {
	return sdkManifests[include];
}

export function sdkModuleFor(key: string, entry: string): string | undefined {
	return sdkModuleFiles[entry] ? key : undefined;
}

export async function loadHostModule(name: string): Promise<HostModuleFactory> {
	const load = hostModules[name];
	if (!load) throw new Error(`the host runtime has no implementation of the SDK module "${name}"`);
	try {
		return (await load()).default;
	} catch (error) {
		throw new Error(`the host runtime's implementation of "${name}" failed to load: ${(error as Error).message}`);
	}
}
