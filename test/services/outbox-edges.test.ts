/**
 * The outbox module against a real Redis, at its edges: one channel's order, an event Pusher
 * refuses, a Redis that answers too slowly, several instances claiming one entry. Needs Redis
 * (127.0.0.1:6379 or RT_TEST_REDIS_URL).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { waitFor } from '../harness/ports.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Outbox, type OutboxClient } from '../../shared/src/delivery/outbox.js';
import { PusherApp } from '../../shared/src/pusher/app.js';
import { OutboxStream } from '../../shared/src/delivery/outbox-stream.js';
import type { BatchEvent } from '../../shared/src/pusher/rest-client.js';
import type { OutgoingEvent } from '../../shared/src/delivery/queue.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// A Redis db of its own so parallel runs of other suites are not disturbed.
const REDIS_DB = 13;
const REDIS_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/${REDIS_DB}`;

describe('the outbox module against Redis: its edges', () => {
	let redis: Redis;
	const connections: Redis[] = [];
	const outboxes: Outbox[] = [];
	let prefix = '';
	const connect = () => {
		const client = new Redis(REDIS_DB_URL);
		connections.push(client);
		return client;
	};
	const ev = (n: number, name = 'e'): OutgoingEvent => ({ channel: 'c', name, data: JSON.stringify({ n }), source: 'test' });
	const make = (client: OutboxClient, send: (batch: BatchEvent[]) => Promise<void>, extra: { live?: (event: OutgoingEvent, fallback: boolean) => void; warnings?: string[]; addTimeoutMs?: number } = {}) => {
		const outbox = new Outbox({
			redis: async () => client,
			prefix,
			claimAfterMs: 200,
			maxLength: 1000,
			prepare: undefined,
			send,
			live: extra.live ?? (() => assert.fail('sent from memory')),
			warn: (m) => extra.warnings?.push(m),
			error: () => {},
			...(extra.addTimeoutMs ? { addTimeoutMs: extra.addTimeoutMs } : {}),
			sender: { blockMs: 100, retryMs: 50, maxRetryMs: 200 },
		});
		outboxes.push(outbox);
		return outbox;
	};

	before(() => {
		redis = connect();
	});
	after(async () => {
		await Promise.all(outboxes.map((o) => o.stop()));
		const keys = await redis.keys('rt-test-edge-*');
		if (keys.length) await redis.del(...keys);
		for (const c of connections) c.disconnect();
	});
	const fresh = () => (prefix = `rt-test-edge-${randomBytes(4).toString('hex')}:`);

	it('sends one channel\'s events in the order accepted', async () => {
		fresh();
		const sent: string[] = [];
		const outbox = make(Object.assign(connect(), {}), async (batch) => void sent.push(...batch.map((e) => e.data)));
		for (let n = 1; n <= 60; n++) outbox.accept(ev(n));
		await waitFor(async () => sent.length >= 60, 10_000, () => `${sent.length} sent`);
		assert.deepEqual(sent, Array.from({ length: 60 }, (_, n) => JSON.stringify({ n: n + 1 })));
		assert.equal(outbox.stats()!.accepted, 60);
	});

	it('drops an event Pusher refuses (4xx) and sends the rest of its batch; retries what failed for want of an answer', async () => {
		fresh();
		const sent: string[] = [];
		let unreachable = 2;
		const outbox = make(connect(), async (batch) => {
			if (unreachable-- > 0) throw new Error('connect ECONNREFUSED');
			if (batch.some((e) => e.name === 'bad')) throw Object.assign(new Error('HTTP 400'), { status: 400 });
			sent.push(...batch.map((e) => e.data));
		});
		outbox.accept(ev(1));
		outbox.accept(ev(2, 'bad'));
		outbox.accept(ev(3));
		await waitFor(async () => sent.length >= 2 && outbox.stats()!.refused === 1, 10_000, () => JSON.stringify({ sent, stats: outbox.stats() }));
		assert.deepEqual(sent, [JSON.stringify({ n: 1 }), JSON.stringify({ n: 3 })]);
		await waitFor(async () => Number(await redis.xlen(`${prefix}outbox`)) === 0, 5_000, () => 'entries left');
	});

	it('sends from memory when Redis answers too slowly, pauses adds, and takes a late add back', async () => {
		fresh();
		const real = connect();
		let adds = 0;
		const slow: OutboxClient = {
			status: 'ready',
			call: async (command, ...args) => {
				if (command === 'XADD') {
					adds++;
					await new Promise((resolve) => setTimeout(resolve, 300));
				}
				return real.call(command, ...args);
			},
			// No second connection: no sender, so only the late add could leave an entry behind.
		};
		const fellBack: Array<[string, boolean]> = [];
		const warnings: string[] = [];
		const outbox = make(slow, async () => assert.fail('nothing is sent from the outbox'), { live: (e, fallback) => fellBack.push([e.data, fallback]), warnings, addTimeoutMs: 50 });
		outbox.accept(ev(1));
		await waitFor(async () => fellBack.length === 1, 2_000, () => 'no fallback');
		outbox.accept(ev(2));
		await waitFor(async () => fellBack.length === 2, 2_000, () => 'no second fallback');
		assert.equal(adds, 1, 'the second event did not wait for Redis again');
		assert.deepEqual(fellBack.map(([, fallback]) => fallback), [true, true]);
		assert.equal(outbox.stats()!.fallbacks, 2);
		assert.ok(warnings.some((w) => w.includes('took more than 50 ms')), JSON.stringify(warnings));
		await waitFor(async () => adds === 1 && Number(await redis.xlen(`${prefix}outbox`)) === 0 && (await redis.exists(`${prefix}outbox`)) === 1, 3_000, () => 'the late add was not taken back');
	});

	it('drops an event this instance cannot seal (no RT_ENCRYPTION_MASTER_KEY here) instead of holding the outbox back', async (t) => {
		// Written by an instance that has the key (or before a restart without it): this one cannot
		// seal it, ever. Retrying it would hold every channel's events behind it for good.
		fresh();
		const received: string[] = [];
		const server = createServer((req, res) => {
			let body = '';
			req.on('data', (chunk) => (body += chunk));
			req.on('end', () => {
				for (const e of JSON.parse(body).batch) received.push(`${e.channel}:${e.data}`);
				res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		t.after(() => server.close());
		const pusher = new PusherApp({ appId: 'a', key: 'k', secret: 's', host: '127.0.0.1', port: (server.address() as AddressInfo).port, cluster: undefined, useTLS: false, encryptionMasterKeyBase64: undefined });
		t.after(() => pusher.close());
		const errors: string[] = [];
		const outbox = new Outbox({
			redis: async () => connect(),
			prefix,
			claimAfterMs: 200,
			maxLength: 1000,
			prepare: undefined,
			send: (batch) => pusher.triggerBatch(batch),
			live: () => assert.fail('sent from memory'),
			warn: () => {},
			error: (m) => errors.push(m),
			sender: { blockMs: 100, retryMs: 50, maxRetryMs: 200 },
		});
		outboxes.push(outbox);
		outbox.accept(ev(1));
		outbox.accept({ channel: 'private-encrypted-vault', name: 'secret', data: '{"pin":1}', source: 'another instance' });
		outbox.accept(ev(3));
		await waitFor(async () => received.length >= 2 && outbox.stats()!.refused === 1, 5_000, () => JSON.stringify({ received, stats: outbox.stats() }));
		assert.deepEqual(received, [`c:${JSON.stringify({ n: 1 })}`, `c:${JSON.stringify({ n: 3 })}`]);
		assert.match(errors.join('\n'), /private-encrypted-vault.*RT_ENCRYPTION_MASTER_KEY/);
		await waitFor(async () => Number(await redis.xlen(`${prefix}outbox`)) === 0, 5_000, () => 'entries left');
	});

	it('stops within its wait while a send hangs, and leaves that batch to another instance, which takes it over and sends it', async () => {
		fresh();
		let hung = false;
		const first = make(connect(), async () => {
			hung = true;
			await new Promise(() => {}); // Pusher never answers this one
		});
		first.accept({ ...ev(1), id: 'stuck-1' });
		first.accept({ ...ev(2), id: 'stuck-2' });
		await waitFor(async () => hung, 5_000, () => 'no send started');
		const started = Date.now();
		await first.stop();
		assert.ok(Date.now() - started < 4_000, `stop took ${Date.now() - started} ms`);
		const ids: string[] = [];
		const second = make(connect(), async (batch) => void ids.push(...batch.map((e) => JSON.parse(e.data).n)));
		await second.start();
		await waitFor(async () => ids.length >= 2, 5_000, () => JSON.stringify({ ids, stats: second.stats() }));
		assert.deepEqual(ids, [1, 2]);
		assert.equal(second.stats()!.claimed, 2);
		await waitFor(async () => Number(await redis.xlen(`${prefix}outbox`)) === 0, 5_000, () => 'entries left');
	});

	it('hands an entry left pending to one claimer only, however many ask at once', async () => {
		fresh();
		const writer = new OutboxStream(redis, { prefix });
		await writer.ensureGroup();
		await writer.add({ ...ev(1), id: 'only-once' });
		assert.equal((await writer.read('dead', 10, 0)).entries.length, 1);
		await new Promise((resolve) => setTimeout(resolve, 150));
		const claimers = Array.from({ length: 6 }, () => new OutboxStream(connect(), { prefix }));
		const rounds = await Promise.all(claimers.map((s, i) => s.claim(`claimer-${i}`, 100, 10)));
		assert.deepEqual(rounds.flatMap((r) => r.entries.map((e) => e.event.id)), ['only-once']);
	});

	it('forgets consumers that hold nothing and sat idle, and keeps those holding entries', async () => {
		fresh();
		const stream = new OutboxStream(redis, { prefix });
		await stream.ensureGroup();
		await stream.add({ ...ev(1), id: 'held' });
		assert.equal((await stream.read('holder', 10, 0)).entries.length, 1);
		await redis.call('XGROUP', 'CREATECONSUMER', stream.key, stream.group, 'idle');
		await new Promise((resolve) => setTimeout(resolve, 120));
		assert.equal(await stream.pruneConsumers(50), 1);
		const names = ((await redis.call('XINFO', 'CONSUMERS', stream.key, stream.group)) as unknown[][]).map((row) => String(row[1]));
		assert.deepEqual(names, ['holder']);
	});
});
