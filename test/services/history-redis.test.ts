/**
 * The Redis history: numbers from Redis, so any number of writers and Directus instances agree;
 * its window, expiry and epoch; and two Directus servers with 8 writers publishing to one
 * channel, numbered gap-free in the order the history holds them. Needs Redis (127.0.0.1:6379 or
 * RT_TEST_REDIS_URL).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { HistoryStore } from '../../shared/src/history/history-store.js';
import { MemoryHistory } from '../../shared/src/history/memory-history.js';
import { IDS_WINDOW, RedisHistory } from '../../shared/src/history/redis-history.js';
import { historyLastEvents } from '../../shared/src/webhooks/cache-miss.js';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection } from '../harness/fixtures.js';
import { waitFor } from '../harness/ports.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// A Redis db of its own so parallel runs of other suites are not disturbed.
const REDIS_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/12`;

const ev = (channel: string, n: number) => ({ channel, id: `id-${n}`, name: 'e', data: JSON.stringify({ n }) });

describe('the Redis history', () => {
	let redis: Redis;
	const prefix = `rt-test-${randomBytes(4).toString('hex')}:`;
	const warnings: string[] = [];
	const store = (options: { size?: number; ttlMs?: number; client?: Redis } = {}) =>
		new RedisHistory(options.client ?? redis, {
			size: options.size ?? 5,
			ttlMs: options.ttlMs ?? 60_000,
			prefix,
			fallback: new MemoryHistory({ size: 5, ttlMs: 60_000, maxBytes: 1 << 20 }),
			warn: (m) => warnings.push(m),
		});

	before(() => {
		redis = new Redis(REDIS_DB_URL);
	});

	after(async () => {
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length) await redis.del(...keys);
		redis.disconnect();
	});

	it('numbers many concurrent writers on many connections gap-free, one epoch', async () => {
		const connections = Array.from({ length: 8 }, () => new Redis(REDIS_DB_URL));
		try {
			const writers = connections.map((c) => store({ client: c }));
			const marks = (await Promise.all(writers.map((w, i) => Promise.all(Array.from({ length: 25 }, (_, n) => w.append([ev('race', i * 100 + n)])))))).flat(2);
			assert.deepEqual(marks.map((m) => m.seq).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
			assert.equal(new Set(marks.map((m) => m.epoch)).size, 1);
		} finally {
			for (const c of connections) c.disconnect();
		}
	});

	it('keeps the newest events, readable after a seq and as a rewind', async () => {
		const h = store({ size: 5 });
		const marks = await h.append(Array.from({ length: 300 }, (_, n) => ev('window', n + 1)));
		const window = await h.read('window', { after: 290, limit: 4 });
		assert.deepEqual(window.events.map((e) => e.seq), [291, 292, 293, 294]);
		assert.deepEqual(window.events[0], { id: 'id-291', seq: 291, name: 'e', data: '{"n":291}' });
		assert.equal(window.latest, 300);
		assert.equal(window.epoch, marks[0]!.epoch);
		// MAXLEN ~ trims whole nodes: a few more than RT_HISTORY_SIZE may be kept, never all.
		assert.ok(window.oldest! > 1 && window.oldest! <= 296, `oldest ${window.oldest}`);
		assert.deepEqual((await h.read('window', { after: undefined, limit: 2 })).events.map((e) => e.seq), [299, 300]);
	});

	it('numbers an event delivered again (same id) once: it keeps its seq, the history holds it once', async () => {
		const h = store({ size: 0 });
		const [a, b] = await h.append([ev('again', 1), ev('again', 2)]);
		const [a2, c, b2] = await h.append([ev('again', 1), ev('again', 3), ev('again', 2)]);
		assert.deepEqual([a!.seq, b!.seq, c!.seq], [1, 2, 3]);
		assert.deepEqual([a2, b2], [a, b]);
		assert.equal((await h.read('again', { after: 0, limit: 5 })).latest, 3);
		// Remembered for the last IDS_WINDOW seqs at most, and expiring with the channel.
		const pttl = await redis.pttl(h.idsKey('again'));
		assert.ok(pttl > 0 && pttl <= 60_000, String(pttl));
		await h.append(Array.from({ length: IDS_WINDOW + 10 }, (_, n) => ev('again', 100 + n)));
		assert.equal(await redis.zcard(h.idsKey('again')), IDS_WINDOW);
		const [late] = await h.append([ev('again', 1)]);
		assert.equal(late!.seq, IDS_WINDOW + 14);
	});

	it('starts a new epoch at 1 when the stream is lost (a flush, an expiry)', async () => {
		const h = store();
		const [first] = await h.append([ev('lost', 1), ev('lost', 2)]);
		await redis.del(h.keys('lost')[0]);
		const [again] = await h.append([ev('lost', 3)]);
		assert.equal(again!.seq, 1);
		assert.notEqual(again!.epoch, first!.epoch);
	});

	it('expires a channel RT_HISTORY_TTL after its last event', async () => {
		const h = store({ ttlMs: 5000 });
		await h.append([ev('ttl', 1)]);
		const ttls = await Promise.all(h.keys('ttl').map((k) => redis.pttl(k)));
		for (const ttl of ttls) assert.ok(ttl > 0 && ttl <= 5000, String(ttl));
	});

	it('reads a channel with no events as empty, and creates no key for it', async () => {
		const h = store();
		const window = await h.read('fresh', { after: undefined, limit: 5 });
		assert.deepEqual([window.latest, window.oldest, window.events], [0, null, []]);
		assert.equal(await redis.exists(...h.keys('fresh')), 0);
	});

	it('with no events kept (RT_HISTORY=false) still numbers gap-free', async () => {
		const h = store({ size: 0 });
		await h.append([1, 2, 3].map((n) => ev('off', n)));
		const window = await h.read('off', { after: 0, limit: 5 });
		assert.deepEqual([window.latest, window.events.length, window.oldest], [3, 0, null]);
	});

	it('leaves out an entry that is not an event (written into the stream by someone else) and says the window is damaged', async () => {
		const h = store({ size: 10 });
		await h.append([1, 2, 3].map((n) => ev('damaged', n)));
		const [stream] = h.keys('damaged');
		// The envelope is built around `d` by concatenation: text that is not one JSON value could add fields to it.
		await redis.xadd(stream, '0-4', 'i', 'id-4', 'n', 'e', 'd', '1,"seq":99');
		await redis.xadd(stream, '0-5', 'n', 'e', 'd', '{}');
		await redis.xadd(stream, '0-6', 'i', 'id-6', 'n', 'e', 'd', '{"n":6}');
		const window = await h.read('damaged', { after: 2, limit: 10 });
		assert.deepEqual(window.events.map((e) => e.seq), [3, 6]);
		assert.deepEqual(window.damaged, { entry: `${stream} 0-4`, why: 'its data is not JSON' });
		// A window of intact entries only is not damaged.
		assert.equal((await h.read('damaged', { after: 5, limit: 10 })).damaged, undefined);
		assert.equal((await h.read('damaged', { after: undefined, limit: 2 })).damaged?.why, 'no id, name or data');
		// The next event is numbered after the foreign entries, and cache_miss does not re-send a damaged newest entry.
		assert.deepEqual((await h.append([ev('damaged', 7)])).map((m) => m.seq), [7]);
		assert.equal((await historyLastEvents(h).last('damaged'))?.seq, 7);
		await redis.xadd(stream, '0-8', 'i', 'id-8', 'n', 'e', 'd', 'not json');
		await assert.rejects(historyLastEvents(h).last('damaged'), /not an event/);
	});

	it('logs a damaged history, and a history it cannot read, at most once per 10 s each, however many clients ask', async () => {
		const said: string[] = [];
		const options = { size: 10, ttlMs: 60_000, prefix, warn: (m: string) => said.push(m) };
		const h = new HistoryStore({ ...options, redis: async () => redis });
		await h.append([1, 2].map((n) => ev('damaged-often', n)));
		await redis.xadd(`${prefix}h:{damaged-often}`, '0-3', 'i', 'id-3', 'n', 'e', 'd', 'not json');
		for (let i = 0; i < 5; i++) assert.equal((await h.read('damaged-often', { after: 0, limit: 10 })).damaged?.why, 'its data is not JSON');
		assert.equal(said.filter((m) => m.includes('holds an entry that is not an event')).length, 1, said.join('\n'));
		assert.match(said[0]!, /the history of damaged-often holds an entry that is not an event \(rt-test-\w+:h:\{damaged-often\} 0-3: its data is not JSON\)/);

		const broken = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
		try {
			const down = new HistoryStore({ ...options, redis: async () => broken });
			for (let i = 0; i < 5; i++) await assert.rejects(down.read('down', { after: 0, limit: 5 }), { name: 'HistoryUnavailableError' });
			assert.equal(said.filter((m) => m.includes('reading the history from Redis failed')).length, 1, said.join('\n'));
		} finally {
			broken.disconnect();
		}
	});

	it('numbers in memory with a warning while Redis fails, and reading says unavailable', async () => {
		const broken = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
		const h = store({ client: broken });
		const marks = await h.append([ev('down', 1), ev('down', 2)]);
		assert.deepEqual(marks.map((m) => m.seq), [1, 2]);
		assert.equal(h.stats().redisFailures, 2);
		assert.ok(warnings.some((w) => w.includes('numbering in memory')));
		await assert.rejects(h.read('down', { after: 0, limit: 5 }), { name: 'HistoryUnavailableError' });
		broken.disconnect();
	});

	it('answers a read as unavailable while the client is connecting, and queues no command to wait for the connection', async () => {
		// ioredis' defaults, as Directus' client has them: a command sent while connecting waits
		// for up to 20 reconnect attempts. Nothing listens on port 1.
		const connecting = new Redis('redis://127.0.0.1:1', { lazyConnect: true });
		connecting.on('error', () => {});
		try {
			connecting.connect().catch(() => {});
			assert.equal(connecting.status, 'connecting');
			const h = store({ client: connecting });
			await assert.rejects(h.read('connecting', { after: 0, limit: 5 }), { name: 'HistoryUnavailableError', message: /Redis is connecting/ });
			assert.equal((connecting as unknown as { offlineQueue: { length: number } }).offlineQueue.length, 0, 'no command waits for the connection');
		} finally {
			connecting.disconnect();
		}
	});
});

describe('two Directus servers publishing to one channel over Redis', () => {
	let soketi: Soketi;
	const directus: Directus[] = [];
	const clients: PusherClient[] = [];
	const prefix = `rt-test-${randomBytes(4).toString('hex')}:`;

	before(async () => {
		soketi = await startSoketi();
		const env = {
			RT_APP_HOST: soketi.host,
			RT_APP_PORT: String(soketi.port),
			RT_CHANNELS_CHECK_INTERVAL: '0',
			RT_REDIS_PREFIX: prefix,
			REDIS: REDIS_DB_URL,
			CACHE_ENABLED: 'false',
		};
		directus.push(await startDirectus({ env }));
		directus.push(await startDirectus({ env, sameDatabaseAs: directus[0]! }));
		await createCollection(directus[0]!, 'tickets', [{ field: 'title', type: 'string' }]);
		await createChannel(directus[0]!, { channel_name: 'board', collection: 'tickets', publisher: 'trigger({}, "ticket", { title: meta.payload.title });' });
	});

	after(async () => {
		disconnectAll(...clients);
		for (const d of directus.reverse()) await d.stop();
		await soketi?.stop();
	});

	it('numbers 8 writers\' events gap-free, 1..N under one epoch, and the history holds them in that order', async () => {
		const c = await connectClient(soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'board'), 'ticket');
		const PER_WRITER = 10;
		await Promise.all(
			Array.from({ length: 8 }, async (_, w) => {
				for (let i = 0; i < PER_WRITER; i++) {
					const res = await directus[w % 2]!.request('POST', '/items/tickets', { title: `w${w}-${i}` });
					assert.equal(res.status, 200, res.text);
				}
			}),
		);
		const total = 8 * PER_WRITER;
		await live.waitFor(total, 30_000);
		const seqs = live.envelopes.map((e) => e.seq).sort((a, b) => a - b);
		assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1));
		assert.equal(new Set(live.envelopes.map((e) => e.epoch)).size, 1);
		assert.equal(new Set(live.envelopes.map((e) => e.id)).size, total);

		// Either server answers the same history: every event once, in seq order, each as sent live.
		const bySeq = new Map(live.envelopes.map((e) => [e.seq, e]));
		for (const server of directus) {
			const res = await server.request('GET', `/realtime/channels/board/history?since=0&epoch=${live.envelopes[0]!.epoch}&limit=1000`, undefined, { token: null });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.body.recovered, true);
			assert.deepEqual(res.body.items.map((i: { seq: number }) => i.seq), seqs);
			for (const item of res.body.items) assert.deepEqual(item.data, bySeq.get(item.seq));
		}
		const health = await directus[0]!.request('GET', '/realtime/health');
		assert.deepEqual([health.body.history.store, health.body.history.redisFailures], ['redis', 0]);
	});

	it('answers recovered: false, and warns, for a history holding an entry that is not an event', async () => {
		const c = await connectClient(soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'board'), 'ticket');
		assert.equal((await directus[0]!.request('POST', '/items/tickets', { title: 'before the foreign entry' })).status, 200);
		await live.waitFor(1, 15_000);
		const { seq, epoch } = live.envelopes[0]!;
		const redis = new Redis(REDIS_DB_URL);
		try {
			await redis.xadd(`${prefix}h:{board}`, `0-${seq + 1}`, 'i', 'foreign', 'n', 'ticket', 'd', '{"title":"x"},"seq":1');
		} finally {
			redis.disconnect();
		}
		for (const query of [`since=${seq}&epoch=${epoch}`, `since=${seq - 1}&epoch=${epoch}`, 'limit=5']) {
			const res = await directus[1]!.request('GET', `/realtime/channels/board/history?${query}`, undefined, { token: null });
			assert.equal(res.status, 200, res.text);
			assert.deepEqual([res.body.recovered, res.body.items, res.body.latest, res.body.epoch], [false, [], seq + 1, epoch], query);
		}
		await directus[1]!.waitForLog((line) => String(line.msg).includes('holds an entry that is not an event'));
		// Publishing goes on after the foreign entry.
		assert.equal((await directus[0]!.request('POST', '/items/tickets', { title: 'after the foreign entry' })).status, 200);
		await live.waitFor(2, 15_000);
		assert.equal(live.envelopes[1]!.seq, seq + 2);
	});
});
