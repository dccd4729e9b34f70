/**
 * The history of this configuration: in Redis when Directus runs with Redis (so every instance
 * numbers alike), in this process' memory otherwise. Which one is known once Directus' Redis
 * module answered; until then (the first event) calls wait for it. What goes wrong with reads
 * (Redis unavailable, an entry that is not an event) is logged here, at most once per 10 s each:
 * every client reconnecting would otherwise log it again.
 */
import { spaced } from '../spaced.js';
import { HistoryUnavailableError, type ChannelHistory, type HistoryLimits, type HistoryRead, type HistoryStats, type HistoryWindow, type NewEvent, type Numbered } from './channel-history.js';
import { MemoryHistory } from './memory-history.js';
import { RedisHistory, type HistoryRedis } from './redis-history.js';

/** The memory store's budget for all channels' events, bytes. */
export const MEMORY_HISTORY_MAX_BYTES = 64 * 1024 * 1024;

export interface HistoryStoreOptions extends HistoryLimits {
	prefix: string;
	/** Directus' Redis client when it runs with Redis, else null. */
	redis: () => Promise<HistoryRedis | null>;
	warn(message: string): void;
}

export class HistoryStore implements ChannelHistory {
	private chosen: ChannelHistory | undefined;
	private choosing: Promise<ChannelHistory> | undefined;
	private readonly memory: MemoryHistory;
	private readonly warnUnavailable: (message: string) => void;
	private readonly warnDamaged: (message: string) => void;

	constructor(private readonly options: HistoryStoreOptions) {
		this.memory = new MemoryHistory({ size: options.size, ttlMs: options.ttlMs, maxBytes: MEMORY_HISTORY_MAX_BYTES });
		this.warnUnavailable = spaced(options.warn);
		this.warnDamaged = spaced(options.warn);
	}

	async append(events: NewEvent[]): Promise<Numbered[]> {
		return (this.chosen ?? (await this.store())).append(events);
	}

	/**
	 * Numbers the events in this process' memory whatever the store: the outbox could not take
	 * them (Redis unavailable). With Redis, their channels start a new epoch when Redis numbers
	 * them again.
	 */
	async appendInMemory(events: NewEvent[]): Promise<Numbered[]> {
		const store = this.chosen ?? (await this.store());
		return store instanceof RedisHistory ? store.appendInMemory(events) : this.memory.append(events);
	}

	async read(channel: string, request: HistoryRead): Promise<HistoryWindow> {
		const store = this.chosen ?? (await this.store());
		let window: HistoryWindow;
		try {
			window = await store.read(channel, request);
		} catch (error) {
			if (error instanceof HistoryUnavailableError) this.warnUnavailable(`realtime: ${error.message}`);
			throw error;
		}
		if (window.damaged) {
			this.warnDamaged(`realtime: the history of ${channel} holds an entry that is not an event (${window.damaged.entry}: ${window.damaged.why}); it is left out, and a client recovering across it reloads`);
		}
		return window;
	}

	stats(): HistoryStats {
		return (this.chosen ?? this.memory).stats();
	}

	private store(): Promise<ChannelHistory> {
		this.choosing ??= this.options
			.redis()
			.catch(() => null)
			.then((redis) => {
				const { size, ttlMs, prefix, warn } = this.options;
				this.chosen = redis ? new RedisHistory(redis, { size, ttlMs, prefix, warn, fallback: this.memory }) : this.memory;
				return this.chosen;
			});
		return this.choosing;
	}
}
