/** The webhook's verification and its events as actions, pure. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { RealtimeError } from '../../shared/src/errors.js';
import { boundClientEvents, webhookActions, WebhookCounters } from '../../shared/src/webhooks/actions.js';
import { ClientEventBound, clientEventSender, MemoryBoundStore } from '../../shared/src/webhooks/sender-bound.js';
import { SenderCache } from '../../shared/src/webhooks/sender-cache.js';
import { verifyWebhook } from '../../shared/src/webhooks/verify.js';

const app = { key: 'app-key', secret: 'the-secret' };
const sign = (body: string, secret = app.secret) => createHmac('sha256', secret).update(body).digest('hex');
const code = (fn: () => unknown) => {
	try {
		fn();
	} catch (error) {
		return (error as RealtimeError).code;
	}
	return 'none';
};

describe('webhook verification', () => {
	const body = JSON.stringify({ time_ms: 1, events: [{ name: 'member_added', channel: 'presence-a', user_id: 'u1' }] });

	it('accepts the raw bytes signed with the app secret, in either case of hex', () => {
		assert.deepEqual(verifyWebhook(Buffer.from(body), { key: 'app-key', signature: sign(body) }, app).events, [{ name: 'member_added', channel: 'presence-a', user_id: 'u1' }]);
		assert.equal(verifyWebhook(Buffer.from(body), { key: 'app-key', signature: sign(body).toUpperCase() }, app).time_ms, 1);
	});

	it('signs bytes, not a re-serialisation: the same JSON spaced differently does not pass', () => {
		const spaced = body.replace(':', ': ');
		assert.equal(code(() => verifyWebhook(Buffer.from(spaced), { key: 'app-key', signature: sign(body) }, app)), 'INVALID_SIGNATURE');
	});

	it('refuses missing headers, another key, another secret, a malformed signature', () => {
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: undefined, signature: sign(body) }, app)), 'UNAUTHENTICATED');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: undefined }, app)), 'UNAUTHENTICATED');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-kez', signature: sign(body) }, app)), 'INVALID_SIGNATURE');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: sign(body, 'app-secret') }, app)), 'INVALID_SIGNATURE');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: `${sign(body)}00` }, app)), 'INVALID_SIGNATURE');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: 'g'.repeat(64) }, app)), 'INVALID_SIGNATURE');
	});

	it('refuses signed bodies that are not Pusher\'s shape', () => {
		for (const bad of ['{', '[]', '{"time_ms":1}', '{"time_ms":1,"events":[{"name":"x"}]}', '{"time_ms":1,"events":[null]}']) {
			assert.equal(code(() => verifyWebhook(Buffer.from(bad), { key: 'app-key', signature: sign(bad) }, app)), 'INVALID_PAYLOAD', bad);
		}
	});
});

describe('webhook events as actions', () => {
	const rows: Record<string, boolean> = { 'presence-open': true, 'private-closed': false, 'public-legacy': true, 'private-open': true };
	const snapshot = { match: (name: string) => (name in rows ? ({ channel: { row: { id: `row-${name}`, client_events: rows[name] } } } as any) : null) };

	it('names actions realtime.<name>, with the fields given and time_ms', () => {
		const out = webhookActions({ time_ms: 7, events: [{ name: 'member_added', channel: 'presence-open', user_id: 'u' }] }, snapshot);
		assert.deepEqual(out.actions, [{ name: 'realtime.member_added', payload: { channel: 'presence-open', user_id: 'u', time_ms: 7 } }]);
	});

	it('passes client events only for channels whose deciding row opened them, and counts the rest', () => {
		const client = (channel: string) => ({ name: 'client_event', channel, event: 'client-typing', data: '{}', socket_id: '1.2' });
		const out = webhookActions({ time_ms: 1, events: [client('presence-open'), client('private-closed'), client('private-no-row'), { name: 'future_thing', channel: 'x' }] }, snapshot);
		assert.deepEqual(out.actions.map((a) => a.payload.channel), ['presence-open']);
		assert.equal(out.closedClientEvents, 2);
		assert.equal(out.unknownEvents, 1);
		const counters = new WebhookCounters();
		counters.count(out);
		assert.deepEqual(counters.stats(), { received: 1, refused: 0, emitted: 1, dropped_client_events: 2, public_client_events: 0, invalid_client_events: 0, throttled_client_events: 0, unknown_events: 1, cache_misses: 0, cache_resent: 0, cache_throttled: 0 });
	});

	it('drops client events on public channels, even when a row has client_events on, and names that break /realtime/auth\'s rules, before matching', () => {
		const matched: string[] = [];
		const watching = { match: (name: string) => (matched.push(name), snapshot.match(name)) };
		const client = (channel: string) => ({ name: 'client_event', channel, event: 'client-x', data: '{}', socket_id: '1.2' });
		const bad = ['a'.repeat(165), 'private-open x', 'private-open\u0000', 'presence-é', '#server-to-user-1', ''];
		const out = webhookActions({ time_ms: 1, events: [client('public-legacy'), client('cache-x'), ...bad.map(client), client('private-open')] }, watching);
		assert.deepEqual(out.actions.map((a) => a.payload.channel), ['private-open']);
		assert.deepEqual(out.actions[0]!.client, { row: 'row-private-open', sender: 'socket:1.2' });
		assert.equal(out.publicClientEvents, 2);
		assert.equal(out.invalidClientEvents, bad.length);
		assert.deepEqual(matched, ['private-open'], 'only a valid, non-public name is matched');
		// Other events keep their channel as Soketi names it.
		assert.equal(webhookActions({ time_ms: 1, events: [{ name: 'channel_occupied', channel: 'public-legacy' }] }, snapshot).actions.length, 1);
		const counters = new WebhookCounters();
		counters.count(out);
		assert.equal(counters.stats().dropped_client_events, 2 + bad.length);
	});
});

describe('client events per sender', () => {
	const client = (fields: Record<string, string>) => ({ name: 'client_event', channel: 'private-open', event: 'client-x', data: '{}', ...fields });
	const snapshot = { match: () => ({ channel: { row: { id: 'row-1', client_events: true } } }) as any };

	it('names the sender by presence user, else by connection, in a bounded key', () => {
		assert.equal(clientEventSender({ user_id: 'u1', socket_id: '1.2' }), 'user:u1');
		assert.equal(clientEventSender({ socket_id: '1.2' }), 'socket:1.2');
		assert.equal(clientEventSender({}), 'unnamed');
		const long = clientEventSender({ user_id: 'x'.repeat(1000) });
		assert.ok(long.length <= 80 && long.startsWith('sha256:'), long);
		assert.notEqual(long, clientEventSender({ user_id: 'y'.repeat(1000) }));
	});

	it('admits perSecond events of a sender per second and drops the rest before anything is read, counting them for their row', async () => {
		let now = 10_000;
		const bound = new ClientEventBound({ perSecond: 3, now: () => now });
		const events = [...Array.from({ length: 5 }, () => client({ socket_id: '1.1', user_id: 'alice' })), client({ socket_id: '2.2', user_id: 'alice' }), client({ socket_id: '3.3' })];
		const throttled: string[] = [];
		const out = await boundClientEvents(webhookActions({ time_ms: 1, events }, snapshot), bound, (row) => throttled.push(row));
		// Alice's two connections share her budget; the anonymous connection has its own.
		assert.equal(out.actions.length, 4);
		assert.deepEqual(out.actions.map((a) => a.payload.socket_id), ['1.1', '1.1', '1.1', '3.3']);
		assert.equal(out.throttledClientEvents, 3);
		assert.deepEqual(throttled, ['row-1', 'row-1', 'row-1']);
		const counters = new WebhookCounters();
		counters.count(out);
		assert.equal(counters.stats().throttled_client_events, 3);
		assert.equal(counters.stats().dropped_client_events, 3);
		assert.equal(counters.stats().emitted, 4);
		now += 1000;
		assert.equal(await bound.admit('user:alice'), true, 'a new second, a new budget');
		// Other events are never bounded.
		const member = await boundClientEvents(webhookActions({ time_ms: 1, events: Array.from({ length: 10 }, () => ({ name: 'member_added', channel: 'presence-x', user_id: 'alice' })) }, snapshot), bound);
		assert.equal(member.actions.length, 10);
	});

	it('has no bound at 0', async () => {
		const bound = new ClientEventBound({ perSecond: 0 });
		for (let i = 0; i < 1000; i++) assert.equal(await bound.admit('user:a'), true);
	});

	it('keeps memory bounded: one second\'s senders, at most maxSenders, new ones past it dropped', () => {
		const store = new MemoryBoundStore(100);
		for (let i = 0; i < 100; i++) assert.equal(store.hit(`s${i}`, 1), 1);
		assert.equal(store.hit('s-new', 1), Infinity);
		assert.equal(store.hit('s5', 1), 2, 'a sender already counted goes on');
		assert.equal(store.size, 100);
		assert.equal(store.hit('s-new', 2), 1, 'the next second starts empty');
		assert.equal(store.size, 1);
		assert.equal(store.hit('s-new', 1), 2, 'a clock set back counts in the second reached');
	});

	it('counts in the shared store, and in memory when it fails or answers late', async () => {
		const shared = new Map<string, number>();
		const store = { hit: (key: string, window: number) => { const k = `${window}:${key}`; shared.set(k, (shared.get(k) ?? 0) + 1); return Promise.resolve(shared.get(k)!); } };
		const [a, b] = [new ClientEventBound({ perSecond: 2, store: async () => store, now: () => 5000 }), new ClientEventBound({ perSecond: 2, store: async () => store, now: () => 5000 })];
		// Two instances, one budget.
		assert.deepEqual([await a.admit('user:x'), await b.admit('user:x'), await a.admit('user:x'), await b.admit('user:x')], [true, true, false, false]);
		assert.equal(a.countsIn, 'redis');
		const warnings: string[] = [];
		let tries = 0;
		let clock = 5000;
		const failing = new ClientEventBound({ perSecond: 1, store: async () => ({ hit: () => (tries++, Promise.reject(new Error('down'))) }), now: () => clock, warn: (m) => warnings.push(m) });
		assert.deepEqual([await failing.admit('user:x'), await failing.admit('user:x')], [true, false]);
		assert.equal(warnings.length, 1, 'said once');
		assert.equal(tries, 1, 'not tried again at once: no wait per event while it is down');
		clock += 5000;
		assert.equal(await failing.admit('user:x'), true);
		assert.equal(tries, 2, 'tried again later');
		const hanging = new ClientEventBound({ perSecond: 1, store: async () => ({ hit: () => new Promise<number>(() => {}) }), now: () => 5000 });
		const started = Date.now();
		assert.deepEqual([await hanging.admit('user:y'), await hanging.admit('user:y'), await hanging.admit('user:y')], [true, false, false]);
		assert.ok(Date.now() - started < 700, 'one wait for a Redis that does not answer, not one per event');
		// A flood of made-up senders: past maxSenders in a second, no Redis key is made for new ones.
		const keys = new Set<string>();
		const counted = { hit: (key: string, window: number) => (keys.add(`${window}:${key}`), Promise.resolve(1)) };
		const flooded = new ClientEventBound({ perSecond: 5, store: async () => counted, now: () => 9000, maxSenders: 3 });
		const admitted = [];
		for (let i = 0; i < 10; i++) admitted.push(await flooded.admit(`user:guest-${i}`));
		assert.deepEqual(admitted, [true, true, true, false, false, false, false, false, false, false]);
		assert.equal(keys.size, 3);
		assert.equal(await flooded.admit('user:guest-1'), true, 'a sender already counted goes on');
		const none = new ClientEventBound({ perSecond: 1, store: async () => null });
		await none.admit('user:z');
		assert.equal(none.countsIn, 'memory');
	});
});

describe('the senders\' permissions cache', () => {
	it('looks a sender up once per TTL, shares a lookup under way, forgets on invalidate and when the TTL passes', async () => {
		let now = 0;
		let lookups = 0;
		const cache = new SenderCache<string>({ ttlMs: 1000, now: () => now });
		const load = (value: string) => () => (lookups++, Promise.resolve(value));
		const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('u1', load('alice'))));
		assert.deepEqual(new Set(answers), new Set(['alice']));
		assert.equal(lookups, 1);
		now = 999;
		assert.equal(await cache.get('u1', load('changed')), 'alice');
		now = 1000;
		assert.equal(await cache.get('u1', load('after ttl')), 'after ttl');
		assert.equal(lookups, 2);
		cache.invalidate(['U1']);
		assert.equal(await cache.get('u1', load('suspended')), 'suspended', 'forgotten whatever the case of the key given');
		// Spellings are kept apart (the database decides what each names) and forgotten together.
		assert.equal(await cache.get('U1 ', load('as spelled')), 'as spelled');
		assert.equal(await cache.get('u1', load('other')), 'suspended');
		cache.invalidate(['u1']);
		assert.equal(await cache.get('U1 ', load('spelled, after change')), 'spelled, after change');
		assert.equal(await cache.get('u1', load('after change')), 'after change');
		cache.clear();
		assert.equal(cache.size, 0);
	});

	it('keeps no failed lookup, and at most maxEntries senders', async () => {
		const cache = new SenderCache<string>({ maxEntries: 10 });
		await assert.rejects(cache.get('u', () => Promise.reject(new Error('db down'))));
		assert.equal(cache.size, 0);
		for (let i = 0; i < 1000; i++) await cache.get(`u${i}`, () => Promise.resolve('x'));
		assert.ok(cache.size <= 10, String(cache.size));
	});
});
