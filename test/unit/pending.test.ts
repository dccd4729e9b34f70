import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateBytes, Pending, type PendingLimits } from '../../shared/src/publisher/pending.js';

const LIMITS: PendingLimits = { maxEntries: 3, maxBytes: 100, maxAgeMs: 1000, logIntervalMs: 60_000 };

function pending(limits: Partial<PendingLimits> = {}) {
	let now = 0;
	const warnings: string[] = [];
	const map = new Pending<string>('delete pre-reads', { ...LIMITS, ...limits }, (m) => warnings.push(m), () => now);
	return { map, warnings, advance: (ms: number) => (now += ms) };
}

describe('the pending map between a filter and its action', () => {
	it('hands a value to the action once', () => {
		const { map } = pending();
		map.put('a', 'items of a', 10);
		assert.equal(map.take('a'), 'items of a');
		assert.equal(map.take('a'), undefined);
		assert.deepEqual(map.stats(), { entries: 0, bytes: 0, evicted: { age: 0, entries: 0, bytes: 0 } });
	});

	it('forgets values older than the age limit', () => {
		const { map, advance } = pending();
		map.put('a', 'old', 10);
		advance(1000);
		assert.equal(map.take('a'), undefined);
		assert.equal(map.stats().evicted.age, 1);
	});

	it('drops the oldest entries past the entry limit', () => {
		const { map } = pending();
		for (const key of ['a', 'b', 'c', 'd']) map.put(key, key, 1);
		assert.equal(map.take('a'), undefined);
		assert.equal(map.take('d'), 'd');
		assert.equal(map.stats().evicted.entries, 1);
	});

	it('drops the oldest entries past the byte budget, and never keeps a value bigger than it', () => {
		const { map } = pending();
		map.put('a', 'a', 60);
		map.put('b', 'b', 30);
		map.put('c', 'c', 30);
		assert.equal(map.take('a'), undefined);
		assert.deepEqual([map.take('b'), map.take('c')], ['b', 'c']);
		assert.equal(map.put('huge', 'huge', 101), false);
		assert.equal(map.take('huge'), undefined);
		assert.deepEqual(map.stats().evicted, { age: 0, entries: 0, bytes: 2 });
	});

	it('replacing a key frees the bytes of the value it replaces', () => {
		const { map } = pending();
		map.put('a', 'first', 80);
		map.put('a', 'second', 80);
		assert.deepEqual(map.stats(), { entries: 1, bytes: 80, evicted: { age: 0, entries: 0, bytes: 0 } });
	});

	it('logs evictions once per interval, with the counts since the last line', () => {
		const { map, warnings, advance } = pending({ maxEntries: 1 });
		for (let n = 0; n < 50; n++) map.put(`k${n}`, 'v', 1);
		assert.equal(warnings.length, 1);
		assert.match(warnings[0]!, /dropped delete pre-reads .*1 by entries/);
		advance(60_000);
		map.put('later', 'v', 1);
		assert.equal(warnings.length, 2);
		assert.match(warnings[1]!, /1 by age, 48 by entries/);
	});

	it('a flood of writes whose actions never come stays within the limits', () => {
		const { map } = pending({ maxEntries: 1000, maxBytes: 10_000 });
		for (let n = 0; n < 100_000; n++) map.put(`k${n}`, 'v', 7);
		const { entries, bytes } = map.stats();
		assert.ok(entries <= 1000 && bytes <= 10_000, JSON.stringify(map.stats()));
	});
});

describe('the size estimate of a read', () => {
	it('grows with the text and the number of values it holds', () => {
		const small = estimateBytes(new Map([['["*"]', new Map([['1', { id: 1, title: 'a' }]])]]));
		const large = estimateBytes(new Map([['["*"]', new Map([['1', { id: 1, title: 'a'.repeat(10_000) }]])]]));
		assert.ok(large >= small + 19_990, `${small} -> ${large}`);
		const many = estimateBytes(Array.from({ length: 1000 }, (_, id) => ({ id })));
		assert.ok(many > 1000 * 8, String(many));
	});

	it('counts a shared or circular object once', () => {
		const item: Record<string, unknown> = { id: 1 };
		item.self = item;
		assert.ok(Number.isFinite(estimateBytes([item, item])));
	});
});
