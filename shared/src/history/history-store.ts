/**
 * The history of this configuration: in Redis when Directus runs with Redis (so every instance
 * numbers alike), in this process' memory otherwise. Which one is known once Directus' Redis
 * module answered; until then (the first event) calls wait for it.
 */
import type { ChannelHistory, HistoryLimits, HistoryRead, HistoryStats, HistoryWindow, NewEvent, Numbered } from './channel-history.js';
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

	constructor(private readonly options: HistoryStoreOptions) {
		this.memory = new MemoryHistory({ size: options.size, ttlMs: options.ttlMs, maxBytes: MEMORY_HISTORY_MAX_BYTES });
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
		return (this.chosen ?? (await this.store())).read(channel, request);
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
