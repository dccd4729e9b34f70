/**
 * The outbox sender against a real Redis: it delivers what a dead consumer left pending, retries
 * what it failed to send with the same ids, and a stop lets the round in flight finish. Needs
 * Redis (127.0.0.1:6379 or RT_TEST_REDIS_URL).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { OutboxSender } from '../../shared/src/delivery/outbox-sender.js';
import { OutboxStream } from '../../shared/src/delivery/outbox-stream.js';
import type { OutgoingEvent } from '../../shared/src/delivery/queue.js';
import { waitFor } from '../harness/ports.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/12`;

const ev = (n: number): OutgoingEvent => ({ channel: 'chat', name: 'e', data: JSON.stringify({ n }), id: `id-${n}`, source: 'test' });

describe('the outbox sender', () => {
	const clients: Redis[] = [];
	const senders: OutboxSender[] = [];
	const connect = () => {
		const client = new Redis(REDIS_DB_URL);
		clients.push(client);
		return client;
	};
	const writer = connect();
	let prefix = '';
	const fresh = () => (prefix = `rt-test-${randomBytes(4).toString('hex')}:`);
	const sender = (deliver: (events: OutgoingEvent[]) => Promise<void>, warn: (m: string) => void = () => {}) => {
		const s = new OutboxSender(new OutboxStream(connect(), { prefix }), { consumer: `c-${randomBytes(3).toString('hex')}`, deliver, claimAfterMs: 200, blockMs: 100, retryMs: 50, warn });
		senders.push(s);
		return s;
	};

	afterEach(async () => {
		await Promise.all(senders.splice(0).map((s) => s.stop()));
		await writer.del(`${prefix}outbox`);
	});
	after(() => {
		for (const client of clients) client.disconnect();
	});

	it('delivers every event once, those a dead consumer read but never acknowledged too', async () => {
		fresh();
		const outbox = new OutboxStream(writer, { prefix });
		await outbox.ensureGroup();
		for (let n = 1; n <= 3; n++) await outbox.add(ev(n));
		assert.equal((await outbox.read('dead', 10, 0)).entries.length, 3); // read, then the process died
		for (let n = 4; n <= 25; n++) await outbox.add(ev(n));

		const got: OutgoingEvent[] = [];
		const s = sender(async (events) => void got.push(...events));
		s.start();
		await waitFor(async () => got.length >= 25, 10_000, () => `${got.length} delivered`);
		await s.stop();
		assert.deepEqual(got.map((e) => e.id).sort(), Array.from({ length: 25 }, (_, n) => `id-${n + 1}`).sort());
		assert.deepEqual(got.find((e) => e.id === 'id-2'), ev(2));
		assert.equal(await outbox.pending(), 0);
		assert.equal(await writer.xlen(`${prefix}outbox`), 0);
		assert.deepEqual(s.stats(), { delivered: 25, claimed: 3, failedRounds: 0 });
	});

	it('keeps what it failed to send and delivers it again later, with the same ids', async () => {
		fresh();
		const outbox = new OutboxStream(writer, { prefix });
		await outbox.ensureGroup();
		const attempts: string[][] = [];
		const warnings: string[] = [];
		const s = sender(async (events) => {
			attempts.push(events.map((e) => e.id!));
			if (attempts.length === 1) throw new Error('Pusher unreachable');
		}, (m) => warnings.push(m));
		for (let n = 1; n <= 4; n++) await outbox.add(ev(n));
		s.start();
		await waitFor(async () => (await outbox.pending()) === 0 && attempts.length >= 2, 10_000, () => JSON.stringify(attempts));
		assert.deepEqual(attempts[0], ['id-1', 'id-2', 'id-3', 'id-4']);
		assert.deepEqual(attempts.slice(1).flat().sort(), ['id-1', 'id-2', 'id-3', 'id-4']);
		assert.equal(s.stats().failedRounds, 1);
		assert.match(warnings[0]!, /Pusher unreachable/);
	});

	it('on stop, finishes the round in flight and reads no more', async () => {
		fresh();
		const outbox = new OutboxStream(writer, { prefix });
		await outbox.ensureGroup();
		let release: () => void = () => {};
		const delivered: string[] = [];
		let started = false;
		const s = sender(async (events) => {
			started = true;
			await new Promise<void>((resolve) => (release = resolve));
			delivered.push(...events.map((e) => e.id!));
		});
		await outbox.add(ev(1));
		s.start();
		await waitFor(async () => started, 5_000, () => 'no round started');
		const stopping = s.stop();
		await outbox.add(ev(2));
		release();
		await stopping;
		assert.deepEqual(delivered, ['id-1']);
		assert.equal(await outbox.pending(), 0);
		assert.equal(await writer.xlen(`${prefix}outbox`), 1); // id-2 waits for the next sender
	});

	it('gets past entries trimmed away (MAXLEN) while a dead consumer held them: acknowledged away, the rest delivered', async () => {
		fresh();
		const outbox = new OutboxStream(writer, { prefix });
		await outbox.ensureGroup();
		for (let n = 1; n <= 5; n++) await outbox.add(ev(n));
		assert.equal((await outbox.read('dead', 3, 0)).entries.length, 3); // 1..3 read, then the process died
		// The outbox overflowed meanwhile: its oldest entries, 1..3 among them, are trimmed.
		await writer.call('XTRIM', `${prefix}outbox`, 'MAXLEN', '=', '2');
		for (let n = 6; n <= 7; n++) await outbox.add(ev(n));
		const got: string[] = [];
		const s = sender(async (events) => void got.push(...events.map((e) => e.id!)));
		s.start();
		await waitFor(async () => got.length >= 4 && (await outbox.pending()) === 0, 5_000, () => JSON.stringify({ got }));
		assert.deepEqual(got, ['id-4', 'id-5', 'id-6', 'id-7']);
		assert.equal(await writer.xlen(`${prefix}outbox`), 0);
		assert.equal(s.stats().failedRounds, 0);
	});

	it('delivers a batch it holds for a retry even when the stream was trimmed meanwhile, then acknowledges it', async () => {
		fresh();
		const outbox = new OutboxStream(writer, { prefix });
		await outbox.ensureGroup();
		const attempts: string[][] = [];
		const s = sender(async (events) => {
			attempts.push(events.map((e) => e.id!));
			if (attempts.length === 1) {
				await writer.call('XTRIM', `${prefix}outbox`, 'MAXLEN', '=', '0');
				throw new Error('Pusher unreachable');
			}
		});
		for (let n = 1; n <= 3; n++) await outbox.add(ev(n));
		s.start();
		await waitFor(async () => attempts.length >= 2 && (await outbox.pending()) === 0, 5_000, () => JSON.stringify(attempts));
		assert.deepEqual(attempts, [['id-1', 'id-2', 'id-3'], ['id-1', 'id-2', 'id-3']]);
		assert.equal(s.stats().delivered, 3);
	});
});
