import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coalescedReader, ReadCoalescer } from '../../shared/src/items/coalesce.js';
import type { ItemsByKey, PrimaryKey } from '../../shared/src/items/types.js';

/** A read that finishes when the test says so, recording the keys each call asked for. */
function controlledReads() {
	const calls: Array<{ keys: PrimaryKey[]; finish(): void; fail(error: Error): void }> = [];
	const readNow = (keys: PrimaryKey[]) =>
		new Promise<ItemsByKey>((resolve, reject) => {
			calls.push({
				keys,
				finish: () => resolve(new Map(keys.map((k) => [String(k), { id: k }]))),
				fail: reject,
			});
		});
	return { calls, readNow };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the read coalescer', () => {
	it('sends a read at once when none of its group is in flight', () => {
		const coalescer = new ReadCoalescer();
		const { calls, readNow } = controlledReads();
		void coalescer.read('posts', [1], readNow);
		assert.deepEqual(calls.map((c) => c.keys), [[1]]);
	});

	it('merges the reads asked for during a read into one, and gives each caller its items', async () => {
		const coalescer = new ReadCoalescer();
		const { calls, readNow } = controlledReads();
		const first = coalescer.read('posts', [1], readNow);
		const later = [coalescer.read('posts', [2], readNow), coalescer.read('posts', [3, 2], readNow), coalescer.read('posts', [4], readNow)];
		assert.equal(calls.length, 1, 'the others wait for the read in flight');
		calls[0]!.finish();
		assert.deepEqual((await first).get('1'), { id: 1 });
		await tick();
		assert.deepEqual(calls.map((c) => c.keys), [[1], [2, 3, 4]], 'one read for all that waited, each key once');
		calls[1]!.finish();
		const [two, three, four] = await Promise.all(later);
		assert.deepEqual(two!.get('2'), { id: 2 });
		assert.deepEqual(three!.get('3'), { id: 3 });
		assert.deepEqual(four!.get('4'), { id: 4 });
	});

	it('does not merge reads of different groups', () => {
		const coalescer = new ReadCoalescer();
		const { calls, readNow } = controlledReads();
		void coalescer.read('posts', [1], readNow);
		void coalescer.read('comments', [1], readNow);
		assert.equal(calls.length, 2);
	});

	it('uses the newest caller\'s read for a merged batch (its schema is the most recent)', async () => {
		const coalescer = new ReadCoalescer();
		const { calls, readNow } = controlledReads();
		const used: string[] = [];
		void coalescer.read('posts', [1], readNow);
		const older = (keys: PrimaryKey[]) => (used.push('older'), readNow(keys));
		const newer = (keys: PrimaryKey[]) => (used.push('newer'), readNow(keys));
		void coalescer.read('posts', [2], older);
		void coalescer.read('posts', [3], newer);
		calls[0]!.finish();
		await tick();
		assert.deepEqual(used, ['newer']);
	});

	it('caps a merged read at maxKeys keys and sends the rest in the next one, in order', async () => {
		const coalescer = new ReadCoalescer(3);
		const { calls, readNow } = controlledReads();
		void coalescer.read('posts', [0], readNow);
		for (let k = 1; k <= 7; k++) void coalescer.read('posts', [k], readNow);
		calls[0]!.finish();
		await tick();
		calls[1]!.finish();
		await tick();
		calls[2]!.finish();
		await tick();
		assert.deepEqual(calls.map((c) => c.keys), [[0], [1, 2, 3], [4, 5, 6], [7]]);
	});

	it('fails only the callers of a failed read, and goes on with the next', async () => {
		const coalescer = new ReadCoalescer();
		const { calls, readNow } = controlledReads();
		const first = coalescer.read('posts', [1], readNow);
		const second = coalescer.read('posts', [2], readNow);
		calls[0]!.fail(new Error('database went away'));
		await assert.rejects(first, /database went away/);
		await tick();
		calls[1]!.finish();
		assert.deepEqual((await second).get('2'), { id: 2 });
	});

	it('turns a read that throws synchronously into a failure of its callers only', async () => {
		const coalescer = new ReadCoalescer();
		await assert.rejects(
			coalescer.read('posts', [1], () => {
				throw new Error('no such collection');
			}),
			/no such collection/,
		);
		const { calls, readNow } = controlledReads();
		void coalescer.read('posts', [2], readNow);
		assert.equal(calls.length, 1, 'the group is free again');
	});

	it('forgets a group once its reads are done', async () => {
		const coalescer = new ReadCoalescer();
		const { calls, readNow } = controlledReads();
		const read = coalescer.read('posts', [1], readNow);
		assert.equal(coalescer.busyGroups, 1);
		calls[0]!.finish();
		await read;
		await tick();
		assert.equal(coalescer.busyGroups, 0);
	});

	it('groups a reader by collection and field set, whatever the order of the fields', async () => {
		const coalescer = new ReadCoalescer();
		const asked: Array<{ collection: string; keys: PrimaryKey[]; fields: string[] }> = [];
		let release!: () => void;
		const gate = new Promise<void>((r) => (release = r));
		const reader = coalescedReader(coalescer, {
			read: async (collection, keys, fields) => {
				asked.push({ collection, keys, fields });
				await gate;
				return new Map(keys.map((k) => [String(k), { id: k }]));
			},
		});
		const reads = [reader.read('posts', [1], ['id', 'title']), reader.read('posts', [2], ['title', 'id']), reader.read('posts', [3], ['id'])];
		release();
		await Promise.all(reads);
		assert.deepEqual(
			asked.map((a) => [a.collection, a.keys, a.fields]),
			[
				['posts', [1], ['id', 'title']],
				['posts', [3], ['id']],
				['posts', [2], ['title', 'id']],
			],
		);
	});
});
