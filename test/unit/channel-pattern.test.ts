import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelPattern } from '@directus-realtime/shared/channels/pattern';

describe('channel name patterns', () => {
	it('extracts a named parameter', () => {
		assert.deepEqual(channelPattern('private-chat-:userId').match('private-chat-cd6feea9-bcb2'), { userId: 'cd6feea9-bcb2' });
	});

	it('applies a parameter constraint', () => {
		const room = channelPattern('private-room-:roomId(\\d+)');
		assert.deepEqual(room.match('private-room-42'), { roomId: '42' });
		assert.equal(room.match('private-room-abc'), null);
	});

	it('matches case-sensitively and whole names only', () => {
		const chat = channelPattern('private-chat-:userId');
		assert.equal(chat.match('Private-chat-1'), null);
		assert.equal(chat.match('xprivate-chat-1'), null);
		assert.deepEqual(channelPattern('news').match('news'), {});
		assert.equal(channelPattern('news').match('news-2'), null);
	});

	it('lists its parameters', () => {
		assert.deepEqual(channelPattern('presence-:team-:room').params, ['team', 'room']);
	});

	it('fills parameters into a channel name', () => {
		assert.equal(channelPattern('private-chat-:userId').fill({ userId: 'u1' }), 'private-chat-u1');
		assert.equal(channelPattern('private-room-:roomId(\\d+)').fill({ roomId: 7 }), 'private-room-7');
		assert.equal(channelPattern('news').fill({}), 'news');
	});

	it('refuses parameters that break the constraint', () => {
		assert.throws(() => channelPattern('private-room-:roomId(\\d+)').fill({ roomId: 'x' }), { code: 'INVALID_CHANNEL_NAME' });
	});

	it('refuses missing or non-scalar parameters', () => {
		assert.throws(() => channelPattern('private-chat-:userId').fill({}), { code: 'INVALID_CHANNEL_NAME' });
		assert.throws(() => channelPattern('private-chat-:userId').fill({ userId: { id: 1 } }), { code: 'INVALID_CHANNEL_NAME' });
		assert.throws(() => channelPattern('private-chat-:userId').fill(null), { code: 'INVALID_CHANNEL_NAME' });
	});

	it('refuses a filled name with characters Pusher does not allow', () => {
		assert.throws(() => channelPattern('private-chat-:userId').fill({ userId: 'a b' }), { code: 'INVALID_CHANNEL_NAME' });
		assert.throws(() => channelPattern('private-chat-:userId').fill({ userId: 'x'.repeat(200) }), { code: 'INVALID_CHANNEL_NAME' });
	});

	it('refuses a pattern that does not parse, with the reason', () => {
		assert.throws(() => channelPattern('private-:'), { code: 'INVALID_PATTERN', message: /Missing parameter name/ });
		assert.throws(() => channelPattern('private-room-:id(\\d+'), { code: 'INVALID_PATTERN' });
		assert.throws(() => channelPattern(''), { code: 'INVALID_PATTERN' });
	});
});
