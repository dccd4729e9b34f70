import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeOutboxEvent, encodeOutboxEvent, parseOutboxEntries } from '../../shared/src/delivery/outbox-stream.js';

describe('the outbox encoding', () => {
	it('round-trips an event, optional fields included', () => {
		const event = { channel: 'private-chat-1', name: 'message', data: '{"a":"b\\n"}', socketId: '1.2', source: 'channel row x', row: 'r1', id: 'e1' };
		assert.deepEqual(decodeOutboxEvent(encodeOutboxEvent(event)), event);
	});

	it('leaves out optional fields that are not set', () => {
		const fields = encodeOutboxEvent({ channel: 'c', name: 'n', data: '1', source: 's', id: 'i' });
		assert.deepEqual(fields, ['c', 'c', 'n', 'n', 'd', '1', 'o', 's', 'i', 'i']);
		assert.deepEqual(decodeOutboxEvent(fields), { channel: 'c', name: 'n', data: '1', source: 's', id: 'i' });
	});

	it('refuses an entry without channel, name, data or id', () => {
		assert.equal(decodeOutboxEvent(['n', 'n', 'd', '1', 'i', 'x']), null);
		assert.equal(decodeOutboxEvent(['c', 'c', 'd', '1', 'i', 'x']), null);
		assert.equal(decodeOutboxEvent(['c', 'c', 'n', 'n', 'i', 'x']), null);
		assert.equal(decodeOutboxEvent(['c', 'c', 'n', 'n', 'd', '1']), null);
		assert.equal(decodeOutboxEvent('c'), null);
		assert.equal(decodeOutboxEvent(null), null);
	});

	it('sorts a reply into events and entries to acknowledge away (undecodable, or deleted while pending)', () => {
		const good = ['1-0', ['c', 'c', 'n', 'n', 'd', '1', 'i', 'a']];
		const { entries, broken } = parseOutboxEntries([good, ['2-0', null], ['3-0', ['x', 'y']], null, 'junk']);
		assert.deepEqual(entries, [{ entryId: '1-0', event: { channel: 'c', name: 'n', data: '1', id: 'a', source: 'outbox' } }]);
		assert.deepEqual(broken, ['2-0', '3-0']);
		assert.deepEqual(parseOutboxEntries(null), { entries: [], broken: [] });
	});
});
