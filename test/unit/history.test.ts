import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { envelopeJson, isNumberedChannel, newEpoch, newEventId, TOKEN_PATTERN } from '../../shared/src/history/envelope.js';
import { MemoryHistory } from '../../shared/src/history/memory-history.js';
import { parseHistoryQuery } from '../../shared/src/history/history-query.js';
import { historyReply } from '../../shared/src/auth/history-reply.js';
import { PublishQueue, type OutgoingEvent } from '../../shared/src/delivery/queue.js';
import { RealtimeError } from '../../shared/src/errors.js';
import type { HistoryWindow } from '../../shared/src/history/channel-history.js';

const memory = (size = 5, ttlMs = 60_000, maxBytes = 1 << 20, now?: () => number) => new MemoryHistory({ size, ttlMs, maxBytes, ...(now ? { now } : {}) });
const ev = (channel: string, n: number) => ({ channel, id: `id${n}`, name: 'e', data: JSON.stringify({ n }) });

describe('the envelope', () => {
	it('wraps the payload unchanged, keys in the order id, seq, epoch, data', () => {
		fc.assert(
			fc.property(fc.jsonValue(), fc.nat(), (payload, seq) => {
				const text = envelopeJson('k1-abc', seq, 'ep-1', JSON.stringify(payload));
				const parsed = JSON.parse(text);
				assert.deepEqual(Object.keys(parsed), ['id', 'seq', 'epoch', 'data']);
				assert.deepEqual(parsed.data, JSON.parse(JSON.stringify(payload)));
				assert.equal(parsed.seq, seq);
			}),
		);
	});

	it('makes ids and epochs that differ and that the history query accepts back', () => {
		const ids = new Set(Array.from({ length: 10_000 }, newEventId));
		assert.equal(ids.size, 10_000);
		for (const token of [...ids].slice(0, 100).concat(newEpoch(), newEpoch())) assert.match(token, TOKEN_PATTERN);
		assert.notEqual(newEpoch(), newEpoch());
	});

	it('numbers every channel but a user\'s own', () => {
		assert.equal(isNumberedChannel('private-chat-1'), true);
		assert.equal(isNumberedChannel('#server-to-user-1'), false);
	});
});

describe('the memory history', () => {
	it('numbers each channel 1, 2, 3, … under one epoch', async () => {
		const h = memory();
		const marks = await h.append([ev('a', 1), ev('b', 1), ev('a', 2), ev('a', 3)]);
		assert.deepEqual(marks.map((m) => m.seq), [1, 1, 2, 3]);
		assert.equal(marks[0]!.epoch, marks[2]!.epoch);
		assert.notEqual(marks[0]!.epoch, marks[1]!.epoch);
	});

	it('numbers an event delivered again (same id) once while its history holds it', async () => {
		const h = memory(3);
		const [a, b] = await h.append([ev('a', 1), ev('a', 2)]);
		const [a2, c] = await h.append([ev('a', 1), ev('a', 3)]);
		assert.deepEqual([a2, c!.seq], [a, 3]);
		assert.equal((await h.read('a', { after: 0, limit: 10 })).events.length, 3);
		assert.deepEqual((await h.append([ev('a', 2)]))[0], b);
		// Past the window (the history no longer holds it) a repeat is new.
		await h.append([ev('a', 4), ev('a', 5), ev('a', 6)]);
		assert.equal((await h.append([ev('a', 1)]))[0]!.seq, 7);
	});

	it('keeps the newest RT_HISTORY_SIZE events and says which is the oldest kept', async () => {
		const h = memory(3);
		await h.append([1, 2, 3, 4, 5].map((n) => ev('a', n)));
		const window = await h.read('a', { after: 0, limit: 10 });
		assert.deepEqual(window.events.map((e) => e.seq), [3, 4, 5]);
		assert.equal(window.oldest, 3);
		assert.equal(window.latest, 5);
		assert.deepEqual((await h.read('a', { after: undefined, limit: 2 })).events.map((e) => e.seq), [4, 5]);
		assert.deepEqual((await h.read('a', { after: 3, limit: 1 })).events.map((e) => e.seq), [4]);
	});

	it('starts a new epoch at 1 once a channel was idle past RT_HISTORY_TTL', async () => {
		let now = 0;
		const h = memory(5, 1000, 1 << 20, () => now);
		const [first] = await h.append([ev('a', 1)]);
		now = 1001;
		const [second] = await h.append([ev('a', 2)]);
		assert.equal(second!.seq, 1);
		assert.notEqual(second!.epoch, first!.epoch);
	});

	it('stores nothing on a read: a flood of reads of new channels crowds out no history', async () => {
		const h = memory(5, 60_000, 20_000);
		const [kept] = await h.append([ev('kept', 1)]);
		for (let i = 0; i < 10_000; i++) assert.equal((await h.read(`nobody-${i}`, { after: undefined, limit: 10 })).latest, 0);
		const window = await h.read('kept', { after: 0, limit: 10 });
		assert.deepEqual([window.epoch, window.latest], [kept!.epoch, 1]);
	});

	it('stays within its byte budget by forgetting the channels idle the longest (which then start a new epoch)', async () => {
		const h = memory(100, 60_000, 20_000);
		const [old] = await h.append([ev('old', 0)]);
		for (let i = 0; i < 200; i++) await h.append([{ ...ev(`c${i}`, i), data: JSON.stringify('x'.repeat(100)) }]);
		const window = await h.read('old', { after: 0, limit: 10 });
		assert.notEqual(window.epoch, old!.epoch);
		assert.equal(window.latest, 0);
	});

	it('keeps numbering with no events kept when history is off', async () => {
		const h = memory(0);
		await h.append([1, 2, 3].map((n) => ev('a', n)));
		const window = await h.read('a', { after: 0, limit: 10 });
		assert.equal(window.latest, 3);
		assert.deepEqual(window.events, []);
		assert.equal(window.oldest, null);
	});
});

describe('the history query', () => {
	it('reads since, epoch and limit', () => {
		assert.deepEqual(parseHistoryQuery({ since: '42', epoch: 'ab-1', limit: '7' }), { since: 42, epoch: 'ab-1', limit: 7 });
		assert.deepEqual(parseHistoryQuery({}), { since: undefined, epoch: undefined, limit: 100 });
		assert.deepEqual(parseHistoryQuery({ _: '123' }), { since: undefined, epoch: undefined, limit: 100 });
	});

	const refused: Array<[string, Record<string, unknown>]> = [
		['since without epoch', { since: '1' }],
		['epoch without since', { epoch: 'a' }],
		['negative since', { since: '-1', epoch: 'a' }],
		['fractional since', { since: '1.5', epoch: 'a' }],
		['huge since', { since: '9'.repeat(400), epoch: 'a' }],
		['since twice', { since: ['1', '2'], epoch: 'a' }],
		['nested since', { since: { $gt: '1' }, epoch: 'a' }],
		['epoch with a quote', { since: '1', epoch: "a'b" }],
		['long epoch', { since: '1', epoch: 'a'.repeat(65) }],
		['limit 0', { limit: '0' }],
		['limit 1001', { limit: '1001' }],
		['limit text', { limit: 'ten' }],
	];
	for (const [what, query] of refused) {
		it(`refuses ${what} with INVALID_QUERY`, () => {
			assert.throws(() => parseHistoryQuery(query), (error: RealtimeError) => error.code === 'INVALID_QUERY');
		});
	}

	it('answers any query with a parse or an INVALID_QUERY, nothing else', () => {
		fc.assert(
			fc.property(fc.dictionary(fc.constantFrom('since', 'epoch', 'limit', 'x'), fc.oneof(fc.string(), fc.array(fc.string()), fc.object())), (query) => {
				try {
					const parsed = parseHistoryQuery(query);
					assert.ok(parsed.limit >= 1 && parsed.limit <= 1000);
				} catch (error) {
					assert.equal((error as RealtimeError).code, 'INVALID_QUERY');
				}
			}),
		);
	});
});

describe('the history answer', () => {
	const window = (seqs: number[], latest = seqs.at(-1) ?? 0): HistoryWindow => ({
		epoch: 'E',
		latest,
		oldest: seqs[0] ?? null,
		events: seqs.map((seq) => ({ id: `i${seq}`, seq, name: 'updated', data: JSON.stringify({ seq }) })),
	});
	const deps = { seal: (_: string, text: string) => JSON.stringify({ nonce: 'n', ciphertext: Buffer.from(text).toString('base64') }), maxResponseBytes: 1 << 20 };
	const q = (since: number | undefined, limit = 100, epoch = 'E') => ({ since, epoch: since === undefined ? undefined : epoch, limit });

	it('gives the events after since, each as the live handler receives it', () => {
		const reply = historyReply('private-a', q(2), window([3, 4]), deps);
		assert.equal(reply.recovered, true);
		assert.equal(reply.more, false);
		assert.deepEqual(reply.items[0], { id: 'i3', seq: 3, event: 'updated', data: { id: 'i3', seq: 3, epoch: 'E', data: { seq: 3 } } });
	});

	it('pages with limit: more is true until the last page', () => {
		const reply = historyReply('a', q(0, 2), window([1, 2, 3]), deps);
		assert.deepEqual([reply.items.map((i) => i.seq), reply.more], [[1, 2], true]);
	});

	it('answers recovered: false with the current epoch and latest when the epoch differs', () => {
		assert.deepEqual(historyReply('a', q(1, 100, 'OLD'), window([1, 2]), deps), { channel: 'a', epoch: 'E', latest: 2, recovered: false, items: [], more: false });
	});

	it('answers recovered: false when the events after since are no longer all kept', () => {
		assert.equal(historyReply('a', q(1), window([5, 6]), deps).recovered, false);
		assert.equal(historyReply('a', q(9), window([5, 6]), deps).recovered, false);
		assert.equal(historyReply('a', q(1), window([], 6), deps).recovered, false);
	});

	it('answers recovered: true with nothing when the client is up to date', () => {
		assert.deepEqual(historyReply('a', q(6), window([5, 6]), deps).items, []);
		assert.equal(historyReply('a', q(6), window([5, 6]), deps).recovered, true);
	});

	it('rewinds to the newest events without since', () => {
		assert.deepEqual(historyReply('a', q(undefined, 2), window([4, 5]), deps).items.map((i) => i.seq), [4, 5]);
	});

	it('seals the envelope on an encrypted channel', () => {
		const item = historyReply('private-encrypted-a', q(0), window([1]), deps).items[0]!;
		assert.deepEqual(JSON.parse(Buffer.from((item.data as { ciphertext: string }).ciphertext, 'base64').toString()), { id: 'i1', seq: 1, epoch: 'E', data: { seq: 1 } });
	});

	it('stops at RT_HISTORY_MAX_RESPONSE_KB, with more: true, but always gives one event', () => {
		const big = { ...window([1, 2, 3]), events: window([1, 2, 3]).events.map((e) => ({ ...e, data: JSON.stringify('x'.repeat(600)) })) };
		const reply = historyReply('a', q(0), big, { ...deps, maxResponseBytes: 1000 });
		assert.deepEqual([reply.items.length, reply.more], [1, true]);
	});
});

describe('numbering in the publish queue', () => {
	it('prepares each event once: a retried batch keeps what prepare gave it', async () => {
		let seq = 0;
		let failures = 1;
		const sent: string[] = [];
		const queue = new PublishQueue(
			async (batch) => {
				if (failures-- > 0) throw new Error('ECONNREFUSED');
				sent.push(...batch.map((e) => e.data));
			},
			{
				retryForMs: 60_000,
				maxQueued: 100,
				backoffInitialMs: 1,
				logger: { warn() {}, error() {} },
				prepare: async (events: OutgoingEvent[]) => {
					for (const e of events) e.data = String(++seq);
				},
			},
		);
		for (let i = 0; i < 3; i++) queue.enqueue({ channel: 'a', name: 'e', data: '{}', source: 't' });
		await queue.idle();
		assert.deepEqual(sent, ['1', '2', '3']);
	});
});
