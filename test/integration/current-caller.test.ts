/**
 * A removed user cannot come back with an old token. A Directus access token (JSON login) stays
 * valid until it expires, with the role it was issued with, whatever happens to its user. With
 * the SAME token the user still holds: a suspended (or deleted) user is refused by /realtime/auth,
 * /realtime/user-auth and the members query; a user moved to a role without access, or whose
 * role lost its policy, is refused by an authorizer that asks can(); an admin re-roled or
 * suspended no longer gets the admins' routes. Client events of a user no longer active run
 * Flows with the public's permissions, and an authorizer cannot make a member carry another
 * Directus user's id (whose permissions its client events would get).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, createUser, login, type Grant, type TestUser } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import { createOperationFlow, readItems, waitForItemWith } from '../harness/flows.js';
import { startStack, type Stack } from '../harness/stack.js';
import { postWebhookEvents } from '../harness/webhooks.js';
import { sleep } from '../harness/time.js';

const REFUSED_JOIN = { errors: [{ message: 'not allowed to join this channel', extensions: { code: 'FORBIDDEN', reason: 'not allowed to join this channel' } }] };
const ADMINS_ONLY = "You don't have permission to access this.";

describe('decisions use the user\'s current status and role, not the token\'s', () => {
	let stack: Stack;
	let roomId: number;
	const clients: PusherClient[] = [];

	const auth = (token: string | null, channel_name: string, socket_id = '123.456') =>
		stack.directus.request('POST', '/realtime/auth', undefined, { token, form: { socket_id, channel_name } });
	const userAuth = (token: string | null) => stack.directus.request('POST', '/realtime/user-auth', undefined, { token, form: { socket_id: '123.456' } });
	const members = (token: string | null, name: string) => stack.directus.request('GET', `/realtime/channels/${encodeURIComponent(name)}/users`, undefined, { token });
	const patchUser = async (id: string, body: Record<string, unknown>) => {
		const res = await stack.directus.request('PATCH', `/users/${id}`, body);
		assert.equal(res.status, 200, res.text);
	};
	const emptyRole = async () => {
		const res = await stack.directus.request('POST', '/roles', { name: `no-access-${Math.random().toString(16).slice(2, 10)}` });
		assert.equal(res.status, 200, res.text);
		return res.body.data.id as string;
	};
	/** A user with a JSON-login access token: the token Directus keeps honouring until it expires. */
	const withToken = async (options: { first_name?: string; grants?: Grant[]; admin?: boolean } = {}) => {
		const user = await createUser(stack.directus, options);
		return { user, jwt: await login(stack.directus, user) };
	};
	const READ_ROOMS: Grant[] = [{ collection: 'rooms', action: 'read' }];

	before(async () => {
		stack = await startStack();
		const d = stack.directus;
		await createCollection(d, 'rooms', [{ field: 'name', type: 'string' }]);
		roomId = (await createItem<{ id: number }>(d, 'rooms', { name: 'blue' })).id;
		const base = { collection: 'rooms', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };
		await createChannel(d, { ...base, channel_name: 'private-room-:roomId', authorizer: "return await can('read', 'rooms', params.roomId);" });
		await createPresenceChannel(d, {
			collection: 'rooms',
			channel_name: 'presence-lobby',
			authorizer: "if (!(await can('read', 'rooms'))) return false; return { user_id: auth.user.id, user_info: { name: auth.user.first_name } };",
		});
		// An authorizer that lets the channel name choose the member's id: the binding rule's target.
		await createPresenceChannel(d, { collection: 'rooms', channel_name: 'presence-as-:memberId', authorizer: 'return { user_id: params.memberId };' });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('hands an authorizer the caller\'s row as it is now, with their relational policies when the script names them', async () => {
		const d = stack.directus;
		await createPresenceChannel(d, { collection: 'rooms', channel_name: 'presence-row-fields', authorizer: "return { user_info: { keys: Object.keys(auth.user).sort().join(','), name: auth.user.first_name } };" });
		await createPresenceChannel(d, { collection: 'rooms', channel_name: 'presence-row-policies', authorizer: 'return { user_info: { policies: auth.user.policies, status: auth.user.status } };' });
		const { user, jwt } = await withToken({ first_name: 'Rowan', grants: READ_ROOMS });
		await patchUser(user.id, { first_name: 'Rowena' });
		// A policy of the user's own (not through the role): `policies` lists the user's access rows.
		const policy = await d.request('POST', '/policies', { name: `own-${user.id.slice(0, 8)}`, admin_access: false, app_access: false });
		assert.equal(policy.status, 200, policy.text);
		const access = await d.request('POST', '/access', { user: user.id, policy: policy.body.data.id });
		assert.equal(access.status, 200, access.text);
		const member = async (channel_name: string) => {
			const res = await auth(jwt, channel_name);
			assert.equal(res.status, 200, res.text);
			return JSON.parse(res.body.channel_data).user_info;
		};
		const fields = await member('presence-row-fields');
		assert.equal(fields.name, 'Rowena');
		const keys = String(fields.keys).split(',');
		for (const key of ['id', 'first_name', 'status', 'role', 'email']) assert.ok(keys.includes(key), `auth.user has ${key}: ${fields.keys}`);
		for (const key of ['password', 'token', 'tfa_secret', 'auth_data']) assert.ok(!keys.includes(key), `auth.user has no ${key}: ${fields.keys}`);
		const withPolicies = await member('presence-row-policies');
		assert.equal(withPolicies.status, 'active');
		assert.deepEqual(withPolicies.policies, [access.body.data.id]);
	});

	it('refuses a suspended user\'s still-valid token at /realtime/auth, /realtime/user-auth and the members query, and lets them back once active', async () => {
		const { user, jwt } = await withToken({ first_name: 'Sus', grants: READ_ROOMS });
		assert.equal((await auth(jwt, `private-room-${roomId}`)).status, 200);
		assert.equal((await userAuth(jwt)).status, 200);
		assert.equal((await members(jwt, 'presence-lobby')).status, 200);

		await patchUser(user.id, { status: 'suspended' });
		// The premise: Directus itself still takes the token.
		assert.equal((await stack.directus.request('GET', '/users/me?fields=id', undefined, { token: jwt })).status, 200);

		const join = await auth(jwt, `private-room-${roomId}`);
		assert.equal(join.status, 403, join.text);
		assert.deepEqual(join.body, REFUSED_JOIN, 'the same refusal as any other');
		const signin = await userAuth(jwt);
		assert.equal(signin.status, 403, signin.text);
		assert.equal(signin.body.errors[0].extensions.code, 'FORBIDDEN');
		assert.ok(!('auth' in signin.body));
		const listed = await members(jwt, 'presence-lobby');
		assert.equal(listed.status, 403, listed.text);
		assert.deepEqual(listed.body, REFUSED_JOIN);
		await stack.directus.waitForLog((l) => String(l.msg).includes(`for user ${user.id}: the user's status is suspended`));

		// A real pusher-js client with the same token is refused too.
		const client = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: jwt });
		clients.push(client);
		await assert.rejects(subscribe(client, `private-room-${roomId}`), /refused/);

		// Nothing kept them out but their status: active again, the same token works.
		await patchUser(user.id, { status: 'active' });
		assert.equal((await auth(jwt, `private-room-${roomId}`)).status, 200);
	});

	it('refuses a deleted user\'s token with the same 403, not a 500', async () => {
		const { user, jwt } = await withToken({ grants: READ_ROOMS });
		assert.equal((await auth(jwt, `private-room-${roomId}`)).status, 200);
		assert.equal((await stack.directus.request('DELETE', `/users/${user.id}`)).status, 204);
		const join = await auth(jwt, `private-room-${roomId}`);
		assert.equal(join.status, 403, join.text);
		assert.deepEqual(join.body, REFUSED_JOIN);
		assert.equal((await userAuth(jwt)).status, 403);
		assert.equal((await members(jwt, 'presence-lobby')).status, 403);
	});

	it('decides can() with the role the user has now: moved to a role without access, refused', async () => {
		const { user, jwt } = await withToken({ grants: READ_ROOMS });
		assert.equal((await auth(jwt, `private-room-${roomId}`)).status, 200);
		assert.equal((await members(jwt, 'presence-lobby')).status, 200);
		await patchUser(user.id, { role: await emptyRole() });
		const join = await auth(jwt, `private-room-${roomId}`);
		assert.equal(join.status, 403, join.text);
		assert.deepEqual(join.body, REFUSED_JOIN);
		assert.equal((await members(jwt, 'presence-lobby')).status, 403);
	});

	it('decides with the policies the role has now: a policy removed from the role, refused', async () => {
		const { user, jwt } = await withToken({ grants: READ_ROOMS });
		assert.equal((await auth(jwt, `private-room-${roomId}`)).status, 200);
		const access = await stack.directus.request('GET', `/access?filter=${encodeURIComponent(JSON.stringify({ role: { _eq: user.role } }))}&fields=id`);
		assert.equal(access.status, 200, access.text);
		for (const row of access.body.data as Array<{ id: string }>) assert.equal((await stack.directus.request('DELETE', `/access/${row.id}`)).status, 204);
		assert.equal((await auth(jwt, `private-room-${roomId}`)).status, 403);
		assert.equal((await members(jwt, 'presence-lobby')).status, 403);
	});

	it('shows `auth` with the current role: the authorizer sees the role the user has now', async () => {
		const { user, jwt } = await withToken({ grants: READ_ROOMS });
		const moved = await emptyRole();
		await createChannel(stack.directus, {
			collection: 'rooms',
			publisher: null,
			channel_name: 'private-role-:role',
			authorizer: 'return auth.role === params.role && auth.roles.includes(params.role);',
		});
		assert.equal((await auth(jwt, `private-role-${user.role}`)).status, 200);
		await patchUser(user.id, { role: moved });
		assert.equal((await auth(jwt, `private-role-${user.role}`)).status, 403, 'the token\'s role is not the one decided with');
		assert.equal((await auth(jwt, `private-role-${moved}`)).status, 200);
	});

	it('takes the admins\' routes from a token whose user was re-roled to a role without admin access, or suspended', async () => {
		const someone = await createUser(stack.directus);
		const dryRun = { authorizer: 'return true;', channel_name_pattern: 'private-x', channel_name: 'private-x', user: someone.id };
		const routes = async (jwt: string) => ({
			tail: (await stack.directus.request('GET', '/realtime/tail', undefined, { token: jwt })).status,
			channels: (await stack.directus.request('GET', '/realtime/channels', undefined, { token: jwt })).status,
			dryRun: (await stack.directus.request('POST', '/realtime/dry-run', dryRun, { token: jwt })).status,
			healthKeys: Object.keys((await stack.directus.request('GET', '/realtime/health', undefined, { token: jwt })).body).sort(),
		});
		const reRoled = await withToken({ admin: true });
		const suspended = await withToken({ admin: true });
		const before = await routes(reRoled.jwt);
		assert.deepEqual({ ...before, healthKeys: before.healthKeys.includes('queue') }, { tail: 200, channels: 200, dryRun: 200, healthKeys: true });

		await patchUser(reRoled.user.id, { role: await emptyRole() });
		await patchUser(suspended.user.id, { status: 'suspended' });
		for (const { jwt } of [reRoled, suspended]) {
			const after = await routes(jwt);
			assert.deepEqual(after, { tail: 403, channels: 403, dryRun: 403, healthKeys: ['status'] });
			const tail = await stack.directus.request('GET', '/realtime/tail', undefined, { token: jwt });
			assert.equal(tail.body.errors[0].message, ADMINS_ONLY, 'the same refusal as for any non-admin');
		}
		await stack.directus.waitForLog((l) => String(l.msg).includes(`/realtime/tail for user ${reRoled.user.id}: no longer an admin`));
	});

	describe('the binding rule of presence members', () => {
		let alice: TestUser;
		let bob: TestUser;
		before(async () => {
			alice = await createUser(stack.directus, { first_name: 'Alice' });
			bob = await createUser(stack.directus, { first_name: 'Bob' });
		});

		it('refuses an authorizer that gives the member another Directus user\'s id, and logs why for the admin', async () => {
			const res = await auth(alice.token, `presence-as-${bob.id}`);
			assert.equal(res.status, 403, res.text);
			assert.deepEqual(res.body, REFUSED_JOIN);
			const line = await stack.directus.waitForLog((l) => String(l.msg).includes(`presence-as-${bob.id} for user ${alice.id}`) && String(l.msg).includes("another Directus user's id"));
			assert.equal(line.level, 40, 'a warning');
			// Through pusher-js and Soketi alike, and for the members query, which decides as a join.
			const client = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: alice.token });
			clients.push(client);
			await assert.rejects(subscribe(client, `presence-as-${bob.id}`), /refused/);
			const listed = await members(alice.token, `presence-as-${bob.id}`);
			assert.equal(listed.status, 403, listed.text);
			assert.deepEqual(listed.body, REFUSED_JOIN);
		});

		it('admits the caller\'s own id and ids that are no Directus user\'s', async () => {
			const own = await auth(alice.token, `presence-as-${alice.id}`);
			assert.equal(own.status, 200, own.text);
			assert.equal(JSON.parse(own.body.channel_data).user_id, alice.id);
			const guest = await auth(alice.token, 'presence-as-guest-5');
			assert.equal(guest.status, 200, guest.text);
			assert.equal(JSON.parse(guest.body.channel_data).user_id, 'guest-5');
		});

		it('refuses another spelling of another user\'s id when the database takes it for that user', async () => {
			const upper = bob.id.toUpperCase();
			const res = await auth(alice.token, `presence-as-${upper}`);
			if (stack.directus.db === 'sqlite') {
				// SQLite compares ids exactly: it is no user's id, and its client events get the public's.
				assert.equal(res.status, 200, res.text);
			} else {
				assert.equal(res.status, 403, res.text);
			}
		});

		it('shows the rule in an authorizer dry-run, and a dry-run as a suspended user is refused before the script', async () => {
			const dry = (user: string, channel_name: string) =>
				stack.directus.request('POST', '/realtime/dry-run', { authorizer: 'return { user_id: params.memberId };', channel_name_pattern: 'presence-as-:memberId', channel_name, user });
			const misbound = await dry(alice.id, `presence-as-${bob.id}`);
			assert.equal(misbound.status, 200, misbound.text);
			assert.equal(misbound.body.data.granted, false);
			assert.match(misbound.body.data.error.message, /another Directus user's id/);
			const guest = await dry(alice.id, 'presence-as-guest-5');
			assert.equal(guest.body.data.granted, true, guest.text);
			const { user } = await withToken();
			await patchUser(user.id, { status: 'suspended' });
			const suspended = await dry(user.id, 'presence-as-guest-5');
			assert.equal(suspended.status, 200, suspended.text);
			assert.equal(suspended.body.data.granted, false);
			assert.match(suspended.body.data.error.message, /status is suspended/);
		});
	});
});

describe('Flows on client events of users no longer active run with the public\'s permissions', () => {
	let stack: Stack;

	const clientEvent = async (channel: string, userId: string, note: string) => {
		const res = await postWebhookEvents(stack.directus, stack.soketi.app, [{ name: 'client_event', channel, event: 'client-note', data: JSON.stringify({ note }), socket_id: '1.2', user_id: userId }]);
		assert.equal(res.status, 200, res.text);
	};
	/** The note a client event made, once its Flow ran. */
	const noteOf = (note: string) => waitForItemWith(stack.directus, 'notes', 'note', note);

	before(async () => {
		stack = await startStack();
		await createCollection(stack.directus, 'notes', [
			{ field: 'note', type: 'string' },
			{ field: 'user_created', type: 'uuid', meta: { special: ['user-created'] } },
		]);
		await createPresenceChannel(stack.directus, {
			collection: 'notes',
			channel_name: 'presence-desk-:id',
			authorizer: 'return { user_id: auth.user.id };',
			client_events: true,
		});
		await createOperationFlow(stack.directus, 'realtime.client_event', 'item-create', { collection: 'notes', permissions: '$trigger', emitEvents: true, payload: { note: '{{$trigger.data}}' } });
		// The public may create notes: a Flow run with the public's permissions makes one, with no user.
		const access = await stack.directus.request('GET', `/access?filter=${encodeURIComponent(JSON.stringify({ _and: [{ role: { _null: true } }, { user: { _null: true } }] }))}&fields=policy`);
		assert.equal(access.status, 200, access.text);
		const policy = access.body.data[0].policy as string;
		const grant = await stack.directus.request('POST', '/permissions', { policy, collection: 'notes', action: 'create', fields: ['*'], permissions: {}, validation: {} });
		assert.equal(grant.status, 200, grant.text);
	});
	after(async () => stack?.stop());

	it('runs as the member while active, as the public once suspended or deleted, and as the public for ids that are no user\'s', async () => {
		const writer = await createUser(stack.directus, { first_name: 'Writer', grants: [{ collection: 'notes', action: 'create' }] });
		const gone = await createUser(stack.directus, { first_name: 'Gone', grants: [{ collection: 'notes', action: 'create' }] });
		await clientEvent('presence-desk-1', writer.id, 'while-active');
		assert.equal((await noteOf('while-active')).user_created, writer.id);

		assert.equal((await stack.directus.request('PATCH', `/users/${writer.id}`, { status: 'suspended' })).status, 200);
		await clientEvent('presence-desk-1', writer.id, 'while-suspended');
		assert.equal((await noteOf('while-suspended')).user_created, null, 'the public\'s permissions, not the suspended user\'s');

		assert.equal((await stack.directus.request('DELETE', `/users/${gone.id}`)).status, 204);
		await clientEvent('presence-desk-1', gone.id, 'after-delete');
		assert.equal((await noteOf('after-delete')).user_created, null);

		await clientEvent('presence-desk-1', 'guest-5', 'from-a-guest');
		assert.equal((await noteOf('from-a-guest')).user_created, null);
		assert.equal((await readItems(stack.directus, 'notes')).length, 4);
	});

	it('leaves admin access limited to an IP range out of a client event\'s permissions (no IP to go by)', async () => {
		const d = stack.directus;
		const role = await d.request('POST', '/roles', { name: 'office-admins' });
		const policy = await d.request('POST', '/policies', { name: 'admin from the office', admin_access: true, app_access: true, ip_access: ['10.255.255.1'] });
		assert.equal(policy.status, 200, policy.text);
		assert.equal((await d.request('POST', '/access', { role: role.body.data.id, policy: policy.body.data.id })).status, 200);
		const token = `office-token-${Date.now()}`;
		const created = await d.request('POST', '/users', { email: `office-${Date.now()}@example.com`, password: 'office-secret-pw', role: role.body.data.id, status: 'active', token });
		assert.equal(created.status, 200, created.text);
		const officeAdmin = created.body.data.id as string;
		// Directus itself: not an admin from here.
		assert.equal((await d.request('GET', '/realtime/tail', undefined, { token })).status, 403);
		await clientEvent('presence-desk-1', officeAdmin, 'from-the-office-admin');
		await clientEvent('presence-desk-1', 'guest-6', 'after-the-office-admin');
		await noteOf('after-the-office-admin');
		await sleep(1000);
		const notes = await readItems(d, 'notes');
		assert.ok(!notes.some((n) => String(n.note).includes('from-the-office-admin')), JSON.stringify(notes));
	});

	it('maps another spelling of a user\'s id as /realtime/auth does: to that user where the database takes it for theirs, else to the public', async () => {
		const writer = await createUser(stack.directus, { first_name: 'Spelled', grants: [{ collection: 'notes', action: 'create' }] });
		await clientEvent('presence-desk-1', writer.id.toUpperCase(), 'upper-case');
		// Where the database takes it for the writer's id, only the writer could have joined under it.
		assert.equal((await noteOf('upper-case')).user_created, stack.directus.db === 'sqlite' ? null : writer.id);
	});
});
