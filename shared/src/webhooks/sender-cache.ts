/**
 * The permissions a client event's sender runs Flows with, looked up at most once per sender and
 * `ttlMs` (1 s): a flood of client events from one member costs one lookup (three database
 * reads) per second, not three reads per event. Bounded: at most `maxEntries` senders (5,000),
 * the oldest making room. Concurrent lookups for one sender share one answer.
 *
 * Keyed by the user_id exactly as the webhook gives it: whether two spellings of an id name the
 * same user is the database's call (SQLite compares ids exactly, PostgreSQL and MySQL do not),
 * so one spelling never gets the answer looked up for another.
 *
 * Never noticeably longer than the user's change: the hooks drop a changed or deleted user's
 * entries (every key that is the id in another case or with trailing spaces, as PostgreSQL and
 * MySQL take them; joins give the id as Directus spells it, see bindMember), and every entry when
 * roles, policies, access or permissions change. Those hooks see the changes made through this
 * instance; another instance's copy lasts its TTL at most.
 */
export const SENDER_CACHE_TTL_MS = 1000;
export const SENDER_CACHE_MAX_ENTRIES = 5000;

interface SenderCacheEntry<V> {
	at: number;
	value: Promise<V>;
}

export interface SenderCacheOptions {
	ttlMs?: number;
	maxEntries?: number;
	now?: () => number;
}

export class SenderCache<V> {
	private readonly entries = new Map<string, SenderCacheEntry<V>>();
	private readonly ttlMs: number;
	private readonly maxEntries: number;
	private readonly now: () => number;

	constructor(options: SenderCacheOptions = {}) {
		this.ttlMs = options.ttlMs ?? SENDER_CACHE_TTL_MS;
		this.maxEntries = options.maxEntries ?? SENDER_CACHE_MAX_ENTRIES;
		this.now = options.now ?? Date.now;
	}

	get size(): number {
		return this.entries.size;
	}

	/** The cached answer for `key` while it is fresh, else `load()`'s (kept unless it fails). */
	get(key: string, load: () => Promise<V>): Promise<V> {
		const now = this.now();
		const cached = this.entries.get(key);
		if (cached && now - cached.at < this.ttlMs) return cached.value;
		this.entries.delete(key);
		// Entries are kept in the order they were made: the oldest are first.
		for (const [oldest, entry] of this.entries) {
			if (this.entries.size < this.maxEntries && now - entry.at < this.ttlMs) break;
			this.entries.delete(oldest);
		}
		const entry: SenderCacheEntry<V> = { at: now, value: load() };
		this.entries.set(key, entry);
		entry.value.catch(() => {
			if (this.entries.get(key) === entry) this.entries.delete(key);
		});
		return entry.value;
	}

	/** Forgets the entries of these keys in any case and with trailing spaces (keys are kept as given). */
	invalidate(keys: readonly unknown[]): void {
		if (keys.length === 0) return;
		const fold = (key: unknown) => String(key).toLowerCase().trimEnd();
		const forget = new Set(keys.map(fold));
		for (const key of [...this.entries.keys()]) if (forget.has(fold(key))) this.entries.delete(key);
	}

	/** Forgets every entry (a user, role, policy or permission changed). */

	clear(): void {
		this.entries.clear();
	}
}
