// The headless Chromium the browser tests drive: Debian's chromium, through playwright-core.
import fs from "node:fs";

export const chromiumPath = "/usr/bin/chromium";
/** Why the browser tests cannot run here, or false. */
export const chromiumMissing = fs.existsSync(chromiumPath) ? false : `${chromiumPath} is missing (apt-get install -y chromium)`;

type Context = import("playwright-core").BrowserContext;

/** Launches Chromium headless with its profile in `userDataDir` (and `env`, e.g. another HOME
 *  whose certificate store it reads). */
export async function launchChromium(userDataDir: string, options: { env?: NodeJS.ProcessEnv; viewport?: { width: number; height: number } } = {}): Promise<Context> {
	const { chromium } = await import("playwright-core");
	return chromium.launchPersistentContext(userDataDir, {
		executablePath: chromiumPath,
		headless: true,
		env: options.env,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
		viewport: options.viewport,
	});
}
