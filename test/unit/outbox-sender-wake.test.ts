/**
 * The outbox sender after an outage: a failed round waits (1 s, doubling up to 10 s) before the
 * next, but once its Redis connection is ready again it tries at once, so the events added
 * meanwhile are not late by the rest of that wait. Redis itself is in test/services; here a
 * stand-in stream fails its first rounds and then holds one event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutgoingEvent } from '../../shared/src/delivery/queue.js';
import { OutboxSender } from '../../shared/src/delivery/outbox-sender.js';
import type { OutboxEntry, OutboxStream } from '../../shared/src/delivery/outbox-stream.js';
import { pollUntil } from '../harness/time.js';

function stream(failRounds: number) {
	let rounds = 0;
	let pending: OutboxEntry[] = [{ entryId: '0-1', event: { channel: 'board', name: 'ticket', data: '{}', source: 'test' } }];
	const stand: Partial<OutboxStream> = {
		async ensureGroup() {
			if (++rounds <= failRounds) throw new Error('Redis is reconnecting');
		},
		async pruneConsumers() {
			return 0;
		},
		async claim() {
			return { entries: [], broken: [] };
		},
		async read() {
			const entries = pending;
			pending = [];
			if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
			return { entries, broken: [] };
		},
		async done() {},
		async owned(_consumer, entries) {
			return entries;
		},
	};
	return { stream: stand as OutboxStream, rounds: () => rounds };
}

describe('the outbox sender once Redis is back', () => {
	it('sends at once when woken, instead of after the rest of its wait after failed rounds', async () => {
		const { stream: s, rounds } = stream(2);
		const delivered: OutgoingEvent[] = [];
		const warnings: string[] = [];
		const sender = new OutboxSender(s, { consumer: 'c', claimAfterMs: 10_000, retryMs: 60_000, maxRetryMs: 60_000, deliver: async (events) => void delivered.push(...events), warn: (m) => warnings.push(m) });
		sender.start();
		try {
			await pollUntil(rounds, (n) => n === 1, { timeoutMs: 2000, intervalMs: 5 });
			// Waiting 60 s after the first failure: the connection is ready again.
			sender.wake();
			await pollUntil(rounds, (n) => n === 2, { timeoutMs: 2000, intervalMs: 5 });
			sender.wake();
			await pollUntil(() => delivered.length, (n) => n === 1, { timeoutMs: 2000, intervalMs: 5 });
			assert.equal(delivered.length, 1, 'delivered without waiting out the 60 s (then 120 s) after the failed rounds');
			assert.equal(sender.stats().failedRounds, 2);
			assert.match(warnings[0]!, /the outbox sender failed a round \(Redis is reconnecting\)/);
		} finally {
			await sender.stop();
		}
	});

	it('stops at once while waiting after a failed round', async () => {
		const { stream: s, rounds } = stream(1);
		const sender = new OutboxSender(s, { consumer: 'c', claimAfterMs: 10_000, retryMs: 60_000, deliver: async () => {}, warn: () => {} });
		sender.start();
		await pollUntil(rounds, (n) => n === 1, { timeoutMs: 2000, intervalMs: 5 });
		const stopped = await Promise.race([sender.stop().then(() => true), new Promise((resolve) => setTimeout(resolve, 2000, false))]);
		assert.equal(stopped, true, 'stop() did not wait out the 60 s');
	});
});
