import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOUNCED_CHECK_GAP_MS, ChannelRegistry, type ChannelPeers, type ChannelSource } from '../../shared/src/channels/registry.js';
import { channelPattern } from '../../shared/src/channels/pattern.js';
import type { ChannelRow } from '../../shared/src/channels/row.js';
import { sleep } from '../harness/time.js';

function row(id: string, channel_name: string, extra: Partial<ChannelRow> = {}): ChannelRow {
	return {
		id,
		enabled: true,
		sort: null,
		channel_name,
		collection: 'chat',
		fields: ['*'],
		authorizer: 'return true',
		publisher: '',
		trigger_on_create: true,
		trigger_on_update: true,
		trigger_on_delete: false,
		client_events: false,
		authorize: 'script',
		presence_user_fields: [],
		event_names: { created: 'created', updated: 'updated', deleted: 'deleted' },
		...extra,
	};
}

function source(rows: ChannelRow[]) {
	const state = { rows, version: 1, loads: 0, checks: 0 };
	const src: ChannelSource = {
		load: async () => {
			state.loads++;
			return state.rows;
		},
		signature: async () => {
			state.checks++;
			return String(state.version);
		},
	};
	return { state, src };
}

const warnings: string[] = [];
const options = { checkIntervalMs: 0, warn: (m: string) => warnings.push(m) };

describe('the channel registry', () => {
	it('finds the rows of a collection that publish on an action', async () => {
		const { src } = source([row('a', 'private-chat-:userId'), row('b', 'news', { collection: 'posts' })]);
		const registry = new ChannelRegistry(src, options);
		assert.deepEqual((await registry.forEvent('chat', 'create')).map((c) => c.row.id), ['a']);
		assert.deepEqual(await registry.forEvent('chat', 'delete'), []);
		assert.deepEqual(await registry.forEvent('other', 'create'), []);
	});

	it('matches a channel name and returns its parameters', async () => {
		const { src } = source([row('a', 'private-chat-:userId')]);
		const match = await new ChannelRegistry(src, options).match('private-chat-u1');
		assert.equal(match?.channel.row.id, 'a');
		assert.equal(match?.channel.type, 'private');
		assert.deepEqual(match?.params, { userId: 'u1' });
	});

	const ids = (matches: Iterable<{ channel: { row: ChannelRow } }>) => [...matches].map((m) => m.channel.row.id);
	const snapshotOf = (rows: ChannelRow[]) => new ChannelRegistry(source(rows).src, options).snapshot();

	it('lets the seed README rows live side by side: the most specific pattern decides first', async () => {
		const snapshot = await snapshotOf([row('chat', 'private-chat-:userId'), row('notification', 'private-chat-notification-:userId')]);
		assert.equal(snapshot.match('private-chat-notification-u1')?.channel.row.id, 'notification');
		assert.deepEqual(snapshot.match('private-chat-notification-u1')?.params, { userId: 'u1' });
		assert.equal(snapshot.match('private-chat-u1')?.channel.row.id, 'chat');
		assert.deepEqual(ids(snapshot.matches('private-chat-notification-u1')), ['notification', 'chat']);
	});

	it('orders by literal characters, then fewer parameters, then channel_name, then id', async () => {
		const snapshot = await snapshotOf([
			row('two-params', 'private-:a-:b'),
			row('lobby', 'private-:name'),
			row('literal', 'private-x-y'),
			row('one-param', 'private-x-:b'),
			row('constrained', 'private-:a(x)-y'),
			row('fewer', 'private-x:c'),
		]);
		// Literal characters: 11, 10, 10, 9, 9, 8.
		assert.deepEqual(ids(snapshot.matches('private-x-y')), ['literal', 'constrained', 'one-param', 'fewer', 'two-params', 'lobby']);
	});

	it('never lets a row of one type answer for a name of another', async () => {
		const snapshot = await snapshotOf([row('lobby', 'private-:name'), row('public', ':name'), row('doc', 'private-encrypted-doc-:id')]);
		assert.deepEqual(ids(snapshot.matches('private-encrypted-doc-1')), ['doc']);
		assert.deepEqual(ids(snapshot.matches('private-encrypted-other')), []);
		assert.deepEqual(ids(snapshot.matches('presence-x')), []);
		assert.deepEqual(ids(snapshot.matches('private-x')), ['lobby']);
		assert.deepEqual(ids(snapshot.matches('news')), ['public']);
	});

	it('lets a row and its cache twin each answer only for their own kind', async () => {
		const snapshot = await snapshotOf([
			row('plain', 'private-:x'),
			row('cached', 'private-cache-:x'),
			row('public', ':x'),
			row('public-cached', 'cache-:x'),
			row('presence-cached', 'presence-cache-:x'),
			row('sealed-cached', 'private-encrypted-cache-:x'),
		]);
		assert.deepEqual(ids(snapshot.matches('private-cache-1')), ['cached']);
		assert.deepEqual(ids(snapshot.matches('private-1')), ['plain']);
		assert.deepEqual(ids(snapshot.matches('cache-1')), ['public-cached']);
		assert.deepEqual(ids(snapshot.matches('news')), ['public']);
		assert.deepEqual(ids(snapshot.matches('presence-cache-1')), ['presence-cached']);
		assert.deepEqual(ids(snapshot.matches('presence-1')), []);
		assert.deepEqual(ids(snapshot.matches('private-encrypted-cache-1')), ['sealed-cached']);
		assert.deepEqual(ids(snapshot.matches('private-encrypted-1')), []);
	});

	it('does not let item data steer a plain row\'s fill into its cache twin\'s channel', async () => {
		const snapshot = await snapshotOf([row('plain', 'private-:x'), row('cached', 'private-cache-:x')]);
		assert.throws(() => snapshot.fill(channelPattern('private-:x'), { x: 'cache-1' }), { code: 'CHANNEL_MISMATCH' });
		assert.equal(snapshot.fill(channelPattern('private-cache-:x'), { x: '1' }), 'private-cache-1');
	});

	it('puts rows with a sort first, lowest first, ahead of specificity', async () => {
		const snapshot = await snapshotOf([
			row('literal', 'private-lobby'),
			row('pattern', 'private-:anything'),
			row('late', 'private-lo:rest', { sort: 5 }),
			row('sorted', 'private-:name', { sort: 1 }),
		]);
		assert.deepEqual(ids(snapshot.matches('private-lobby')), ['sorted', 'late', 'literal', 'pattern']);
	});

	it('breaks a tie on id, whatever order the database returned the rows in', async () => {
		const a = row('a', 'private-:x');
		const b = row('b', 'private-:x');
		assert.deepEqual(ids((await snapshotOf([b, a])).matches('private-1')), ['a', 'b']);
		assert.deepEqual(ids((await snapshotOf([a, b])).matches('private-1')), ['a', 'b']);
	});

	it('fills a row\'s own pattern only when that row decides for the name', async () => {
		const snapshot = await snapshotOf([row('chat', 'private-chat-:userId'), row('notification', 'private-chat-notification-:userId')]);
		const chat = snapshot.match('private-chat-1')!.channel;
		assert.equal(snapshot.fill(chat.pattern, { userId: '5' }), 'private-chat-5');
		assert.throws(() => snapshot.fill(chat.pattern, { userId: 'notification-5' }), {
			code: 'CHANNEL_MISMATCH',
			message: /private-chat-notification-5.*channel row notification .*channel row chat/,
		});
		// The same pattern with its parameter renamed is still the chat row's.
		const renamed = channelPattern('private-chat-:id');
		assert.equal(snapshot.fill(renamed, { id: '5' }), 'private-chat-5');
		assert.throws(() => snapshot.fill(renamed, { id: 'notification-5' }), { code: 'CHANNEL_MISMATCH', message: /channel row notification/ });
		// broadcastTo with a pattern that is no row's: only the round trip applies.
		const pair = channelPattern('private-pair-:a([\\w-]+)-:b([\\w-]+)');
		assert.equal(snapshot.fill(pair, { a: 'x', b: 'y' }), 'private-pair-x-y');
		assert.throws(() => snapshot.fill(pair, { a: 'x', b: 'y-z' }), { code: 'CHANNEL_MISMATCH' });
	});

	it('gives broadcastTo() a row\'s own pattern, regex and all, but only plain patterns that are no row\'s', async () => {
		const snapshot = await snapshotOf([row('room', 'private-room-:roomId(\\d+)')]);
		assert.equal(snapshot.broadcastPattern('private-room-:roomId(\\d+)'), snapshot.match('private-room-1')!.channel.pattern);
		assert.equal(snapshot.broadcastPattern('presence-:team-:room').fill({ team: 'red', room: 'lobby' }), 'presence-red-lobby');
		// Built at run time, maybe from item data: no regex for the server to analyse, safe or not.
		for (const text of ['private-x-:id((?:a|a)*)', 'private-x-:id(\\d+)', 'private-:id+', 'private-:id?', 'news-{x}', 42]) {
			assert.throws(() => snapshot.broadcastPattern(text as string), { code: 'INVALID_PATTERN', message: /plain :name parameters/ }, String(text));
		}
	});

	it('skips a row whose parameter regex can backtrack catastrophically, and warns', async () => {
		warnings.length = 0;
		const snapshot = await snapshotOf([row('unsafe', 'private-:id((?:a+)+)'), row('overlap', 'private-x-:id((?:a|a)*)'), row('lobby', 'private-:name')]);
		assert.deepEqual(ids(snapshot.matches('private-aaaa')), ['lobby']);
		assert.deepEqual(ids(snapshot.matches('private-x-aaaa')), ['lobby']);
		assert.equal(warnings.length, 2);
		assert.match(warnings[0]!, /channel row unsafe .* is skipped: .*backtrack catastrophically/);
		assert.match(warnings[1]!, /channel row overlap .* is skipped: .*backtrack catastrophically/);
	});

	it('skips a row whose pattern does not parse and warns once', async () => {
		warnings.length = 0;
		const { src } = source([row('bad', 'private-:'), row('good', 'news')]);
		const registry = new ChannelRegistry(src, options);
		assert.equal((await registry.match('news'))?.channel.row.id, 'good');
		registry.invalidate();
		await registry.match('news');
		assert.equal(warnings.length, 1);
		assert.match(warnings[0]!, /channel row bad \(private-:\) is skipped/);
	});

	it('hands out its rows without a query only while they need no check', async () => {
		const { state, src } = source([row('chat', 'private-chat-:userId')]);
		const registry = new ChannelRegistry(src, { checkIntervalMs: 60_000, warn: () => {} });
		assert.equal(registry.peek(), undefined);
		const loaded = await registry.snapshot();
		assert.equal(registry.peek(), loaded);
		assert.equal(state.loads, 1);
		registry.invalidate();
		assert.equal(registry.peek(), undefined);
		// Due for a check at every use: never at hand.
		const checking = new ChannelRegistry(src, options);
		await checking.snapshot();
		assert.equal(checking.peek(), undefined);
	});

	it('names the rows last loaded, also when due for a check, until invalidated', async () => {
		const { state, src } = source([row('chat', 'private-chat-:userId')]);
		const registry = new ChannelRegistry(src, options);
		assert.equal(registry.latest(), undefined);
		const loaded = await registry.snapshot();
		// Due for a check at every use: not at hand for a decision, but still the rows last loaded.
		assert.equal(registry.peek(), undefined);
		assert.equal(registry.latest(), loaded);
		assert.equal(state.loads, 1);
		registry.invalidate();
		assert.equal(registry.latest(), undefined);
	});

	it('keeps rows until invalidated', async () => {
		const { state, src } = source([row('a', 'news')]);
		const registry = new ChannelRegistry(src, { ...options, checkIntervalMs: 60_000 });
		await registry.match('news');
		state.rows = [];
		assert.ok(await registry.match('news'));
		registry.invalidate();
		assert.equal(await registry.match('news'), null);
	});

	it('reloads when the signature changes (a change made on another instance)', async () => {
		const { state, src } = source([row('a', 'news')]);
		const registry = new ChannelRegistry(src, options);
		await registry.match('news');
		state.rows = [];
		state.version++;
		assert.equal(await registry.match('news'), null);
		assert.equal(state.loads, 2);
	});

	it('shares a check under way: a later caller never gets rows before an earlier one waiting on the check', async () => {
		let release: () => void = () => {};
		let slow = false;
		const registry = new ChannelRegistry(
			{
				load: async () => [row('a', 'news')],
				signature: () => (slow ? new Promise<string>((resolve) => (release = () => resolve('1'))) : Promise.resolve('1')),
			},
			{ checkIntervalMs: 50, warn: () => {} },
		);
		await registry.snapshot();
		await sleep(60);
		slow = true;
		const order: string[] = [];
		const first = registry.snapshot().then(() => order.push('first'));
		const second = registry.snapshot().then(() => order.push('second'));
		await sleep(10);
		assert.deepEqual(order, [], 'no caller may go ahead while the check runs');
		release();
		await Promise.all([first, second]);
		assert.deepEqual(order, ['first', 'second']);
	});

	it('does not cache a failed check', async () => {
		let fail = false;
		const registry = new ChannelRegistry(
			{
				load: async () => [row('a', 'news')],
				signature: async () => {
					if (fail) throw new Error('db down');
					return '1';
				},
			},
			{ checkIntervalMs: 0, warn: () => {} },
		);
		await registry.snapshot();
		fail = true;
		await assert.rejects(registry.snapshot(), /db down/);
		fail = false;
		assert.ok(await registry.match('news'));
	});

	it('does not cache a failed load', async () => {
		let fail = true;
		const registry = new ChannelRegistry(
			{
				load: async () => {
					if (fail) throw new Error('db down');
					return [row('a', 'news')];
				},
				signature: async () => '1',
			},
			options,
		);
		await assert.rejects(registry.match('news'), /db down/);
		fail = false;
		assert.ok(await registry.match('news'));
	});

	describe('with peers (row changes announced by other instances)', () => {
		const HOUR = { checkIntervalMs: 3_600_000, warn: () => {} };
		function peers() {
			const heard: Array<() => void> = [];
			let announced = 0;
			const p: ChannelPeers = {
				announce: () => announced++,
				listen: (h) => heard.push(h),
			};
			return { p, hear: () => heard.forEach((h) => h()), announced: () => announced };
		}

		it('checks at once after an announcement, however long the interval, and reloads what changed', async () => {
			const { state, src } = source([row('a', 'news')]);
			const registry = new ChannelRegistry(src, HOUR);
			const bus = peers();
			registry.connect(bus.p);
			assert.ok(await registry.match('news'));
			state.rows = [];
			state.version++;
			// Not announced: the hour-long interval keeps the rows.
			assert.ok(await registry.match('news'));
			await sleep(ANNOUNCED_CHECK_GAP_MS + 5);
			bus.hear();
			assert.equal(registry.peek(), undefined, 'an announced change is not at hand without a check');
			assert.equal(await registry.match('news'), null);
			assert.equal(state.loads, 2);
		});

		it('does not reload on an announcement when the rows are the same (a forged or repeated one)', async () => {
			const { state, src } = source([row('a', 'news')]);
			const registry = new ChannelRegistry(src, HOUR);
			const bus = peers();
			registry.connect(bus.p);
			await registry.match('news');
			await sleep(ANNOUNCED_CHECK_GAP_MS + 5);
			bus.hear();
			assert.ok(await registry.match('news'));
			assert.equal(state.loads, 1);
			assert.equal(state.checks, 2, 'one check for the load, one for the announcement');
		});

		it('checks at most once per ANNOUNCED_CHECK_GAP_MS under a flood of announcements', async () => {
			const { state, src } = source([row('a', 'news')]);
			const registry = new ChannelRegistry(src, HOUR);
			const bus = peers();
			registry.connect(bus.p);
			await registry.match('news');
			const started = Date.now();
			for (let i = 0; i < 2000; i++) {
				bus.hear();
				await registry.match('news');
				if (i % 100 === 0) await sleep(5);
			}
			const elapsed = Date.now() - started;
			assert.ok(state.checks - 1 <= Math.ceil(elapsed / ANNOUNCED_CHECK_GAP_MS) + 1, `${state.checks - 1} checks in ${elapsed} ms`);
			assert.equal(state.loads, 1);
		});

		it('announces a committed change of its own, and forgets its rows', async () => {
			const { state, src } = source([row('a', 'news')]);
			const registry = new ChannelRegistry(src, HOUR);
			const bus = peers();
			registry.connect(bus.p);
			await registry.match('news');
			state.rows = [];
			registry.changed();
			assert.equal(bus.announced(), 1);
			assert.equal(await registry.match('news'), null);
			// Joins once: a second connect (a second entry of the bundle) is ignored.
			const other = peers();
			registry.connect(other.p);
			registry.changed();
			assert.equal(other.announced(), 0);
			assert.equal(bus.announced(), 2);
		});

		it('changes without peers (no Redis) only forget the rows', async () => {
			const { state, src } = source([row('a', 'news')]);
			const registry = new ChannelRegistry(src, HOUR);
			await registry.match('news');
			state.rows = [];
			registry.changed();
			assert.equal(await registry.match('news'), null);
		});
	});
});
