/**
 * Two Directus servers on one database and two Soketi nodes joined by Redis: what an operator
 * runs to scale both sides out. Needs Redis (127.0.0.1:6379 or RT_TEST_REDIS_URL); CI runs it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection, createUser, type TestUser } from '../harness/fixtures.js';
import { createItemFlow, waitForItems } from '../harness/flows.js';
import { freePort } from '../harness/ports.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';
import { webhookEnv } from '../harness/stack.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new URL(REDIS_URL);

describe('scaled out: two Directus servers, two Soketi nodes over Redis', () => {
	const soketi: Soketi[] = [];
	const directus: Directus[] = [];
	const clients: PusherClient[] = [];
	let user: TestUser;

	before(async () => {
		// A Redis db of its own so parallel runs of other suites are not disturbed.
		const redisEnv = { SOKETI_ADAPTER_DRIVER: 'redis', SOKETI_DB_REDIS_HOST: redis.hostname, SOKETI_DB_REDIS_PORT: redis.port || '6379', SOKETI_DB_REDIS_DB: '5', SOKETI_ADAPTER_REDIS_PREFIX: `rt-test-${process.pid}` };
		// Each Soketi node sends its webhooks to "its" Directus, as a load balancer would spread them.
		const ports = [await freePort(), await freePort()];
		soketi.push(await startSoketi({ env: { ...redisEnv, ...webhookEnv(ports[0]!, ['member_added']) } }), await startSoketi({ env: { ...redisEnv, ...webhookEnv(ports[1]!, ['member_added']) } }));
		const rt = (node: Soketi) => ({
			RT_APP_HOST: node.host,
			RT_APP_PORT: String(node.port),
			RT_CHANNELS_CHECK_INTERVAL: '0',
			REDIS: `${REDIS_URL.replace(/\/\d*$/, '')}/6`,
			CACHE_ENABLED: 'false',
		});
		directus.push(await startDirectus({ env: rt(soketi[0]!), port: ports[0]! }));
		directus.push(await startDirectus({ env: rt(soketi[1]!), sameDatabaseAs: directus[0]!, port: ports[1]! }));
		await createCollection(directus[0]!, 'tickets', [{ field: 'title', type: 'string' }]);
		user = await createUser(directus[0]!, { first_name: 'Ops' });
	});

	after(async () => {
		disconnectAll(...clients);
		for (const d of directus.reverse()) await d.stop();
		await Promise.all(soketi.map((s) => s.stop()));
	});

	it('delivers a change made on one server to a subscriber of the other Soketi node', async () => {
		await createChannel(directus[0]!, { channel_name: 'tickets', collection: 'tickets', publisher: 'trigger({}, "ticket", { title: meta.payload.title, v: 1 });' });
		const c = await connectClient(soketi[1]!);
		clients.push(c);
		const log = new EventLog(await subscribe(c, 'tickets'), 'ticket');
		await directus[0]!.request('POST', '/items/tickets', { title: 'via A' });
		await directus[1]!.request('POST', '/items/tickets', { title: 'via B' });
		assert.deepEqual(await log.waitFor(2), [{ title: 'via A', v: 1 }, { title: 'via B', v: 1 }]);
	});

	it('applies a channel row changed on one server to the next event on the other', async () => {
		const rows = (await directus[0]!.request('GET', '/items/realtime_channels?filter[channel_name][_eq]=tickets')).body.data;
		await directus[0]!.request('PATCH', `/items/realtime_channels/${rows[0].id}`, { publisher: 'trigger({}, "ticket", { title: meta.payload.title, v: 2 });' });
		const c = await connectClient(soketi[0]!);
		clients.push(c);
		const log = new EventLog(await subscribe(c, 'tickets'), 'ticket');
		await directus[1]!.request('POST', '/items/tickets', { title: 'after the edit' });
		assert.deepEqual(await log.waitFor(1), [{ title: 'after the edit', v: 2 }]);
	});

	it('authorizes on one server a channel created on the other', async () => {
		await createChannel(directus[0]!, { channel_name: 'private-desk-:userId', collection: 'tickets', authorizer: 'return auth.user.id === params.userId;', publisher: null });
		const c = await connectClient(soketi[1]!, { directusUrl: directus[1]!.url, token: user.token });
		clients.push(c);
		await subscribe(c, `private-desk-${user.id}`);
	});

	it('handles each webhook once: one realtime.member_added action per join, whichever node and server', async () => {
		await createCollection(directus[0]!, 'joins', [{ field: 'user_id', type: 'string' }, { field: 'channel', type: 'string' }]);
		await createChannel(directus[0]!, { channel_name: 'presence-floor', collection: 'tickets', authorizer: 'return { user_id: auth.user.id };', publisher: null });
		// Both servers run this Flow (Flows reload on every instance); only the one a webhook reaches emits.
		await createItemFlow(directus[0]!, 'realtime.member_added', 'joins', { user_id: '{{$trigger.user_id}}', channel: '{{$trigger.channel}}' });
		const [ann, ben, cat] = [user, await createUser(directus[0]!, { first_name: 'Ben' }), await createUser(directus[0]!, { first_name: 'Cat' })];
		const join = async (who: TestUser, node: Soketi, server: Directus) => {
			const c = await connectClient(node, { directusUrl: server.url, token: who.token });
			clients.push(c);
			await subscribe(c, 'presence-floor');
		};
		await join(ann, soketi[0]!, directus[0]!);
		await join(ben, soketi[1]!, directus[1]!);
		// Ann again, on the other node: already a member, no second member_added.
		await join(ann, soketi[1]!, directus[1]!);
		await join(cat, soketi[0]!, directus[1]!);
		const rows = await waitForItems(directus[0]!, 'joins', {}, (r) => r.some((row) => row.user_id === cat.id));
		assert.deepEqual(rows.map((r) => r.user_id).sort(), [ann.id, ben.id, cat.id].sort());
	});
});
