// `npm test`: installs what the suite needs on first use (Node 22, a Directus 12 host, or 11 with
// DIRECTUS=11), builds the bundle and the migration file, then runs every test under Node 22 with
// node's test runner.
// Extra arguments are test files or runner flags: `npm test -- test/integration/smoke.test.ts`.
// DB=postgres|mysql runs the integration suites on that database.
import { spawnSync } from 'node:child_process';
import { ensureDirectus, ensureSoketiNode, ROOT } from './runtime.mjs';

const { node } = ensureDirectus();
const soketiNode = ensureSoketiNode();

for (const step of ['build', 'typecheck']) {
	const result = spawnSync('npm', ['run', step, '--silent'], { cwd: ROOT, stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const run = spawnSync(
	node,
	[
		'--import',
		'tsx',
		'--test',
		'--test-concurrency=2',
		'--test-timeout=300000',
		...flags,
		...(files.length ? files : ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/browser/**/*.test.ts', 'test/fuzz/**/*.test.ts']),
	],
	{
		cwd: ROOT,
		stdio: 'inherit',
		// isolated-vm needs --no-node-snapshot on Node 20+ (the sandbox tests load it in-process).
		env: { ...process.env, RT_HOST_NODE: process.execPath, RT_SOKETI_NODE: soketiNode, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--no-node-snapshot'].filter(Boolean).join(' ') },
	},
);
process.exit(run.status ?? 1);
