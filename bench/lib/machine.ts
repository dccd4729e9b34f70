/** What the numbers were measured on: the report names the machine and every version. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { DIRECTUS_DIR, ROOT, SOKETI_NODE } from '../../test/harness/paths.js';

const versionOf = (packageJson: string) => (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

export interface Machine {
	cores: number;
	cpuModel: string;
	memoryGb: number;
	kernel: string;
	nodeDirectus: string;
	nodeSoketi: string;
	directus: string;
	soketi: string;
	/** "native" when Soketi's uWebSockets.js binary loaded, "fallback" when it ran its pure-JS stand-in. */
	soketiServer: 'native' | 'fallback';
	pusherJs: string;
	database: string;
}

export function describeMachine(soketiOutput: string, database: string): Machine {
	const cpuList = cpus();
	return {
		cores: cpuList.length,
		cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
		memoryGb: Math.round(totalmem() / 2 ** 30),
		kernel: `${process.platform} ${release()}`,
		nodeDirectus: process.versions.node,
		nodeSoketi: execFileSync(SOKETI_NODE, ['-p', 'process.versions.node']).toString().trim(),
		directus: versionOf(join(DIRECTUS_DIR, 'node_modules', 'directus', 'package.json')),
		soketi: versionOf(join(ROOT, 'node_modules', '@soketi', 'soketi', 'package.json')),
		soketiServer: /fall(ing)? ?back/i.test(soketiOutput) ? 'fallback' : 'native',
		pusherJs: versionOf(join(ROOT, 'node_modules', 'pusher-js', 'package.json')),
		database,
	};
}
