/**
 * What a filter learned about a write, kept for its action: a delete's items, read in the filter
 * (the last moment they exist) and published by the action once the delete succeeded. A write
 * that fails never sends its action, so entries must not outlive their use: the map is bounded
 * in entries, in (estimated) bytes and in age, oldest first out. Evictions are counted and
 * logged at most once per interval, so a flood of failing writes cannot flood the log either.
 */

export interface PendingLimits {
	maxEntries: number;
	maxBytes: number;
	maxAgeMs: number;
	/** Least time between two eviction log lines. */
	logIntervalMs: number;
}

export type EvictionReason = 'age' | 'entries' | 'bytes';

interface PendingEntry<T> {
	value: T;
	bytes: number;
	at: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = { maxEntries: 1000, maxBytes: 16 * 1024 * 1024, maxAgeMs: 60_000, logIntervalMs: 60_000 };

export class Pending<T> {
	// A Map iterates in insertion order: the first entry is always the oldest.
	private readonly entries = new Map<string, PendingEntry<T>>();
	private bytes = 0;
	private readonly evicted: Record<EvictionReason, number> = { age: 0, entries: 0, bytes: 0 };
	private readonly unreported: Record<EvictionReason, number> = { age: 0, entries: 0, bytes: 0 };
	private lastReport = Number.NEGATIVE_INFINITY;

	constructor(
		private readonly what: string,
		private readonly limits: PendingLimits,
		private readonly warn: (message: string) => void,
		private readonly now: () => number = Date.now,
	) {}

	/**
	 * Keeps `value` (about `bytes` big) under `key`, replacing an older value of that key. A value
	 * larger than the whole budget is not kept: the caller's action will find nothing.
	 */
	put(key: string, value: T, bytes: number): boolean {
		this.remove(key);
		this.expire();
		if (bytes > this.limits.maxBytes) {
			this.count('bytes', 1);
			return false;
		}
		while (this.entries.size >= this.limits.maxEntries) this.evictOldest('entries');
		while (this.bytes + bytes > this.limits.maxBytes) this.evictOldest('bytes');
		this.entries.set(key, { value, bytes, at: this.now() });
		this.bytes += bytes;
		return true;
	}

	take(key: string): T | undefined {
		this.expire();
		const entry = this.entries.get(key);
		if (entry) this.remove(key);
		return entry?.value;
	}

	stats(): { entries: number; bytes: number; evicted: Record<EvictionReason, number> } {
		return { entries: this.entries.size, bytes: this.bytes, evicted: { ...this.evicted } };
	}

	private remove(key: string): void {
		const entry = this.entries.get(key);
		if (!entry) return;
		this.entries.delete(key);
		this.bytes -= entry.bytes;
	}

	private expire(): void {
		const oldest = this.now() - this.limits.maxAgeMs;
		let expired = 0;
		for (const [key, entry] of this.entries) {
			if (entry.at > oldest) break;
			this.remove(key);
			expired++;
		}
		if (expired) this.count('age', expired);
	}

	private evictOldest(reason: EvictionReason): void {
		const first = this.entries.keys().next();
		if (first.done) return;
		this.remove(first.value);
		this.count(reason, 1);
	}

	private count(reason: EvictionReason, n: number): void {
		this.evicted[reason] += n;
		this.unreported[reason] += n;
		const now = this.now();
		if (now - this.lastReport < this.limits.logIntervalMs) return;
		this.lastReport = now;
		const parts = (Object.keys(this.unreported) as EvictionReason[]).filter((r) => this.unreported[r] > 0).map((r) => `${this.unreported[r]} by ${r}`);
		this.warn(`realtime: dropped ${this.what} whose action never came (${parts.join(', ')}); limits: ${this.limits.maxEntries} entries, ${this.limits.maxBytes} bytes, ${this.limits.maxAgeMs} ms`);
		for (const r of Object.keys(this.unreported) as EvictionReason[]) this.unreported[r] = 0;
	}
}

/**
 * A cheap estimate of the memory a read result takes: string lengths (2 bytes a character) plus
 * a fixed cost per value. Only for budgeting; it never serializes.
 */
export function estimateBytes(value: unknown): number {
	let bytes = 0;
	const stack: unknown[] = [value];
	const seen = new Set<object>();
	while (stack.length) {
		const next = stack.pop();
		if (typeof next === 'string') bytes += 16 + next.length * 2;
		else if (next === null || typeof next !== 'object') bytes += 8;
		else if (!seen.has(next)) {
			seen.add(next);
			bytes += 32;
			if (next instanceof Map) for (const [k, v] of next) stack.push(k, v);
			else if (Array.isArray(next)) for (const v of next) stack.push(v);
			else for (const [k, v] of Object.entries(next)) stack.push(k, v);
		}
	}
	return bytes;
}
