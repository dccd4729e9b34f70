/**
 * A batch update (PATCH /items/<collection> with an array of items) runs every item's update in
 * one transaction and emits each item's `items.update` action inside it, before the commit.
 * Reading after the commit is too late to see *this* batch's values: another batch of the same
 * keys may commit in between (on SQLite's single connection it always does, since it waits for
 * that connection). So the items are read inside the transaction, right before its commit, once
 * for all of the batch's events, and published once the commit has succeeded; a rolled-back
 * batch publishes nothing.
 *
 * Knex calls `transaction.commit()` when the work in a transaction is done; the gate runs its
 * reads first, in a savepoint it always rolls back, so a failing read can neither abort the
 * transaction (PostgreSQL) nor change it. Reads never fail the write: they are logged instead.
 */
import type { PrimaryKey } from '../items/types.js';

export interface Transaction {
	isTransaction?: boolean;
	executionPromise?: Promise<unknown>;
	isCompleted?: () => boolean;
	parentTransaction?: Transaction;
	commit(value?: unknown): unknown;
	transaction(work: (savepoint: unknown) => Promise<unknown>): Promise<unknown>;
}

/** A transaction still running, whose commit can be waited for. */
export function openTransaction(database: unknown): Transaction | null {
	const trx = database as Transaction | undefined;
	if (!trx?.isTransaction || !trx.executionPromise || typeof trx.commit !== 'function') return null;
	return trx;
}

/** Whether `trx` and every transaction around it have ended (committed or rolled back). */
export function ended(trx: Transaction): boolean {
	for (let t: Transaction | undefined = trx; t; t = t.parentTransaction) if (t.isCompleted?.() !== true) return false;
	return true;
}

/** Resolves when `trx` and every transaction around it committed; rejects on a rollback. */
export function committed(trx: Transaction): Promise<unknown> {
	const all: Array<Promise<unknown> | undefined> = [];
	for (let t: Transaction | undefined = trx; t; t = t.parentTransaction) all.push(t.executionPromise);
	return Promise.all(all);
}

/** Reads one collection's keys inside the transaction (through `knex`, a savepoint). */
export type ReadInside<R> = (collection: string, keys: PrimaryKey[], knex: unknown) => Promise<R>;

interface Waiting<R> {
	keys: Map<string, PrimaryKey>;
	waiters: Array<(result: R | undefined) => void>;
}

const ROLL_BACK = Symbol('roll back the read savepoint');

export class CommitGate<R> {
	private readonly waiting = new Map<string, Waiting<R>>();

	private constructor(
		private readonly readInside: ReadInside<R>,
		private readonly fail: (error: unknown) => void,
	) {}

	private static readonly gates = new WeakMap<Transaction, CommitGate<any>>();

	/** The gate of `trx`, installed on its first use. */
	static of<R>(trx: Transaction, readInside: ReadInside<R>, fail: (error: unknown) => void): CommitGate<R> {
		let gate = CommitGate.gates.get(trx) as CommitGate<R> | undefined;
		if (!gate) {
			const created = new CommitGate<R>(readInside, fail);
			const commit = trx.commit;
			trx.commit = async (value?: unknown) => {
				await created.readAll(trx);
				return commit.call(trx, value);
			};
			CommitGate.gates.set(trx, created);
			gate = created;
		}
		return gate;
	}

	/** The items of `keys`, as read right before the commit (undefined when the read failed). */
	readBeforeCommit(collection: string, keys: PrimaryKey[]): Promise<R | undefined> {
		const waiting: Waiting<R> = this.waiting.get(collection) ?? { keys: new Map(), waiters: [] };
		this.waiting.set(collection, waiting);
		for (const key of keys) waiting.keys.set(String(key), key);
		return new Promise((resolve) => waiting.waiters.push(resolve));
	}

	private async readAll(trx: Transaction): Promise<void> {
		const batches = [...this.waiting];
		this.waiting.clear();
		if (batches.length === 0) return;
		const results = new Map<string, R>();
		try {
			await trx
				.transaction(async (savepoint) => {
					for (const [collection, { keys }] of batches) {
						try {
							results.set(collection, await this.readInside(collection, [...keys.values()], savepoint));
						} catch (error) {
							this.fail(error);
						}
					}
					throw ROLL_BACK;
				})
				.catch((error: unknown) => {
					if (error !== ROLL_BACK) throw error;
				});
		} catch (error) {
			this.fail(error);
		}
		for (const [collection, { waiters }] of batches) for (const resolve of waiters) resolve(results.get(collection));
	}
}
