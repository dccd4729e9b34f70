import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';

describe('channel rows', () => {
	let stack: Stack;
	let granted: TestUser;
	const clients: PusherClient[] = [];

	before(async () => {
		({
			stack,
			users: { granted },
		} = await startStackWithUsers({
			prepare: (d) => createCollection(d, 'items_a', [{ field: 'text', type: 'string' }]),
			// A role granted everything on the channels collection, by mistake.
			users: { granted: { grants: (['create', 'read', 'update', 'delete'] as const).map((action) => ({ collection: 'realtime_channels', action })) } },
		}));
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	describe('are for administrators only', () => {
		it('refuses reading them to a role granted the collection', async () => {
			await createChannel(stack.directus, { channel_name: 'admin-only', collection: 'items_a', publisher: '' });
			const res = await stack.directus.request('GET', '/items/realtime_channels', undefined, { token: granted.token });
			assert.equal(res.status, 403);
			assert.equal(res.body.errors[0].extensions.code, 'FORBIDDEN');
		});

		it('refuses creating, changing and deleting them', async () => {
			const row = await createChannel(stack.directus, { channel_name: 'admin-only-2', collection: 'items_a', publisher: '' });
			const opts = { token: granted.token };
			assert.equal((await stack.directus.request('POST', '/items/realtime_channels', { channel_name: 'sneaky', collection: 'items_a' }, opts)).status, 403);
			assert.equal((await stack.directus.request('PATCH', `/items/realtime_channels/${row.id}`, { publisher: 'x' }, opts)).status, 403);
			assert.equal((await stack.directus.request('DELETE', `/items/realtime_channels/${row.id}`, undefined, opts)).status, 403);
			assert.equal((await stack.directus.request('GET', `/items/realtime_channels/${row.id}`)).body.data.publisher, '');
		});
	});

	describe('are validated on save', () => {
		const save = (row: Record<string, unknown>) => stack.directus.request('POST', '/items/realtime_channels', { collection: 'items_a', ...row });
		const problem = (res: { status: number; body: any }) => {
			assert.equal(res.status, 400);
			const [error] = res.body.errors;
			assert.equal(error.extensions.code, 'FAILED_VALIDATION');
			return { field: error.extensions.field, message: error.extensions.validation_message as string };
		};

		it('refuses a publisher that does not compile, naming line and column in the admin\'s code', async () => {
			const { field, message } = problem(await save({ channel_name: 'v1', publisher: 'const a = 1;\nconst b = ;' }));
			assert.equal(field, 'publisher');
			assert.match(message, /line 2, column 11/);
		});

		it('refuses an authorizer that does not compile', async () => {
			const { field, message } = problem(await save({ channel_name: 'private-v2', authorizer: 'if (auth.user {\n  return true;\n}' }));
			assert.equal(field, 'authorizer');
			assert.match(message, /line 1/);
		});

		it('refuses a pattern that does not parse or uses characters Pusher refuses', async () => {
			assert.equal(problem(await save({ channel_name: 'private-room-:id(\\d+' })).field, 'channel_name');
			assert.equal(problem(await save({ channel_name: 'private room' })).field, 'channel_name');
			assert.equal(problem(await save({ channel_name: 'x'.repeat(200) })).field, 'channel_name');
		});

		it('refuses an unknown collection and a fields value that is not a list of names', async () => {
			assert.equal(problem(await save({ channel_name: 'v3', collection: 'nope' })).field, 'collection');
			assert.equal(problem(await save({ channel_name: 'v4', fields: 'title' })).field, 'fields');
		});

		it('checks a partial update and leaves the row as it was', async () => {
			const row = await createChannel(stack.directus, { channel_name: 'v5', collection: 'items_a', publisher: 'trigger({}, "e", {});' });
			const res = await stack.directus.request('PATCH', `/items/realtime_channels/${row.id}`, { publisher: 'trigger({}, "e", {}' });
			assert.equal(problem(res).field, 'publisher');
			assert.equal((await stack.directus.request('GET', `/items/realtime_channels/${row.id}`)).body.data.publisher, 'trigger({}, "e", {});');
		});

		it('accepts the seed\'s constrained parameters and await in scripts', async () => {
			const res = await save({ channel_name: 'private-room-:roomId(\\d+)', authorizer: 'return await can("read", "items_a", params.roomId);' });
			assert.equal(res.status, 200);
		});
	});

	describe('changes take effect for the very next event', () => {
		it('uses a changed publisher, and stops with a disabled row', async () => {
			const row = await createChannel(stack.directus, { channel_name: 'live-edit', collection: 'items_a', publisher: 'trigger({}, "v", 1);' });
			const c = await connectClient(stack.soketi);
			clients.push(c);
			const log = new EventLog(await subscribe(c, 'live-edit'), 'v');

			await createItem(stack.directus, 'items_a', { text: 'one' });
			assert.deepEqual(await log.waitFor(1), [1]);

			await stack.directus.request('PATCH', `/items/realtime_channels/${row.id}`, { publisher: 'trigger({}, "v", 2);' });
			await createItem(stack.directus, 'items_a', { text: 'two' });
			assert.deepEqual(await log.waitFor(2), [1, 2]);

			await stack.directus.request('PATCH', `/items/realtime_channels/${row.id}`, { enabled: false });
			await createItem(stack.directus, 'items_a', { text: 'three' });
			await stack.directus.request('PATCH', `/items/realtime_channels/${row.id}`, { enabled: true, publisher: 'trigger({}, "v", 4);' });
			await createItem(stack.directus, 'items_a', { text: 'four' });
			assert.deepEqual(await log.waitFor(3), [1, 2, 4]);
		});
	});
});
