import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { outgoingEvent, serializePayload, wireBytes, type PayloadLimit } from '../../shared/src/delivery/event.js';
import { ChannelEncryption, sealedBytes } from '../../shared/src/pusher/encryption.js';
import { ENVELOPE_MAX_BYTES, envelopeJson, newEpoch, newEventId } from '../../shared/src/history/envelope.js';
import { redactUser } from '../../shared/src/auth/redact.js';

const BARE: PayloadLimit = { maxBytes: 100, envelope: false };

describe('events ready to queue', () => {
	it('serializes the payload once, as JSON', () => {
		const { id, ...event } = outgoingEvent('news', 'created', { a: 1 }, undefined, 'row', BARE);
		assert.deepEqual(event, { channel: 'news', name: 'created', data: '{"a":1}', source: 'row' });
		assert.match(String(id), /^[A-Za-z0-9_-]{1,64}$/);
		assert.equal(serializePayload('text', BARE), '"text"');
		assert.equal(serializePayload(undefined, BARE), 'null');
	});

	it('gives each event its own id when it is accepted (kept through retries: see the queue)', () => {
		assert.notEqual(outgoingEvent('news', 'e', 1, undefined, 'row', BARE).id, outgoingEvent('news', 'e', 1, undefined, 'row', BARE).id);
	});

	it('keeps a socket id to exclude, and ignores what is not one', () => {
		assert.equal(outgoingEvent('news', 'e', 1, '123.456', 'row', BARE).socketId, '123.456');
		assert.equal(outgoingEvent('news', 'e', 1, null, 'row', BARE).socketId, undefined);
		assert.equal(outgoingEvent('news', 'e', 1, 'x', 'row', BARE).socketId, undefined);
	});

	it('refuses a payload over the limit, saying how big it is', () => {
		assert.throws(() => serializePayload('x'.repeat(200), BARE), { code: 'PAYLOAD_TOO_LARGE', message: /202 bytes, above the limit of 100/ });
	});

	it('counts the envelope against the limit, and the sealing on an encrypted channel: what passes fits as sent', () => {
		const limit: PayloadLimit = { maxBytes: 1024, envelope: true };
		const fits = 'x'.repeat(1024 - ENVELOPE_MAX_BYTES - 2);
		assert.ok(outgoingEvent('news', 'e', fits, undefined, 'row', limit));
		assert.throws(() => outgoingEvent('news', 'e', `${fits}x`, undefined, 'row', limit), {
			code: 'PAYLOAD_TOO_LARGE',
			message: new RegExp(`payload is ${1024 - ENVELOPE_MAX_BYTES + 1} bytes \\(up to 1025 as sent, in its envelope\\), above the limit of 1024`),
		});
		// Without the envelope the same payload is its own size; a user's channel carries none.
		assert.ok(outgoingEvent('news', 'e', `${fits}x`, undefined, 'row', { maxBytes: 1024, envelope: false }));
		assert.ok(outgoingEvent('#server-to-user-7', 'e', `${fits}x`, undefined, 'row', limit));
		// Sealed, a payload grows by a third: what fits a plain channel does not fit an encrypted one.
		assert.throws(() => outgoingEvent('private-encrypted-doc-1', 'e', fits, undefined, 'row', limit), { code: 'PAYLOAD_TOO_LARGE', message: /as sent, sealed, in its envelope/ });
	});

	it('bounds the data as sent from above, for any payload and channel (the envelope and the sealing measured)', () => {
		const encryption = new ChannelEncryption(randomBytes(32).toString('base64'));
		fc.assert(
			fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.string({ maxLength: 400, unit: 'binary' }), fc.string({ maxLength: 200, unit: 'grapheme' })), fc.boolean(), fc.constantFrom('news', 'private-chat-1', 'private-encrypted-doc-1'), (text, envelope, channel) => {
				const data = JSON.stringify(text);
				let sent = envelope ? envelopeJson(newEventId(), 2 ** 40, newEpoch(), data) : data;
				if (channel.startsWith('private-encrypted-')) sent = encryption.encrypt(channel, sent);
				assert.ok(Buffer.byteLength(sent) <= wireBytes(channel, Buffer.byteLength(data), envelope));
			}),
		);
	});

	it('knows the sealed size exactly', () => {
		const encryption = new ChannelEncryption(randomBytes(32).toString('base64'));
		for (let n = 0; n < 100; n++) assert.equal(encryption.encrypt('private-encrypted-x', 'y'.repeat(n)).length, sealedBytes(n), String(n));
	});

	it('refuses a payload that is not JSON', () => {
		assert.throws(() => serializePayload(10n, BARE), { code: 'INVALID_PAYLOAD' });
	});

	it('refuses an invalid event name', () => {
		assert.throws(() => outgoingEvent('news', 'pusher:x', 1, undefined, 'row', BARE), { code: 'INVALID_EVENT_NAME' });
	});
});

describe('user rows given to scripts and clients', () => {
	it('lose their password, tfa_secret, token and auth_data', () => {
		const user = { id: 'u1', email: 'a@example.com', password: '$argon2', tfa_secret: 's', token: 't', auth_data: { x: 1 } };
		assert.deepEqual(redactUser(user), { id: 'u1', email: 'a@example.com' });
	});
});
