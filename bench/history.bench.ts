/**
 * What numbering and history cost, on one Soketi and Directus 12 with the built bundle and
 * Directus' Redis (REDIS set, so numbering and history live in Redis; the store each Directus
 * used is read from its GET /realtime/health and recorded):
 *
 * - `history`: sustained REST writes to a publishing collection, same channel row, with history
 *   on (RT_HISTORY=true, the default) against off (RT_HISTORY=false: events still numbered,
 *   none kept), in slices taken in turns so a busy spell hits both alike (target: on >= 0.95x
 *   off); beside them, as information, a third Directus with RT_ENVELOPE=false (bare events,
 *   nothing numbered or kept), so the ratio of the whole envelope shows too.
 * - `recovery`: a pusher-js client with the client helper (`createRecoveringClient`, client/src)
 *   misses 1,000 events on the channel (its socket closed while they are written), comes back,
 *   and the helper recovers them through GET /realtime/channels/<name>/history (pages of 1,000).
 *   Timed from the resubscription (`pusher:subscription_succeeded`) to the 1,000th missed event
 *   handed to the application, in order (target: < 250 ms, median of the trials); the time
 *   from the reconnect call is given too, and the history fetch alone (a raw paging loop).
 *
 *   <node22> --import tsx bench/history.bench.ts      (npm run bench runs it)
 *
 * Writes bench/results/history.json. Knobs: BENCH_ONLY (parts: history, recovery; others are
 * ignored) BENCH_SHORT=1 (a smoke run: 2 slices of 2 s, 2 recovery trials, no RT_ENVELOPE=false
 * Directus) BENCH_HISTORY_SLICES=6 BENCH_HISTORY_SLICE_S=5 BENCH_WRITE_CONCURRENCY=8
 * BENCH_RECOVERY_TRIALS=5 BENCH_HISTORY_BARE=1 (0: no RT_ENVELOPE=false Directus)
 * BENCH_REDIS_URL=redis://127.0.0.1:6379 (database 11, a key prefix per run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createRecoveringClient, type EventMeta } from '../client/src/index.js';
import { connectClient, type PusherClient } from '../test/harness/clients.js';
import { startDirectus, type Directus } from '../test/harness/directus.js';
import { createChannel, createCollection } from '../test/harness/fixtures.js';
import { ROOT } from '../test/harness/paths.js';
import { startSoketi } from '../test/harness/soketi.js';
import { closedLoop } from './lib/http.js';
import { benchParts, SHORT } from './lib/parts.js';
import { median, round } from './lib/stats.js';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SLICES = num('BENCH_HISTORY_SLICES', SHORT ? 2 : 6);
const SLICE_MS = num('BENCH_HISTORY_SLICE_S', SHORT ? 2 : 5) * 1000;
const CONCURRENCY = num('BENCH_WRITE_CONCURRENCY', 8);
const TRIALS = num('BENCH_RECOVERY_TRIALS', SHORT ? 2 : 5);
const BARE = process.env.BENCH_HISTORY_BARE ? process.env.BENCH_HISTORY_BARE !== '0' : !SHORT;
const MISSED = 1000;
const PAGE = 1000;
const WAIT_MS = 60_000;
const REDIS = `${(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/11`;
const parts = benchParts();
const only = { history: parts.has('history'), recovery: parts.has('recovery') };

type Variant = 'on' | 'off' | 'bare';
const log = (line: string) => console.log(`[history bench] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const results: Record<string, unknown> = {
	bench: 'history',
	date: new Date().toISOString(),
	config: { SLICES, SLICE_MS, CONCURRENCY, TRIALS, MISSED, PAGE, BARE, short: SHORT, only: Object.keys(only).filter((k) => only[k as keyof typeof only]) },
};
const errors: Record<string, string> = {};
const load: Record<string, { before: number; after: number }> = {};
results.loadAverage = load;
const save = () => {
	mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
	writeFileSync(join(ROOT, 'bench', 'results', 'history.json'), `${JSON.stringify({ ...results, errors }, null, 2)}\n`);
};
if (!only.history && !only.recovery) {
	log('BENCH_ONLY names neither history nor recovery: nothing to do');
	process.exit(0);
}

const soketi = await startSoketi();
const base = {
	RT_APP_ID: soketi.app.id,
	RT_APP_KEY: soketi.app.key,
	RT_APP_SECRET: soketi.app.secret,
	RT_APP_HOST: soketi.host,
	RT_APP_PORT: String(soketi.port),
	REDIS,
	CACHE_ENABLED: 'false',
	RATE_LIMITER_ENABLED: 'false',
	PRESSURE_LIMITER_ENABLED: 'false',
	LOG_LEVEL: 'warn',
	RT_HISTORY_SIZE: '2000',
	RT_REDIS_PREFIX: `bench-${process.pid}:`,
};
const variants: Variant[] = only.history ? ['on', 'off', ...(BARE ? (['bare'] as const) : [])] : ['on'];
const variantEnv: Record<Variant, Record<string, string>> = { on: { RT_HISTORY: 'true' }, off: { RT_HISTORY: 'false' }, bare: { RT_ENVELOPE: 'false' } };
const servers: Partial<Record<Variant, Directus>> = {};
const clients: PusherClient[] = [];
try {
	for (const v of variants) {
		// Each its own key prefix: the numbering of one must not continue another's.
		servers[v] = await startDirectus({ env: { ...base, ...variantEnv[v], RT_REDIS_PREFIX: `bench-${process.pid}-${v}:` } });
		const d = servers[v]!;
		await createCollection(d, 'posts', [{ field: 'title', type: 'string' }]);
		await createChannel(d, { channel_name: 'posts', collection: 'posts', publisher: 'trigger({}, "post", { title: meta.payload.title });' });
	}
	const write = (d: Directus) => async () => (await d.request('POST', '/items/posts', { title: 'x' })).status === 200;

	if (only.history) {
		const loadBefore = loadavg()[0]!;
		try {
			log(`writes: ${SLICES} slices of ${SLICE_MS} ms each, ${CONCURRENCY} writers, ${variants.join(' / ')} in turns`);
			const perSlice: Partial<Record<Variant, number[]>> = Object.fromEntries(variants.map((v) => [v, []]));
			for (let i = 0; i < SLICES; i++) {
				for (const variant of i % 2 === 0 ? variants : [...variants].reverse()) {
					const r = await closedLoop(CONCURRENCY, SLICE_MS, write(servers[variant]!));
					perSlice[variant]!.push(round((r.ok / r.elapsedMs) * 1000, 1));
				}
			}
			// The ratio within each round (its slices ran back to back), then the median over rounds.
			const ratioTo = (a: Variant, b: Variant) => round(median(perSlice[a]!.map((rate, i) => rate / perSlice[b]![i]!)), 3);
			const medianWritesPerSecond = Object.fromEntries(variants.map((v) => [v, round(median(perSlice[v]!), 1)]));
			const ratio = ratioTo('on', 'off');
			const bareRatio = BARE ? { on: ratioTo('on', 'bare'), off: ratioTo('off', 'bare') } : undefined;
			results.writes = { variants: { on: 'RT_HISTORY=true', off: 'RT_HISTORY=false', bare: 'RT_ENVELOPE=false' }, perSlice, medianWritesPerSecond, ratio, bareRatio, target: 0.95, pass: ratio >= 0.95 };
			log(`writes/s median: ${variants.map((v) => `${v} ${medianWritesPerSecond[v]}`).join(', ')}; history on / off ${ratio}x, median of the rounds (target >= 0.95)` + (bareRatio ? `; / RT_ENVELOPE=false: on ${bareRatio.on}x, off ${bareRatio.off}x` : ''));
		} catch (error) {
			errors.history = (error as Error).stack ?? String(error);
			log(`history could not run: ${(error as Error).message}`);
		}
		load.history = { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) };
		await recordStores();
		save();
	}

	if (only.recovery) {
		const loadBefore = loadavg()[0]!;
		try {
			results.recovery = await recovery(servers.on!, write(servers.on!));
		} catch (error) {
			errors.recovery = (error as Error).stack ?? String(error);
			log(`recovery could not run: ${(error as Error).message}`);
		}
		load.recovery = { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) };
		await recordStores();
		if (results.recovery) (results.recovery as { store: unknown }).store = (results.historyStore as Record<string, unknown>).on;
	}
} catch (error) {
	errors.setup = (error as Error).stack ?? String(error);
	log(`could not run: ${(error as Error).message}`);
} finally {
	save();
	for (const c of clients) c.disconnect();
	await Promise.allSettled(Object.values(servers).map((d) => d.stop()));
	await soketi.stop();
}
process.exit(Object.keys(errors).length > 0 ? 1 : 0);

/**
 * Where each Directus keeps its history (`redis` or `memory`), from its GET /realtime/health:
 * the store is chosen at the first event, so this is read after the writes.
 */
async function recordStores(): Promise<void> {
	const stores: Partial<Record<Variant, string | null>> = {};
	for (const v of variants) {
		const health = await servers[v]!.request('GET', '/realtime/health');
		stores[v] = (health.body as { history?: { store: string } | null }).history?.store ?? null;
	}
	results.historyStore = stores;
	log(`history stores: ${JSON.stringify(stores)}`);
}

/** The channel's latest number, as the history says. */
async function latest(d: Directus): Promise<{ epoch: string; latest: number }> {
	const res = await d.request('GET', '/realtime/channels/posts/history?limit=1', undefined, { token: null });
	if (res.status !== 200) throw new Error(`history answered ${res.status}: ${res.text}`);
	return res.body as { epoch: string; latest: number };
}

/** Writes `count` items (batch creates of 100, each item its own event) and waits until their events are numbered. */
async function miss(d: Directus, count: number): Promise<void> {
	const from = (await latest(d)).latest;
	for (let i = 0; i < count; i += 100) {
		const res = await d.request('POST', '/items/posts', Array.from({ length: Math.min(100, count - i) }, () => ({ title: 'missed' })));
		if (res.status !== 200) throw new Error(`batch create answered ${res.status}: ${res.text}`);
	}
	const until = Date.now() + WAIT_MS;
	while ((await latest(d)).latest < from + count) {
		if (Date.now() > until) throw new Error(`the ${count} events were not all numbered within ${WAIT_MS} ms`);
		await sleep(50);
	}
}

async function recovery(d: Directus, writeOne: () => Promise<boolean>) {
	log(`recovery: ${TRIALS} trials of ${MISSED} missed events, client helper with pages of ${PAGE}`);
	// The channel has numbered events before the client comes: an empty channel's epoch is only
	// settled by its first event, and what is measured here is a gap, not a first event.
	await writeOne();
	const settled = Date.now() + WAIT_MS;
	while ((await latest(d)).latest < 1) {
		if (Date.now() > settled) throw new Error('the first event was not numbered');
		await sleep(50);
	}
	const client = await connectClient(soketi);
	clients.push(client);
	let delivered: EventMeta[] = [];
	let caughtUp: (() => void) | null = null;
	let target = 0;
	const problems: string[] = [];
	const subscription = createRecoveringClient(client, { baseUrl: d.url, pageSize: PAGE, retry: { delay: 50, attempts: 5 } }).subscribe('posts', {
		onEvent: (_event, _data, meta) => {
			if (!meta) return void problems.push('an event without an envelope');
			delivered.push(meta);
			if (caughtUp && meta.seq >= target) caughtUp();
		},
		onReset: (reset) => problems.push(`reset: ${JSON.stringify(reset)}`),
		onError: (error) => problems.push(error.message),
	});
	const until = Date.now() + WAIT_MS;
	while (subscription.position() === null) {
		if (Date.now() > until) throw new Error('the helper never learnt where the channel stands');
		await sleep(20);
	}
	let resubscribedAt = 0;
	subscription.channel.bind('pusher:subscription_succeeded', () => {
		resubscribedAt = performance.now();
	});

	const trials: Array<{ fromResubscribedMs: number; fromReconnectMs: number; replayed: number }> = [];
	for (let t = 0; t < TRIALS; t++) {
		const before = subscription.position()!.seq;
		client.disconnect();
		await waitState(client, 'disconnected');
		await miss(d, MISSED);
		delivered = [];
		target = before + MISSED;
		const done = new Promise<void>((resolve) => {
			caughtUp = resolve;
		});
		resubscribedAt = 0;
		const reconnectAt = performance.now();
		client.connect();
		await Promise.race([done, sleep(WAIT_MS).then(() => Promise.reject(new Error(`recovered ${delivered.length} of ${MISSED} within ${WAIT_MS} ms; ${problems.join('; ')}`)))]);
		const end = performance.now();
		caughtUp = null;
		const seqs = delivered.map((m) => m.seq);
		const inOrder = seqs.every((s, i) => s === before + 1 + i);
		if (!inOrder || seqs.length !== MISSED) throw new Error(`trial ${t + 1}: got ${seqs.length} events, in order: ${inOrder}; ${problems.join('; ')}`);
		if (problems.length) throw new Error(`trial ${t + 1}: ${problems.join('; ')}`);
		trials.push({ fromResubscribedMs: round(end - resubscribedAt, 1), fromReconnectMs: round(end - reconnectAt, 1), replayed: delivered.filter((m) => m.replayed).length });
		log(`trial ${t + 1}: ${MISSED} recovered ${trials.at(-1)!.fromResubscribedMs} ms after the resubscription (${trials.at(-1)!.fromReconnectMs} ms after the reconnect call)`);
	}

	// The history fetch alone, for the last trial's events: the paging loop the helper runs, without pusher-js or the helper's ordering.
	const end = (await latest(d)).latest;
	const { epoch } = await latest(d);
	const fetchMs: number[] = [];
	for (let t = 0; t < TRIALS; t++) {
		const started = performance.now();
		let since = end - MISSED;
		let got = 0;
		for (;;) {
			const res = await d.request('GET', `/realtime/channels/posts/history?since=${since}&epoch=${epoch}&limit=${PAGE}`, undefined, { token: null });
			const page = res.body as { recovered: boolean; items: Array<{ seq: number }>; more: boolean };
			if (!page.recovered) throw new Error('the window did not cover the missed events');
			got += page.items.length;
			since = page.items.at(-1)?.seq ?? since;
			if (!page.more) break;
		}
		fetchMs.push(performance.now() - started);
		if (got < MISSED) throw new Error(`fetched ${got} of ${MISSED}`);
	}
	subscription.unsubscribe();

	const medianMs = round(median(trials.map((t) => t.fromResubscribedMs)), 1);
	const out = {
		missed: MISSED,
		pageSize: PAGE,
		/** Filled in once the store is read (recordStores). */
		store: null as string | null,
		client: 'client helper (createRecoveringClient) over pusher-js, Node build',
		trials,
		trialsMs: trials.map((t) => t.fromResubscribedMs),
		medianMs,
		medianFromReconnectMs: round(median(trials.map((t) => t.fromReconnectMs)), 1),
		fetchOnly: { trialsMs: fetchMs.map((t) => round(t, 1)), medianMs: round(median(fetchMs), 1) },
		target: 250,
		pass: medianMs < 250,
	};
	log(`recovering ${MISSED} missed events: median ${medianMs} ms from the resubscription (target < 250), ${out.medianFromReconnectMs} ms from the reconnect call; the history fetch alone ${out.fetchOnly.medianMs} ms`);
	return out;
}

function waitState(client: PusherClient, state: string): Promise<void> {
	if (client.connection.state === state) return Promise.resolve();
	return new Promise((resolve) => {
		const on = () => {
			if (client.connection.state !== state) return;
			client.connection.unbind('state_change', on);
			resolve();
		};
		client.connection.bind('state_change', on);
	});
}
