/**
 * A delete's items are read before the delete (the action comes too late), in a filter that
 * Directus runs before its own permission check. These tests watch Directus' own query log
 * (LOG_LEVEL=trace logs every SQL statement) for reads of the collection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, createRelationM2O, login, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';

const MAX_KEYS = 5;

describe('reading items before a delete', () => {
	let stack: Stack;
	let owner: TestUser;
	let reader: TestUser;
	let deleter: TestUser;
	let client: PusherClient;
	let deleted: EventLog;

	/** SQL statements of Directus' query log that read the `guarded` table, since `mark`. */
	const readsOfGuarded = (mark: number) =>
		stack.directus
			.logs()
			.slice(mark)
			.filter((l) => /\bfrom [`"]guarded[`"]/i.test(String(l.msg)));
	/** Waits until Directus logged the answer to a request, so every query it made is in the log. */
	const answered = (method: string, status: number) =>
		stack.directus.waitForLog((l) => l.req?.method === method && l.res?.statusCode === status && String(l.req?.url).startsWith('/items/guarded'));
	const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

	before(async () => {
		({
			stack,
			users: { owner, reader, deleter },
		} = await startStackWithUsers({
			directus: { env: { LOG_LEVEL: 'trace', RT_MAX_KEYS_PER_EVENT: String(MAX_KEYS) } },
			prepare: async (d) => {
				await createCollection(d, 'guarded', [
					{ field: 'title', type: 'string' },
					{ field: 'owner', type: 'uuid' },
				]);
				await createRelationM2O(d, 'guarded', 'owner', 'directus_users');
			},
			users: {
				owner: { first_name: 'Olga' },
				reader: { grants: [{ collection: 'guarded', action: 'read' }] },
				deleter: { grants: [{ collection: 'guarded', action: 'read' }, { collection: 'guarded', action: 'delete' }] },
			},
		}));
		const d = stack.directus;
		await createChannel(d, {
			channel_name: 'guarded-deletes',
			collection: 'guarded',
			fields: ['id', 'title', 'owner.first_name'],
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: true,
			publisher: 'trigger({}, "deleted", { id: meta.payload.id, title: meta.payload.title, owner: meta.payload.owner && meta.payload.owner.first_name });',
		});
		await createItem(d, 'guarded', ids(20).map((n) => ({ title: `item ${n}`, owner: owner.id })));
		client = await connectClient(stack.soketi);
		deleted = new EventLog(await subscribe(client, 'guarded-deletes'), 'deleted');
	});

	after(async () => {
		disconnectAll(client);
		await stack?.stop();
	});

	it('reads nothing for an anonymous DELETE of thousands of keys', async () => {
		const mark = stack.directus.logs().length;
		const res = await stack.directus.request('DELETE', '/items/guarded', ids(5000), { token: null });
		assert.equal(res.status, 403, res.text);
		await answered('DELETE', 403);
		assert.deepEqual(readsOfGuarded(mark).map((l) => l.msg), []);
	});

	it('reads nothing for a logged-in user who may read but not delete', async () => {
		const mark = stack.directus.logs().length;
		const res = await stack.directus.request('DELETE', '/items/guarded', ids(3000), { token: await login(stack.directus, reader) });
		assert.equal(res.status, 403, res.text);
		await answered('DELETE', 403);
		assert.deepEqual(readsOfGuarded(mark).map((l) => l.msg), []);
	});

	it('publishes a permitted delete with the items as they were, relations included', async () => {
		const mark = stack.directus.logs().length;
		const res = await stack.directus.request('DELETE', '/items/guarded', [1, 2], { token: deleter.token });
		assert.equal(res.status, 204, res.text);
		const events = await deleted.waitFor(2);
		assert.deepEqual(
			events.sort((a, b) => a.id - b.id),
			[
				{ id: 1, title: 'item 1', owner: 'Olga' },
				{ id: 2, title: 'item 2', owner: 'Olga' },
			],
		);
		// The log does show reads when there are some: the tests above could see them.
		assert.ok(readsOfGuarded(mark).length > 0);
	});

	it(`reads and publishes at most RT_MAX_KEYS_PER_EVENT (${MAX_KEYS}) keys of one delete, and says so in the log`, async () => {
		const before = deleted.events.length;
		const res = await stack.directus.request('DELETE', '/items/guarded', ids(8, 3));
		assert.equal(res.status, 204, res.text);
		await deleted.waitFor(before + MAX_KEYS);
		await stack.directus.waitForLog((l) => l.level === 40 && /delete of 8 guarded items: publishing only the first 5/.test(String(l.msg)));
		// A later delete's event arrives after any further event of this one would have.
		await stack.directus.request('DELETE', '/items/guarded', [11]);
		await deleted.waitUntil((events) => events.some((e) => e.id === 11));
		assert.deepEqual(
			deleted.events.slice(before).map((e) => e.id).sort((a, b) => a - b),
			[3, 4, 5, 6, 7, 11],
		);
	});

	it(`also bounds updates to RT_MAX_KEYS_PER_EVENT keys: with keys and data, and as a batch`, async () => {
		await createChannel(stack.directus, {
			channel_name: 'guarded-updates',
			collection: 'guarded',
			fields: ['id', 'title'],
			trigger_on_create: false,
			trigger_on_update: true,
			trigger_on_delete: false,
			publisher: 'trigger({}, "updated", { id: meta.payload.id, title: meta.payload.title });',
		});
		const updated = new EventLog(await subscribe(client, 'guarded-updates'), 'updated');
		const keys = ids(8, 12);
		assert.equal((await stack.directus.request('PATCH', '/items/guarded', { keys, data: { title: 'bulk' } })).status, 200);
		await stack.directus.waitForLog((l) => /update of 8 guarded items: publishing only the first 5/.test(String(l.msg)));
		assert.equal((await stack.directus.request('PATCH', '/items/guarded', keys.map((id) => ({ id, title: 'batch' })))).status, 200);
		await stack.directus.waitForLog((l) => /batch update of 8 guarded items: publishing only the first 5/.test(String(l.msg)));
		// A later update's event arrives after any further event of these.
		await stack.directus.request('PATCH', '/items/guarded/20', { title: 'sentinel' });
		await updated.waitUntil((events) => events.some((e) => e.title === 'sentinel'));
		const titles = (title: string) => updated.events.filter((e) => e.title === title).map((e) => e.id).sort((a, b) => a - b);
		assert.deepEqual(titles('bulk'), [12, 13, 14, 15, 16]);
		assert.deepEqual(titles('batch'), [12, 13, 14, 15, 16]);
	});
});
