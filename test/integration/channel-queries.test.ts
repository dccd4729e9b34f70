/**
 * GET /realtime/channels/<name>/users (callers the channel's authorizers admit) and
 * GET /realtime/channels (admins), answered from the real Soketi's HTTP API with real pusher-js
 * members; hostile names and queries; a Pusher server that is down is a 502 with a reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, type TestUser } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';

describe('presence and channel queries', () => {
	let stack: Stack;
	let alice: TestUser;
	let bob: TestUser;
	let outsider: TestUser;
	const clients: PusherClient[] = [];

	before(async () => {
		({
			stack,
			users: { alice, bob, outsider },
		} = await startStackWithUsers({ users: { alice: { first_name: 'Alice' }, bob: { first_name: 'Bob' }, outsider: { first_name: 'Outsider' } } }));
		await createCollection(stack.directus, 'rooms', [{ field: 'name', type: 'string' }]);
		const base = { collection: 'rooms', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };
		await createPresenceChannel(stack.directus, { collection: 'rooms', channel_name: 'presence-room-:roomId', authorizer: "if (auth.user.first_name === 'Outsider') return false; return { user_id: auth.user.id, user_info: { name: auth.user.first_name } };" });
		await createChannel(stack.directus, { ...base, channel_name: 'private-doc-:docId', authorizer: 'return true;' });
		for (const user of [alice, bob]) {
			const client = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
			clients.push(client);
			await subscribe(client, 'presence-room-1');
			await subscribe(client, 'private-doc-1');
		}
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	const users = (name: string, token: string | null) => stack.directus.request('GET', `/realtime/channels/${encodeURIComponent(name)}/users`, undefined, { token });

	it('lists the members of a presence channel to a member the authorizer admits', async () => {
		const res = await users('presence-room-1', alice.token);
		assert.equal(res.status, 200);
		assert.deepEqual(res.body.users.map((u: { id: string }) => u.id).sort(), [alice.id, bob.id].sort());
	});

	it('refuses a caller the authorizer refuses with the same 403 as /realtime/auth, and a name no row matches alike', async () => {
		const refused = await users('presence-room-1', outsider.token);
		const join = await stack.directus.request('POST', '/realtime/auth', undefined, { token: outsider.token, form: { socket_id: '123.456', channel_name: 'presence-room-1' } });
		assert.equal(refused.status, 403);
		assert.equal(join.status, 403);
		assert.deepEqual(refused.body, join.body);
		const unknown = await users('presence-nothing-1', alice.token);
		assert.equal(unknown.status, 403);
		assert.deepEqual(unknown.body, join.body);
	});

	it('answers 401 without a login, and 400 for other channel types and malformed names', async () => {
		assert.equal((await users('presence-room-1', null)).status, 401);
		assert.equal((await users('private-doc-1', alice.token)).body.errors[0].extensions.code, 'INVALID_CHANNEL_NAME');
		for (const bad of ['presence-room 1', `presence-${'x'.repeat(300)}`, 'presence-\u0000', 'presence-<script>']) {
			const res = await users(bad, alice.token);
			assert.equal(res.status, 400, bad.slice(0, 40));
			assert.equal(res.body.errors[0].extensions.code, 'INVALID_CHANNEL_NAME');
		}
	});

	it('answers a name that is not valid percent-encoding with 400, not a 500 with a stack in the log', async () => {
		// Found by the fuzz suite: Express' decoding error reached Directus as an unexpected error.
		for (const path of ['presence-room-%E0%A4%A', '%', 'presence-%zz', '%F3%AC%9A%AF%']) {
			for (const token of [alice.token, null]) {
				const res = await stack.directus.request('GET', `/realtime/channels/${path}/users`, undefined, { token });
				assert.equal(res.status, 400, `${path}: ${res.text}`);
				assert.equal(res.body.errors[0].extensions.code, 'INVALID_CHANNEL_NAME');
				assert.match(res.body.errors[0].extensions.reason, /percent-encoding/);
			}
		}
		assert.deepEqual(stack.directus.logs().filter((line) => line.level >= 50 || /Failed to decode param/.test(JSON.stringify(line))), []);
	});

	it('lists occupied channels with subscription counts, for admins', async () => {
		const all = await stack.directus.request('GET', '/realtime/channels');
		assert.equal(all.status, 200);
		assert.equal(all.body.channels['presence-room-1'].subscription_count, 2);
		assert.equal(all.body.channels['private-doc-1'].subscription_count, 2);
		const presence = await stack.directus.request('GET', '/realtime/channels?filter_by_prefix=presence-');
		assert.deepEqual(Object.keys(presence.body.channels), ['presence-room-1']);
	});

	it('refuses everyone but admins with one 403, before reading the query', async () => {
		const asUser = await stack.directus.request('GET', '/realtime/channels?info=bogus', undefined, { token: alice.token });
		const anonymous = await stack.directus.request('GET', '/realtime/channels', undefined, { token: null });
		assert.equal(asUser.status, 403);
		assert.equal(anonymous.status, 403);
		assert.deepEqual(asUser.body, anonymous.body);
		assert.equal(asUser.body.errors[0].extensions.code, 'FORBIDDEN');
	});

	it('answers 400 for malformed queries', async () => {
		for (const query of ['filter_by_prefix[]=a&filter_by_prefix[]=b', 'filter_by_prefix=a%20b', 'info=bogus', 'info=user_count', `filter_by_prefix=${'p'.repeat(300)}`]) {
			const res = await stack.directus.request('GET', `/realtime/channels?${query}`);
			assert.equal(res.status, 400, query.slice(0, 60));
			assert.ok(['INVALID_PAYLOAD', 'INVALID_CHANNEL_NAME'].includes(res.body.errors[0].extensions.code), query);
		}
	});

	it('answers 502 with a reason when the Pusher server is down, and no signed URL', async () => {
		await stack.soketi.stop();
		try {
			for (const res of [await stack.directus.request('GET', '/realtime/channels'), await users('presence-room-1', alice.token)]) {
				assert.equal(res.status, 502);
				assert.equal(res.body.errors[0].extensions.code, 'PUSHER_UNAVAILABLE');
				assert.match(res.body.errors[0].extensions.reason, /Pusher server failed/);
				assert.ok(!/auth_signature|auth_key/.test(res.text), res.text);
			}
		} finally {
			await stack.soketi.start();
		}
	});
});
