import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDryRun } from '../../shared/src/admin/dry-run-request.js';
import { DeliveryActivity } from '../../shared/src/delivery/activity.js';
import { flowEvent } from '../../shared/src/publisher/flow-event.js';
import { ChannelSnapshot, type Channel } from '../../shared/src/channels/registry.js';
import { channelPattern } from '../../shared/src/channels/pattern.js';
import type { ChannelRow } from '../../shared/src/channels/row.js';

/** A snapshot of enabled rows with these patterns (and sorts), as the registry builds it. */
function snapshotOf(...rows: Array<[string, number?]>): ChannelSnapshot {
	return new ChannelSnapshot(
		rows.map(([channel_name, sort], index): Channel => {
			const row = { id: `r${index}`, enabled: true, sort: sort ?? null, channel_name, collection: 'c', fields: ['*'], authorizer: null, publisher: '', trigger_on_create: true, trigger_on_update: false, trigger_on_delete: false, client_events: false } as ChannelRow;
			const pattern = channelPattern(channel_name);
			return { row, pattern, kind: pattern.kind, type: pattern.type, label: `channel row r${index} (${channel_name})` };
		}),
	);
}

const ROW = '3f2a1b4c-0000-4000-8000-000000000001';
const USER = '3f2a1b4c-0000-4000-8000-000000000002';

describe('dry-run request bodies', () => {
	it('reads the four shapes', () => {
		assert.deepEqual(parseDryRun({ row: ROW.toUpperCase(), action: 'update', key: 5 }), {
			kind: 'publisher',
			source: { row: ROW },
			action: 'update',
			key: 5,
			changed: {},
		});
		assert.deepEqual(parseDryRun({ publisher: 'return;', collection: 'docs', channel_name: 'a-:id', action: 'create', key: 'k' }), {
			kind: 'publisher',
			source: { script: 'return;', pattern: 'a-:id' },
			action: 'create',
			key: 'k',
			changed: null,
			collection: 'docs',
			fields: ['*'],
		});
		assert.deepEqual(parseDryRun({ row: ROW, channel_name: 'private-a', user: USER }), {
			kind: 'authorizer',
			source: { row: ROW },
			channel_name: 'private-a',
			user: USER,
			socket_id: '1234.5678',
		});
		assert.equal(parseDryRun({ authorizer: 'return true;', channel_name_pattern: 'private-:x', channel_name: 'private-a', user: USER, socket_id: '1.2' }).kind, 'authorizer');
	});

	it('refuses hostile and malformed bodies with a reason', () => {
		const bad: unknown[] = [
			null,
			[],
			'x',
			42,
			{},
			{ row: ROW },
			{ row: ROW, action: 'create', key: 1, user: USER },
			{ row: ROW, publisher: 'x', action: 'create', key: 1 },
			{ row: `${ROW} `, action: 'create', key: 1 },
			{ row: { $ne: null }, action: 'create', key: 1 },
			{ row: ROW, action: 'CREATE', key: 1 },
			{ row: ROW, action: 'create', key: 1.5 },
			{ row: ROW, action: 'create', key: '' },
			{ row: ROW, action: 'create', key: 'k'.repeat(256) },
			{ row: ROW, action: 'create', key: [1] },
			{ row: ROW, action: 'update', key: 1, changed: [1] },
			{ row: ROW, action: 'create', key: 1, __proto__: { polluted: true }, constructor: 1 },
			{ publisher: 5, collection: 'docs', channel_name: 'a', action: 'create', key: 1 },
			{ publisher: 'x', collection: 'docs', channel_name: 'a', action: 'create', key: 1, fields: [] },
			{ publisher: 'x', collection: 'docs', channel_name: 'a', action: 'create', key: 1, fields: Array(101).fill('a') },
			{ publisher: 'x', collection: 'docs', channel_name: 'a', action: 'create', key: 1, fields: 'title' },
			{ row: ROW, channel_name: 'private-a', user: 'not-a-uuid' },
			{ row: ROW, channel_name: 'private a', user: USER },
			{ row: ROW, channel_name: 'private-a', user: USER, socket_id: 'abc' },
			{ authorizer: 'x', channel_name: 'private-a', user: USER },
		];
		for (const body of bad) {
			assert.throws(() => parseDryRun(body), (error: any) => ['INVALID_PAYLOAD', 'INVALID_CHANNEL_NAME'].includes(error.code) && error.message.length > 0, JSON.stringify(body));
		}
	});
});

describe('the Flows operation\'s checks', () => {
	const deps = { maxPayloadBytes: 100, encryption: false, envelope: false, snapshot: snapshotOf(['news']) };
	it('accepts a rendered send, JSON text as its value, other text as a string', () => {
		const sent = flowEvent({ channel: ' news ', event: 'x', payload: '{"a":1}', exclude_socket_id: 'undefined' }, deps);
		assert.ok(sent.ok);
		assert.equal(sent.event.channel, 'news');
		assert.equal(sent.event.data, '{"a":1}');
		assert.equal(sent.event.socketId, undefined);
		const text = flowEvent({ channel: 'news', event: 'x', payload: 'hello {' }, deps);
		assert.ok(text.ok && text.event.data === '"hello {"');
		const excluded = flowEvent({ channel: 'news', event: 'x', payload: { a: 1 }, exclude_socket_id: '12.34' }, deps);
		assert.ok(excluded.ok && excluded.event.socketId === '12.34');
	});

	it('answers refusals with the reason, never throws', () => {
		for (const [index, options] of [
			{},
			{ channel: 5, event: 'x' },
			{ channel: 'a b', event: 'x' },
			{ channel: 'news', event: 'pusher:x' },
			{ channel: 'news', event: 'x', payload: 'y'.repeat(200) },
			{ channel: 'private-encrypted-a', event: 'x' },
			{ channel: 'news', event: 'x', exclude_socket_id: 'nope' },
			{ channel: 'news', event: 'x', payload: { toJSON() { throw new Error('no'); } } },
		].entries()) {
			const answer = flowEvent(options as never, deps);
			assert.equal(answer.ok, false, `case ${index}`);
			assert.ok(!answer.ok && answer.reason.length > 0);
		}
	});

	it('sends only to a name an enabled row of its kind decides and whose pattern it matches back; any_channel lifts that', () => {
		const snapshot = snapshotOf(['private-chat-:userId'], ['private-chat-notification-:userId'], ['private-room-:id(\\d+)'], ['order-:title'], ['presence-team-:team']);
		const send = (channel: string, extra: Record<string, unknown> = {}) => flowEvent({ channel, event: 'x', ...extra }, { ...deps, snapshot });
		for (const channel of ['private-chat-5', 'private-chat-notification-5', 'private-room-12', 'order-abc', 'presence-team-a']) assert.ok(send(channel).ok, channel);
		const refused: Array<[string, RegExp]> = [
			['news', /no enabled channel row of kind public/],
			['private-other-5', /no enabled channel row of kind private/],
			// Nor a plain row for its cache kind.
			['private-cache-chat-5', /no enabled channel row of kind private-cache/],
			['cache-order-abc', /no enabled channel row of kind cache/],
			['private-room-abc', /no enabled channel row/],
			// A private row's pattern never answers for the encrypted type, nor a public one for presence.
			['presence-chat-5', /no enabled channel row of kind presence/],
			['#server-to-user-5', /any_channel/],
		];
		for (const [channel, reason] of refused) {
			const answer = send(channel);
			assert.ok(!answer.ok && reason.test(answer.reason), `${channel}: ${JSON.stringify(answer)}`);
		}
		// Free names on: Pusher's rules only; a user's channel takes a user id.
		assert.ok(send('news', { any_channel: true }).ok);
		const user = send('#server-to-user-5', { any_channel: true });
		assert.ok(user.ok && user.event.channel === '#server-to-user-5');
		// Only the boolean the form stores: text a template rendered (maybe from the caller) is off.
		for (const off of [false, 'true', 'false', '', 1, 'yes', null, {}]) assert.equal(send('news', { any_channel: off }).ok, false, String(off));
		assert.equal(send('#server-to-user-', { any_channel: true }).ok, false);
		assert.equal(send('#server-to-user-a b', { any_channel: true }).ok, false);
		assert.equal(send('#server-to-user-#server-to-user-5', { any_channel: true }).ok, false);
		// Nothing is sent to a disabled row's names: the snapshot holds enabled rows only.
		assert.equal(flowEvent({ channel: 'order-abc', event: 'x' }, { ...deps, snapshot: snapshotOf() }).ok, false);
	});

	it('a name filled from one row\'s pattern is decided by the row first in match order', () => {
		// With `sort`, the lenient row decides first: the name is its, and matches it back.
		const snapshot = snapshotOf(['private-chat-:userId', 1], ['private-chat-notification-:userId']);
		const answer = flowEvent({ channel: 'private-chat-notification-5', event: 'x' }, { ...deps, snapshot });
		assert.ok(answer.ok);
	});
});

describe('row counters and the tail', () => {
	it('counts per row, keeps the last N events, and no preview of an encrypted payload', () => {
		const activity = new DeliveryActivity({ tailSize: 3, maxRows: 2 });
		for (let n = 0; n < 5; n++) activity.queued('a', { channel: 'news', name: 'e', data: JSON.stringify({ n }), source: 's' });
		activity.queued(null, { channel: 'private-encrypted-x', name: 'e', data: '{"secret":1}', source: 's' });
		activity.refused('b');
		activity.failed('b', { message: 'boom', line: 2, column: 3 });
		assert.equal(activity.counters('a').sent, 5);
		assert.equal(activity.counters('b').refused, 1);
		assert.deepEqual({ ...activity.counters('b').last_error, at: undefined }, { message: 'boom', line: 2, column: 3, at: undefined });
		const tail = activity.since(0);
		assert.equal(tail.seq, 6);
		assert.deepEqual(tail.data.map((e) => e.seq), [4, 5, 6]);
		assert.equal(tail.data[2]!.preview, null);
		assert.deepEqual(activity.since(6).data, []);
		// A third row pushes the oldest counted row out.
		activity.refused('c');
		assert.equal(activity.counters('a').sent, 0);
	});
});
