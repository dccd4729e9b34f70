/**
 * The recipes of docs/recipes.md, each with its channel rows, Flows and scripts as written
 * there (the scripts read from the page itself), run with real pusher-js clients against a real
 * Directus and a real Soketi that sends webhooks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { docScripts } from '../harness/doc-scripts.js';
import { createChannel, createCollection, createItem, createUser, type TestUser } from '../harness/fixtures.js';
import { createItemFlow, createOperationFlow, waitForItems } from '../harness/flows.js';
import { startStack, type Stack } from '../harness/stack.js';

const none = { trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };

const recipes = docScripts('docs/recipes.md', 'recipe');
const ran = new Set<string>();
const recipe = (name: string) => {
	ran.add(name);
	return recipes.script(name);
};

describe('recipes', () => {
	let stack: Stack;
	let alice: TestUser;
	let bob: TestUser;
	const clients: PusherClient[] = [];

	before(async () => {
		stack = await startStack({ webhooks: ['member_added', 'member_removed', 'client_event'] });
		alice = await createUser(stack.directus, { first_name: 'Alice', grants: [{ collection: 'chat_messages', action: 'read' }, { collection: 'chat_messages', action: 'create' }] });
		bob = await createUser(stack.directus, { first_name: 'Bob', grants: [{ collection: 'chat_messages', action: 'read' }, { collection: 'chat_messages', action: 'create' }] });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	const connect = async (user?: TestUser) => {
		const client = await connectClient(stack.soketi, user ? { directusUrl: stack.directus.url, token: user.token } : {});
		clients.push(client);
		return client;
	};

	it('1. chat room: typing indicator through client events, messages persisted as items', async () => {
		await createCollection(stack.directus, 'chat_messages', [
			{ field: 'room', type: 'integer' },
			{ field: 'text', type: 'string' },
			{ field: 'user_created', type: 'uuid', meta: { special: ['user-created'] } },
		]);
		await createChannel(stack.directus, {
			channel_name: 'presence-chat-:roomId(\\d+)',
			collection: 'chat_messages',
			fields: ['id', 'room', 'text', 'user_created'],
			authorizer: recipe('chat-authorizer'),
			publisher: recipe('chat-publisher'),
			trigger_on_create: true,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		const a = await connect(alice);
		const b = await connect(bob);
		const roomA = await subscribe(a, 'presence-chat-1');
		const roomB = await subscribe(b, 'presence-chat-1');
		assert.equal((roomB as any).members.count, 2, 'both are present');

		const typing = new EventLog(roomB, 'client-typing');
		roomA.trigger('client-typing', { name: 'Alice' });
		assert.deepEqual(await typing.waitFor(1), [{ name: 'Alice' }]);

		const messages = new EventLog(roomB, 'message');
		const own = new EventLog(roomA, 'message');
		const saved = await stack.directus.request('POST', '/items/chat_messages', { room: 1, text: 'hello' }, { token: alice.token, headers: { 'X-Socket-ID': a.connection.socket_id } });
		assert.equal(saved.status, 200);
		const [message] = await messages.waitFor(1);
		assert.deepEqual(message, { id: saved.body.data.id, text: 'hello', author: alice.id });
		// Bob's answer reaches Alice: by then her own message would have too, had it not been excluded.
		await stack.directus.request('POST', '/items/chat_messages', { room: 1, text: 'hi' }, { token: bob.token, headers: { 'X-Socket-ID': b.connection.socket_id } });
		assert.deepEqual((await own.waitFor(1)).map((m) => m.text), ['hi']);
		assert.equal((await stack.directus.request('GET', '/items/chat_messages?filter[room][_eq]=1', undefined, { token: bob.token })).body.data.length, 2);
	});

	it('2. live poll with counts', async () => {
		await createCollection(stack.directus, 'polls', [{ field: 'question', type: 'string' }]);
		await createCollection(stack.directus, 'poll_votes', [
			{ field: 'poll', type: 'integer' },
			{ field: 'answer', type: 'string' },
		]);
		await stack.directus.request('POST', '/fields/polls', { field: 'votes', type: 'alias', meta: { special: ['o2m'], interface: 'list-o2m' } });
		await stack.directus.request('POST', '/relations', { collection: 'poll_votes', field: 'poll', related_collection: 'polls', meta: { one_field: 'votes' } });
		await createChannel(stack.directus, {
			channel_name: 'poll-:pollId(\\d+)',
			collection: 'poll_votes',
			fields: ['poll.id', 'poll.votes.answer'],
			publisher: recipe('poll-publisher'),
			trigger_on_create: true,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		const poll = await createItem(stack.directus, 'polls', { question: 'Tabs or spaces?' });
		const client = await connect();
		const counts = new EventLog(await subscribe(client, `poll-${poll.id}`), 'counts');
		for (const answer of ['tabs', 'spaces', 'tabs']) await createItem(stack.directus, 'poll_votes', { poll: poll.id, answer });
		await counts.waitUntil((events) => events.some((c) => c.tabs === 2 && c.spaces === 1));
		assert.deepEqual(counts.events.at(-1), { tabs: 2, spaces: 1 });
	});

	it('3. live counter', async () => {
		await createCollection(stack.directus, 'counters', [
			{ field: 'name', type: 'string' },
			{ field: 'value', type: 'float' },
		]);
		await createChannel(stack.directus, {
			channel_name: 'counter-:name',
			collection: 'counters',
			fields: ['name', 'value'],
			publisher: recipe('counter-publisher'),
			...none,
			trigger_on_update: true,
		});
		const counter = await createItem(stack.directus, 'counters', { name: 'orders', value: 0 });
		const client = await connect();
		const values = new EventLog(await subscribe(client, 'counter-orders'), 'value');
		await stack.directus.request('PATCH', `/items/counters/${counter.id}`, { value: 17.75 });
		assert.deepEqual(await values.waitFor(1), [{ value: 17.75 }]);
	});

	it('4. config / feature-flag broadcast to everyone', async () => {
		await createCollection(stack.directus, 'app_config', [{ field: 'flags', type: 'json', meta: { special: ['cast-json'] } }]);
		await createChannel(stack.directus, {
			channel_name: 'config',
			collection: 'app_config',
			fields: ['flags'],
			publisher: recipe('config-publisher'),
			...none,
			trigger_on_update: true,
		});
		const config = await createItem(stack.directus, 'app_config', { flags: { beta: false } });
		const everyone = await Promise.all([connect(), connect(alice)]);
		const logs = await Promise.all(everyone.map(async (c) => new EventLog(await subscribe(c, 'config'), 'config')));
		await stack.directus.request('PATCH', `/items/app_config/${config.id}`, { flags: { beta: true } });
		for (const log of logs) assert.deepEqual(await log.waitFor(1), [{ beta: true }]);
	});

	it('5. who is online: presence webhooks stored in a collection', async () => {
		await createCollection(stack.directus, 'online_users', [
			{ field: 'user_id', type: 'string' },
			{ field: 'channel', type: 'string' },
		]);
		await createChannel(stack.directus, {
			channel_name: 'presence-site',
			collection: 'online_users',
			authorizer: recipe('online-authorizer'),
			publisher: null,
			...none,
		});
		await createItemFlow(stack.directus, 'realtime.member_added', 'online_users', { user_id: '{{$trigger.user_id}}', channel: '{{$trigger.channel}}' });
		await createOperationFlow(stack.directus, 'realtime.member_removed', 'item-delete', {
			collection: 'online_users',
			permissions: '$full',
			query: { filter: { user_id: { _eq: '{{$trigger.user_id}}' }, channel: { _eq: '{{$trigger.channel}}' } } },
		});
		const a = await connect(alice);
		const b = await connect(bob);
		await subscribe(a, 'presence-site');
		await subscribe(b, 'presence-site');
		const online = await waitForItems(stack.directus, 'online_users', {}, (rows) => rows.length === 2);
		assert.deepEqual(online.map((r) => r.user_id).sort(), [alice.id, bob.id].sort());
		b.disconnect();
		const left = await waitForItems(stack.directus, 'online_users', {}, (rows) => rows.length === 1);
		assert.deepEqual(left.map((r) => r.user_id), [alice.id]);
	});

	it('runs every script the page marks', () => {
		assert.deepEqual([...ran].sort(), [...recipes.names].sort());
	});
});
