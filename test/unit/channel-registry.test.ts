import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelRegistry, type ChannelSource } from '@directus-realtime/shared/channels/registry';
import type { ChannelRow } from '@directus-realtime/shared/channels/row';

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
		...extra,
	};
}

function source(rows: ChannelRow[]) {
	const state = { rows, version: 1, loads: 0 };
	const src: ChannelSource = {
		load: async () => {
			state.loads++;
			return state.rows;
		},
		signature: async () => String(state.version),
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

	it('prefers the lowest sort, then literal names, then alphabetical order', async () => {
		const { src } = source([
			row('pattern', 'private-:anything'),
			row('literal', 'private-lobby'),
			row('sorted', 'private-:name', { sort: 1 }),
		]);
		const registry = new ChannelRegistry(src, options);
		assert.equal((await registry.match('private-lobby'))?.channel.row.id, 'sorted');
		const { src: unsorted } = source([row('pattern', 'private-:anything'), row('literal', 'private-lobby')]);
		assert.equal((await new ChannelRegistry(unsorted, options).match('private-lobby'))?.channel.row.id, 'literal');
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
});
