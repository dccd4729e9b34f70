/**
 * The Redis outbox in the publish path, with real Directus servers, Soketi and Redis: a server
 * killed with events accepted but not sent leaves them to the other, every one delivered with a
 * gap-free seq; Redis cut away leaves writes fast and events live (numbered in memory, counted,
 * warned), and history resumes under a new epoch when Redis is back; a huge event Pusher refuses
 * and a broken stream entry hold up nothing. Needs Redis (127.0.0.1:6379 or RT_TEST_REDIS_URL).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection } from '../harness/fixtures.js';
import { waitFor } from '../harness/ports.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';
import { Outbox, type OutboxClient } from '../../shared/src/delivery/outbox.js';
import { OutboxStream } from '../../shared/src/delivery/outbox-stream.js';
import type { BatchEvent } from '../../shared/src/pusher/rest-client.js';
import type { OutgoingEvent } from '../../shared/src/delivery/queue.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// A Redis db of its own so parallel runs of other suites are not disturbed.
const REDIS_DB = 13;
const REDIS_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/${REDIS_DB}`;
const redisAddress = new URL(REDIS_URL);

const PUBLISHER = 'trigger({}, "ticket", { title: meta.payload.title });';

/** The pid of the Directus process a harness supervisor runs (the leader of its process group). */
function directusPid(directus: Directus): number {
	const out = execFileSync('pgrep', ['-P', String(directus.process.pid)]).toString().trim();
	return Number(out.split('\n')[0]);
}

async function createTickets(directus: Directus, titles: string[]): Promise<void> {
	for (const title of titles) {
		const res = await directus.request('POST', '/items/tickets', { title });
		assert.equal(res.status, 200, res.text);
	}
}

async function health(directus: Directus): Promise<Record<string, any>> {
	const res = await directus.request('GET', '/realtime/health');
	assert.equal(res.status, 200, res.text);
	return res.body;
}

describe('the outbox: a server killed with events accepted leaves them to another', () => {
	let soketi: Soketi;
	const proxies: TcpProxy[] = [];
	const directus: Directus[] = [];
	const clients: PusherClient[] = [];
	let redis: Redis;
	const prefix = `rt-test-${randomBytes(4).toString('hex')}:`;
	const outboxKey = `${prefix}outbox`;

	before(async () => {
		redis = new Redis(REDIS_DB_URL);
		soketi = await startSoketi({ env: { SOKETI_DEFAULT_APP_MAX_EVENT_PAYLOAD_IN_KB: '100' } });
		// Each server reaches Soketi through a relay of its own, so a test can cut one server's way to Pusher.
		proxies.push(await startTcpProxy(soketi.port), await startTcpProxy(soketi.port));
		const env = (proxy: TcpProxy) => ({
			RT_APP_HOST: soketi.host,
			RT_APP_PORT: String(proxy.port),
			RT_CHANNELS_CHECK_INTERVAL: '0',
			RT_REDIS_PREFIX: prefix,
			RT_OUTBOX_CLAIM_AFTER: '1500',
			// Larger than Soketi takes: the huge-event case below.
			RT_MAX_PAYLOAD_KB: '300',
			REDIS: REDIS_DB_URL,
			CACHE_ENABLED: 'false',
		});
		directus.push(await startDirectus({ env: env(proxies[0]!) }));
		directus.push(await startDirectus({ env: env(proxies[1]!), sameDatabaseAs: directus[0]! }));
		await createCollection(directus[0]!, 'tickets', [{ field: 'title', type: 'text' }]);
		await createChannel(directus[0]!, { channel_name: 'board', collection: 'tickets', publisher: PUBLISHER });
	});

	after(async () => {
		disconnectAll(...clients);
		for (const d of directus.reverse()) await d.stop();
		for (const p of proxies) await p.close();
		await soketi?.stop();
		const keys = (await redis?.keys(`${prefix}*`)) ?? [];
		if (keys.length) await redis.del(...keys);
		redis?.disconnect();
	});

	it('delivers every event accepted by a server killed (SIGKILL) before it could send them: once each by id, seq gap-free', async () => {
		const [a, b] = directus as [Directus, Directus];
		const c = await connectClient(soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'board'), 'ticket');

		await createTickets(a, ['first']);
		await live.waitFor(1);
		const before = await health(a);
		assert.ok(before.outbox, 'the outbox is on with Redis');
		assert.equal(before.outbox.accepted, 1);
		assert.equal(before.outbox.fallbacks, 0);

		// Neither server reaches Pusher: each sender holds what it read, the rest waits in the outbox.
		await proxies[0]!.block();
		await proxies[1]!.block();
		const titles = Array.from({ length: 30 }, (_, i) => `t${i}`);
		await createTickets(a, titles);
		await waitFor(async () => Number(await redis.xlen(outboxKey)) === 30, 10_000, () => 'the outbox does not hold the 30 events');
		const pendingOf = async () => {
			const consumers = (await redis.call('XINFO', 'CONSUMERS', outboxKey, 'realtime')) as unknown[][];
			return new Map(consumers.map((row) => [String(row[1]), Number(row[3])]));
		};
		const aPid = directusPid(a);
		const aConsumer = async () => [...(await pendingOf()).entries()].find(([name]) => name.includes(`-${aPid}-`));
		await waitFor(async () => ((await aConsumer())?.[1] ?? 0) > 0, 10_000, () => `A (pid ${aPid}) holds nothing`);
		assert.equal(live.events.length, 1, 'nothing got through while Pusher was cut');

		process.kill(-aPid, 'SIGKILL');
		await a.process.exited;
		await proxies[1]!.unblock();

		await live.waitUntil((events) => new Set(live.envelopes.map((e) => e.id)).size >= 31, 40_000, () => `got ${new Set(live.envelopes.map((e) => e.id)).size} of 31`);
		const byId = new Map(live.envelopes.map((e) => [e.id, e]));
		assert.deepEqual([...byId.values()].map((e) => e.data.title).sort(), ['first', ...titles].sort());
		assert.deepEqual([...byId.values()].map((e) => e.seq).sort((x, y) => x - y), Array.from({ length: 31 }, (_, i) => i + 1));
		assert.equal(new Set(live.envelopes.map((e) => e.epoch)).size, 1);
		// A repeat, if any, is the same event: same id, same seq.
		for (const e of live.envelopes) assert.equal(e.seq, byId.get(e.id)!.seq);
		const stats = (await health(b)).outbox;
		assert.ok(stats.claimed >= 1, `B took over what A held: ${JSON.stringify(stats)}`);
		await waitFor(async () => Number(await redis.xlen(outboxKey)) === 0, 10_000, () => 'the outbox is not empty');
		// The history holds each once, in seq order.
		const res = await b.request('GET', `/realtime/channels/board/history?since=0&epoch=${live.envelopes[0]!.epoch}&limit=100`, undefined, { token: null });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body.items.map((i: { seq: number }) => i.seq), Array.from({ length: 31 }, (_, i) => i + 1));
	});

	it('carries a large event and skips broken outbox entries without holding anything up', async () => {
		const b = directus[1]!;
		const c = await connectClient(soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'board'), 'ticket');
		await redis.call('XADD', outboxKey, '*', 'c', 'board', 'x', 'no name, no data, no id');
		await redis.call('XADD', outboxKey, '*', 'garbage', 'x');
		const large = 'x'.repeat(60 * 1024);
		await createTickets(b, ['before', large, 'after']);
		await live.waitFor(3, 20_000);
		assert.deepEqual(live.events.map((e: { title: string }) => e.title), ['before', large, 'after']);
		await waitFor(async () => Number(await redis.xlen(outboxKey)) === 0, 10_000, () => 'the outbox is not empty');
	});
});

describe('the outbox while Redis is unavailable', () => {
	let soketi: Soketi;
	let proxy: TcpProxy;
	let directus: Directus;
	const clients: PusherClient[] = [];
	let redis: Redis;
	const prefix = `rt-test-${randomBytes(4).toString('hex')}:`;

	before(async () => {
		redis = new Redis(REDIS_DB_URL);
		soketi = await startSoketi();
		proxy = await startTcpProxy(Number(redisAddress.port || 6379), redisAddress.hostname);
		directus = await startDirectus({
			env: {
				RT_APP_HOST: soketi.host,
				RT_APP_PORT: String(soketi.port),
				RT_CHANNELS_CHECK_INTERVAL: '0',
				RT_REDIS_PREFIX: prefix,
				REDIS: `redis://127.0.0.1:${proxy.port}/${REDIS_DB}`,
				CACHE_ENABLED: 'false',
			},
		});
		await createCollection(directus, 'tickets', [{ field: 'title', type: 'string' }]);
		await createChannel(directus, { channel_name: 'board', collection: 'tickets', publisher: PUBLISHER });
	});

	after(async () => {
		disconnectAll(...clients);
		await proxy?.unblock().catch(() => {});
		await directus?.stop();
		await proxy?.close();
		await soketi?.stop();
		const keys = (await redis?.keys(`${prefix}*`)) ?? [];
		if (keys.length) await redis.del(...keys);
		redis?.disconnect();
	});

	it('keeps writes fast and events live (counted, warned), and numbers under a new epoch once Redis is back', async () => {
		const c = await connectClient(soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'board'), 'ticket');
		await createTickets(directus, ['up']);
		await live.waitFor(1);
		const upEpoch = live.envelopes[0]!.epoch;
		assert.equal((await health(directus)).outbox.accepted, 1);

		// Directus 12 itself ends with an unhandled error when its Redis stays away for about 10 s
		// (ioredis' maxRetriesPerRequest): the cut is kept shorter than that.
		await proxy.block();
		const started = Date.now();
		await createTickets(directus, ['down 1', 'down 2', 'down 3']);
		const took = Date.now() - started;
		assert.ok(took < 3000, `three writes took ${took} ms with Redis cut`);
		await live.waitFor(4, 10_000);
		const down = live.envelopes.slice(1, 4);
		assert.deepEqual(down.map((e) => e.data.title), ['down 1', 'down 2', 'down 3']);
		assert.equal(new Set(down.map((e) => e.epoch)).size, 1);
		assert.notEqual(down[0]!.epoch, upEpoch);
		assert.deepEqual(down.map((e) => e.seq), [1, 2, 3]);
		const stats = (await health(directus)).outbox;
		assert.ok(stats.fallbacks >= 3, JSON.stringify(stats));
		await directus.waitForLog((line) => String(line.msg).includes('sent live from memory'));
		const unavailable = await directus.request('GET', `/realtime/channels/board/history?since=0&epoch=${upEpoch}`, undefined, { token: null });
		assert.equal(unavailable.status, 503, unavailable.text);

		await proxy.unblock();
		// Until Directus' client has reconnected, events still go out from memory; then through the outbox.
		let n = 0;
		await waitFor(
			async () => {
				await createTickets(directus, [`back ${++n}`]);
				await live.waitFor(4 + n, 10_000);
				const last = live.envelopes.at(-1)!;
				return last.epoch !== down[0]!.epoch;
			},
			30_000,
			() => `no event numbered in Redis again: ${JSON.stringify(live.envelopes.slice(-3))}`,
		);
		const back = live.envelopes.at(-1)!;
		assert.notEqual(back.epoch, upEpoch, 'the Redis history resumes under a new epoch: it lacks the events sent meanwhile');
		assert.equal(back.seq, 1);
		assert.ok((await health(directus)).outbox.accepted >= 2);
		const res = await directus.request('GET', `/realtime/channels/board/history?since=0&epoch=${back.epoch}`, undefined, { token: null });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.recovered, true);
		assert.deepEqual(res.body.items.map((i: { id: string }) => i.id), [back.id]);
		// An old position is answered honestly: not recoverable.
		const old = await directus.request('GET', `/realtime/channels/board/history?since=1&epoch=${upEpoch}`, undefined, { token: null });
		assert.equal(old.body.recovered, false);
	});
});

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
});
