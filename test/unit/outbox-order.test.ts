/**
 * The outbox's placing of events (shared/src/delivery/outbox.ts) while Redis comes and goes, with
 * a stand-in for Directus' Redis client whose adds answer when the test says: an event sent from
 * memory never overtakes one accepted before it whose add is still in flight (it may yet fall
 * back to memory itself), and the events after a waiting one wait with it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox, type OutboxClient } from '../../shared/src/delivery/outbox.js';
import type { OutgoingEvent } from '../../shared/src/delivery/queue.js';

/** A Redis client whose XADDs wait until `answer` (or `fail`) is called, in the order sent. */
class SlowRedis implements OutboxClient {
	status = 'ready';
	private readonly adds: Array<{ resolve: (id: string) => void; reject: (error: Error) => void }> = [];
	added = 0;
	async call(command: string): Promise<unknown> {
		if (command !== 'XADD') return null;
		return new Promise((resolve, reject) => this.adds.push({ resolve, reject }));
	}
	/** Answers the oldest waiting add. */
	answer(): void {
		this.added++;
		this.adds.shift()!.resolve(`1-${this.added}`);
	}
	fail(message: string): void {
		this.adds.shift()!.reject(new Error(message));
	}
	get waiting(): number {
		return this.adds.length;
	}
}

function outbox(redis: SlowRedis, addTimeoutMs = 400) {
	const live: Array<{ title: string; fallback: boolean }> = [];
	const warnings: string[] = [];
	const box = new Outbox({
		redis: async () => redis,
		prefix: 'rt-test:',
		claimAfterMs: 10_000,
		maxLength: 1000,
		prepare: undefined,
		send: async () => {},
		live: (event, fallback) => live.push({ title: JSON.parse(event.data).title, fallback }),
		warn: (message) => warnings.push(message),
		error: (message) => warnings.push(message),
		addTimeoutMs,
	});
	const accept = (title: string) => box.accept({ channel: 'private-board', name: 'ticket', data: JSON.stringify({ title }), source: 'test' } as OutgoingEvent);
	return { box, live, warnings, accept };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the outbox placing events while Redis comes and goes', () => {
	it('keeps the order accepted when an add in flight turns out late and the next events go to memory', async () => {
		const redis = new SlowRedis();
		const { live, accept } = outbox(redis);
		redis.status = 'connecting';
		accept('1'); // sent to Redis, never answered: late, then memory
		await tick();
		assert.equal(redis.waiting, 1);
		redis.status = 'reconnecting';
		accept('2');
		accept('3');
		await tick();
		assert.equal(live.length, 0, 'the memory events wait for the add in flight before them');
		await settle(800);
		assert.deepEqual(live.map((e) => e.title), ['1', '2', '3']);
		assert.ok(live.every((e) => e.fallback));
	});

	it('keeps the order when an add fails, and sends nothing from memory that Redis took', async () => {
		const redis = new SlowRedis();
		const { box, live, accept } = outbox(redis, 5_000);
		accept('1');
		accept('2');
		await tick();
		redis.status = 'reconnecting';
		accept('3');
		await tick();
		redis.answer(); // 1 added
		await tick();
		assert.equal(live.length, 0);
		redis.fail('Connection is closed.'); // 2 failed: memory, then 3
		await settle(5);
		assert.deepEqual(live.map((e) => e.title), ['2', '3']);
		// Connected again, but within the pause after a failed add: memory still, after 3.
		redis.status = 'ready';
		accept('4');
		await settle(5);
		assert.equal(redis.waiting, 0);
		assert.deepEqual(live.map((e) => e.title), ['2', '3', '4']);
		assert.deepEqual([box.stats()?.accepted, box.stats()?.fallbacks], [1, 3]);
	});

	it('does not hold events back when Redis answers: every add pipelined, none sent from memory', async () => {
		const redis = new SlowRedis();
		const { live, accept } = outbox(redis, 5_000);
		for (let i = 0; i < 50; i++) accept(String(i));
		await tick();
		assert.equal(redis.waiting, 50, 'all fifty adds are in flight at once');
		for (let i = 0; i < 50; i++) redis.answer();
		await tick();
		assert.equal(live.length, 0);
	});

	it('re-decides a waiting event once the adds before it settled: Redis back means the outbox', async () => {
		const redis = new SlowRedis();
		const { live, accept } = outbox(redis, 5_000);
		accept('1');
		await tick();
		redis.status = 'reconnecting';
		accept('2');
		await tick();
		redis.status = 'ready';
		redis.answer();
		await settle(5);
		assert.equal(live.length, 0);
		assert.equal(redis.waiting, 1, 'event 2 was added to the outbox after all');
	});
});
