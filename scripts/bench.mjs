// `npm run bench`: installs what the benchmarks need on first use (Node 22, a Directus 12 host),
// builds the bundle and the migration file, then runs, under Node 22:
//   bench/sandbox.bench.ts   the script sandbox on its own (no servers)
//   bench/event-loop.bench.ts  how long looping scripts hold the event loop (no servers)
//   bench/realtime.bench.ts  its own Soketi + Directus: fan-out, sustained writes, /realtime/auth
//                            (scripted authorizer and permission mode) next to GET /users/me
//   bench/history.bench.ts   writes with history on vs off (RT_HISTORY), recovery of 1,000 missed
//                            events by the client helper
//   bench/report.ts          PASS / MISS per target, docs/benchmarks.md, docs/images/bench-fanout.png
// BENCH_ONLY=<parts> runs only those parts (sandbox, event-loop, sustained, fanout, auth, history,
// recovery; bench/lib/parts.ts), and skips a file none of whose parts is named. BENCH_SHORT=1 is a
// smoke run (a few minutes): fewer, shorter rounds; it never writes docs/ (its numbers say only
// that every part runs).
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

const SHORT = process.env.BENCH_SHORT === '1';
const PARTS = ['sandbox', 'event-loop', 'sustained', 'fanout', 'auth', 'history', 'recovery'];
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const unknown = [...only].filter((p) => !PARTS.includes(p));
if (unknown.length) {
	console.error(`[bench] BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
	process.exit(2);
}
const wanted = (...parts) => only.size === 0 || parts.some((p) => only.has(p));

const env = { ...process.env, RT_HOST_NODE: process.execPath, RT_SOKETI_NODE: soketiNode, ...(SHORT && !process.env.BENCH_RUNS ? { BENCH_RUNS: '2000' } : {}) };
const run = (file, args = [], ...parts) => {
	if (parts.length && !wanted(...parts)) {
		console.log(`\n[bench] ${file}: skipped (BENCH_ONLY)`);
		return true;
	}
	console.log(`\n[bench] ${file}`);
	const r = spawnSync(node, ['--no-node-snapshot', '--import', 'tsx', file, ...args], { cwd: ROOT, stdio: 'inherit', env });
	if (r.status !== 0) console.error(`[bench] ${file} could not run (exit ${r.status ?? r.signal})`);
	return r.status === 0;
};

// No stale results from an earlier run may pass for this one's (each bench writes its own file),
// also of a bench BENCH_ONLY skips: the report says what is missing.
for (const file of ['sandbox.json', 'event-loop.json', 'realtime.json', 'profile.json', 'history.json']) rmSync(join(ROOT, 'bench', 'results', file), { force: true });
const sandboxOk = run('bench/sandbox.bench.ts', [], 'sandbox');
// Event-loop delay with looping scripts, before and after the slice (~15 s; results in bench/results/event-loop.json).
const eventLoopOk = run('bench/event-loop.bench.ts', [], 'event-loop');
const realtimeOk = run('bench/realtime.bench.ts', [], 'sustained', 'fanout', 'auth');
// History: writes with RT_HISTORY on against off, and the client helper recovering 1,000 missed events (bench/results/history.json).
const historyOk = run('bench/history.bench.ts', [], 'history', 'recovery');
// The report also covers a partial run: it says what is missing. A short run leaves docs/ alone.
const reportOk = run('bench/report.ts', process.env.BENCH_NO_DOCS || SHORT ? ['--no-docs'] : []);
console.log(`\n[bench] done in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(sandboxOk && eventLoopOk && realtimeOk && historyOk && reportOk ? 0 : 1);
