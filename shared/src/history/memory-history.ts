/**
 * Numbers and history in this process' memory: for a single Directus without Redis (and while
 * Redis is down). Bounded per channel (count, idle time) and in all (bytes: the channels idle the
 * longest are forgotten first, and a forgotten channel starts a new epoch). The epoch changes on
 * every restart, since nothing survives one.
 */
import type { ChannelHistory, HistoryLimits, HistoryRead, HistoryStats, HistoryWindow, NewEvent, Numbered, StoredEvent } from './channel-history.js';
import { newEpoch } from './envelope.js';

/** What a channel's bookkeeping costs besides its events, counted against the byte budget. */
const CHANNEL_OVERHEAD_BYTES = 256;
const EVENT_OVERHEAD_BYTES = 160;

interface ChannelState {
	epoch: string;
	latest: number;
	events: StoredEvent[];
	/** The kept events' seqs by id: an event appended again keeps its seq. */
	seqs: Map<string, number>;
	bytes: number;
	lastAt: number;
}

export interface MemoryHistoryOptions extends HistoryLimits {
	/** All channels' kept events together, bytes. */
	maxBytes: number;
	now?: () => number;
}

export class MemoryHistory implements ChannelHistory {
	/** In order of last use: the first is the one idle the longest. */
	private readonly channels = new Map<string, ChannelState>();
	private bytes = 0;
	private appended = 0;
	private readonly now: () => number;

	constructor(private readonly options: MemoryHistoryOptions) {
		this.now = options.now ?? Date.now;
	}

	async append(events: NewEvent[]): Promise<Numbered[]> {
		return events.map((event) => this.appendOne(event));
	}

	/** Synchronous numbering, also what the Redis store falls back on. */
	appendOne(event: NewEvent): Numbered {
		const state = this.touch(event.channel);
		// An event delivered again keeps the seq it has while the history still holds it.
		const seen = state.seqs.get(event.id);
		if (seen !== undefined) return { seq: seen, epoch: state.epoch };
		const seq = ++state.latest;
		this.appended++;
		if (this.options.size > 0) {
			const stored: StoredEvent = { id: event.id, seq, name: event.name, data: event.data };
			state.events.push(stored);
			state.seqs.set(stored.id, seq);
			this.grow(state, weight(stored));
			while (state.events.length > this.options.size) {
				const dropped = state.events.shift()!;
				state.seqs.delete(dropped.id);
				this.grow(state, -weight(dropped));
			}
			this.evict(event.channel);
		}
		return { seq, epoch: state.epoch };
	}

	async read(channel: string, request: HistoryRead): Promise<HistoryWindow> {
		// A read stores nothing: callers may name any channel their pattern allows, and must not
		// crowd out the histories that exist. A channel with no events reads under an epoch of its own.
		const state = this.current(channel);
		if (state === undefined) return { epoch: newEpoch(), latest: 0, oldest: null, events: [] };
		const { events } = state;
		const picked =
			request.after === undefined
				? events.slice(Math.max(0, events.length - request.limit))
				: events.filter((event) => event.seq > request.after!).slice(0, request.limit);
		return { epoch: state.epoch, latest: state.latest, oldest: events[0]?.seq ?? null, events: picked };
	}

	stats(): HistoryStats {
		return { store: 'memory', appended: this.appended, redisFailures: 0 };
	}

	/** Forgets a channel: its next event starts a new epoch. */
	drop(channel: string): void {
		const state = this.channels.get(channel);
		if (state !== undefined) this.forget(channel, state);
	}

	/** The channel's state if it is still alive (not idle past the TTL). */
	private current(channel: string): ChannelState | undefined {
		const state = this.channels.get(channel);
		if (state === undefined) return undefined;
		if (this.now() - state.lastAt > this.options.ttlMs) {
			this.forget(channel, state);
			return undefined;
		}
		return state;
	}

	/** The channel's state, created under a new epoch when there is none; marked as just used. */
	private touch(channel: string): ChannelState {
		let state = this.current(channel);
		if (state === undefined) {
			state = { epoch: newEpoch(), latest: 0, events: [], seqs: new Map(), bytes: 0, lastAt: 0 };
			this.grow(state, CHANNEL_OVERHEAD_BYTES);
		}
		this.channels.delete(channel);
		state.lastAt = this.now();
		this.channels.set(channel, state);
		this.evict(channel);
		return state;
	}

	private grow(state: ChannelState, bytes: number): void {
		state.bytes += bytes;
		this.bytes += bytes;
	}

	private forget(channel: string, state: ChannelState): void {
		this.channels.delete(channel);
		this.bytes -= state.bytes;
	}

	/** Forgets the channels idle the longest until all fits, never the one in use. */
	private evict(keep: string): void {
		for (const [channel, state] of this.channels) {
			if (this.bytes <= this.options.maxBytes) return;
			if (channel !== keep) this.forget(channel, state);
		}
	}
}

function weight(event: StoredEvent): number {
	return EVENT_OVERHEAD_BYTES + event.id.length + event.name.length + event.data.length * 2;
}
