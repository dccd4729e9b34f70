/**
 * The outbox stream's commands against a real Redis: one group for every instance, an entry read
 * by one consumer only, taken over by another once it sat pending long enough, gone once done.
 * Needs Redis (127.0.0.1:6379 or RT_TEST_REDIS_URL).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { OutboxStream } from '../../shared/src/delivery/outbox-stream.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/12`;

const ev = (n: number) => ({ channel: 'chat', name: 'e', data: JSON.stringify({ n }), id: `id-${n}`, source: 'test' });

describe('the outbox stream', () => {
	let redis: Redis;
	const prefix = `rt-test-${randomBytes(4).toString('hex')}:`;

	before(() => {
		redis = new Redis(REDIS_DB_URL);
	});
	after(async () => {
		await redis.del(`${prefix}outbox`);
		redis.disconnect();
	});

	it('hands each entry to one consumer, lets another take over what a dead one left, and forgets what is done', async () => {
		const a = new OutboxStream(redis, { prefix });
		const b = new OutboxStream(redis, { prefix });
		await a.ensureGroup();
		await b.ensureGroup(); // a second instance: no BUSYGROUP error
		for (let n = 1; n <= 5; n++) await a.add(ev(n));

		const readByA = await a.read('a', 3, 0);
		assert.deepEqual(readByA.entries.map((e) => e.event), [1, 2, 3].map(ev));
		const readByB = await b.read('b', 10, 0);
		assert.deepEqual(readByB.entries.map((e) => e.event.id), ['id-4', 'id-5']);
		assert.deepEqual((await b.read('b', 10, 0)).entries, []);

		await b.done(readByB.entries.map((e) => e.entryId));
		assert.equal(await b.pending(), 3);

		// 'a' died holding 1..3: not taken over while recent, then taken over with their ids.
		assert.deepEqual((await b.claim('b', 60_000, 10)).entries, []);
		await new Promise((resolve) => setTimeout(resolve, 30));
		const claimed = await b.claim('b', 20, 10);
		assert.deepEqual(claimed.entries.map((e) => e.event), [1, 2, 3].map(ev));
		await b.done(claimed.entries.map((e) => e.entryId));

		assert.equal(await b.pending(), 0);
		assert.equal(await redis.xlen(`${prefix}outbox`), 0);
	});

	it('waits for an entry when asked to block, and an undecodable entry comes back to be acknowledged away', async () => {
		// A blocking read holds its connection: it gets one of its own.
		const reader = new Redis(REDIS_DB_URL);
		const stream = new OutboxStream(reader, { prefix });
		await stream.ensureGroup();
		const reading = stream.read('c', 10, 5_000);
		await redis.xadd(`${prefix}outbox`, '*', 'x', 'y');
		const { entries, broken } = await reading;
		assert.deepEqual(entries, []);
		assert.equal(broken.length, 1);
		await stream.done(broken);
		assert.equal(await stream.pending(), 0);
		reader.disconnect();
	});
});
