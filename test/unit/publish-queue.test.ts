import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PublishQueue, type BatchSender, type OutgoingEvent } from '../../shared/src/delivery/queue.js';
import { PusherApp } from '../../shared/src/pusher/app.js';
import type { BatchEvent } from '../../shared/src/pusher/rest-client.js';

const event = (n: number, channel = 'news'): OutgoingEvent => ({ channel, name: 'e', data: JSON.stringify({ n }), source: 'test' });

function recordingLogger() {
	const lines: string[] = [];
	return { lines, logger: { warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) } };
}

function queueWith(send: BatchSender, extra: Partial<ConstructorParameters<typeof PublishQueue>[1]> = {}) {
	const { lines, logger } = recordingLogger();
	const queue = new PublishQueue(send, { retryForMs: 60_000, maxQueued: 1000, backoffInitialMs: 5, backoffMaxMs: 20, logger, ...extra });
	return { queue, lines };
}

describe('the publish queue', () => {
	it('sends 500 events in 50 batches of 10, in order', async () => {
		const batches: BatchEvent[][] = [];
		const { queue } = queueWith(async (b) => void batches.push(b));
		for (let i = 0; i < 500; i++) queue.enqueue(event(i));
		await queue.idle();
		assert.equal(batches.length, 50);
		assert.deepEqual(batches.flat().map((e) => JSON.parse(e.data).n), [...Array(500).keys()]);
	});

	it('does not send anything while enqueue runs', () => {
		let calls = 0;
		const { queue } = queueWith(async () => void calls++);
		queue.enqueue(event(1));
		assert.equal(calls, 0);
	});

	it('retries while the server is unreachable, then delivers everything', async () => {
		let failuresLeft = 3;
		const delivered: number[] = [];
		const { queue, lines } = queueWith(async (b) => {
			if (failuresLeft-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), {});
			delivered.push(...b.map((e) => JSON.parse(e.data).n));
		});
		for (let i = 0; i < 15; i++) queue.enqueue(event(i));
		await queue.idle();
		assert.deepEqual(delivered, [...Array(15).keys()]);
		assert.equal(lines.filter((l) => l.startsWith('warn') && l.includes('ECONNREFUSED')).length, 3);
	});

	it('gives each attempt fresh event objects', async () => {
		const seen: BatchEvent[] = [];
		let first = true;
		const { queue } = queueWith(async (b) => {
			seen.push({ ...b[0]! });
			b[0]!.data = 'mutated by the client';
			if (first) {
				first = false;
				throw new Error('down');
			}
		});
		queue.enqueue(event(1));
		await queue.idle();
		assert.equal(seen[1]!.data, JSON.stringify({ n: 1 }));
	});

	it('drops events that could not be delivered in time, and says so', async () => {
		const { queue, lines } = queueWith(async () => Promise.reject(new Error('down')), { retryForMs: 30 });
		queue.enqueue(event(1));
		queue.enqueue(event(2));
		await queue.idle();
		assert.equal(queue.stats().dropped, 2);
		assert.ok(lines.some((l) => l.startsWith('error') && l.includes('dropped 2 event(s): not delivered within 30 ms')));
	});

	it('keeps at most maxQueued events, dropping the oldest', async () => {
		const sent: number[] = [];
		let release!: () => void;
		const gate = new Promise<void>((r) => (release = r));
		const { queue, lines } = queueWith(
			async (b) => {
				await gate;
				sent.push(...b.map((e) => JSON.parse(e.data).n));
			},
			{ maxQueued: 5, maxBatch: 1 },
		);
		queue.enqueue(event(0));
		await new Promise((r) => setImmediate(r));
		for (let i = 1; i <= 8; i++) queue.enqueue(event(i));
		release();
		await queue.idle();
		assert.deepEqual(sent, [0, 4, 5, 6, 7, 8]);
		assert.ok(lines.some((l) => l.includes('dropped 3 event(s): queue is full')));
	});

	it('sends a first event at once, and lets events that follow it close behind share a batch', async () => {
		const batches: number[][] = [];
		const { queue } = queueWith(async (b) => void batches.push(b.map((e) => JSON.parse(e.data).n)), { batchWaitMs: 50 });
		queue.enqueue(event(1));
		await queue.idle();
		assert.deepEqual(batches, [[1]]);
		for (const n of [2, 3, 4]) {
			queue.enqueue(event(n));
			await new Promise((r) => setImmediate(r));
		}
		await queue.idle();
		assert.deepEqual(batches, [[1], [2, 3, 4]]);
	});

	it('does not hold back a full batch', async () => {
		const batches: number[][] = [];
		const { queue } = queueWith(async (b) => void batches.push(b.map((e) => JSON.parse(e.data).n)), { batchWaitMs: 60_000 });
		queue.enqueue(event(0));
		await queue.idle();
		for (let n = 1; n <= 10; n++) queue.enqueue(event(n));
		await queue.idle();
		assert.deepEqual(batches.map((b) => b.length), [1, 10]);
	});

	it('finds the one event a server refuses and delivers the rest of its batch', async () => {
		const delivered: number[] = [];
		const { queue, lines } = queueWith(async (b) => {
			if (b.some((e) => JSON.parse(e.data).n === 3)) throw Object.assign(new Error('too big'), { status: 413 });
			delivered.push(...b.map((e) => JSON.parse(e.data).n));
		});
		for (let i = 0; i < 6; i++) queue.enqueue(event(i));
		await queue.idle();
		assert.deepEqual(delivered, [0, 1, 2, 4, 5]);
		assert.equal(queue.stats().dropped, 1);
		assert.ok(lines.some((l) => l.startsWith('error') && l.includes('HTTP 413')));
	});

	it('drops an encrypted event it cannot seal (no RT_ENCRYPTION_MASTER_KEY) at once, instead of retrying it ahead of the rest', async (t) => {
		// A cache_miss re-send from a history numbered before a restart without the key, say.
		const pusher = new PusherApp({ appId: 'a', key: 'k', secret: 's', host: '127.0.0.1', port: 1, cluster: undefined, useTLS: false, encryptionMasterKeyBase64: undefined });
		t.after(() => pusher.close());
		const delivered: string[] = [];
		const { queue, lines } = queueWith(async (b) => {
			const sealed = b.filter((e) => e.channel.startsWith('private-encrypted-'));
			if (sealed.length > 0) await pusher.triggerBatch(sealed); // throws before any request
			delivered.push(...b.map((e) => e.data));
		}, { retryForMs: 2_000, backoffInitialMs: 500, backoffMaxMs: 500 });
		queue.enqueue(event(1));
		queue.enqueue(event(2, 'private-encrypted-vault'));
		queue.enqueue(event(3));
		const started = Date.now();
		await queue.idle();
		assert.ok(Date.now() - started < 900, 'no retry wait');
		assert.deepEqual(delivered, [JSON.stringify({ n: 1 }), JSON.stringify({ n: 3 })]);
		assert.equal(queue.stats().dropped, 1);
		assert.ok(lines.some((l) => l.startsWith('error') && l.includes('private-encrypted-vault') && l.includes('RT_ENCRYPTION_MASTER_KEY')), lines.join('\n'));
	});

	it('leaves an event enqueued as prepared (a re-send in its envelope) to go out as it is', async () => {
		const batches: BatchEvent[][] = [];
		const prepared: string[] = [];
		const { queue } = queueWith(async (b) => void batches.push(b), {
			prepare: async (events) => {
				for (const e of events) {
					prepared.push(e.data);
					e.data = `{"wrapped":${e.data}}`;
				}
			},
		});
		queue.enqueue(event(1));
		queue.enqueue(event(2), true);
		await queue.idle();
		assert.deepEqual(prepared, ['{"n":1}']);
		assert.deepEqual(batches.flat().map((e) => e.data), ['{"wrapped":{"n":1}}', '{"n":2}']);
	});
});
