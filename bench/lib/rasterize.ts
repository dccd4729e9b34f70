/** SVG -> PNG with the machine's headless Chromium (no network, a throwaway profile). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../../test/harness/chromium.js';

/** Writes `png`; returns why not when no Chromium is found or it fails. */
export function rasterizeSvg(svg: string, width: number, height: number, png: string): string | null {
	const chromium = findChromium();
	if (!chromium) return 'no Chromium found (set RT_CHROMIUM=/path/to/chromium)';
	const dir = mkdtempSync(join(tmpdir(), 'rt-bench-chart-'));
	try {
		const file = join(dir, 'chart.svg');
		writeFileSync(file, svg);
		const result = spawnSync(
			chromium,
			[
				...CHROMIUM_ARGS,
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
