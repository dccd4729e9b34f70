import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDryRun } from '../../shared/src/admin/dry-run-request.js';
import { DeliveryActivity } from '../../shared/src/delivery/activity.js';
import { flowEvent } from '../../shared/src/publisher/flow-event.js';

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
	const deps = { maxPayloadBytes: 100, encryption: false };
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
