/**
 * Fan-out: one item created, N subscribers waiting. For each N, rounds of three trials, one per
 * path, back to back so that a busy spell of the machine hits all three alike:
 *   raw:       `pusher.trigger` straight to Soketi (the floor), received by N pusher-js clients;
 *   extension: a REST create -> the hook -> the channel row's publisher -> Soketi -> the same clients;
 *   native:    the same REST create, received by N Directus WebSocket subscribers, with the
 *              channel row disabled and the natives subscribed only for this trial.
 * Times run from just before the REST call (or the trigger) to each subscriber's handler.
 */
import { ArrivalProbe } from './arrivals.js';
import { NativeSubscribers } from './native-subscribers.js';
import { PusherSubscribers } from './pusher-subscribers.js';
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
	/** extension last / (raw last + the extension trial's REST call). */
	extensionVsFloor: number;
	/** native last / extension last. */
	nativeVsExtension: number;
}

export interface FanoutOptions {
	sizes: number[];
	trials: number;
	/** Rounds run first and not kept, per N (JIT, pools, caches). */
	warmup: number;
	/** Per trial: how long to wait for the last subscriber. */
	timeoutMs: number;
	log: (line: string) => void;
}

export async function runFanout(setup: BenchSetup, options: FanoutOptions): Promise<{ trials: FanoutTrial[]; summary: FanoutSummary[]; ratios: FanoutRatios[] }> {
	const { stack, http, user } = setup;
	const probe = new ArrivalProbe();
	const pusherSubscribers = new PusherSubscribers({
		soketi: stack.soketi,
		directusUrl: stack.directus.url,
		token: user.token,
		channel: CHANNELS.fanout,
		events: ['created', 'raw'],
		onEvent: (_event, data) => probe.arrived(data?.title),
	});
	const natives = new NativeSubscribers({ directusUrl: stack.directus.url, token: user.token, collection: COLLECTIONS.fanout, onCreate: (item) => probe.arrived(item?.title) });
	const trials: FanoutTrial[] = [];
	const ratios: FanoutRatios[] = [];
	let sequence = 0;

	const measure = async (path: FanoutPath, n: number, trial: number, call: (key: string) => Promise<void>): Promise<FanoutTrial> => {
		const key = `${path}-${n}-${trial}-${sequence++}`;
		probe.arm(key, n);
		const t0 = performance.now();
		await call(key);
		const callMs = performance.now() - t0;
		const times = (await probe.collect(options.timeoutMs)).map((t) => t - t0);
		// Let stragglers of this trial, and the server's own work after it, settle.
		await sleep(250);
		return { path, subscribers: n, trial, received: times.length, callMs, ...spread(times) };
	};
	const restCreate = async (key: string) => {
		const res = await http.postJson(`/items/${COLLECTIONS.fanout}`, user.token, { title: key });
		if (res.status !== 200) throw new Error(`REST create failed: ${res.status} ${res.body.slice(0, 300)}`);
	};
	const rawTrigger = async (key: string) => {
		await stack.pusher.trigger(CHANNELS.fanout, 'raw', { id: 0, title: key });
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
			const connecting = performance.now();
			await pusherSubscribers.growTo(n);
			await natives.growTo(n);
			options.log(`fan-out N=${n}: ${n} pusher-js clients subscribed, ${n} native connections open (${Math.round(performance.now() - connecting)} ms)`);
			const kept: Array<Record<FanoutPath, FanoutTrial>> = [];
			for (let r = 0; r < options.warmup + options.trials; r++) {
				const raw = await measure('raw', n, r, rawTrigger);
				const extension = await measure('extension', n, r, restCreate);
				const native = await nativeOnly(() => measure('native', n, r, restCreate));
				options.log(
					`  ${r < options.warmup ? `warm-up ${r + 1}` : `round ${r - options.warmup + 1}`}: last arrival raw ${raw.last.toFixed(1)} ms, ` +
						`extension ${extension.last.toFixed(1)} ms (REST ${extension.callMs.toFixed(1)} ms), native ${native.last.toFixed(1)} ms (REST ${native.callMs.toFixed(1)} ms)` +
						(raw.received + extension.received + native.received < 3 * n ? `; received ${raw.received}/${extension.received}/${native.received} of ${n}` : ''),
				);
				if (r < options.warmup) continue;
				for (const t of [raw, extension, native]) trials.push({ ...t, trial: r - options.warmup + 1 });
				kept.push({ raw, extension, native });
			}
			ratios.push({
				subscribers: n,
				extensionVsFloor: round(median(kept.map((k) => k.extension.last / (k.raw.last + k.extension.callMs)))),
				nativeVsExtension: round(median(kept.map((k) => k.native.last / k.extension.last))),
			});
			await sleep(500);
		}
	} finally {
		pusherSubscribers.disconnect();
		natives.close();
	}
	return { trials, summary: summarize(trials), ratios };
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
