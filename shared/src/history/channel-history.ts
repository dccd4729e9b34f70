/**
 * What a channel history store does, with or without Redis: number events as they go out (one
 * gap-free `seq` per channel under an `epoch`) and keep the newest of them, bounded, for
 * recovery. The memory store and the Redis store implement it; `HistoryStore` picks one.
 */
import type { HistoryStats } from '../wire.js';

export type { HistoryStats };

/** An event about to be sent: its payload JSON, before the envelope is put around it. */
export interface NewEvent {
	channel: string;
	id: string;
	name: string;
	/** The payload's JSON text. */
	data: string;
}

export interface Numbered {
	seq: number;
	epoch: string;
}

/** An event as the history keeps it. */
export interface StoredEvent {
	id: string;
	seq: number;
	name: string;
	/** The payload's JSON text (the envelope is rebuilt from id, seq and epoch on read). */
	data: string;
}

export interface HistoryRead {
	/** Events with a `seq` above `after`, oldest first; without `after`, the newest ones. */
	after: number | undefined;
	limit: number;
}

/** A channel's numbering and what is kept of it. */
export interface HistoryWindow {
	epoch: string;
	/** The last `seq` handed out under `epoch` (0: none yet). */
	latest: number;
	/** The oldest `seq` still kept; null when nothing is kept. */
	oldest: number | null;
	events: StoredEvent[];
	/**
	 * The store held an entry in this window that is not an event (written into Redis by someone
	 * else, say): it is left out of `events`, so the window cannot be trusted to be whole.
	 */
	damaged?: { entry: string; why: string };
}


export interface ChannelHistory {
	/** Numbers the events in order (one `seq` each, per channel) and keeps them; never throws for Redis being down. */
	append(events: NewEvent[]): Promise<Numbered[]>;
	/** Throws HistoryUnavailableError when the store cannot be read. */
	read(channel: string, request: HistoryRead): Promise<HistoryWindow>;
	stats(): HistoryStats;
}

export interface HistoryLimits {
	/** Events kept per channel (RT_HISTORY_SIZE); 0 keeps none (RT_HISTORY=false). */
	size: number;
	/** A channel's numbering and history end this long after its last event, ms (RT_HISTORY_TTL). */
	ttlMs: number;
}

/** The store cannot be read now (Redis down): the route answers 503. */
export class HistoryUnavailableError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'HistoryUnavailableError';
	}
}
