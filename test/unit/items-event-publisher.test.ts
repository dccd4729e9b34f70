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
import { pollUntil, sleep } from '../harness/time.js';

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

function setUp(rows: ChannelRow[], options: { mayDelete?: boolean; scripts?: ScriptRunner; orderHoldMs?: number; source?: ChannelSource; checkIntervalMs?: number } = {}) {
	const loads = { outside: 0, through: [] as unknown[] };
	const source: ChannelSource = options.source ?? {
		load: async () => (loads.outside++, rows),
		signature: async () => 'v1',
		through: (database) => ({ load: async () => (loads.through.push(database), rows), signature: async () => 'v1' }),
	};
	const registry = new ChannelRegistry(source, { checkIntervalMs: options.checkIntervalMs ?? 60_000, warn: () => {} });
	const reads: Array<{ collection: string; keys: PrimaryKey[]; database: unknown }> = [];
	const table = new Map<string, Record<string, unknown>>([
		['1', { id: 1, title: 'one' }],
		['2', { id: 2, title: 'two' }],
	]);
	const sent: OutgoingEvent[] = [];
	const asked: string[] = [];
	const errors: string[] = [];
	const warnings: string[] = [];
	const publisher = new ItemsEventPublisher({
		registry,
		scripts: options.scripts ?? runner,
		enqueue: (event) => sent.push(event),
		maxPayloadBytes: 10_000,
		encryption: false,
		envelope: false,
		log: { warn: (m) => warnings.push(m), error: (m) => errors.push(m) },
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
		orderHoldMs: options.orderHoldMs ?? 60_000,
		orderMaxWaiting: 10_000,
	});
	const data = () => sent.map((e) => ({ channel: e.channel, meta: JSON.parse(e.data) }));
	return { publisher, registry, reads, table, sent, asked, errors, warnings, loads, data };
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

describe('the order of published events', () => {
	/** Runs every publisher as `trigger`, after `delayOf(key)` ms, or throws for `failing`. */
	const slowFor = (delayOf: (key: unknown) => number, failing?: unknown): ScriptRunner => ({
		async run({ context, effects }) {
			const meta = context!.meta as { key: unknown };
			await sleep(delayOf(meta.key));
			if (meta.key === failing) throw new Error('the script failed');
			(effects!.trigger as (...args: unknown[]) => () => void)({}, 'changed', meta)();
		},
	});
	const third = { id: 3, title: 'three' };

	it('sends the events of writes in the order of the writes, also when an earlier publisher runs longer', async () => {
		const { publisher, table, data } = setUp([row('a')], { scripts: slowFor((key) => (key === 1 ? 40 : 0)) });
		table.set('3', third);
		publisher.created('posts', 1, writer, context());
		publisher.updated('posts', [2], { title: 'two' }, writer, context());
		publisher.created('posts', 3, writer, context());
		await pollUntil(data, (d) => d.length === 3, { intervalMs: 5 });
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[1, 2, 3],
		);
	});

	it('does not hold later events back for one whose publishing failed', async () => {
		const { publisher, data, errors } = setUp([row('a')], { scripts: slowFor((key) => (key === 1 ? 20 : 0), 1) });
		publisher.created('posts', 1, writer, context());
		publisher.created('posts', 2, writer, context());
		await pollUntil(data, (d) => d.length === 1, { intervalMs: 5 });
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[2],
		);
		assert.match(errors.join('\n'), /publisher of channel row a .* failed on create of posts 1: the script failed/);
	});

	it('orders a batch update by its commit, not by its action inside the transaction', async () => {
		const { publisher, registry, data } = setUp([row('a')]);
		await registry.snapshot();
		const trx = transaction();
		const keys = [1];
		publisher.updating(keys, context({ database: trx }));
		publisher.updated('posts', keys, null, writer, context());
		// A write that committed before the batch did.
		publisher.created('posts', 2, writer, context());
		await settle();
		await trx.commit();
		await pollUntil(data, (d) => d.length === 2, { intervalMs: 5 });
		assert.deepEqual(
			data().map((e) => [e.meta.key, e.meta.payload.id]),
			[
				[2, 2],
				[1, 1],
			],
		);
	});

	it('skips a write no row publishes only while the rows need no check: during a check, later writes wait for its rows too', async () => {
		// Another instance adds a row that publishes posts; this one learns it at its next check, which takes a while.
		let rows = [row('other', { collection: 'other' })];
		let signature = 'v1';
		let release: () => void = () => {};
		let gate: Promise<void> | undefined;
		const source: ChannelSource = {
			load: async () => rows,
			signature: async () => {
				await gate;
				return signature;
			},
		};
		const { publisher, registry, data, table } = setUp([], { source, checkIntervalMs: 30 });
		table.set('3', third);
		await registry.snapshot();
		publisher.created('posts', 1, writer, context());
		assert.equal(registry.peek()?.publishingFor('posts', 'create').length, 0, 'at hand: nothing publishes posts, the write is skipped');
		rows = [row('a')];
		signature = 'v2';
		gate = new Promise((resolve) => (release = resolve));
		await sleep(40);
		publisher.created('posts', 1, writer, context());
		publisher.updated('posts', [2], { title: 'two' }, writer, context());
		publisher.created('posts', 3, writer, context());
		release();
		await pollUntil(data, (d) => d.length === 3, { timeoutMs: 2000, intervalMs: 5 });
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[1, 2, 3],
			'the writes made while the check ran took its rows, as the first did',
		);
	});

	it('keeps the place of an update reported after its transactions ended: the order of the actions', async () => {
		const { publisher, registry, data } = setUp([row('a')]);
		await registry.snapshot();
		const trx = transaction();
		const keys = [1];
		publisher.updating(keys, context({ database: trx }));
		await trx.commit();
		// Directus emits a nested write's actions after its transaction, one after another.
		publisher.updated('posts', keys, { title: 'one' }, writer, context());
		publisher.created('posts', 2, writer, context());
		await pollUntil(data, (d) => d.length === 2, { intervalMs: 5 });
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[1, 2],
		);
	});

	it('publishes nothing of an update reported after its transaction rolled back, and holds nothing back for it', async () => {
		const { publisher, registry, data } = setUp([row('a')]);
		await registry.snapshot();
		const trx = transaction();
		const keys = [1];
		publisher.updating(keys, context({ database: trx }));
		trx.rollBack();
		publisher.updated('posts', keys, { title: 'one' }, writer, context());
		publisher.created('posts', 2, writer, context());
		await pollUntil(data, (d) => d.length === 1, { intervalMs: 5 });
		await settle();
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[2],
		);
	});

	it('gives back the place of every write that publishes nothing: failing scripts, rollbacks, a failing registry, a delete', async () => {
		let registryFails = false;
		const failing: ScriptRunner = {
			async run({ context, effects }) {
				if ((context!.meta as { key: unknown }).key !== 2) throw new Error('boom');
				(effects!.trigger as (...args: unknown[]) => () => void)({}, 'changed', context!.meta)();
			},
		};
		const rows = [row('a')];
		const source: ChannelSource = {
			load: async () => {
				if (registryFails) throw new Error('db down');
				return rows;
			},
			signature: async () => (registryFails ? Promise.reject(new Error('db down')) : 'v1'),
		};
		const { publisher, registry, data, errors } = setUp(rows, { scripts: failing, source, checkIntervalMs: 1 });
		await registry.snapshot();
		publisher.created('posts', 1, writer, context());
		publisher.updated('posts', [1], { title: 'x' }, writer, context());
		const rolled = transaction();
		const keys = [1];
		publisher.updating(keys, context({ database: rolled }));
		publisher.updated('posts', keys, null, writer, context());
		rolled.rollBack();
		await publisher.deleting('posts', [1], context());
		publisher.deleted('posts', [1], writer);
		await settle();
		registryFails = true;
		publisher.created('posts', 1, writer, context());
		await settle();
		registryFails = false;
		// A later write whose script runs through is held back by none of them (orderHoldMs is 60 s).
		publisher.created('posts', 2, writer, context());
		await pollUntil(data, (d) => d.length === 1, { intervalMs: 5, timeoutMs: 2000 });
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[2],
		);
		assert.match(errors.join('\n'), /db down/);
	});

	it('lets the events of a later write out once an earlier one held them for orderHoldMs, with a warning', async () => {
		const { publisher, data, warnings } = setUp([row('a')], { scripts: slowFor((key) => (key === 1 ? 300 : 0)), orderHoldMs: 30 });
		publisher.created('posts', 1, writer, context());
		publisher.created('posts', 2, writer, context());
		await pollUntil(data, (d) => d.length === 2, { intervalMs: 5 });
		assert.deepEqual(
			data().map((e) => e.meta.key),
			[2, 1],
		);
		assert.match(warnings.join('\n'), /publishing the create of posts 1 is not done after 30 ms/);
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
