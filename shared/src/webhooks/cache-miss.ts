/**
 * Soketi's `cache_miss` webhook: someone subscribed to a cache channel whose last event Soketi
 * no longer holds (its cache expired, or Soketi restarted). The channel's last event is sent
 * again from history, in its envelope with the same `id`, `seq` and `epoch`: the new subscriber
 * gets the current state, Soketi's cache holds it again, and those who had it drop the repeat by
 * `id`. However many subscribers miss at once, a channel is re-sent at most once per interval
 * (one second), and the channels remembered for that are bounded. A miss with nothing to send
 * holds no interval: the next miss, after an event, is answered at once.
 */
import type { ChannelHistory } from '../history/channel-history.js';
import { envelopeJson } from '../history/envelope.js';
import { channelKind, isCache, isChannelName } from '../pusher/names.js';

/** A channel's newest event as history keeps it. */
export interface LastEvent {
	event: string;
	/** The payload's JSON text, as the script or Flow chose it (the envelope is rebuilt around it). */
	data: string;
	id: string;
	seq: number;
	epoch: string;
}

/** Where the last events come from: the channels' history. */
export interface LastEventSource {
	/** The newest event of `channel`, or null when history holds none. */
	last(channel: string): Promise<LastEvent | null>;
}

/** The channels' history as a LastEventSource: its newest kept event, under the current epoch. */
export function historyLastEvents(history: Pick<ChannelHistory, 'read'>): LastEventSource {
	return {
		async last(channel) {
			const window = await history.read(channel, { after: undefined, limit: 1 });
			if (window.damaged) throw new Error(`the history holds an entry that is not an event (${window.damaged.entry}: ${window.damaged.why})`);
			const event = window.events.at(-1);
			return event ? { event: event.name, data: event.data, id: event.id, seq: event.seq, epoch: window.epoch } : null;
		},
	};
}

/** What became of one cache_miss: sent again, within its channel's interval, or nothing to send. */
export type CacheMissOutcome = 'resent' | 'throttled' | 'unanswered';

export interface ResentEvent {
	channel: string;
	name: string;
	/** The envelope, JSON text. */
	data: string;
}

export interface CacheMissOptions {
	/** The channels' history; null when there is none (RT_ENVELOPE=false): every miss is unanswered. */
	source: LastEventSource | null;
	/** Hands the event, already in its envelope, to the publish queue (sealed there on encrypted channels). */
	send(event: ResentEvent): void;
	log: { warn(message: string): void };
	/** Least time between two re-sends of one channel, ms. */
	intervalMs?: number;
	/** Most channels remembered within one interval; past it a miss is throttled. */
	maxChannels?: number;
	/** A monotonic clock, ms. */
	now?: () => number;
}

export const CACHE_RESEND_INTERVAL_MS = 1000;
export const CACHE_RESEND_MAX_CHANNELS = 10_000;

/** A failing history is logged at most this often, ms: misses keep coming while it is down. */
const WARN_EVERY_MS = 60_000;

export class CacheMissResender {
	/** Channel -> when it was last let through; insertion order is time order. */
	private readonly lastAt = new Map<string, number>();
	private readonly intervalMs: number;
	private readonly maxChannels: number;
	private readonly now: () => number;
	private warnedAt = -Infinity;

	constructor(private readonly options: CacheMissOptions) {
		this.intervalMs = options.intervalMs ?? CACHE_RESEND_INTERVAL_MS;
		this.maxChannels = options.maxChannels ?? CACHE_RESEND_MAX_CHANNELS;
		this.now = options.now ?? (() => performance.now());
	}

	/** Answers one cache_miss of `channel`. Never throws. */
	async resend(channel: string): Promise<CacheMissOutcome> {
		const source = this.options.source;
		// Only cache channels are cached: any other name is no miss to answer.
		if (!source || !isChannelName(channel) || !isCache(channelKind(channel))) return 'unanswered';
		// Decided before anything is read, so a burst of misses reads history once.
		const admittedAt = this.admit(channel);
		if (admittedAt === undefined) return 'throttled';
		let last: LastEvent | null;
		try {
			last = await source.last(channel);
		} catch (error) {
			const now = this.now();
			if (now - this.warnedAt >= WARN_EVERY_MS) {
				this.warnedAt = now;
				this.options.log.warn(`realtime: cache_miss of ${channel}: its last event could not be read (history unavailable; further misses are not logged for a minute): ${(error as Error).message}`);
			}
			return 'unanswered';
		}
		if (!last) {
			// Nothing was sent, so nothing holds this channel's interval: an event published in the
			// meantime must reach the next subscriber who misses it (a failing history stays held).
			if (this.lastAt.get(channel) === admittedAt) this.lastAt.delete(channel);
			return 'unanswered';
		}
		this.options.send({ channel, name: last.event, data: envelopeJson(last.id, last.seq, last.epoch, last.data) });
		return 'resent';
	}

	/** Channels remembered now (bounded by maxChannels). */
	get size(): number {
		return this.lastAt.size;
	}

	/** When `channel` may be re-sent now, the time it is held from; undefined when it is throttled. */
	private admit(channel: string): number | undefined {
		const now = this.now();
		const at = this.lastAt.get(channel);
		if (at !== undefined && now - at < this.intervalMs) return undefined;
		this.lastAt.delete(channel);
		// Forget the channels whose interval is over, oldest first.
		for (const [name, since] of this.lastAt) {
			if (now - since < this.intervalMs) break;
			this.lastAt.delete(name);
		}
		// Full of channels re-sent within the interval: refuse rather than grow or forget one early.
		if (this.lastAt.size >= this.maxChannels) return undefined;
		this.lastAt.set(channel, now);
		return now;
	}
}
