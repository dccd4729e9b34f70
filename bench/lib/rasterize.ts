/** SVG -> PNG with the machine's headless Chromium (no network, a throwaway profile). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];

/** Writes `png`; returns why not when no Chromium is found or it fails. */
export function rasterizeSvg(svg: string, width: number, height: number, png: string): string | null {
	const chromium = CANDIDATES.find((c) => existsSync(c));
	if (!chromium) return 'no Chromium found (set CHROMIUM=/path/to/chromium)';
	const dir = mkdtempSync(join(tmpdir(), 'rt-bench-chart-'));
	try {
		const file = join(dir, 'chart.svg');
		writeFileSync(file, svg);
		const result = spawnSync(
			chromium,
			[
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--hide-scrollbars',
				'--force-device-scale-factor=2',
				`--user-data-dir=${join(dir, 'profile')}`,
				`--screenshot=${png}`,
				`--window-size=${width},${height}`,
				`file://${file}`,
			],
			{ encoding: 'utf8', timeout: 60_000 },
		);
		if (result.status !== 0 || !existsSync(png)) return `Chromium failed (${result.status ?? result.signal}): ${(result.stderr ?? '').slice(-500)}`;
		return null;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
