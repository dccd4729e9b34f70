/**
 * Merges concurrent reads of the same collection and field set. The first read goes out at
 * once; reads asked for while it is in flight wait for it to finish and then go out together,
 * as one query for all their keys (at most `maxKeys` per query). A quiet server reads each event
 * as it comes, with no added wait; a busy one makes one query for many events. That matters most
 * where the database is the narrow part: Directus on SQLite has one connection, which every
 * write holds for its whole transaction.
 *
 * Every read still starts after it was asked for, so it sees at least the state of the write
 * that caused it; and batches of one group run one after another, so events of one channel row
 * keep their order.
 */
import type { ReadStats } from '../wire.js';
import { fieldSetKey, type ItemReader, type ItemsByKey, type PrimaryKey } from './types.js';

type ReadNow = (keys: PrimaryKey[]) => Promise<ItemsByKey>;

interface Batch {
	keys: Map<string, PrimaryKey>;
	/** The newest caller's read: its schema is the most recent. */
	readNow: ReadNow;
	waiters: Array<{ resolve(items: ItemsByKey): void; reject(error: unknown): void }>;
}

interface Group {
	inFlight: boolean;
	pending: Batch[];
}

export class ReadCoalescer {
	private readonly groups = new Map<string, Group>();
	private readonly counters = { requested: 0, queries: 0 };

	constructor(private readonly maxKeys = 100) {
		if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a whole number >= 1, got ${maxKeys}`);
	}

	/** Groups with a read in flight or waiting. */
	get busyGroups(): number {
		return this.groups.size;
	}

	/** Reads asked for (one per event and field set), and the queries that served them. */
	stats(): ReadStats {
		return { ...this.counters };
	}

	read(group: string, keys: PrimaryKey[], readNow: ReadNow): Promise<ItemsByKey> {
		this.counters.requested++;
		const state = this.groups.get(group) ?? { inFlight: false, pending: [] };
		this.groups.set(group, state);
		const promise = new Promise<ItemsByKey>((resolve, reject) => {
			const batch = this.batchFor(state, keys.length, readNow);
			for (const key of keys) batch.keys.set(String(key), key);
			batch.waiters.push({ resolve, reject });
		});
		if (!state.inFlight) this.next(group, state);
		return promise;
	}

	/**
	 * The last pending batch, now read with `readNow`, or a new one when it is full (a single
	 * large read gets one of its own).
	 */
	private batchFor(state: Group, count: number, readNow: ReadNow): Batch {
		const last = state.pending.at(-1);
		if (last && last.keys.size + count <= this.maxKeys) {
			last.readNow = readNow;
			return last;
		}
		const batch: Batch = { keys: new Map(), readNow, waiters: [] };
		state.pending.push(batch);
		return batch;
	}

	private next(group: string, state: Group): void {
		const batch = state.pending.shift();
		if (!batch) {
			this.groups.delete(group);
			return;
		}
		state.inFlight = true;
		this.counters.queries++;
		let read: Promise<ItemsByKey>;
		try {
			read = batch.readNow([...batch.keys.values()]);
		} catch (error) {
			read = Promise.reject(error);
		}
		read.then(
			(items) => {
				for (const waiter of batch.waiters) waiter.resolve(items);
			},
			(error: unknown) => {
				for (const waiter of batch.waiters) waiter.reject(error);
			},
		).finally(() => {
			state.inFlight = false;
			this.next(group, state);
		});
	}
}

/** A reader whose reads go through `coalescer`, grouped by collection and field set. */
export function coalescedReader(coalescer: ReadCoalescer, reader: ItemReader): ItemReader {
	return {
		read: (collection, keys, fields) =>
			coalescer.read(`${collection}\u0000${fieldSetKey(fields)}`, keys, (batchKeys) => reader.read(collection, batchKeys, fields)),
	};
}
