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
	const redis = new Redis(REDIS_DB_URL);
	const prefix = `rt-test-${randomBytes(4).toString('hex')}:`;
	const outboxKey = `${prefix}outbox`;

	before(async () => {
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
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length) await redis.del(...keys);
		redis.disconnect();
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
		await waitFor(async () => ((await aConsumer())?.[1] ?? 0) > 0, 10_000, async () => `A holds nothing: ${JSON.stringify([...(await pendingOf())])}`);
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

	it('drops an event Pusher refuses (too large) and a broken outbox entry, and delivers the rest', async () => {
		const b = directus[1]!;
		const c = await connectClient(soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'board'), 'ticket');
		await redis.call('XADD', outboxKey, '*', 'c', 'board', 'x', 'no name, no data, no id');
		await redis.call('XADD', outboxKey, '*', 'garbage', 'x');
		await createTickets(b, ['before', 'x'.repeat(150 * 1024), 'after']);
		await live.waitUntil((events) => events.some((e: { title: string }) => e.title === 'after'), 20_000);
		assert.deepEqual(
			live.events.map((e: { title: string }) => e.title),
			['before', 'after'],
		);
		const stats = (await health(b)).outbox;
		assert.equal(stats.refused, 1, JSON.stringify(stats));
		await waitFor(async () => Number(await redis.xlen(outboxKey)) === 0, 10_000, () => 'the outbox is not empty');
	});
});

describe('the outbox while Redis is unavailable', () => {
	let soketi: Soketi;
	let proxy: TcpProxy;
	let directus: Directus;
	const clients: PusherClient[] = [];
	const redis = new Redis(REDIS_DB_URL);
	const prefix = `rt-test-${randomBytes(4).toString('hex')}:`;

	before(async () => {
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
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length) await redis.del(...keys);
		redis.disconnect();
	});

	it('keeps writes fast and events live (counted, warned), and numbers under a new epoch once Redis is back', async () => {
		const c = await connectClient(soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'board'), 'ticket');
		await createTickets(directus, ['up']);
		await live.waitFor(1);
		const upEpoch = live.envelopes[0]!.epoch;
		assert.equal((await health(directus)).outbox.accepted, 1);

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
