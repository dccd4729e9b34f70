/** Where the system's Chromium is and how to start it headless (the browser suites, the bench plots). */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Start flags that work on Debian's Chromium, also as root in CI. */
export const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

function executable(path: string): boolean {
	try {
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/**
 * The Chromium to drive: `RT_CHROMIUM` when set (it must exist), else /usr/bin/chromium, else
 * `chromium` on PATH. Undefined when there is none.
 */
export function findChromium(): string | undefined {
	const configured = process.env.RT_CHROMIUM;
	if (configured) {
		if (!executable(configured)) throw new Error(`RT_CHROMIUM is set to "${configured}", which is not an executable file.`);
		return configured;
	}
	if (executable('/usr/bin/chromium')) return '/usr/bin/chromium';
	for (const dir of (process.env.PATH ?? '').split(delimiter)) {
		if (dir && executable(join(dir, 'chromium'))) return join(dir, 'chromium');
	}
	return undefined;
}
