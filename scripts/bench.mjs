// `npm run bench`: installs what the benchmarks need on first use (Node 22, a Directus 12 host),
// builds the bundle and the migration file, then runs, under Node 22:
//   bench/sandbox.bench.ts   the script sandbox on its own (no servers)
//   bench/event-loop.bench.ts  how long looping scripts hold the event loop (no servers)
//   bench/realtime.bench.ts  its own Soketi + Directus: fan-out, sustained writes, /realtime/auth
//   bench/history.bench.ts   writes with numbering and history on vs off, recovery of 1,000 missed events
//   bench/report.ts          PASS / MISS per target, docs/benchmarks.md, docs/images/bench-fanout.png
// Soketi runs on a Node 20 (this one if it is 20, else one installed into .runtime/node20, as for
// npm test; RT_SOKETI_NODE overrides) so that its native uWebSockets.js build loads.
// A missed target is reported, not failed; the exit code is non-zero only if a part could not run.
// Knobs (environment): see bench/realtime.bench.ts; DB=postgres|mysql as for npm test;
// BENCH_NO_DOCS=1 leaves docs/ alone (results JSON and the summary only).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDirectus, ensureSoketiNode, ROOT } from './runtime.mjs';

const started = Date.now();
const { node } = ensureDirectus();
const soketiNode = process.env.RT_SOKETI_NODE ?? ensureSoketiNode();

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
	console.error('[bench] the build failed: nothing was measured');
	process.exit(build.status ?? 1);
}

const env = { ...process.env, RT_HOST_NODE: process.execPath, RT_SOKETI_NODE: soketiNode };
const run = (file, args = []) => {
	console.log(`\n[bench] ${file}`);
	const r = spawnSync(node, ['--no-node-snapshot', '--import', 'tsx', file, ...args], { cwd: ROOT, stdio: 'inherit', env });
	if (r.status !== 0) console.error(`[bench] ${file} could not run (exit ${r.status ?? r.signal})`);
	return r.status === 0;
};

// No stale results from an earlier run may pass for this one's (each bench writes its own file).
rmSync(join(ROOT, 'bench', 'results', 'sandbox.json'), { force: true });
const sandboxOk = run('bench/sandbox.bench.ts');
// Event-loop delay with looping scripts, before and after the slice (~15 s; results in bench/results/event-loop.json).
const eventLoopOk = run('bench/event-loop.bench.ts');
const realtimeOk = run('bench/realtime.bench.ts');
// Numbering and history: writes with them on against RT_ENVELOPE=false, and recovering 1,000 missed events (bench/results/history.json).
rmSync(join(ROOT, 'bench', 'results', 'history.json'), { force: true });
const historyOk = run('bench/history.bench.ts');
// The report also covers a partial run: it says what is missing.
const reportOk = run('bench/report.ts', process.env.BENCH_NO_DOCS ? ['--no-docs'] : []);
console.log(`\n[bench] done in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(sandboxOk && eventLoopOk && realtimeOk && historyOk && reportOk ? 0 : 1);
