/**
 * The item-event publisher with real parts (registry, snapshot, pipeline, commit gate, pending
 * map): a script runner that calls trigger with the item stands in for the sandbox, and a
 * recording reader for the host's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelRegistry, type ChannelSource } from '../../shared/src/channels/registry.js';
import type { ChannelRow } from '../../shared/src/channels/row.js';
import type { OutgoingEvent } from '../../shared/src/delivery/queue.js';
import type { ItemReader, PrimaryKey } from '../../shared/src/items/types.js';
import { ItemsEventPublisher, type HostEventContext } from '../../shared/src/publisher/items-events.js';
import type { ScriptRunner } from '../../shared/src/scripts.js';
import { sleep } from '../harness/time.js';

function row(id: string, extra: Partial<ChannelRow> = {}): ChannelRow {
	return {
		id,
		enabled: true,
		sort: null,
		channel_name: `news-${id}`,
		collection: 'posts',
		fields: Object.freeze(['*']) as string[],
		authorizer: null,
		publisher: "trigger({}, 'changed', meta)",
		trigger_on_create: true,
		trigger_on_update: true,
		trigger_on_delete: true,
		client_events: false,
		authorize: 'script',
		presence_user_fields: [],
		event_names: { created: 'created', updated: 'updated', deleted: 'deleted' },
		...extra,
	};
}

/** Runs every publisher as `trigger({}, 'changed', meta)`. */
const runner: ScriptRunner = {
	async run({ context, effects }) {
		const apply = (effects!.trigger as (...args: unknown[]) => () => void)({}, 'changed', context!.meta);
		apply();
	},
};

const settle = () => sleep(20);

function setUp(rows: ChannelRow[], options: { mayDelete?: boolean } = {}) {
	const loads = { outside: 0, through: [] as unknown[] };
	const source: ChannelSource = {
		load: async () => (loads.outside++, rows),
		signature: async () => 'v1',
		through: (database) => ({ load: async () => (loads.through.push(database), rows), signature: async () => 'v1' }),
	};
	const registry = new ChannelRegistry(source, { checkIntervalMs: 60_000, warn: () => {} });
	const reads: Array<{ collection: string; keys: PrimaryKey[]; database: unknown }> = [];
	const table = new Map<string, Record<string, unknown>>([
		['1', { id: 1, title: 'one' }],
		['2', { id: 2, title: 'two' }],
	]);
	const sent: OutgoingEvent[] = [];
	const asked: string[] = [];
	const errors: string[] = [];
	const publisher = new ItemsEventPublisher({
		registry,
		scripts: runner,
		enqueue: (event) => sent.push(event),
		maxPayloadBytes: 10_000,
		encryption: false,
		envelope: false,
		log: { warn: () => {}, error: (m) => errors.push(m) },
		readerFor: (context): ItemReader => ({
			async read(collection, keys) {
				reads.push({ collection, keys, database: context.database });
				return new Map(keys.flatMap((k) => (table.has(String(k)) ? [[String(k), { ...table.get(String(k)) }]] : [])));
			},
		}),
		redact: (_context, _collection, item) => {
			asked.push('redact');
			const { secret: _secret, ...rest } = item;
			return rest;
		},
		mayDelete: async () => {
			asked.push('mayDelete');
			return options.mayDelete ?? true;
		},
		maxKeysPerEvent: 1000,
		pendingMaxBytes: 1024 * 1024,
	});
	const data = () => sent.map((e) => ({ channel: e.channel, meta: JSON.parse(e.data) }));
	return { publisher, registry, reads, table, sent, asked, errors, loads, data };
}

/** A knex-like transaction: `commit()` resolves its execution promise, `rollBack()` rejects it. */
function transaction() {
	let done: (ok: boolean) => void = () => {};
	const trx = {
		isTransaction: true,
		completed: false,
		executionPromise: new Promise((resolve, reject) => (done = (ok) => (ok ? resolve(undefined) : reject(new Error('rolled back'))))),
		isCompleted() {
			return this.completed;
		},
		async commit() {
			this.completed = true;
			done(true);
		},
		rollBack() {
			this.completed = true;
			done(false);
		},
		async transaction(work: (savepoint: unknown) => Promise<unknown>) {
			return work('savepoint');
		},
	};
	trx.executionPromise.catch(() => {});
	return trx;
}

const writer = { user: 'u1', socketId: '1.2' };
const context = (extra: HostEventContext = {}): HostEventContext => ({ schema: {}, ...extra });

describe('the item-event publisher', () => {
	it('publishes a create on the rows with a publisher, reading once per field set', async () => {
		const { publisher, reads, data } = setUp([row('a'), row('b'), row('c', { publisher: '  ' }), row('d', { trigger_on_create: false })]);
		publisher.created('posts', 1, writer, context({ database: 'the host connection' }));
		await settle();
		assert.deepEqual(reads, [{ collection: 'posts', keys: [1], database: undefined }], 'read once, after the write, not through its connection');
		assert.deepEqual(
			data().map((e) => e.channel),
			['news-a', 'news-b'],
		);
		assert.deepEqual(data()[0]!.meta, { payload: { id: 1, title: 'one' }, key: 1, keys: [1], changed: null, user: 'u1', socket_id: '1.2' });
	});

	it('reads nothing and redacts nothing when no row publishes the event', async () => {
		const { publisher, reads, asked, sent } = setUp([row('a', { trigger_on_update: false })]);
		publisher.updated('posts', [1], { title: 'x' }, writer, context());
		publisher.created('other', 1, writer, context());
		await settle();
		assert.deepEqual([reads.length, asked, sent.length], [0, [], 0]);
	});

	it('hands an update its delta without secrets', async () => {
		const { publisher, data } = setUp([row('a')]);
		publisher.updated('posts', [2], { title: 'two', secret: 's' }, writer, context());
		await settle();
		assert.deepEqual(data()[0]!.meta.changed, { title: 'two' });
	});

	it('never publishes rows of the channels table', async () => {
		const { publisher, reads, sent } = setUp([row('a', { collection: 'realtime_channels' })]);
		publisher.created('realtime_channels', 1, writer, context());
		await publisher.deleting('realtime_channels', [1], context());
		await settle();
		assert.deepEqual([reads.length, sent.length], [0, 0]);
	});

	it('reads a delete before it happens, after the writer may, and publishes it once done', async () => {
		const { publisher, reads, table, asked, data } = setUp([row('a')]);
		await publisher.deleting('posts', [1], context());
		assert.deepEqual(asked, ['mayDelete']);
		table.delete('1');
		publisher.deleted('posts', [1], writer);
		await settle();
		assert.equal(reads.length, 1);
		assert.deepEqual(data()[0]!.meta.payload, { id: 1, title: 'one' });
	});

	it('reads nothing for a delete the host refuses, and asks nothing when no row publishes deletes', async () => {
		const refused = setUp([row('a')], { mayDelete: false });
		await refused.publisher.deleting('posts', [1], context());
		refused.publisher.deleted('posts', [1], writer);
		const unpublished = setUp([row('a', { trigger_on_delete: false })]);
		await unpublished.publisher.deleting('posts', [1], context());
		await settle();
		assert.deepEqual([refused.reads.length, refused.sent.length, refused.asked], [0, 0, ['mayDelete']]);
		assert.deepEqual([unpublished.reads.length, unpublished.asked], [0, []]);
	});

	it('reads a batch update inside its transaction, once, right before the commit, and publishes after it', async () => {
		const { publisher, reads, data, loads } = setUp([row('a')]);
		const trx = transaction();
		const keysA = [1];
		const keysB = [2];
		publisher.updating(keysA, context({ database: trx }));
		publisher.updating(keysB, context({ database: trx }));
		publisher.updated('posts', keysA, { title: 'one' }, writer, context());
		publisher.updated('posts', keysB, { title: 'two' }, writer, context());
		await settle();
		assert.equal(reads.length, 0, 'nothing is read before the commit');
		await trx.commit();
		await settle();
		assert.deepEqual(reads, [{ collection: 'posts', keys: [1, 2], database: 'savepoint' }]);
		assert.deepEqual(loads.through, ['savepoint'], 'the rows, not at hand yet, are read through the transaction');
		assert.equal(loads.outside, 0);
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[1, 2],
		);
	});

	it('takes the rows at hand inside a transaction when they need no check', async () => {
		const { publisher, registry, loads } = setUp([row('a')]);
		await registry.snapshot();
		const trx = transaction();
		const keys = [1];
		publisher.updating(keys, context({ database: trx }));
		publisher.updated('posts', keys, null, writer, context());
		await trx.commit();
		await settle();
		assert.deepEqual([loads.outside, loads.through.length], [1, 0]);
	});

	it('publishes nothing of a rolled-back batch update', async () => {
		const { publisher, sent } = setUp([row('a')]);
		const trx = transaction();
		const keys = [1];
		publisher.updating(keys, context({ database: trx }));
		publisher.updated('posts', keys, null, writer, context());
		trx.rollBack();
		await settle();
		assert.equal(sent.length, 0);
	});
});

describe('default publishing (permission mode, no publisher)', () => {
	const byDefault = (id: string, channel_name: string, extra: Partial<ChannelRow> = {}) =>
		row(id, { channel_name, publisher: null, authorize: 'permissions', event_names: { created: 'added', updated: 'updated', deleted: 'deleted' }, ...extra });

	it('sends the item to the channel its fields name, under the row event name, leaving out the writer', async () => {
		const { publisher, sent } = setUp([byDefault('a', 'private-posts.:id'), byDefault('b', 'private-posts')]);
		publisher.created('posts', 1, writer, context());
		await settle();
		assert.deepEqual(
			sent.map((e) => [e.channel, e.name, JSON.parse(e.data), e.socketId]),
			[
				['private-posts.1', 'added', { id: 1, title: 'one' }, '1.2'],
				['private-posts', 'added', { id: 1, title: 'one' }, '1.2'],
			],
		);
	});

	it('does not publish rows in script mode without a publisher (as before this mode)', async () => {
		const { publisher, sent } = setUp([row('a', { publisher: null, channel_name: 'private-posts.:id' })]);
		publisher.created('posts', 1, writer, context());
		await settle();
		assert.deepEqual(sent, []);
	});

	it('refuses and logs a filled name another row decides, and an item without the parameter', async () => {
		const { publisher, table, sent, errors } = setUp([
			byDefault('a', 'private-posts.:title'),
			row('guard', { channel_name: 'private-posts.one', authorizer: 'return true', publisher: null, trigger_on_create: false }),
			byDefault('c', 'private-posts.owner.:owner'),
		]);
		table.set('1', { id: 1, title: 'one' });
		publisher.created('posts', 1, writer, context());
		await settle();
		assert.deepEqual(sent, []);
		assert.equal(errors.length, 2);
		assert.ok(errors.some((e) => /channel row a .*decided by channel row guard/.test(e)), errors.join('\n'));
		assert.ok(errors.some((e) => /channel row c .*parameter.*owner/.test(e)), errors.join('\n'));
	});
});
