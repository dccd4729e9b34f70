/**
 * What numbering and history cost, on one Soketi and two Directus 12 with the built bundle and
 * Directus' Redis: sustained REST writes to a publishing collection with the envelope and
 * history on (the default) against RT_ENVELOPE=false (bare events, nothing numbered or kept),
 * in slices taken in turns so a busy spell hits both alike (target: on >= 0.95x off); and how
 * long a client takes to recover 1,000 missed events through GET /realtime/channels/<name>/history
 * (target: < 250 ms, median).
 *
 *   <node22> --import tsx bench/history.bench.ts      (npm run bench runs it)
 *
 * Writes bench/results/history.json. Knobs: BENCH_HISTORY_SLICES=6 BENCH_HISTORY_SLICE_S=5
 * BENCH_WRITE_CONCURRENCY=8 BENCH_REDIS_URL=redis://127.0.0.1:6379 BENCH_RECOVERY_TRIALS=7.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../test/harness/paths.js';
import { startDirectus, type Directus } from '../test/harness/directus.js';
import { createChannel, createCollection } from '../test/harness/fixtures.js';
import { startSoketi } from '../test/harness/soketi.js';
import { closedLoop } from './lib/http.js';
import { median, round } from './lib/stats.js';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SLICES = num('BENCH_HISTORY_SLICES', 6);
const SLICE_MS = num('BENCH_HISTORY_SLICE_S', 5) * 1000;
const CONCURRENCY = num('BENCH_WRITE_CONCURRENCY', 8);
const TRIALS = num('BENCH_RECOVERY_TRIALS', 7);
const MISSED = 1000;
const REDIS = `${(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/11`;

const log = (line: string) => console.log(`[history bench] ${line}`);
const soketi = await startSoketi();
const base = { RT_APP_ID: soketi.app.id, RT_APP_KEY: soketi.app.key, RT_APP_SECRET: soketi.app.secret, RT_APP_HOST: soketi.host, RT_APP_PORT: String(soketi.port), REDIS, CACHE_ENABLED: 'false', RT_HISTORY_SIZE: '2000', RT_REDIS_PREFIX: `bench-${process.pid}:` };
const servers: Record<'on' | 'off', Directus> = {
	on: await startDirectus({ env: base }),
	off: await startDirectus({ env: { ...base, RT_ENVELOPE: 'false' } }),
};
const results: Record<string, unknown> = { bench: 'history', date: new Date().toISOString(), config: { SLICES, SLICE_MS, CONCURRENCY, TRIALS, MISSED } };
try {
	for (const d of Object.values(servers)) {
		await createCollection(d, 'posts', [{ field: 'title', type: 'string' }]);
		await createChannel(d, { channel_name: 'posts', collection: 'posts', publisher: 'trigger({}, "post", { title: meta.payload.title });' });
	}
	const write = (d: Directus) => async () => (await d.request('POST', '/items/posts', { title: 'x' })).status === 200;

	log(`writes: ${SLICES} slices of ${SLICE_MS} ms each, ${CONCURRENCY} writers, on and off in turns`);
	const perSlice: Record<'on' | 'off', number[]> = { on: [], off: [] };
	for (let i = 0; i < SLICES; i++) {
		for (const variant of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
			const r = await closedLoop(CONCURRENCY, SLICE_MS, write(servers[variant]));
			perSlice[variant].push(round((r.ok / r.elapsedMs) * 1000, 1));
		}
	}
	const on = median(perSlice.on);
	const off = median(perSlice.off);
	results.writes = { perSlice, medianWritesPerSecond: { on, off }, ratio: round(on / off, 3), target: 0.95, pass: on / off >= 0.95 };
	log(`writes/s median: history on ${on}, off ${off}: ${round(on / off, 3)}x (target >= 0.95)`);

	// 1,000 events a client missed, then its recovery: pages of up to 1,000 from since=<before>.
	const history = (query: string) => servers.on.request('GET', `/realtime/channels/posts/history?${query}`, undefined, { token: null });
	const before = (await history('limit=1')).body as { epoch: string; latest: number };
	for (let i = 0; i < MISSED; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, () => write(servers.on)()));
	while (((await history('limit=1')).body as { latest: number }).latest < before.latest + MISSED) await new Promise((r) => setTimeout(r, 100));
	const times: number[] = [];
	for (let t = 0; t < TRIALS; t++) {
		const started = performance.now();
		let since = before.latest;
		let got = 0;
		for (;;) {
			const page = (await history(`since=${since}&epoch=${before.epoch}&limit=1000`)).body as { recovered: boolean; items: Array<{ seq: number }>; more: boolean };
			if (!page.recovered) throw new Error('the window did not cover the missed events');
			got += page.items.length;
			since = page.items.at(-1)?.seq ?? since;
			if (!page.more) break;
		}
		times.push(performance.now() - started);
		if (got < MISSED) throw new Error(`recovered ${got} of ${MISSED}`);
	}
	const recovery = round(median(times), 1);
	results.recovery = { missed: MISSED, trialsMs: times.map((t) => round(t, 1)), medianMs: recovery, target: 250, pass: recovery < 250 };
	log(`recovering ${MISSED} missed events: median ${recovery} ms (target < 250)`);
} finally {
	mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
	writeFileSync(join(ROOT, 'bench', 'results', 'history.json'), `${JSON.stringify(results, null, 2)}\n`);
	await Promise.allSettled([servers.on.stop(), servers.off.stop()]);
	await soketi.stop();
}
process.exit(0);
