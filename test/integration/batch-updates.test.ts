/**
 * A batch update (PATCH /items/<collection> with an array) writes all its items in one
 * transaction. Its events must carry the values *it* committed, also when another batch of the
 * same keys runs at the same time, and a batch that rolls back publishes nothing.
 * Run with DB=postgres and DB=mysql too: their transactions run side by side, SQLite's queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';

interface Updated {
	id: number;
	value: string;
}

describe('concurrent batch updates of the same keys', () => {
	let stack: Stack;
	let client: PusherClient;
	let updated: EventLog<Updated>;
	let keys: number[];

	before(async () => {
		// Every channel lookup asks the database whether rows changed: inside a batch's transaction
		// that must not wait for a second connection (SQLite has one).
		stack = await startStack({ directus: { env: { RT_CHANNELS_CHECK_INTERVAL: '0' } } });
		const d = stack.directus;
		await createCollection(d, 'race', [
			{ field: 'value', type: 'string' },
			{ field: 'label', type: 'string', schema: { is_nullable: false, default_value: 'x' } },
		]);
		await createChannel(d, {
			channel_name: 'race',
			collection: 'race',
			fields: ['id', 'value'],
			trigger_on_create: false,
			publisher: 'trigger({}, "updated", { id: meta.key, value: meta.payload.value });',
		});
		const created = await createItem<Array<{ id: number }>>(d, 'race', Array.from({ length: 10 }, () => ({ value: 'old' })));
		keys = created.map((item) => item.id);
		client = await connectClient(stack.soketi);
		updated = new EventLog<Updated>(await subscribe(client, 'race'), 'updated');
	});

	after(async () => {
		disconnectAll(client);
		await stack?.stop();
	});

	const batch = (value: string) => stack.directus.request('PATCH', '/items/race', keys.map((id) => ({ id, value })));

	for (const round of [1, 2, 3]) {
		it(`each of two concurrent batches publishes its own committed values (round ${round})`, async () => {
			const before = updated.events.length;
			const [a, b] = await Promise.all([batch(`a${round}`), batch(`b${round}`)]);
			assert.equal(a.status, 200, a.text);
			assert.equal(b.status, 200, b.text);
			await updated.waitFor(before + 2 * keys.length, 20_000);
			const events = updated.events.slice(before);
			for (const id of keys) {
				const values = events.filter((e) => Number(e.id) === id).map((e) => e.value).sort();
				assert.deepEqual(values, [`a${round}`, `b${round}`], `events of item ${id}: ${JSON.stringify(events)}`);
			}
		});
	}

	it('publishes nothing for a batch that rolls back', async () => {
		const before = updated.events.length;
		const res = await stack.directus.request('PATCH', '/items/race', [
			{ id: keys[0], value: 'rolled back' },
			{ id: keys[1], value: 'rolled back', label: null },
		]);
		assert.ok(res.status >= 400, `expected the batch to fail, got ${res.status}`);
		const stored = await stack.directus.request('GET', `/items/race/${keys[0]}`);
		assert.notEqual(stored.body.data.value, 'rolled back');
		// A later update's event arrives after any event of the failed batch would have.
		await stack.directus.request('PATCH', '/items/race', [{ id: keys[2], value: 'sentinel' }]);
		await updated.waitUntil((events) => events.slice(before).some((e) => e.value === 'sentinel'));
		assert.deepEqual(updated.events.slice(before), [{ id: keys[2], value: 'sentinel' }]);
	});

	it('still publishes an update with keys and data, and a single-item update', async () => {
		const before = updated.events.length;
		await stack.directus.request('PATCH', '/items/race', { keys, data: { value: 'all' } });
		await updated.waitFor(before + keys.length);
		await stack.directus.request('PATCH', `/items/race/${keys[0]}`, { value: 'one' });
		await updated.waitFor(before + keys.length + 1);
		assert.deepEqual(
			updated.events.slice(before).map((e) => e.value),
			[...keys.map(() => 'all'), 'one'],
		);
	});
});
