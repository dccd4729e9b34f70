// `npm test`: installs what the suite needs on first use (Node 22, a Directus 12 host, or 11 with
// DIRECTUS=11), builds the bundle and the migration file, then runs every test under Node 22 with
// node's test runner: the unit, integration and browser suites, then the fuzz suite on its own.
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
const FUZZ = 'test/fuzz/**/*.test.ts';
// The fuzz suite keeps both cores busy for minutes: beside other files it could pass any one
// file's time limit, so the whole suite runs it on its own, after the rest, with a limit of its own.
const runs = files.length ? [files] : [['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'], [FUZZ]];
// The usual report on stdout, and at the end, on stderr, each failure's cause once more: in a long
// CI log the cause of cancelled tests (a suite's `before` that threw) is otherwise far above the end.
const reporters = flags.some((f) => f.startsWith('--test-reporter'))
	? []
	: ['--test-reporter', process.stdout.isTTY ? 'spec' : 'tap', '--test-reporter-destination', 'stdout', '--test-reporter', './scripts/failures-reporter.mjs', '--test-reporter-destination', 'stderr'];
let status = 0;
for (const targets of runs) {
	const fuzz = targets.some((f) => f.startsWith('test/fuzz'));
	const run = spawnSync(
		node,
		['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${fuzz ? 1_200_000 : 300_000}`, ...reporters, ...flags, ...targets],
		{
			cwd: ROOT,
			stdio: 'inherit',
			// isolated-vm needs --no-node-snapshot on Node 20+ (the sandbox tests load it in-process).
			env: { ...process.env, RT_HOST_NODE: process.execPath, RT_SOKETI_NODE: soketiNode, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--no-node-snapshot'].filter(Boolean).join(' ') },
		},
	);
	if (run.status !== 0) status = run.status ?? 1;
}
process.exit(status);
