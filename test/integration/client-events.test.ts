/**
 * Client events stay inside what the admin opened, against a real Directus and Soketi 1.6.1 (with
 * client messages on, as Soketi accepts them on public channels too): rows of public channels
 * cannot open client events; a client event on a public channel runs no Flow even when a row in
 * the database says otherwise; signed webhooks with names /realtime/auth refuses are dropped; a
 * flood from one sender runs at most the bound's worth of Flows, counted on the row; a changed
 * user's cached permissions are not used again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { connectDatabase } from '../harness/databases.js';
import { createChannel, createCollection, type TestUser } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import { createItemFlow, createOperationFlow, readItems, waitForItems } from '../harness/flows.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';
import { postWebhookEvents } from '../harness/webhooks.js';
import { sleep } from '../harness/time.js';

/** RT_CLIENT_EVENTS_PER_SECOND of the suite: low, so the bound shows however slowly the webhooks of a flood arrive. */
const BOUND = 2;
describe('client events stay inside what the admin opened', () => {
	let stack: Stack;
	let alice: TestUser;
	const clients: PusherClient[] = [];

	const health = async () => (await stack.directus.request('GET', '/realtime/health')).body;
	const rowCounters = async (id: string) => (await health()).rows.find((r: { id: string }) => r.id === id).counters;
	const signedPost = (events: unknown[]) => postWebhookEvents(stack.directus, stack.soketi.app, events);
	const save = (row: Record<string, unknown>) => stack.directus.request('POST', '/items/realtime_channels', { collection: 'rooms', publisher: null, ...row });
	const problem = (res: { status: number; body: any; text?: string }) => {
		assert.equal(res.status, 400, res.text);
		const [error] = res.body.errors;
		assert.equal(error.extensions.code, 'FAILED_VALIDATION');
		return { field: error.extensions.field as string, message: error.extensions.validation_message as string };
	};
	/** Waits until `done` holds for the webhook counters (Soketi sends webhooks after the fact). */
	const webhooksUntil = async (done: (stats: any) => boolean, what: string) => {
		const deadline = Date.now() + 20_000;
		for (;;) {
			const stats = (await health()).webhooks;
			if (done(stats)) return stats;
			assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(stats)}`);
			await sleep(100);
		}
	};

	before(async () => {
		({
			stack,
			users: { alice },
		} = await startStackWithUsers({ webhooks: ['client_event'], directus: { env: { RT_CLIENT_EVENTS_PER_SECOND: String(BOUND) } }, users: { alice: { first_name: 'Alice' } } }));
		await createCollection(stack.directus, 'rooms', [{ field: 'name', type: 'string' }]);
		await createCollection(stack.directus, 'client_log', [
			{ field: 'channel', type: 'string' },
			{ field: 'socket_id', type: 'string' },
			{ field: 'event_name', type: 'string' },
		]);
		await createItemFlow(stack.directus, 'realtime.client_event', 'client_log', { channel: '{{$trigger.channel}}', socket_id: '{{$trigger.socket_id}}', event_name: '{{$trigger.event}}' });
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

	it('refuses client_events on a public channel row when saved, on create and on updates of only the name or only the flag', async () => {
		for (const channel_name of ['public-chat', 'chat-:id']) {
			const { field, message } = problem(await save({ channel_name, client_events: true }));
			assert.equal(field, 'client_events', channel_name);
			assert.match(message, /public channel, which anyone may join without a Directus account/, channel_name);
		}
		// A public row without it saves; turning it on later is refused, in every form of update.
		const open = (await save({ channel_name: 'lobby-:id' })).body.data;
		assert.equal(problem(await stack.directus.request('PATCH', `/items/realtime_channels/${open.id}`, { client_events: true })).field, 'client_events');
		assert.equal(problem(await stack.directus.request('PATCH', '/items/realtime_channels', { keys: [open.id], data: { client_events: true } })).field, 'client_events');
		assert.equal(problem(await stack.directus.request('PATCH', '/items/realtime_channels', [{ id: open.id, client_events: true }])).field, 'client_events');
		assert.equal(problem(await stack.directus.request('PATCH', '/items/realtime_channels', { query: { filter: { id: { _eq: open.id } } }, data: { client_events: 'true' } })).field, 'client_events');
		// Spellings a database stores as true (PostgreSQL: t, yes, on) are on too.
		for (const on of ['t', 'yes', 'on', 1]) assert.equal(problem(await stack.directus.request('PATCH', `/items/realtime_channels/${open.id}`, { client_events: on })).field, 'client_events', String(on));
		// A private row with it on cannot be renamed to a public pattern.
		const room = await createChannel(stack.directus, { channel_name: 'private-talk-:id', collection: 'rooms', authorizer: 'return true;', publisher: null, client_events: true });
		const renamed = problem(await stack.directus.request('PATCH', `/items/realtime_channels/${room.id}`, { channel_name: 'talk-:id' }));
		assert.equal(renamed.field, 'channel_name');
		// Nothing of it was saved.
		const saved = (await stack.directus.request('GET', '/items/realtime_channels?limit=-1&fields=channel_name,client_events')).body.data as Array<{ channel_name: string; client_events: boolean }>;
		assert.deepEqual(saved.filter((r) => r.client_events).map((r) => r.channel_name), ['private-talk-:id']);
		assert.ok(!saved.some((r) => ['public-chat', 'chat-:id', 'talk-:id'].includes(r.channel_name)));
		// Renaming to another private pattern, or both at once to an allowed pair, is fine.
		assert.equal((await stack.directus.request('PATCH', `/items/realtime_channels/${room.id}`, { channel_name: 'private-talks-:id' })).status, 200);
		assert.equal((await stack.directus.request('PATCH', `/items/realtime_channels/${open.id}`, { channel_name: 'presence-lobby-:id', client_events: true })).status, 200);
	});

	it('runs no Flow for a client event on a public channel, even with a row forced into the database with client_events on', async () => {
		const db = connectDatabase(stack.directus.dbEnv);
		const legacy = randomUUID();
		try {
			await db('realtime_channels').insert({ id: legacy, enabled: true, channel_name: 'public-square', collection: 'rooms', fields: JSON.stringify(['*']), authorizer: null, publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false, client_events: true });
		} finally {
			await db.destroy();
		}
		// No account needed: anyone may subscribe to a public channel, and Soketi takes client events on it.
		const [sender, listener] = [await connect(), await connect()];
		const [channel, listening] = [await subscribe(sender, 'public-square'), await subscribe(listener, 'public-square')];
		const heard = new EventLog(listening, 'client-run-flow');
		const before = (await health()).webhooks;
		channel.trigger('client-run-flow', { anonymous: true });
		await heard.waitFor(1);
		await webhooksUntil((s) => s.received > before.received, 'the public client event never reached Directus');
		await sleep(1000);
		assert.deepEqual(await readItems(stack.directus, 'client_log', { channel: { _eq: 'public-square' } }), []);
		const after = (await health()).webhooks;
		assert.equal(after.emitted, before.emitted);
		assert.equal(after.dropped_client_events, before.dropped_client_events + 1);
		assert.equal(after.public_client_events, before.public_client_events + 1);
	});

	it('drops signed webhooks whose client events name channels /realtime/auth would refuse, before matching', async () => {
		await createChannel(stack.directus, { channel_name: 'private-desk-:id', collection: 'rooms', authorizer: 'return true;', publisher: null, client_events: true });
		const before = (await health()).webhooks;
		// Each would match private-desk-:id (a parameter takes any character but "/").
		const names = [`private-desk-${'x'.repeat(160)}`, 'private-desk-a b', 'private-desk-<script>', 'private-desk-é', 'private-desk-1\n2', '#server-to-user-1'];
		const res = await signedPost(names.map((channel) => ({ name: 'client_event', channel, event: 'client-forged', data: '{}', socket_id: '9.9' })));
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body, { received: names.length, emitted: 0 });
		const after = (await health()).webhooks;
		assert.equal(after.invalid_client_events, before.invalid_client_events + names.length);
		// The same hand-made webhook with a valid name runs the Flow: the names were the only difference.
		const valid = await signedPost([{ name: 'client_event', channel: 'private-desk-1', event: 'client-forged', data: '{}', socket_id: '9.9' }]);
		assert.deepEqual(valid.body, { received: 1, emitted: 1 });
		const rows = await waitForItems(stack.directus, 'client_log', { event_name: { _eq: 'client-forged' } }, (r) => r.length >= 1);
		assert.deepEqual(rows.map((r) => r.channel), ['private-desk-1']);
	});

	it('runs at most the bound\'s worth of Flows for a flood from one sender, and counts the rest on the row', async () => {
		const room = await createChannel(stack.directus, { channel_name: 'private-flood-:id', collection: 'rooms', authorizer: 'return true;', publisher: null, client_events: true });
		const [sender, listener] = [await connect(alice), await connect(alice)];
		const channel = await subscribe(sender, 'private-flood-1');
		const heard = new EventLog(await subscribe(listener, 'private-flood-1'), 'client-flood');
		const total = 100;
		const before = (await health()).webhooks;
		const started = Date.now();
		for (let i = 0; i < total; i++) channel.trigger('client-flood', { i });
		await heard.waitFor(total, 20_000);
		// Every one reached Directus (one webhook each): each is either emitted or over the bound.
		await webhooksUntil((s) => s.received >= before.received + total, 'the flood never reached Directus');
		const counters = await rowCounters(room.id);
		const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
		await sleep(1500);
		const runs = (await readItems(stack.directus, 'client_log', { channel: { _eq: 'private-flood-1' } })).length;
		assert.ok(runs <= BOUND * seconds, `${runs} Flow runs in ${seconds} s`);
		assert.ok(runs >= BOUND, 'the first of a second pass');
		assert.ok(total - runs > 0);
		assert.deepEqual({ client_events: counters.client_events, client_events_throttled: counters.client_events_throttled }, { client_events: runs, client_events_throttled: total - runs }, 'one Flow run per emitted event; the row counts the dropped ones');
		const stats = (await health()).webhooks;
		assert.ok(stats.throttled_client_events >= counters.client_events_throttled);
	});
});

describe('a client event\'s sender permissions, cached briefly', () => {
	let stack: Stack;
	let writer: TestUser;
	let noNotes: string;

	const clientEvent = async (userId: string, note: string) => {
		const res = await postWebhookEvents(stack.directus, stack.soketi.app, [{ name: 'client_event', channel: 'presence-desk-1', event: 'client-note', data: note, socket_id: '1.2', user_id: userId }]);
		assert.equal(res.status, 200, res.text);
	};

	before(async () => {
		({
			stack,
			users: { writer },
		} = await startStackWithUsers({
			prepare: (d) => createCollection(d, 'notes', [{ field: 'note', type: 'string' }]),
			users: { writer: { first_name: 'Writer', grants: [{ collection: 'notes', action: 'create' }] } },
		}));
		await createPresenceChannel(stack.directus, { collection: 'notes', channel_name: 'presence-desk-:id', authorizer: 'return { user_id: auth.user.id };', client_events: true });
		await createOperationFlow(stack.directus, 'realtime.client_event', 'item-create', { collection: 'notes', permissions: '$trigger', emitEvents: true, payload: { note: '{{$trigger.data}}' } });
		noNotes = (await stack.directus.request('POST', '/roles', { name: 'no-notes' })).body.data.id;
	});
	after(async () => stack?.stop());

	it('does not use a user\'s cached permissions once the user is changed', async () => {
		await clientEvent(writer.id, 'before');
		// Within the cache's second: the writer is moved to a role that may not create notes.
		const moved = await stack.directus.request('PATCH', `/users/${writer.id}`, { role: noNotes });
		assert.ok(moved.status < 300, moved.text);
		await clientEvent(writer.id, 'after');
		await waitForItems(stack.directus, 'notes', {}, (rows) => rows.length >= 1);
		await sleep(1500);
		assert.deepEqual((await readItems(stack.directus, 'notes')).map((r) => r.note), ['before']);
	});
});
