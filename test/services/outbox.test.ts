/**
 * The Redis outbox in the publish path, with two real Directus servers, Soketi and Redis: a server
 * killed (SIGKILL) with events accepted but not sent leaves them to the other, every one delivered
 * with a gap-free seq; a large event and broken stream entries hold up nothing. Needs Redis
 * (127.0.0.1:6379 or RT_TEST_REDIS_URL).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createTickets, health } from '../harness/outbox-fixtures.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection, createUser } from '../harness/fixtures.js';
import { waitFor } from '../harness/ports.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// A Redis db of its own so parallel runs of other suites are not disturbed.
const REDIS_DB = 13;
const REDIS_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/${REDIS_DB}`;

const PUBLISHER = 'trigger({}, "ticket", { title: meta.payload.title });';

/** The pid of the Directus process a harness supervisor runs (the leader of its process group). */
function directusPid(directus: Directus): number {
	const out = execFileSync('pgrep', ['-P', String(directus.process.pid)]).toString().trim();
	return Number(out.split('\n')[0]);
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

	it('shows the outbox counters to admins only: a user or the public get nothing but the status', async () => {
		const b = directus[1]!;
		assert.ok((await health(b)).outbox, 'admins see the outbox');
		const user = await createUser(b, { first_name: 'Nosy' });
		for (const token of [user.token, null]) {
			const res = await b.request('GET', '/realtime/health', undefined, { token });
			assert.equal(res.status, 200, res.text);
			assert.deepEqual(res.body, { status: 'ok' });
		}
	});
});
