/**
 * Hostile use of the two-way features, against a real Directus and Soketi: webhooks under other
 * spellings of the path and with hostile (but signed) bodies never run anything unverified and
 * never fail with 500; users removed in bulk (a batch update, a deleted role) are cut off like
 * users changed one by one.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, subscribe, type PusherClient } from '../harness/clients.js';
import { createCollection, createUser, type TestUser } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import { startStack, type Stack } from '../harness/stack.js';

describe('two-way features under attack', () => {
	let stack: Stack;
	const clients: PusherClient[] = [];

	const sign = (body: string) => createHmac('sha256', stack.soketi.app.secret).update(body).digest('hex');
	const post = (path: string, body: string, signature: string) =>
		stack.directus.request('POST', path, undefined, {
			token: null,
			raw: body,
			headers: { 'content-type': 'application/json', 'x-pusher-key': stack.soketi.app.key, 'x-pusher-signature': signature },
		});
	const webhookStats = async () => (await stack.directus.request('GET', '/realtime/health')).body.webhooks;

	before(async () => {
		stack = await startStack();
		await createCollection(stack.directus, 'rooms', [{ field: 'name', type: 'string' }]);
		await createPresenceChannel(stack.directus, { channel_name: 'presence-hall', collection: 'rooms' });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('answers a webhook under other spellings of its path only when signed, and never with 500', async () => {
		const body = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'channel_occupied', channel: 'presence-nowhere' }] });
		const paths = ['/realtime/webhook', '/realtime/webhook/', '/REALTIME/Webhook', '/realtime//webhook', '/realtime/webhook?x=1', '//realtime/webhook'];
		for (const path of paths) {
			const before = await webhookStats();
			const forged = await post(path, body, sign(body + ' '));
			assert.ok(forged.status >= 400 && forged.status < 500, `${path} forged: ${forged.status}`);
			assert.equal((await webhookStats()).received, before.received, `${path}: a forged webhook was received`);
			// The right signature in upper case is the same signature.
			const real = await post(path, body, sign(body).toUpperCase());
			assert.ok(real.status < 500, `${path} signed: ${real.status} ${real.text}`);
			if (real.status === 200) assert.deepEqual(real.body, { received: 1, emitted: 1 }, path);
		}
		assert.equal((await post('/realtime/webhook', body, sign(body).toUpperCase())).status, 200);
	});

	it('answers 400 or 200, never 500, to signed bodies that are valid JSON but hostile', async () => {
		const deep = '['.repeat(50_000) + ']'.repeat(50_000);
		const bodies: Array<[string, string, number]> = [
			['a channel that is a number', JSON.stringify({ time_ms: 1, events: [{ name: 'channel_occupied', channel: 42 }] }), 400],
			['a name that is an object', JSON.stringify({ time_ms: 1, events: [{ name: { toString: 'x' }, channel: 'a' }] }), 400],
			['a channel of 2000 characters', JSON.stringify({ time_ms: 1, events: [{ name: 'channel_occupied', channel: 'a'.repeat(2000) }] }), 400],
			['time_ms as a string', JSON.stringify({ time_ms: '1', events: [] }), 400],
			['events as an object', JSON.stringify({ time_ms: 1, events: { 0: { name: 'channel_occupied', channel: 'a' } } }), 400],
			['__proto__ keys', `{"time_ms":1,"__proto__":{"events":[]},"events":[{"__proto__":{"name":"member_added"},"name":"channel_occupied","channel":"a","constructor":{"prototype":{"polluted":true}}}]}`, 200],
			['deeply nested data', `{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a","data":${deep}}]}`, 200],
			['8000 events of unknown names', JSON.stringify({ time_ms: 1, events: Array.from({ length: 8000 }, () => ({ name: 'zz', channel: 'a' })) }), 200],
		];
		for (const [what, body, status] of bodies) {
			const res = await post('/realtime/webhook', body, sign(body));
			assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
		}
		assert.equal(({} as Record<string, unknown>).polluted, undefined);
		assert.equal((await stack.directus.request('GET', '/server/ping')).status, 200);
	});

	/** A user signed in through /realtime/user-auth and present in presence-hall; resolves when its connection ends. */
	const join = async (user: TestUser) => {
		const client = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
		clients.push(client);
		const signedIn = new Promise<void>((resolve) => client.bind('pusher:signin_success', () => resolve()));
		client.signin();
		await signedIn;
		await subscribe(client, 'presence-hall');
		const closed = new Promise<string>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${user.first_name}: the connection stayed open`)), 15_000);
			client.connection.bind('state_change', ({ current }: { current: string }) => {
				if (current !== 'connected') {
					clearTimeout(timer);
					resolve(current);
				}
			});
		});
		closed.catch(() => {});
		return { closed };
	};

	it('cuts off every user of a batch update by keys, and of a list of items', async () => {
		const [a, b, c] = await Promise.all(['Batch A', 'Batch B', 'Batch C'].map((first_name) => createUser(stack.directus, { first_name })));
		const joined = await Promise.all([a!, b!, c!].map(join));
		const byKeys = await stack.directus.request('PATCH', '/users', { keys: [a!.id, b!.id], data: { status: 'suspended' } });
		assert.ok(byKeys.status < 300, byKeys.text);
		const other = await stack.directus.request('POST', '/roles', { name: 'batch-other' });
		const byList = await stack.directus.request('PATCH', '/users', [{ id: c!.id, role: other.body.data.id }]);
		assert.ok(byList.status < 300, byList.text);
		for (const state of await Promise.all(joined.map((j) => j.closed))) assert.notEqual(state, 'connected');
	});

	it('cuts off the users of a deleted role (Directus suspends them and clears their role)', async () => {
		const user = await createUser(stack.directus, { first_name: 'Role gone' });
		const { closed } = await join(user);
		const res = await stack.directus.request('DELETE', `/roles/${user.role}`);
		assert.ok(res.status < 300, res.text);
		assert.notEqual(await closed, 'connected');
	});
});
