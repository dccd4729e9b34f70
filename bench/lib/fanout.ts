/**
 * Fan-out: one item created, N subscribers waiting, split over the two Soketi nodes of the
 * cluster (Directus and the raw trigger publish to the first; the second gets it over Redis).
 * For each N, rounds of trials back to back so that a busy spell of the machine hits all alike:
 *   raw:       `pusher.trigger` straight to Soketi (the floor), received by the N lean subscribers;
 *   extension: a REST create -> the hook -> the channel row's publisher -> Soketi -> the same subscribers;
 *   write:     a REST create on a collection without a channel row ("one REST write": the median
 *              of three, nobody listens), the cost the extension path adds to the floor at best;
 *   native:    the same REST create, received by N Directus WebSocket subscribers, with the
 *              channel row disabled and the natives subscribed only for this trial (up to
 *              `nativeMax` subscribers: past it, native takes longer than the whole bench may).
 * Times run from just before the REST call (or the trigger) to each subscriber's handler.
 * The RSS of Directus and of both Soketi nodes is read at each N once its subscribers are in.
 */
import { ArrivalProbe } from './arrivals.js';
import { LeanSubscribers } from './lean-subscribers.js';
import { childPid, residentMemory } from '../../test/harness/memory.js';
import { NativeSubscribers } from './native-subscribers.js';
import { CHANNELS, COLLECTIONS, primeChannels, setRowEnabled, type BenchSetup } from './setup.js';
import { median, round, sleep, spread, type Spread } from './stats.js';

export type FanoutPath = 'extension' | 'native' | 'raw';

export interface FanoutTrial extends Spread {
	path: FanoutPath;
	subscribers: number;
	trial: number;
	received: number;
	/** Duration of the REST call (or of the trigger call, for raw), ms. */
	callMs: number;
}

export interface FanoutSummary extends Spread {
	path: FanoutPath;
	subscribers: number;
	trials: number;
	/** Events that never reached a subscriber, over all trials. */
	lost: number;
	callMs: number;
}

/** Per N, the medians over rounds of the ratios within each round. */
export interface FanoutRatios {
	subscribers: number;
	/** extension last / (raw last + one REST write of the same round). */
	extensionVsFloor: number;
	/** Median over rounds of "one REST write" (a create without a channel row), ms. */
	restWriteMs: number;
	/** native last / extension last; null where native was not measured. */
	nativeVsExtension: number | null;
}

/** What each N cost to set up, and the memory of the servers once it was. */
export interface FanoutSize {
	subscribers: number;
	/** Connect + authorize + subscribe of the sockets added for this N, s. */
	subscribeS: number;
	/** POST /realtime/auth calls made for them, and their mean latency. */
	authRequests: number;
	authMeanMs: number;
	/** RSS after the subscribers were in and after the trials, MB. */
	directusRssMb: { subscribed: number; afterTrials: number };
	soketiRssMb: number[];
	native: boolean;
}

export interface FanoutOptions {
	sizes: number[];
	trials: number;
	/** Rounds for N >= 10,000 (each costs the machine more). */
	largeTrials: number;
	/** Rounds run first and not kept, per N (JIT, pools, caches). */
	warmup: number;
	/** Largest N Directus native is measured at. */
	nativeMax: number;
	/** Per trial: how long to wait for the last subscriber. */
	timeoutMs: number;
	log: (line: string) => void;
}

export interface FanoutResult {
	trials: FanoutTrial[];
	summary: FanoutSummary[];
	ratios: FanoutRatios[];
	sizes: FanoutSize[];
	nativeMax: number;
	client: string;
}

export async function runFanout(setup: BenchSetup, options: FanoutOptions): Promise<FanoutResult> {
	const { stack, http, user } = setup;
	const probe = new ArrivalProbe();
	const subscribers = new LeanSubscribers({ nodes: setup.nodes, http, token: user.token, channel: CHANNELS.fanout, onData: (text) => probe.arrivedIn(text), log: options.log });
	const natives = new NativeSubscribers({ directusUrl: stack.directus.url, token: user.token, collection: COLLECTIONS.fanout, onCreate: (item) => probe.arrived(item?.title) });
	const pid = (supervisor: number | undefined) => (supervisor === undefined ? undefined : childPid(supervisor));
	const directusPid = pid(stack.directus.process.pid);
	const soketiPids = setup.nodes.map((n) => pid(n.process.pid));
	const rss = (p: number | undefined) => (p === undefined ? Number.NaN : round(residentMemory(p).rssMb, 1));
	const trials: FanoutTrial[] = [];
	const ratios: FanoutRatios[] = [];
	const sizes: FanoutSize[] = [];
	let sequence = 0;

	const measure = async (path: FanoutPath, n: number, trial: number, call: (key: string) => Promise<void>): Promise<FanoutTrial> => {
		const key = `${path}-${n}-${trial}-${sequence++}`;
		probe.arm(key, n);
		const t0 = performance.now();
		await call(key);
		const callMs = performance.now() - t0;
		const times = (await probe.collect(options.timeoutMs)).map((t) => t - t0);
		// Let stragglers of this trial, and the server's own work after it, settle.
		await sleep(n >= 10_000 ? 500 : 250);
		return { path, subscribers: n, trial, received: times.length, callMs, ...spread(times) };
	};
	const create = async (collection: string, key: string) => {
		const res = await http.postJson(`/items/${collection}`, user.token, { title: key });
		if (res.status !== 200) throw new Error(`REST create failed: ${res.status} ${res.body.slice(0, 300)}`);
	};
	const restCreate = (key: string) => create(COLLECTIONS.fanout, key);
	const rawTrigger = async (key: string) => {
		await stack.pusher.trigger(CHANNELS.fanout, 'raw', { id: 0, title: key });
	};
	const oneRestWrite = async () => {
		const times: number[] = [];
		for (let i = 0; i < 3; i++) {
			const t0 = performance.now();
			await create(COLLECTIONS.loadOff, `write-${sequence++}`);
			times.push(performance.now() - t0);
		}
		return median(times);
	};
	const nativeOnly = async <T>(work: () => Promise<T>): Promise<T> => {
		await setRowEnabled(setup, setup.rows.fanout, false);
		await natives.subscribeAll();
		try {
			return await work();
		} finally {
			await natives.unsubscribeAll();
			await setRowEnabled(setup, setup.rows.fanout, true);
			await primeChannels(setup);
		}
	};

	try {
		for (const n of options.sizes) {
			const withNative = n <= options.nativeMax;
			const connecting = performance.now();
			const authBefore = { ...subscribers.auth };
			await subscribers.growTo(n);
			const subscribeS = (performance.now() - connecting) / 1000;
			if (withNative) await natives.growTo(n);
			else natives.close();
			const authRequests = subscribers.auth.requests - authBefore.requests;
			const authMeanMs = authRequests ? (subscribers.auth.ms - authBefore.ms) / authRequests : 0;
			await sleep(1000);
			const subscribedRss = rss(directusPid);
			options.log(
				`fan-out N=${n}: ${n} lean subscribers over ${setup.nodes.length} Soketi nodes (${subscribeS.toFixed(1)} s, ${authRequests} authorizations, mean ${authMeanMs.toFixed(1)} ms)` +
					(withNative ? `, ${n} native connections open` : ', native not measured at this N') +
					`; RSS Directus ${subscribedRss} MB, Soketi ${soketiPids.map(rss).join(' / ')} MB`,
			);
			const kept: Array<{ raw: FanoutTrial; extension: FanoutTrial; native?: FanoutTrial; writeMs: number }> = [];
			const rounds = n >= 10_000 ? options.largeTrials : options.trials;
			for (let r = 0; r < options.warmup + rounds; r++) {
				const raw = await measure('raw', n, r, rawTrigger);
				const extension = await measure('extension', n, r, restCreate);
				const writeMs = await oneRestWrite();
				const native = withNative ? await nativeOnly(() => measure('native', n, r, restCreate)) : undefined;
				const received = [raw, extension, ...(native ? [native] : [])].map((t) => t.received);
				options.log(
					`  ${r < options.warmup ? `warm-up ${r + 1}` : `round ${r - options.warmup + 1}`}: last arrival raw ${raw.last.toFixed(1)} ms, ` +
						`extension ${extension.last.toFixed(1)} ms (REST ${extension.callMs.toFixed(1)} ms; a write without row ${writeMs.toFixed(1)} ms)` +
						(native ? `, native ${native.last.toFixed(1)} ms (REST ${native.callMs.toFixed(1)} ms)` : '') +
						(received.some((c) => c < n) ? `; received ${received.join('/')} of ${n}` : ''),
				);
				if (r < options.warmup) continue;
				for (const t of [raw, extension, ...(native ? [native] : [])]) trials.push({ ...t, trial: r - options.warmup + 1 });
				kept.push({ raw, extension, native, writeMs });
			}
			ratios.push({
				subscribers: n,
				extensionVsFloor: round(median(kept.map((k) => k.extension.last / (k.raw.last + k.writeMs)))),
				restWriteMs: round(median(kept.map((k) => k.writeMs))),
				nativeVsExtension: withNative ? round(median(kept.map((k) => k.native!.last / k.extension.last))) : null,
			});
			sizes.push({
				subscribers: n,
				subscribeS: round(subscribeS, 1),
				authRequests,
				authMeanMs: round(authMeanMs, 2),
				directusRssMb: { subscribed: subscribedRss, afterTrials: rss(directusPid) },
				soketiRssMb: soketiPids.map(rss),
				native: withNative,
			});
			await sleep(500);
		}
	} finally {
		subscribers.close();
		natives.close();
	}
	if (subscribers.dropped) options.log(`fan-out: ${subscribers.dropped} subscriber socket(s) closed during the run`);
	return {
		trials,
		summary: summarize(trials),
		ratios,
		sizes,
		nativeMax: options.nativeMax,
		client: 'lean Pusher-protocol subscribers over ws (bench/lib/lean-subscribers.ts), one /realtime/auth per socket',
	};
}

/** Median over trials of each statistic, per path and N. */
function summarize(trials: FanoutTrial[]): FanoutSummary[] {
	const groups = new Map<string, FanoutTrial[]>();
	for (const t of trials) groups.set(`${t.path}:${t.subscribers}`, [...(groups.get(`${t.path}:${t.subscribers}`) ?? []), t]);
	return [...groups.values()].map((group) => {
		const { path, subscribers } = group[0]!;
		const of = (pick: (t: FanoutTrial) => number) => round(median(group.map(pick)));
		return {
			path,
			subscribers,
			trials: group.length,
			lost: group.reduce((sum, t) => sum + (subscribers - t.received), 0),
			first: of((t) => t.first),
			median: of((t) => t.median),
			p99: of((t) => t.p99),
			last: of((t) => t.last),
			callMs: of((t) => t.callMs),
		};
	});
}
