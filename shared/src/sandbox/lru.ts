/** A Map bounded to `capacity` entries that drops the least recently used one. */
export class LruMap<K, V> {
	private readonly entries = new Map<K, V>();
	/** The most recently used key: hits on it (the usual case, one script run again and again) skip the reordering. */
	private newest: K | undefined;

	constructor(readonly capacity: number) {}

	get size(): number {
		return this.entries.size;
	}

	/** The value, now the most recently used. */
	get(key: K): V | undefined {
		const value = this.entries.get(key);
		if (value !== undefined && key !== this.newest) {
			this.newest = key;
			// A Map iterates in insertion order: re-inserting moves the key to the young end.
			this.entries.delete(key);
			this.entries.set(key, value);
		}
		return value;
	}

	/** Stores the value and returns the entries dropped to make room. */
	set(key: K, value: V): Array<[K, V]> {
		this.newest = key;
		this.entries.delete(key);
		this.entries.set(key, value);
		const dropped: Array<[K, V]> = [];
		for (const oldest of this.entries) {
			if (this.entries.size <= this.capacity) break;
			this.entries.delete(oldest[0]);
			dropped.push(oldest);
		}
		return dropped;
	}

	delete(key: K): void {
		if (key === this.newest) this.newest = undefined;
		this.entries.delete(key);
	}

	clear(): void {
		this.newest = undefined;
		this.entries.clear();
	}
}
