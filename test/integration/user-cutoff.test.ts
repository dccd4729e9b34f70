/**
 * Removed users are cut off: a real pusher-js client signed in through /realtime/user-auth and in
 * a presence channel loses its connection when the admin suspends, archives, re-roles or deletes
 * its user through the REST API, and the other members see it leave. Other changes leave it be.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, subscribe, type PusherClient } from '../harness/clients.js';
import { createCollection, createUser, type TestUser } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import { startStack, type Stack } from '../harness/stack.js';
import { sleep } from '../harness/time.js';

describe('cutting off removed users', () => {
	let stack: Stack;
	let watcher: PusherClient;
	const removed: string[] = [];
	const waiters: Array<() => void> = [];
	const clients: PusherClient[] = [];
	const closedBy = new Map<PusherClient, () => void>();
	/** Rejects a join's `closed` 10 s after the change that should have closed it. */
	const within = async (client: PusherClient, closed: Promise<string>) => {
		const timer = setTimeout(() => closedBy.get(client)?.(), 10_000);
		try {
			return await closed;
		} finally {
			clearTimeout(timer);
		}
	};

	before(async () => {
		stack = await startStack();
		await createCollection(stack.directus, 'rooms', [{ field: 'name', type: 'string' }]);
		await createPresenceChannel(stack.directus, { channel_name: 'presence-lobby', collection: 'rooms' });
		const watching = await createUser(stack.directus, { first_name: 'Watcher' });
		watcher = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: watching.token });
		clients.push(watcher);
		const lobby = await subscribe(watcher, 'presence-lobby');
		lobby.bind('pusher:member_removed', (member: { id: string }) => {
			removed.push(member.id);
			for (const w of waiters.splice(0)) w();
		});
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	const memberRemoved = async (id: string) => {
		const deadline = Date.now() + 10_000;
		while (!removed.includes(id)) {
			assert.ok(Date.now() < deadline, `the watcher never saw ${id} leave`);
			await new Promise<void>((resolve) => {
				waiters.push(resolve);
				setTimeout(resolve, 200);
			});
		}
	};

	/** A user signed in through /realtime/user-auth and present in presence-lobby. */
	const join = async (user: TestUser) => {
		const client = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
		clients.push(client);
		const signedIn = new Promise<void>((resolve) => client.bind('pusher:signin_success', () => resolve()));
		client.signin();
		await signedIn;
		await subscribe(client, 'presence-lobby');
		const closed = new Promise<string>((resolve, reject) => {
			client.connection.bind('state_change', ({ current }: { current: string }) => {
				if (current !== 'connected') resolve(current);
			});
			closedBy.set(client, () => reject(new Error(`${user.first_name}: the connection stayed open`)));
		});
		closed.catch(() => {});
		return { client, closed };
	};

	const cases: Array<[string, (user: TestUser) => Promise<{ status: number }>]> = [
		['suspended', (user) => stack.directus.request('PATCH', `/users/${user.id}`, { status: 'suspended' })],
		['archived', (user) => stack.directus.request('PATCH', `/users/${user.id}`, { status: 'archived' })],
		[
			'given another role',
			async (user) => {
				const role = await stack.directus.request('POST', '/roles', { name: `other-${user.id.slice(0, 8)}` });
				return stack.directus.request('PATCH', `/users/${user.id}`, { role: role.body.data.id });
			},
		],
		['deleted', (user) => stack.directus.request('DELETE', `/users/${user.id}`)],
	];

	for (const [what, change] of cases) {
		it(`ends the connections and presence of a user who is ${what}`, async () => {
			const user = await createUser(stack.directus, { first_name: what });
			const { client, closed } = await join(user);
			assert.ok(!removed.includes(user.id));
			const res = await change(user);
			assert.ok(res.status < 300, `${what}: ${res.status}`);
			assert.notEqual(await within(client, closed), 'connected');
			await memberRemoved(user.id);
		});
	}

	it('leaves users alone whose other fields change, and users who are re-activated', async () => {
		const kept = await createUser(stack.directus, { first_name: 'Kept' });
		const { client } = await join(kept);
		assert.equal((await stack.directus.request('PATCH', `/users/${kept.id}`, { first_name: 'Still kept', status: 'active' })).status, 200);
		// A cut-off made after it has come through: by then the first change would have too.
		const gone = await createUser(stack.directus, { first_name: 'Gone' });
		const joined = await join(gone);
		await stack.directus.request('PATCH', `/users/${gone.id}`, { status: 'suspended' });
		await within(joined.client, joined.closed);
		await memberRemoved(gone.id);
		assert.equal(client.connection.state, 'connected');
		assert.ok(!removed.includes(kept.id));
	});
	it('also ends a sign-in that was under way when the user was suspended', async () => {
		const user = await createUser(stack.directus, { first_name: 'Racing' });
		let obtained!: () => void;
		const authObtained = new Promise<void>((resolve) => (obtained = resolve));
		let release!: () => void;
		const released = new Promise<void>((resolve) => (release = resolve));
		// The user authentication is answered while the user is active; pusher-js only sends it
		// (pusher:signin) after the suspension, as a slow client would.
		const client = await connectClient(stack.soketi, {
			directusUrl: stack.directus.url,
			token: user.token,
			extra: {
				userAuthentication: {
					customHandler: async ({ socketId }: { socketId: string }, callback: (error: Error | null, data: any) => void) => {
						const res = await stack.directus.request('POST', '/realtime/user-auth', undefined, { token: user.token, form: { socket_id: socketId } });
						obtained();
						await released;
						callback(null, res.body);
					},
				} as any,
			},
		});
		clients.push(client);
		const signedIn = new Promise<void>((resolve) => client.bind('pusher:signin_success', () => resolve()));
		const closed = new Promise<string>((resolve, reject) => {
			client.connection.bind('state_change', ({ current }: { current: string }) => {
				if (current !== 'connected') resolve(current);
			});
			closedBy.set(client, () => reject(new Error('the late sign-in stayed connected')));
		});
		closed.catch(() => {});
		client.signin();
		await authObtained;
		assert.equal((await stack.directus.request('PATCH', `/users/${user.id}`, { status: 'suspended' })).status, 200);
		// Past the first cut-off call: it had nothing to end yet.
		await sleep(1000);
		release();
		await signedIn;
		assert.notEqual(await within(client, closed), 'connected');
	});
});
