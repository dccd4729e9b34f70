import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelPattern } from '../../shared/src/channels/pattern.js';

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

	it('takes its type from the literal prefix; a leading parameter makes it public', () => {
		assert.equal(channelPattern('private-chat-:userId').type, 'private');
		assert.equal(channelPattern('private-encrypted-doc-:id').type, 'private-encrypted');
		assert.equal(channelPattern('presence-:team-:room').type, 'presence');
		assert.equal(channelPattern('news-:id').type, 'public');
		assert.equal(channelPattern(':name').type, 'public');
	});

	it('takes a cache kind from a cache prefix, and the type its names are authorized as', () => {
		const kinds = ['cache-news-:id', 'private-cache-chat-:id', 'presence-cache-:room', 'private-encrypted-cache-doc-:id', 'private-:x', 'private-cache:x'].map((p) => [channelPattern(p).kind, channelPattern(p).type]);
		assert.deepEqual(kinds, [
			['cache', 'public'],
			['private-cache', 'private'],
			['presence-cache', 'presence'],
			['private-encrypted-cache', 'private-encrypted'],
			['private', 'private'],
			['private', 'private'],
		]);
	});

	it('keeps cache names and plain names apart, both ways', () => {
		assert.equal(channelPattern('private-:x').match('private-cache-1'), null);
		assert.equal(channelPattern('private-cache-:x').match('private-1'), null);
		assert.deepEqual(channelPattern('private-cache-:x').match('private-cache-1'), { x: '1' });
		assert.equal(channelPattern(':x').match('cache-1'), null);
		assert.equal(channelPattern('cache-:x').match('news'), null);
		assert.deepEqual(channelPattern('cache-:x').match('cache-news'), { x: 'news' });
		assert.equal(channelPattern('presence-:x').match('presence-cache-1'), null);
		assert.equal(channelPattern('private-encrypted-:x').match('private-encrypted-cache-1'), null);
		assert.equal(channelPattern('private-encrypted-cache-:x').match('private-encrypted-1'), null);
		// A literal that stops short of the cache prefix can never reach a cache name.
		assert.equal(channelPattern('private-cache:x').match('private-cache-1'), null);
	});

	it('refuses item data that would fill a plain pattern into a cache name', () => {
		assert.throws(() => channelPattern('private-:x').fill({ x: 'cache-1' }), { code: 'CHANNEL_MISMATCH' });
		assert.throws(() => channelPattern(':x').fill({ x: 'cache-1' }), { code: 'CHANNEL_MISMATCH' });
		assert.equal(channelPattern('private-cache-:x').fill({ x: '1' }), 'private-cache-1');
	});

	it('matches only names of its own type', () => {
		assert.equal(channelPattern('private-:name').match('private-encrypted-doc'), null);
		assert.deepEqual(channelPattern('private-:name').match('private-lobby'), { name: 'lobby' });
		assert.equal(channelPattern(':name').match('private-lobby'), null);
		assert.deepEqual(channelPattern(':name').match('lobby'), { name: 'lobby' });
	});

	it('counts the literal characters of a pattern', () => {
		assert.equal(channelPattern('private-chat-:userId').literalLength, 13);
		assert.equal(channelPattern('private-chat-notification-:userId').literalLength, 26);
		assert.equal(channelPattern('news').literalLength, 4);
	});

	it('refuses parameters whose name does not match the pattern back with the same values', () => {
		// "encrypted-5" would turn a private name into a private-encrypted one.
		assert.throws(() => channelPattern('private-:name').fill({ name: 'encrypted-5' }), { code: 'CHANNEL_MISMATCH', message: /private-encrypted-5/ });
		// Greedy regexes on both sides of a dash: "y-z" in the second reads back partly in the first.
		const pair = channelPattern('private-:a([\\w-]+)-:b([\\w-]+)');
		assert.throws(() => pair.fill({ a: 'x', b: 'y-z' }), { code: 'CHANNEL_MISMATCH', message: /reads back as \{"a":"x-y","b":"z"\}/ });
		assert.equal(pair.fill({ a: 'x-y', b: 'z' }), 'private-x-y-z');
	});

	it('refuses parameter regexes that can backtrack catastrophically, naming the parameter', () => {
		const unsafe = [
			// Nested repetition (star height 2).
			['private-:id((?:a+)+)', 'id'],
			['private-:x((?:\\d*)*)', 'x'],
			['private-:x((?:a|b+)+)', 'x'],
			['private-:x((?:\\w+\\s?)+)', 'x'],
			['private-:x((?:[a-z]+-?)+)', 'x'],
			// Overlapping alternatives inside one repetition: no nesting, still exponential.
			['private-:x((?:a|a)*)', 'x'],
			['private-:x((?:\\d|\\d\\d)+)', 'x'],
			['private-:x((?:[a-c]|b)*d)', 'x'],
			// A repeated parameter whose alternatives overlap: the repetition comes from the modifier.
			['private.:x(a|a)+', 'x'],
		] as const;
		for (const [source, param] of unsafe) {
			assert.throws(() => channelPattern(source), { code: 'INVALID_PATTERN', message: new RegExp(`parameter "${param}" .*backtrack catastrophically`) }, source);
		}
		// path-to-regexp 6 refuses capturing groups inside a parameter regex outright.
		for (const source of ['private-:id((a+)+)', 'private-:x((a|a)*)']) assert.throws(() => channelPattern(source), { code: 'INVALID_PATTERN' }, source);
	});

	it('quotes the parameter as the admin wrote it', () => {
		assert.throws(() => channelPattern('private-q-:x((?:a|a)*)'), { message: /, :x\(\(\?:a\|a\)\*\), can backtrack/ });
		// A repeated parameter without a regex is too complex to analyse; a class makes it pass.
		assert.throws(() => channelPattern('private.:id+'), { code: 'INVALID_PATTERN', message: /, :id\+, can backtrack catastrophically/ });
		assert.doesNotThrow(() => channelPattern('private.:id([a-z0-9]+)+'));
	});

	it('refuses a pattern longer than a channel name may be, as on save, before any analysis', () => {
		const long = `private-${Array.from({ length: 40 }, (_, i) => `:p${i}([a-z]+)`).join('-')}`;
		assert.throws(() => channelPattern(long), { code: 'INVALID_PATTERN', message: /longer than 164 characters/ });
		assert.doesNotThrow(() => channelPattern(`private-${'x'.repeat(150)}-:id`));
	});

	it('refuses the same unsafe pattern again from the cache, without a second analysis', () => {
		let first: unknown;
		try {
			channelPattern('private-cached-:x((?:a|a)*)');
		} catch (error) {
			first = error;
		}
		assert.ok(first instanceof Error);
		assert.throws(() => channelPattern('private-cached-:x((?:a|a)*)'), (error) => error === first);
	});

	it('accepts the usual parameter regexes, including unambiguous repetitions', () => {
		for (const source of [
			'private-room-:roomId(\\d+)',
			'private-:id([0-9a-f-]{36})',
			'presence-:team([a-z]+)-:room',
			'private-:a(\\d+)-:b(\\w+)',
			'private-:x([a-z0-9]+)',
			'private-:x([^-]+)',
			'private-:x((?:ab)+)',
			// Refused by a star-height check, but each repetition starts where the last ended.
			'private-:ids((?:\\d+-)+)',
			'private-:x((?:a|ab)*c)',
			'private-:x([a-z0-9]+(?:-[a-z0-9]+)*)',
			'private.:ids(\\d+)+',
		]) {
			assert.doesNotThrow(() => channelPattern(source), source);
		}
	});

	it('accepts the seed\'s patterns and parameters side by side (bounded by the 164-character name)', () => {
		for (const source of [
			'private-chat-:userId',
			'presence-chat-:userId',
			'private-chat-notification-:userId',
			'private-room-:roomId(\\d+)',
			'presence-:team-:room',
			'private-:a-:b-:c-:d-:e-end',
			// Two greedy digit runs side by side are quadratic in the name, which is at most 164 characters.
			'private-:a(\\d+):b(\\d+)',
			'private-:a([\\w-]+)-:b([\\w-]+)',
		]) {
			assert.doesNotThrow(() => channelPattern(source), source);
		}
		assert.deepEqual(channelPattern('presence-:team-:room').match('presence-red-7'), { team: 'red', room: '7' });
	});
});
