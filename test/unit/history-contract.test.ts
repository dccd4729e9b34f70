/**
 * The history reply as the server builds it (shared/src/auth/history-reply.ts) and as the client
 * helper reads it (client/src/history.ts). The client is published on its own and imports nothing
 * from shared/, so each side declares the reply; this suite holds the two to one contract
 * (docs/delivery.md): every reply the server can give, sent as JSON, is read back by the client
 * unchanged, sealed items open to the envelope, and the declared types fit both ways.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import nacl from 'tweetnacl';
import { historyReply, type HistoryReply as ServerReply } from '../../shared/src/auth/history-reply.js';
import { ChannelEncryption } from '../../shared/src/pusher/encryption.js';
import type { HistoryWindow, StoredEvent } from '../../shared/src/history/channel-history.js';
import type { HistoryQuery } from '../../shared/src/history/history-query.js';
import { parseHistoryReply, type HistoryReply as ClientReply } from '../../client/src/history.js';
import { isSealed, openSealed } from '../../client/src/sealed.js';

// The declared types fit both ways: a field added, renamed or retyped on one side fails typecheck.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesAgree: Same<ServerReply, ClientReply> = true;

const encryption = new ChannelEncryption(randomBytes(32).toString('base64'));
const deps = { seal: (channel: string, text: string) => encryption.encrypt(channel, text), maxResponseBytes: 512 * 1024 };

const events = (from: number, to: number): StoredEvent[] =>
	Array.from({ length: to - from + 1 }, (_, i) => ({ id: `ev-${from + i}`, seq: from + i, name: i % 2 ? 'updated' : 'created', data: JSON.stringify({ n: from + i, text: 'é "quoted" \u2028' }) }));
const window = (latest: number, oldest: number | null, kept: StoredEvent[]): HistoryWindow => ({ epoch: 'mf1c2a9b-7d3e', latest, oldest, events: kept });

/** What the client reads of a server reply sent over the wire. */
const overTheWire = (reply: ServerReply) => parseHistoryReply(JSON.parse(JSON.stringify(reply)), reply.channel);

describe('the history reply: one contract for the server and the client helper', () => {
	it('declares the same reply on both sides', () => {
		assert.equal(typesAgree, true);
	});

	const cases: Array<[string, string, HistoryQuery, HistoryWindow]> = [
		['a rewind', 'private-notes-1', { since: undefined, epoch: undefined, limit: 100 }, window(5, 1, events(1, 5))],
		['a recovery with every event kept', 'private-notes-1', { since: 2, epoch: 'mf1c2a9b-7d3e', limit: 100 }, window(5, 1, events(1, 5))],
		['a recovery that is up to date', 'private-notes-1', { since: 5, epoch: 'mf1c2a9b-7d3e', limit: 100 }, window(5, 1, events(1, 5))],
		['a recovery in pages (more)', 'private-notes-1', { since: 0, epoch: 'mf1c2a9b-7d3e', limit: 2 }, window(5, 1, events(1, 5))],
		['a lost window (events no longer kept)', 'private-notes-1', { since: 1, epoch: 'mf1c2a9b-7d3e', limit: 100 }, window(9, 5, events(5, 9))],
		['another epoch', 'private-notes-1', { since: 1, epoch: 'old-epoch', limit: 100 }, window(5, 1, events(1, 5))],
		['an empty channel', 'cache-news', { since: undefined, epoch: undefined, limit: 100 }, window(0, null, [])],
	];
	for (const [what, channel, query, win] of cases) {
		it(`reads ${what} exactly as the server sent it`, () => {
			const reply = historyReply(channel, query, win, deps);
			assert.deepEqual(overTheWire(reply), reply);
		});
	}

	it('answers recovered: false for a window with an entry that is not an event, whatever was asked', () => {
		const damaged: HistoryWindow = { ...window(5, 1, [...events(1, 2), ...events(4, 5)]), damaged: { entry: 'h:{private-notes-1} 0-3', why: 'its data is not JSON' } };
		for (const query of [
			{ since: undefined, epoch: undefined, limit: 100 },
			{ since: 0, epoch: 'mf1c2a9b-7d3e', limit: 100 },
			{ since: 3, epoch: 'mf1c2a9b-7d3e', limit: 100 },
		] satisfies HistoryQuery[]) {
			const reply = historyReply('private-notes-1', query, damaged, deps);
			assert.deepEqual(reply, { channel: 'private-notes-1', epoch: 'mf1c2a9b-7d3e', latest: 5, recovered: false, items: [], more: false });
			assert.deepEqual(overTheWire(reply), reply);
		}
	});

	it('reads the sealed items of an encrypted channel, which open to the envelope of the live event', () => {
		const channel = 'private-encrypted-notes-1';
		const reply = historyReply(channel, { since: 0, epoch: 'mf1c2a9b-7d3e', limit: 100 }, window(3, 1, events(1, 3)), deps);
		const read = overTheWire(reply);
		assert.deepEqual(read, reply);
		assert.equal(read.items.length, 3);
		for (const item of read.items) {
			assert.ok(isSealed(item.data), 'sealed as a live event is');
			const opened = openSealed(item.data as { nonce: string; ciphertext: string }, new Uint8Array(encryption.sharedSecret(channel)), nacl) as Record<string, unknown>;
			assert.deepEqual(Object.keys(opened), ['id', 'seq', 'epoch', 'data']);
			assert.equal(opened.id, item.id);
			assert.equal(opened.seq, item.seq);
		}
	});
});
