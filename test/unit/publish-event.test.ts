import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outgoingEvent, serializePayload } from '../../shared/src/delivery/event.js';
import { redactUser } from '../../shared/src/auth/redact.js';

describe('events ready to queue', () => {
	it('serializes the payload once, as JSON', () => {
		const { id, ...event } = outgoingEvent('news', 'created', { a: 1 }, undefined, 'row', 100);
		assert.deepEqual(event, { channel: 'news', name: 'created', data: '{"a":1}', source: 'row' });
		assert.match(String(id), /^[A-Za-z0-9_-]{1,64}$/);
		assert.equal(serializePayload('text', 100), '"text"');
		assert.equal(serializePayload(undefined, 100), 'null');
	});

	it('gives each event its own id when it is accepted (kept through retries: see the queue)', () => {
		assert.notEqual(outgoingEvent('news', 'e', 1, undefined, 'row', 100).id, outgoingEvent('news', 'e', 1, undefined, 'row', 100).id);
	});

	it('keeps a socket id to exclude, and ignores what is not one', () => {
		assert.equal(outgoingEvent('news', 'e', 1, '123.456', 'row', 100).socketId, '123.456');
		assert.equal(outgoingEvent('news', 'e', 1, null, 'row', 100).socketId, undefined);
		assert.equal(outgoingEvent('news', 'e', 1, 'x', 'row', 100).socketId, undefined);
	});

	it('refuses a payload over the limit, saying how big it is', () => {
		assert.throws(() => serializePayload('x'.repeat(200), 100), { code: 'PAYLOAD_TOO_LARGE', message: /202 bytes, above the limit of 100/ });
	});

	it('refuses a payload that is not JSON', () => {
		assert.throws(() => serializePayload(10n, 100), { code: 'INVALID_PAYLOAD' });
	});

	it('refuses an invalid event name', () => {
		assert.throws(() => outgoingEvent('news', 'pusher:x', 1, undefined, 'row', 100), { code: 'INVALID_EVENT_NAME' });
	});
});

describe('user rows given to scripts and clients', () => {
	it('lose their password, tfa_secret, token and auth_data', () => {
		const user = { id: 'u1', email: 'a@example.com', password: '$argon2', tfa_secret: 's', token: 't', auth_data: { x: 1 } };
		assert.deepEqual(redactUser(user), { id: 'u1', email: 'a@example.com' });
	});
});
