import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertChannelName, assertEventName, assertSocketId, channelKind, channelType, isCache, userChannel } from '../../shared/src/pusher/names.js';

describe('Pusher name rules', () => {
	it('types a channel by its prefix', () => {
		assert.equal(channelType('private-encrypted-doc-1'), 'private-encrypted');
		assert.equal(channelType('private-chat-1'), 'private');
		assert.equal(channelType('presence-room-1'), 'presence');
		assert.equal(channelType('news'), 'public');
		assert.equal(channelType('Private-chat-1'), 'public');
	});

	it('gives Soketi\'s cache channels a kind of their own, authorized as the type without the cache', () => {
		const cases = [
			['cache-news', 'cache', 'public'],
			['private-cache-chat-1', 'private-cache', 'private'],
			['presence-cache-room-1', 'presence-cache', 'presence'],
			['private-encrypted-cache-doc-1', 'private-encrypted-cache', 'private-encrypted'],
			['private-encrypted-doc-1', 'private-encrypted', 'private-encrypted'],
			['private-chat-1', 'private', 'private'],
			['presence-room-1', 'presence', 'presence'],
			['news', 'public', 'public'],
			['private-cachex', 'private', 'private'],
			['cachenews', 'public', 'public'],
			['Cache-news', 'public', 'public'],
			['public-cache-x', 'public', 'public'],
		] as const;
		for (const [name, kind, type] of cases) {
			assert.equal(channelKind(name), kind, name);
			assert.equal(channelType(name), type, name);
		}
	});

	it('tells the cache kinds from the others', () => {
		assert.deepEqual(
			(['public', 'private', 'presence', 'private-encrypted', 'cache', 'private-cache', 'presence-cache', 'private-encrypted-cache'] as const).filter(isCache),
			['cache', 'private-cache', 'presence-cache', 'private-encrypted-cache'],
		);
	});

	it('accepts Pusher channel characters up to 164 long', () => {
		assert.doesNotThrow(() => assertChannelName('private-a_b-c=d@e,f.g;h'));
		assert.doesNotThrow(() => assertChannelName('x'.repeat(164)));
	});

	it('refuses empty, overlong and foreign channel names', () => {
		for (const bad of ['', 'x'.repeat(165), 'a b', 'a/b', 'ümlaut', '#server-to-user-1', 42, null]) {
			assert.throws(() => assertChannelName(bad), { code: 'INVALID_CHANNEL_NAME' }, String(bad));
		}
	});

	it('refuses empty, overlong and reserved event names', () => {
		assert.doesNotThrow(() => assertEventName('message.created'));
		for (const bad of ['', 'e'.repeat(201), 'pusher:subscribe', 'pusher_internal:x', undefined]) {
			assert.throws(() => assertEventName(bad), { code: 'INVALID_EVENT_NAME' }, String(bad));
		}
	});

	it('checks socket ids', () => {
		assert.doesNotThrow(() => assertSocketId('123.456'));
		for (const bad of ['123', '1.2.3', 'abc.def', '1.2\n', '', 123.456]) {
			assert.throws(() => assertSocketId(bad), { code: 'INVALID_SOCKET_ID' }, String(bad));
		}
	});

	it('names the channel of one user', () => {
		assert.equal(userChannel('u-1'), '#server-to-user-u-1');
		assert.equal(userChannel(7), '#server-to-user-7');
		assert.throws(() => userChannel(''), { code: 'INVALID_CHANNEL_NAME' });
		assert.throws(() => userChannel('a b'), { code: 'INVALID_CHANNEL_NAME' });
	});
});
