/**
 * The realtime benchmarks, in one run on one stack (two real Soketi nodes joined by Redis and a
 * real Directus 12 with the built extensions): sustained REST writes with and without a
 * publishing channel row (first, while the Directus process is fresh, so its RSS says
 * something); fan-out to 1 / 100 / 1,000 / 10,000 subscribers through the extension, Directus'
 * native subscriptions (up to 1,000) and a raw Soketi trigger; POST /realtime/auth, for a
 * scripted authorizer's row and for a row in permission mode (no script), next to GET /users/me.
 *
 *   npm run bench                      (builds, runs this and bench/sandbox.bench.ts, writes the report)
 *   <node22> --import tsx bench/realtime.bench.ts
 *
 * Writes bench/results/realtime.json. Exits non-zero only when a part could not run; whether
 * the numbers meet their targets is for bench/report.ts to say.
 * Knobs (defaults): BENCH_SIZES=1,100,1000,10000 BENCH_TRIALS=7 BENCH_WARMUP=2 (rounds per size)
 * BENCH_LARGE_TRIALS=5 (rounds at N >= 10,000) BENCH_NATIVE_MAX=1000 (largest N for Directus native)
 * BENCH_REDIS_URL=redis://127.0.0.1:6379 (joins the two Soketi nodes)
 * BENCH_SUSTAINED_S=60 BENCH_SUSTAINED_SLICES=20 BENCH_WRITE_CONCURRENCY=8 BENCH_PLAIN=1
 * BENCH_BREAKDOWN=1 (sustained writes also without the row's script and with a script that sends
 * nothing, in the same turns: what the read, the sandbox run and the send each add; off by default)
 * BENCH_AUTH_CONCURRENCY=8 BENCH_AUTH_ROUNDS=10 BENCH_AUTH_ROUND_S=2
 * BENCH_ONLY=sustained,fanout,auth (the parts of this file; bench/lib/parts.ts lists every part)
 * BENCH_SHORT=1 (a smoke run: sizes 1,100, 2 rounds, 4 s of writes, no plain Directus)
 * BENCH_DIRECTUS_ENV='{"NAME":"value"}' (more Directus environment, for experiments)
 * BENCH_PROFILE=1: Directus runs with a V8 CPU profiler (--cpu-prof, slows every part a little);
 * after the run the profile is split by the auth part's endpoints and the sustained set-ups
 * (bench/lib/profile-summary.ts) into bench/results/profile.json, which bench/report.ts puts in
 * docs/benchmarks.md.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../test/harness/paths.js';
import { runAuthThroughput } from './lib/auth-throughput.js';
import { benchParts, SHORT } from './lib/parts.js';
import { runFanout } from './lib/fanout.js';
import { describeMachine } from './lib/machine.js';
import { largestProfile, profileComparisons, summarizeProfile } from './lib/profile-summary.js';
import { DIRECTUS_ENV, PROFILE_DIR, setUp } from './lib/setup.js';
import { runSustained } from './lib/sustained.js';

const numberEnv = (name: string, fallback: number, min = 1) => {
	const value = process.env[name];
	if (value === undefined || value === '') return fallback;
	const n = Number(value);
	if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got "${value}"`);
	return n;
};

// BENCH_SHORT=1: a smoke run (small sizes, few and short rounds); any knob set still wins.
const config = {
	short: SHORT,
	sizes: (process.env.BENCH_SIZES ?? (SHORT ? '1,100' : '1,100,1000,10000')).split(',').map((s) => Number(s.trim())),
	trials: numberEnv('BENCH_TRIALS', SHORT ? 2 : 7),
	largeTrials: numberEnv('BENCH_LARGE_TRIALS', SHORT ? 2 : 5),
	nativeMax: numberEnv('BENCH_NATIVE_MAX', SHORT ? 100 : 1000, 0),
	warmupTrials: numberEnv('BENCH_WARMUP', SHORT ? 1 : 2, 0),
	fanoutTimeoutMs: 30_000,
	// 20 rounds of 3 s: a round's ratio moves by +-0.2 on this shared machine (garbage collection
	// of Directus' large heap lands in one slice or the other), so its median needs that many.
	sustainedMs: numberEnv('BENCH_SUSTAINED_S', SHORT ? 4 : 60) * 1000,
	sustainedSlices: numberEnv('BENCH_SUSTAINED_SLICES', SHORT ? 2 : 20),
	sustainedWarmupMs: SHORT ? 1000 : 3000,
	writeConcurrency: numberEnv('BENCH_WRITE_CONCURRENCY', 8),
	drainTimeoutMs: 60_000,
	// Also measure a Directus without the bundle (BENCH_PLAIN=0 to skip).
	sustainedPlain: process.env.BENCH_PLAIN === undefined ? !SHORT : process.env.BENCH_PLAIN !== '0',
	sustainedBreakdown: process.env.BENCH_BREAKDOWN === '1',
	authConcurrency: numberEnv('BENCH_AUTH_CONCURRENCY', 8),
	authRounds: numberEnv('BENCH_AUTH_ROUNDS', SHORT ? 2 : 10),
	authRoundMs: numberEnv('BENCH_AUTH_ROUND_S', SHORT ? 1 : 2) * 1000,
	authWarmupMs: SHORT ? 500 : 2000,
	only: benchParts() as Set<string>,
};
if (config.sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_SIZES must be positive integers, got "${process.env.BENCH_SIZES}"`);

const started = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const results: Record<string, unknown> = {
	bench: 'realtime',
	date: new Date().toISOString(),
	config: { ...config, only: [...config.only], db: process.env.DB ?? 'sqlite', directusEnv: DIRECTUS_ENV },
};
const errors: Record<string, string> = {};
const load: Record<string, { before: number; after: number }> = {};
results.loadAverage = load;

const resultsDir = join(ROOT, 'bench', 'results');
const write = () => {
	mkdirSync(resultsDir, { recursive: true });
	writeFileSync(join(resultsDir, 'realtime.json'), `${JSON.stringify({ ...results, errors }, null, 2)}\n`);
};

// No stale results from an earlier run may pass for this one's.
rmSync(join(resultsDir, 'realtime.json'), { force: true });
rmSync(join(resultsDir, 'profile.json'), { force: true });
log('starting Soketi and Directus');
const setup = await setUp(Math.max(config.writeConcurrency, config.authConcurrency) + 4, { breakdown: config.sustainedBreakdown && config.only.has('sustained') });
try {
	results.machine = describeMachine(setup.stack.soketi.process.output(), setup.stack.directus.db);
	log(`stack up: Directus ${setup.stack.directus.url}, Soketi :${setup.stack.soketi.port} (${(results.machine as { soketiServer: string }).soketiServer} server)`);

	const parts: Array<[string, () => Promise<unknown>]> = [
		[
			'sustained',
			() =>
				runSustained(setup, {
					durationMs: config.sustainedMs,
					slices: config.sustainedSlices,
					warmupMs: config.sustainedWarmupMs,
					concurrency: config.writeConcurrency,
					drainTimeoutMs: config.drainTimeoutMs,
					plain: config.sustainedPlain,
					breakdown: config.sustainedBreakdown,
					log,
				}),
		],
		[
			'fanout',
			() =>
				runFanout(setup, {
					sizes: config.sizes,
					trials: config.trials,
					largeTrials: config.largeTrials,
					warmup: config.warmupTrials,
					nativeMax: config.nativeMax,
					timeoutMs: config.fanoutTimeoutMs,
					log,
				}),
		],
		['auth', () => runAuthThroughput(setup, { concurrency: config.authConcurrency, rounds: config.authRounds, roundMs: config.authRoundMs, warmupMs: config.authWarmupMs, log })],
	];
	for (const [name, run] of parts) {
		if (!config.only.has(name)) continue;
		log(`-- ${name}`);
		// The machine's load average around each part: other work on it shows up in the numbers.
		const loadBefore = loadavg()[0]!;
		try {
			results[name] = await run();
		} catch (error) {
			errors[name] = (error as Error).stack ?? String(error);
			log(`${name} could not run: ${(error as Error).message}`);
		}
		load[name] = { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) };
		write();
		if (!setup.stack.directus.process.isRunning()) {
			errors.directus = `Directus exited:\n${setup.stack.directus.process.output().slice(-3000)}`;
			break;
		}
	}
	const warnings = setup.stack.directus.logs().filter((l) => Number(l.level) >= 40);
	results.directusWarnings = warnings.slice(0, 20).map((l) => String(l.msg).slice(0, 300));
	if (warnings.length) log(`Directus logged ${warnings.length} warning(s)/error(s), e.g. ${String(warnings[0]!.msg).slice(0, 200)}`);
} finally {
	write();
	setup.http.close();
	await setup.stack.stop();
}
if (PROFILE_DIR) {
	try {
		const file = largestProfile(PROFILE_DIR);
		const summaries = profileComparisons(results).map(({ a, b }) => ({ date: results.date as string, ...summarizeProfile(file, a, b) }));
		writeFileSync(join(resultsDir, 'profile.json'), `${JSON.stringify(summaries, null, 2)}\n`);
		for (const s of summaries) log(`CPU profile, ${s.labels.a} vs ${s.labels.b}: ${s.sampledUs.a} vs ${s.sampledUs.b} µs sampled per request`);
	} catch (error) {
		errors.profile = (error as Error).message;
		write();
	}
}
log(`done in ${Math.round((Date.now() - started) / 1000)} s, written ${join('bench', 'results', 'realtime.json')}`);
process.exit(Object.keys(errors).length > 0 ? 1 : 0);
