/** Soketi's cache_miss webhook answered from history, pure: what is re-sent, how often, and the bound. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookCounters } from '../../shared/src/webhooks/actions.js';
import { CacheMissResender, historyLastEvents, type LastEvent, type LastEventSource, type ResentEvent } from '../../shared/src/webhooks/cache-miss.js';
import { envelopeJson } from '../../shared/src/history/envelope.js';
import { MemoryHistory } from '../../shared/src/history/memory-history.js';
import { emitWebhook } from '../../shared/src/webhooks/emit.js';

const LAST: LastEvent = { event: 'note', data: '{"text":"hello"}', id: 'k3x9-1f', seq: 42, epoch: 'mf1c-7d3e' };

/** An in-memory history: the last event per channel, and every read it was asked for. */
function memoryHistory(events: Record<string, LastEvent>) {
	const reads: string[] = [];
	const source: LastEventSource = {
		last: async (channel) => {
			reads.push(channel);
			return events[channel] ?? null;
		},
	};
	return { source, reads };
}

function setup(options: { events?: Record<string, LastEvent>; source?: LastEventSource | null; maxChannels?: number } = {}) {
	const history = memoryHistory(options.events ?? { 'cache-news': LAST, 'private-cache-chat-1': LAST, 'private-encrypted-cache-doc-1': LAST, 'presence-cache-room-1': LAST });
	const sent: ResentEvent[] = [];
	const warnings: string[] = [];
	const clock = { now: 0 };
	const resender = new CacheMissResender({
		source: options.source === undefined ? history.source : options.source,
		send: (event) => sent.push(event),
		log: { warn: (m) => warnings.push(m) },
		now: () => clock.now,
		...(options.maxChannels ? { maxChannels: options.maxChannels } : {}),
	});
	return { resender, sent, reads: history.reads, warnings, clock };
}

describe('answering cache_miss from history', () => {
	it('sends the channel\'s last event again in its envelope, with the same id, seq and epoch', async () => {
		const { resender, sent } = setup();
		assert.equal(await resender.resend('private-cache-chat-1'), 'resent');
		assert.deepEqual(sent, [{ channel: 'private-cache-chat-1', name: 'note', data: '{"id":"k3x9-1f","seq":42,"epoch":"mf1c-7d3e","data":{"text":"hello"}}' }]);
	});

	it('answers every cache kind', async () => {
		const { resender, sent } = setup();
		for (const channel of ['cache-news', 'private-cache-chat-1', 'private-encrypted-cache-doc-1', 'presence-cache-room-1']) {
			assert.equal(await resender.resend(channel), 'resent', channel);
		}
		assert.equal(sent.length, 4);
	});

	it('re-sends a channel at most once a second, however many subscribers miss at once', async () => {
		const { resender, sent, reads, clock } = setup();
		const outcomes = await Promise.all(Array.from({ length: 50 }, () => resender.resend('cache-news')));
		assert.deepEqual([...new Set(outcomes)].sort(), ['resent', 'throttled']);
		assert.equal(outcomes.filter((o) => o === 'resent').length, 1);
		assert.deepEqual(reads, ['cache-news']);
		clock.now = 999;
		assert.equal(await resender.resend('cache-news'), 'throttled');
		clock.now = 1000;
		assert.equal(await resender.resend('cache-news'), 'resent');
		assert.equal(sent.length, 2);
	});

	it('throttles each channel on its own', async () => {
		const { resender } = setup();
		assert.equal(await resender.resend('cache-news'), 'resent');
		assert.equal(await resender.resend('private-cache-chat-1'), 'resent');
	});

	it('sends nothing for a channel history holds nothing of', async () => {
		const { resender, sent } = setup({ events: {} });
		assert.equal(await resender.resend('cache-news'), 'unanswered');
		assert.deepEqual(sent, []);
	});

	it('holds no interval for a miss that had nothing to send: an event published just after reaches the next miss', async () => {
		const events: Record<string, LastEvent> = {};
		const { resender, sent } = setup({ events });
		assert.equal(await resender.resend('cache-news'), 'unanswered');
		events['cache-news'] = LAST;
		// Same instant: a held interval would throttle this one and the subscriber would get nothing.
		assert.equal(await resender.resend('cache-news'), 'resent');
		assert.equal(sent.length, 1);
		assert.equal(await resender.resend('cache-news'), 'throttled');
	});

	it('sends nothing without a history (RT_ENVELOPE=false)', async () => {
		const { resender, sent } = setup({ source: null });
		assert.equal(await resender.resend('cache-news'), 'unanswered');
		assert.deepEqual(sent, []);
	});

	it('reads nothing for names that are no cache channel or break the name rules', async () => {
		const { resender, reads, sent } = setup();
		for (const channel of ['news', 'private-chat-1', 'presence-room-1', 'private-encrypted-doc-1', 'cache-a b', `cache-${'x'.repeat(200)}`, '', 'Cache-news']) {
			assert.equal(await resender.resend(channel), 'unanswered', channel);
		}
		assert.deepEqual(reads, []);
		assert.deepEqual(sent, []);
	});

	it('logs a history that fails to answer, at most once a minute, and goes on', async () => {
		const failing: LastEventSource = { last: async () => Promise.reject(new Error('redis down')) };
		const { resender, warnings, sent, clock } = setup({ source: failing });
		assert.equal(await resender.resend('cache-news'), 'unanswered');
		clock.now = 5000;
		assert.equal(await resender.resend('cache-news'), 'unanswered');
		assert.deepEqual(sent, []);
		assert.equal(warnings.length, 1);
		assert.match(warnings[0]!, /cache-news.*redis down/);
		clock.now = 60_000;
		await resender.resend('cache-news');
		assert.equal(warnings.length, 2);
	});

	it('remembers at most maxChannels channels; past that, within the second, a miss is throttled', async () => {
		const events = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`cache-c${i}`, LAST]));
		const { resender, clock } = setup({ events, maxChannels: 3 });
		for (const channel of ['cache-c0', 'cache-c1', 'cache-c2']) assert.equal(await resender.resend(channel), 'resent');
		assert.equal(await resender.resend('cache-c3'), 'throttled');
		assert.equal(resender.size, 3);
		// Once their second is over the old channels are forgotten and new ones get through.
		clock.now = 1000;
		assert.equal(await resender.resend('cache-c3'), 'resent');
		assert.equal(await resender.resend('cache-c4'), 'resent');
		assert.equal(resender.size, 2);
	});

	it('forgets channels whose second is over, so a stream of distinct channels stays bounded', async () => {
		const { resender, clock } = setup({ events: {} });
		for (let i = 0; i < 5000; i++) {
			clock.now = i * 10;
			await resender.resend(`cache-c${i}`);
		}
		assert.ok(resender.size <= 100, `remembers ${resender.size}`);
	});
});

describe('the last event of a channel\'s history', () => {
	const history = () => new MemoryHistory({ size: 10, ttlMs: 60_000, maxBytes: 1_000_000 });

	it('is its newest kept event, with the id, seq and epoch it went out with', async () => {
		const kept = history();
		const [, second] = await kept.append([
			{ channel: 'cache-news', id: 'a1', name: 'first', data: '{"n":1}' },
			{ channel: 'cache-news', id: 'a2', name: 'second', data: '{"n":2}' },
			{ channel: 'cache-other', id: 'b1', name: 'other', data: '{"n":3}' },
		]);
		assert.deepEqual(await historyLastEvents(kept).last('cache-news'), { event: 'second', data: '{"n":2}', id: 'a2', seq: 2, epoch: second!.epoch });
	});

	it('is null for a channel with none, and when nothing is kept (RT_HISTORY=false)', async () => {
		assert.equal(await historyLastEvents(history()).last('cache-news'), null);
		const numberedOnly = new MemoryHistory({ size: 0, ttlMs: 60_000, maxBytes: 1_000_000 });
		await numberedOnly.append([{ channel: 'cache-news', id: 'a1', name: 'first', data: '{}' }]);
		assert.equal(await historyLastEvents(numberedOnly).last('cache-news'), null);
	});

	it('goes out again exactly as it first went out', async () => {
		const kept = history();
		const [mark] = await kept.append([{ channel: 'private-cache-chat-1', id: 'a1', name: 'note', data: '{"text":"hi"}' }]);
		const sent: ResentEvent[] = [];
		const resender = new CacheMissResender({ source: historyLastEvents(kept), send: (e) => sent.push(e), log: { warn: () => {} } });
		assert.equal(await resender.resend('private-cache-chat-1'), 'resent');
		assert.deepEqual(sent, [{ channel: 'private-cache-chat-1', name: 'note', data: envelopeJson('a1', 1, mark!.epoch, '{"text":"hi"}') }]);
	});
});

describe('cache_miss webhooks, emitted', () => {
	it('re-sends per cache_miss event, counts each outcome, and still emits the actions', async () => {
		const { resender, sent } = setup();
		const counters = new WebhookCounters();
		const emitted: string[] = [];
		const receipt = await emitWebhook(
			{
				time_ms: 1,
				events: [
					{ name: 'cache_miss', channel: 'cache-news' },
					{ name: 'cache_miss', channel: 'cache-news' },
					{ name: 'cache_miss', channel: 'cache-empty' },
					{ name: 'channel_occupied', channel: 'cache-news' },
				],
			},
			{
				snapshot: async () => ({ match: () => null }),
				bound: { admit: async () => true },
				activity: { clientEvent: () => {} },
				counters,
				cacheMisses: resender,
				senderAccountability: async () => null,
				emitter: Promise.resolve({ emitAction: (name: string) => emitted.push(name) }),
				context: async () => ({}),
				log: { warn: () => {} },
			},
		);
		assert.deepEqual(receipt, { received: 4, emitted: 4 });
		assert.deepEqual(emitted, ['realtime.cache_miss', 'realtime.cache_miss', 'realtime.cache_miss', 'realtime.channel_occupied']);
		assert.equal(sent.length, 1);
		const { cache_misses, cache_resent, cache_throttled } = counters.stats();
		assert.deepEqual({ cache_misses, cache_resent, cache_throttled }, { cache_misses: 3, cache_resent: 1, cache_throttled: 1 });
	});
});
