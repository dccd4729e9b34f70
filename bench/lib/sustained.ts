/**
 * Sustained writes: REST creates as fast as `concurrency` clients can get them answered, in
 * three set-ups:
 *   off:   the stack's Directus, a collection with no channel row (extension installed, idle);
 *   on:    the same Directus, a collection whose channel row publishes every create;
 *   plain: a second Directus without the bundle, same database kind and settings.
 * and, with `breakdown`, two more in the same Directus that take one part of `on` away each:
 *   noscript: the row without its script (default publishing: the item is read and sent);
 *   nosend:   the row's script runs but sends nothing (the item is read, nothing is sent).
 * Each set-up gets the same total time, in slices taken in turns (off, on, plain, plain, on,
 * off, ...), so a busy spell of a shared machine hits all three alike; one slice each makes
 * them plain consecutive runs. A pusher-js subscriber counts what arrives, so a lost event
 * shows; RSS and CPU time of the Directus processes are read from /proc throughout, and a
 * prober asks the serving Directus for GET /server/ping every 20 ms on a connection of its own:
 * its latency under the load is how long Directus' event loop keeps a request waiting.
 */
import { isEnvelope } from '../../client/src/index.js';
import { createCollection, createUser } from '../../test/harness/fixtures.js';
import { startDirectus, type Directus } from '../../test/harness/directus.js';
import { closedLoop, HttpClient } from './http.js';
import { childPid, cpuTimeMs, residentMemory, sampleMemory } from '../../test/harness/memory.js';
import { PusherSubscribers } from './pusher-subscribers.js';
import { CHANNELS, COLLECTIONS, DIRECTUS_ENV, type BenchSetup } from './setup.js';
import { percentile, round, sleep } from './stats.js';

export type SustainedVariant = 'off' | 'on' | 'plain' | 'noscript' | 'nosend';

type Latency = { p50: number; p99: number; max: number };

export interface SustainedResult {
	variant: SustainedVariant;
	collection: string;
	concurrency: number;
	slices: number;
	/** Time spent writing, all slices together, ms. */
	durationMs: number;
	writes: number;
	failedWrites: number;
	firstError?: string;
	writesPerSecond: number;
	/** Writes/s of each slice, in order: slice i of every set-up belongs to round i. */
	sliceWritesPerSecond: number[];
	latencyMs: Latency;
	/** Events the subscriber received for this set-up's items (distinct), duplicates, and missing ones. */
	delivered: number | null;
	duplicates: number | null;
	lost: number | null;
	/** From a write's request start to its event's arrival, ms. */
	deliveryMs: Latency | null;
	/** Over the slices, the latest last event relative to the slice's last write answer, ms (negative: it came first). */
	drainMs: number | null;
	/** RSS of the Directus process serving this set-up: at its first slice, highest, at its last. */
	memory: { startMb: number; peakMb: number; endMb: number };
	/** RSS of that process before any write (after start-up and the bench's own set-up), MB. */
	idleRssMb: number;
	/** GET /server/ping latency during this set-up's slices (every 20 ms, its own connection), ms. */
	pingMs: Latency & { samples: number };
	/** The slices' spans on the monotonic clock, µs (for splitting a CPU profile). */
	windowsUs: Array<[number, number]>;
	/** p99 /server/ping latency of each slice, in order (slice i of every set-up belongs to round i), ms. */
	slicePingP99: number[];
	/** CPU time (all threads) per successful write, ms: Directus, and Soketi where it takes part. */
	cpuMsPerWrite: { directus: number; soketi: number | null };
	/**
	 * What the extension's publish queue did during this set-up's slices, and the item reads the
	 * publisher asked for and the queries that served them (GET /realtime/health counters).
	 */
	queue: { sent: number; batches: number; dropped: number; failedBatches: number; readsRequested?: number; readQueries?: number } | null;
}

export interface SustainedOptions {
	/** Total writing time per set-up. */
	durationMs: number;
	/** Slices per set-up. */
	slices: number;
	warmupMs: number;
	concurrency: number;
	/** How long to wait for the last events of a slice after its writes stopped. */
	drainTimeoutMs: number;
	/** Also measure a Directus without the bundle. */
	plain: boolean;
	/** Also measure the publishing row without its script and with a script that sends nothing. */
	breakdown?: boolean;
	log: (line: string) => void;
}

interface Target {
	variant: SustainedVariant;
	collection: string;
	http: HttpClient;
	token: string;
	pid: number;
	soketiPid: number | null;
	/** Directus' base URL, for the /server/ping prober. */
	url: string;
	queueStats: () => Promise<Record<string, number> | null>;
}

/** Everything a set-up's slices add up to. */
class Tally {
	readonly writes = new Map<string, { start: number; end: number }>();
	readonly latencies: number[] = [];
	failed = 0;
	firstError: string | undefined;
	elapsedMs = 0;
	slices = 0;
	sliceRates: number[] = [];
	drainMs: number | null = null;
	memory: { startMb: number; peakMb: number; endMb: number } | undefined;
	cpu = { directus: 0, soketi: 0 };
	pings: number[] = [];
	slicePingP99: number[] = [];
	windowsUs: Array<[number, number]> = [];
	idleRssMb = Number.NaN;
	queue = { sent: 0, batches: 0, dropped: 0, failedBatches: 0, readsRequested: 0, readQueries: 0 };
}

/** The server a harness supervisor runs. */
function serverPid(supervisor: number | undefined): number {
	const pid = supervisor === undefined ? undefined : childPid(supervisor);
	if (pid === undefined) throw new Error('cannot find the server process under its supervisor');
	return pid;
}

const latency = (values: number[]): Latency => ({ p50: round(percentile(values, 0.5)), p99: round(percentile(values, 0.99)), max: round(percentile(values, 1)) });

/** GET /server/ping every 20 ms on a connection of its own, until stopped; the latencies. */
function pingProber(url: string) {
	const client = new HttpClient(url, 1);
	const latencies: number[] = [];
	let running = true;
	const loop = (async () => {
		while (running) {
			const t = performance.now();
			const res = await client.send({ method: 'GET', path: '/server/ping' });
			if (res.status === 200) latencies.push(performance.now() - t);
			await sleep(20);
		}
	})();
	return {
		async stop(): Promise<number[]> {
			running = false;
			await loop.catch(() => undefined);
			client.close();
			return latencies;
		},
	};
}

/** off, on, plain, plain, on, off, off, ... : each set-up as often first as last. */
function turns<T>(items: T[], rounds: number): T[] {
	return Array.from({ length: rounds }, (_, r) => (r % 2 === 0 ? items : [...items].reverse())).flat();
}

export async function runSustained(setup: BenchSetup, options: SustainedOptions): Promise<SustainedResult[]> {
	const { stack, http, user } = setup;
	const queueStats = async () => {
		const body = (await stack.directus.request('GET', '/realtime/health')).body;
		return body?.queue ? { ...body.queue, readsRequested: body.reads?.requested ?? 0, readQueries: body.reads?.queries ?? 0 } : null;
	};
	const mainPid = serverPid(stack.directus.process.pid);
	const soketiPid = serverPid(stack.soketi.process.pid);
	const targets: Target[] = [
		{ variant: 'off', collection: COLLECTIONS.loadOff, http, token: user.token, pid: mainPid, soketiPid, queueStats, url: stack.directus.url },
		{ variant: 'on', collection: COLLECTIONS.loadOn, http, token: user.token, pid: mainPid, soketiPid, queueStats, url: stack.directus.url },
	];
	if (options.breakdown) {
		targets.push(
			{ variant: 'noscript', collection: COLLECTIONS.loadNoScript, http, token: user.token, pid: mainPid, soketiPid, queueStats, url: stack.directus.url },
			{ variant: 'nosend', collection: COLLECTIONS.loadNoSend, http, token: user.token, pid: mainPid, soketiPid, queueStats, url: stack.directus.url },
		);
	}

	const arrivals = new Map<string, number>();
	let duplicates = 0;
	const subscriber = new PusherSubscribers({
		soketi: stack.soketi,
		directusUrl: stack.directus.url,
		token: user.token,
		channel: CHANNELS.load,
		events: ['created'],
		onEvent: (_event, data) => {
			// Events come in the envelope { id, seq, epoch, data } unless RT_ENVELOPE=false.
			const payload = isEnvelope(data) ? data.data : data;
			const title = String((payload as { title?: unknown } | null)?.title);
			if (arrivals.has(title)) duplicates++;
			else arrivals.set(title, performance.now());
		},
	});

	let plain: Directus | undefined;
	let plainHttp: HttpClient | undefined;
	let sequence = 0;
	const writeLoop = async (target: Target, label: string, durationMs: number) => {
		const writes = new Map<string, { start: number; end: number }>();
		const loop = await closedLoop(options.concurrency, durationMs, async () => {
			const title = `${label}-${target.collection}-${sequence++}`;
			const start = performance.now();
			const res = await target.http.postJson(`/items/${target.collection}`, target.token, { title });
			if (res.status !== 200) return `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
			writes.set(title, { start, end: performance.now() });
			return true;
		});
		return { loop, writes };
	};

	const slice = async (target: Target, tally: Tally) => {
		const queueBefore = await target.queueStats();
		const memory = sampleMemory(target.pid);
		const cpuBefore = { directus: cpuTimeMs(target.pid), soketi: target.soketiPid === null ? 0 : cpuTimeMs(target.soketiPid) };
		const prober = pingProber(target.url);
		const from = Number(process.hrtime.bigint() / 1000n);
		const { loop, writes } = await writeLoop(target, target.variant, options.durationMs / options.slices);
		tally.windowsUs.push([from, Number(process.hrtime.bigint() / 1000n)]);
		const pings = await prober.stop();
		tally.pings.push(...pings);
		tally.slicePingP99.push(round(percentile(pings, 0.99)));
		const cpuAfter = { directus: cpuTimeMs(target.pid), soketi: target.soketiPid === null ? 0 : cpuTimeMs(target.soketiPid) };
		if (target.variant === 'on') {
			const lastAnswer = [...writes.values()].reduce((max, w) => Math.max(max, w.end), 0);
			const delivered = () => [...writes.keys()].filter((title) => arrivals.has(title)).length;
			// Wait for the tail, as long as events keep coming.
			const deadline = performance.now() + options.drainTimeoutMs;
			let seen = -1;
			let stillSince = performance.now();
			for (let now = delivered(); now < writes.size && performance.now() < deadline && performance.now() - stillSince < 10_000; now = delivered()) {
				if (now !== seen) {
					seen = now;
					stillSince = performance.now();
				}
				await sleep(50);
			}
			const lastArrival = [...writes.keys()].reduce((max, title) => Math.max(max, arrivals.get(title) ?? 0), 0);
			if (lastArrival > 0) tally.drainMs = Math.max(tally.drainMs ?? Number.NEGATIVE_INFINITY, lastArrival - lastAnswer);
		}
		const mem = memory.stop();
		const queueAfter = await target.queueStats();
		for (const [title, w] of writes) tally.writes.set(title, w);
		tally.latencies.push(...loop.latencies);
		tally.failed += loop.failed;
		tally.firstError ??= loop.firstError;
		tally.elapsedMs += loop.elapsedMs;
		tally.slices++;
		tally.sliceRates.push(round(writes.size / (loop.elapsedMs / 1000), 1));
		tally.memory = tally.memory ? { startMb: tally.memory.startMb, peakMb: Math.max(tally.memory.peakMb, mem.peakMb), endMb: mem.endMb } : mem;
		tally.cpu.directus += cpuAfter.directus - cpuBefore.directus;
		tally.cpu.soketi += cpuAfter.soketi - cpuBefore.soketi;
		if (queueBefore && queueAfter) for (const k of Object.keys(tally.queue) as Array<keyof Tally['queue']>) tally.queue[k] += (queueAfter[k] ?? 0) - (queueBefore[k] ?? 0);
		options.log(`  ${target.variant}: ${writes.size} writes in ${(loop.elapsedMs / 1000).toFixed(1)} s (${(writes.size / (loop.elapsedMs / 1000)).toFixed(1)}/s)`);
	};

	const result = (target: Target, tally: Tally): SustainedResult => {
		const publishes = target.variant === 'on';
		const delays = [...tally.writes].flatMap(([title, w]) => (arrivals.has(title) ? [arrivals.get(title)! - w.start] : []));
		const perWrite = (ms: number) => round(ms / Math.max(1, tally.writes.size), 2);
		return {
			variant: target.variant,
			collection: target.collection,
			concurrency: options.concurrency,
			slices: tally.slices,
			durationMs: round(tally.elapsedMs, 0),
			writes: tally.writes.size,
			failedWrites: tally.failed,
			...(tally.firstError ? { firstError: tally.firstError } : {}),
			writesPerSecond: round(tally.writes.size / (tally.elapsedMs / 1000), 1),
			sliceWritesPerSecond: tally.sliceRates,
			latencyMs: latency(tally.latencies),
			delivered: publishes ? delays.length : null,
			duplicates: publishes ? duplicates : null,
			lost: publishes ? tally.writes.size - delays.length : null,
			deliveryMs: delays.length ? latency(delays) : null,
			drainMs: tally.drainMs === null ? null : round(tally.drainMs),
			memory: { startMb: round(tally.memory!.startMb, 1), peakMb: round(tally.memory!.peakMb, 1), endMb: round(tally.memory!.endMb, 1) },
			idleRssMb: round(tally.idleRssMb, 1),
			pingMs: { ...latency(tally.pings), samples: tally.pings.length },
			windowsUs: tally.windowsUs,
			slicePingP99: tally.slicePingP99,
			cpuMsPerWrite: { directus: perWrite(tally.cpu.directus), soketi: target.soketiPid === null ? null : perWrite(tally.cpu.soketi) },
			queue: target.variant === 'plain' ? null : tally.queue,
		};
	};

	try {
		if (options.plain) {
			options.log('starting a second Directus, without the bundle');
			plain = await startDirectus({ db: stack.directus.db, extensions: false, env: DIRECTUS_ENV });
			plainHttp = new HttpClient(plain.url, options.concurrency + 2);
			await createCollection(plain, COLLECTIONS.loadOff, [{ field: 'title', type: 'string' }]);
			const writer = await createUser(plain, { grants: [{ collection: COLLECTIONS.loadOff, action: 'create' }, { collection: COLLECTIONS.loadOff, action: 'read' }] });
			targets.push({ variant: 'plain', collection: COLLECTIONS.loadOff, http: plainHttp, token: writer.token, pid: serverPid(plain.process.pid), soketiPid: null, queueStats: async () => null, url: plain.url });
		}
		const tallies = new Map(targets.map((t) => [t.variant, new Tally()]));
		for (const target of targets) tallies.get(target.variant)!.idleRssMb = residentMemory(target.pid).rssMb;
		await subscriber.growTo(1);
		// Warm every set-up up (JIT, connection pools, the isolate pool) before measuring.
		for (const target of targets) await writeLoop(target, 'warm', options.warmupMs);
		await sleep(1000);

		for (const target of turns(targets, options.slices)) await slice(target, tallies.get(target.variant)!);
		const results = targets.map((t) => result(t, tallies.get(t.variant)!));
		for (const r of results) {
			options.log(
				`sustained ${r.variant}: ${r.writes} writes, ${r.writesPerSecond}/s, p99 ${r.latencyMs.p99} ms` +
					(r.delivered === null ? '' : `, delivered ${r.delivered}, lost ${r.lost}, duplicates ${r.duplicates}`) +
					`, RSS idle ${r.idleRssMb}, ${r.memory.startMb} -> peak ${r.memory.peakMb} MB, Directus CPU ${r.cpuMsPerWrite.directus} ms/write, /server/ping p99 ${r.pingMs.p99} ms`,
			);
		}
		return results;
	} finally {
		subscriber.disconnect();
		plainHttp?.close();
		await plain?.stop();
	}
}
