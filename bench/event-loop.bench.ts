/**
 * How long script runs hold Directus' event loop: the sandbox on its own (no servers), with
 * perf_hooks.monitorEventLoopDelay sampling the loop while runs go on.
 *
 *   <node22> --import tsx bench/event-loop.bench.ts
 *
 * Scenarios, each over the same RT_SCRIPT_TIMEOUT of 1000 ms and the default pool of 4 isolates:
 * - idle: nothing runs (the probe's own floor);
 * - short publishers: two-line publishers run back to back (the fast path), for one second;
 * - 8 looping runs, whole-limit slice: eight concurrent runs of `while (true) {}` with the slice
 *   set to the whole time limit, which is exactly the behaviour before the slice (the run starts
 *   with applySync and isolated-vm's timeout of RT_SCRIPT_TIMEOUT);
 * - 8 looping runs, 5 ms slice: the same with the default slice (RT_SCRIPT_SLICE=5).
 * The looping scenarios run three rounds each; the median round (by longest wait) is reported.
 * monitorEventLoopDelay takes no sample while the loop is blocked, so a loop held for seconds
 * shows in the timer probe (longest wait, timers fired), not in the histogram.
 * Prints a table and writes bench/results/event-loop.json. Takes about 35 s.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SLICE_MS, ScriptSandbox } from '../shared/src/sandbox/index.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const RUNTIME_DIR = process.env.RT_RUNTIME_DIR ?? join(ROOT, '.runtime');
process.env.RT_ISOLATED_VM_PATH ??= join(RUNTIME_DIR, 'directus', 'node_modules', 'isolated-vm');

const TIMEOUT_MS = 1000;
const LOOPING_RUNS = 8;
// BENCH_SHORT=1 (a smoke run): one round.
const ROUNDS = process.env.BENCH_SHORT === '1' ? 1 : 3;
const PUBLISHER = "trigger({ userId: meta.payload.recipient }, 'message', meta.payload);";
const meta = { key: 42, payload: { id: 42, recipient: 'cd6feea9-bcb2-45bb-a664-6fea3fea88b8', text: 'Hello there' } };
const effects = { trigger: () => () => undefined };

interface Row {
	scenario: string;
	/** Wall time of the scenario. */
	ms: number;
	/** Event-loop delay, in ms. */
	p50: number;
	p99: number;
	max: number;
	/** Timer probes (setTimeout 1 ms, back to back) that fired during the scenario. */
	probes: number;
	/** The longest wait of a probe, in ms: what another request would have waited at worst. */
	longestProbe: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(scenario: string, work: () => Promise<unknown>): Promise<Row> {
	const histogram = monitorEventLoopDelay({ resolution: 1 });
	let probes = 0;
	let longestProbe = 0;
	let probing = true;
	// A stand-in for other requests: how often a 1 ms timer gets its turn, and the longest wait.
	const probe = async () => {
		while (probing) {
			const asked = performance.now();
			await sleep(1);
			longestProbe = Math.max(longestProbe, performance.now() - asked);
			probes++;
		}
	};
	histogram.enable();
	const probeDone = probe();
	const started = performance.now();
	await work();
	const ms = performance.now() - started;
	probing = false;
	await probeDone;
	// The delay of a blocked loop is recorded once it turns again.
	await sleep(20);
	histogram.disable();
	const toMs = (ns: number) => ns / 1e6;
	return { scenario, ms, p50: toMs(histogram.percentile(50)), p99: toMs(histogram.percentile(99)), max: toMs(histogram.max), probes, longestProbe };
}

/** A sandbox with its isolates created and warm: creating them is not what is measured. */
async function warmSandbox(sliceMs = DEFAULT_SLICE_MS): Promise<ScriptSandbox> {
	const sandbox = new ScriptSandbox({ timeoutMs: TIMEOUT_MS, sliceMs });
	await Promise.all(Array.from({ length: 4 }, () => sandbox.run({ source: PUBLISHER, context: { collection: 'chat', action: 'create', meta }, effects })));
	return sandbox;
}

async function loopingRuns(sliceMs: number): Promise<Row> {
	const sandbox = await warmSandbox(sliceMs);
	const row = await measure(
		`${LOOPING_RUNS} looping runs, ${sliceMs === TIMEOUT_MS ? 'slice = whole limit (before)' : `${sliceMs} ms slice (now)`}`,
		async () => {
			const runs = Array.from({ length: LOOPING_RUNS }, () => sandbox.run({ source: 'while (true) {}' }));
			const results = await Promise.allSettled(runs);
			if (results.some((r) => r.status !== 'rejected')) throw new Error('a looping run did not time out');
		},
	);
	sandbox.dispose();
	return row;
}

const rows: Row[] = [];
rows.push(await measure('idle (1 s)', () => sleep(1000)));
{
	const sandbox = await warmSandbox();
	let runs = 0;
	rows.push(
		await measure('short publishers back to back (1 s)', async () => {
			const end = performance.now() + 1000;
			while (performance.now() < end) {
				await sandbox.run({ source: PUBLISHER, context: { collection: 'chat', action: 'create', meta }, effects });
				runs++;
				// Let the loop turn now and then, as a server between requests would.
				if (runs % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
			}
		}),
	);
	sandbox.dispose();
}
// Three rounds of each, interleaved, and the median round by its longest wait: this machine is shared.
const before: Row[] = [];
const now: Row[] = [];
for (let round = 0; round < ROUNDS; round++) {
	before.push(await loopingRuns(TIMEOUT_MS));
	now.push(await loopingRuns(DEFAULT_SLICE_MS));
}
const median = (list: Row[]) => [...list].sort((a, b) => a.longestProbe - b.longestProbe)[Math.floor(list.length / 2)] as Row;
rows.push(median(before), median(now));

console.log(`Event-loop delay while scripts run (RT_SCRIPT_TIMEOUT=${TIMEOUT_MS}, 4 isolates), Node ${process.versions.node}`);
console.table(
	rows.map((r) => ({
		scenario: r.scenario,
		'wall ms': Math.round(r.ms),
		'delay p50 ms': r.p50.toFixed(1),
		'delay p99 ms': r.p99.toFixed(1),
		'delay max ms': r.max.toFixed(1),
		'1 ms timers fired': r.probes,
		'longest timer wait ms': r.longestProbe.toFixed(1),
	})),
);

const resultsDir = join(ROOT, 'bench', 'results');
if (!existsSync(resultsDir)) mkdirSync(resultsDir, { recursive: true });
writeFileSync(
	join(resultsDir, 'event-loop.json'),
	`${JSON.stringify({ bench: 'event-loop', date: new Date().toISOString(), node: process.versions.node, timeoutMs: TIMEOUT_MS, rows, rounds: { before, now } }, null, 2)}\n`,
);
console.log(`written ${join('bench', 'results', 'event-loop.json')}`);
