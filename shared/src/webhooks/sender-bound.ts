/**
 * The bound on client events per sender: at most `perSecond` client events of one sender become
 * actions in one clock second (a fixed window: `floor(time / 1 s)`), the rest are dropped before
 * anything is read or run for them. The sender is the presence member's `user_id` when the
 * webhook names one, else the connection's `socket_id` (Pusher names no user on private
 * channels), so a user's connections share one budget and a connection's channels share one.
 *
 * Counts live in Redis when Directus runs with Redis, so every instance behind a load balancer
 * draws from the same budget (one key per sender and second, expiring after two seconds); in
 * memory otherwise, per instance. The memory store holds the current second's senders only, at
 * most `maxSenders` of them: past that, a new sender's events in that second are dropped (a
 * flood of senders is a flood). A Redis that fails or answers late (REDIS_TIMEOUT_MS) is stood in
 * for by the memory store for SHARED_RETRY_AFTER_MS (so a Redis outage costs no wait per event),
 * and said once a minute in the log. The memory store counts with Redis too: its bound on senders
 * per second holds for each instance either way (no Redis key, lookup or Flow for the senders
 * past it).
 */
import { createHash } from 'node:crypto';
import type { HostRedis } from '../host.js';

export interface BoundStore {
	/** Adds one to the count of `key` in second `window` and answers the new count. */
	hit(key: string, window: number): number | Promise<number>;
}


/** Most senders the memory store counts in one second. */
export const MAX_SENDERS_PER_SECOND = 10_000;
/** How long a Redis answer is waited for before the memory store stands in, in ms. */
export const REDIS_TIMEOUT_MS = 250;
/** How long the memory store stands in after the shared store failed, before it is tried again, in ms. */
export const SHARED_RETRY_AFTER_MS = 5000;
/** Keys longer than this are hashed: a sender names at most this many characters in memory or Redis. */
const MAX_SENDER_KEY_LENGTH = 80;

/** The sender a client event is counted for. */
export function clientEventSender(event: { user_id?: string | undefined; socket_id?: string | undefined }): string {
	const key = event.user_id ? `user:${event.user_id}` : event.socket_id ? `socket:${event.socket_id}` : 'unnamed';
	return key.length <= MAX_SENDER_KEY_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

export class MemoryBoundStore implements BoundStore {
	private window = -Infinity;
	private readonly counts = new Map<string, number>();

	constructor(readonly maxSenders = MAX_SENDERS_PER_SECOND) {}

	hit(key: string, window: number): number {
		// A clock set back keeps counting in the window it had reached.
		if (window > this.window) {
			this.window = window;
			this.counts.clear();
		}
		const count = (this.counts.get(key) ?? 0) + 1;
		if (count === 1 && this.counts.size >= this.maxSenders) return Infinity;
		this.counts.set(key, count);
		return count;
	}

	/** Senders counted in the current second (for tests and health). */
	get size(): number {
		return this.counts.size;
	}
}

/** How long a sender's count of one second is kept in Redis, in ms (its window and the next). */
const KEY_TTL_MS = 2000;

export class RedisBoundStore implements BoundStore {
	constructor(
		private readonly redis: HostRedis,
		private readonly prefix = 'realtime:client-events:',
	) {}

	/** INCR and PEXPIRE in one transaction (one round trip): the key of a second never outlives it long. */
	async hit(key: string, window: number): Promise<number> {
		const name = `${this.prefix}${window}:${key}`;
		const answers = await this.redis.multi().incr(name).pexpire(name, KEY_TTL_MS).exec();
		const [error, value] = answers?.[0] ?? [new Error('Redis aborted the transaction'), undefined];
		if (error) throw error;
		const count = Number(value);
		if (!Number.isFinite(count)) throw new Error('Redis answered the count with something else than a number');
		return count;
	}
}

export interface ClientEventBoundOptions {
	/** 0: no bound. */
	perSecond: number;
	/**
	 * Where counts live, or a function that finds it on the first client event (so nothing
	 * connects to Redis before one arrives); the memory store when not given or null.
	 */
	store?: BoundStore | (() => Promise<BoundStore | null>);
	now?: () => number;
	warn?: (message: string) => void;
	maxSenders?: number;
}

export class ClientEventBound {
	readonly perSecond: number;
	private readonly memory: MemoryBoundStore;
	private store: BoundStore | (() => Promise<BoundStore | null>) | Promise<BoundStore>;
	private readonly now: () => number;
	private readonly warn: (message: string) => void;
	private lastWarning = -Infinity;
	/** After a failure of the shared store, counts stay in memory until then (no wait per event). */
	private sharedDownUntil = -Infinity;

	constructor(options: ClientEventBoundOptions) {
		this.perSecond = options.perSecond;
		this.memory = new MemoryBoundStore(options.maxSenders);
		this.store = options.store ?? this.memory;
		this.now = options.now ?? Date.now;
		this.warn = options.warn ?? (() => {});
	}

	/** Where the counts live: "redis" (shared by every instance) or "memory" (this instance's). */
	get countsIn(): 'redis' | 'memory' | 'pending' {
		return typeof this.store === 'function' || this.store instanceof Promise ? 'pending' : this.store === this.memory ? 'memory' : 'redis';
	}

	/** Whether the sender's next client event is within the bound (counting it either way). */
	async admit(sender: string): Promise<boolean> {
		if (this.perSecond === 0) return true;
		const window = Math.floor(this.now() / 1000);
		if (typeof this.store === 'function') {
			const find = this.store;
			this.store = find().then(
				(found) => found ?? this.memory,
				() => this.memory,
			);
		}
		const store = this.store instanceof Promise ? (this.store = await this.store) : this.store;
		// This instance's count comes first, with Redis too: past maxSenders new senders in a second,
		// their events are dropped here, so a flood of made-up senders makes no Redis key per sender.
		const local = this.memory.hit(sender, window);
		if (local === Infinity) return false;
		let count = local;
		if (store !== this.memory && this.now() >= this.sharedDownUntil) {
			try {
				count = await withTimeout(Promise.resolve(store.hit(sender, window)), REDIS_TIMEOUT_MS);
			} catch (error) {
				this.sharedDownUntil = this.now() + SHARED_RETRY_AFTER_MS;
				if (this.now() - this.lastWarning >= 60_000) {
					this.lastWarning = this.now();
					this.warn(`realtime: client events are bounded per instance for now: the shared count failed (${(error as Error).message})`);
				}
				count = local;
			}
		}
		return count <= this.perSecond;
	}
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
		promise.then(
			(value) => {
				clearTimeout(timer);
				resolve(value);
			},
			(error: unknown) => {
				clearTimeout(timer);
				reject(error instanceof Error ? error : new Error(String(error)));
			},
		);
	});
}
