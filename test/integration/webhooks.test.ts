/**
 * POST /realtime/webhook: real Soketi webhooks from real pusher-js clients become Directus
 * actions that a real Flow (Event Hook trigger, type action) runs on; client events only for
 * channels whose deciding row opened them; hand-made bodies with bad keys, signatures, sizes and
 * shapes are refused before anything runs.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, type TestUser } from '../harness/fixtures.js';
import { createItemFlow, createOperationFlow, readItems, waitForItems } from '../harness/flows.js';
import { createPresenceChannel } from '../harness/presence.js';
import { rawRequest } from '../harness/raw-http.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';
import { sleep } from '../harness/time.js';

function signed(stack: Stack, body: string, secret = stack.soketi.app.secret) {
	return { 'content-type': 'application/json', 'x-pusher-key': stack.soketi.app.key, 'x-pusher-signature': createHmac('sha256', secret).update(body).digest('hex') };
}

describe('POST /realtime/webhook', () => {
	let stack: Stack;
	let alice: TestUser;
	let bob: TestUser;
	const clients: PusherClient[] = [];

	const health = async () => (await stack.directus.request('GET', '/realtime/health')).body.webhooks;
	const post = (body: string, headers: Record<string, string>) => stack.directus.request('POST', '/realtime/webhook', undefined, { token: null, raw: body, headers });

	before(async () => {
		({
			stack,
			users: { alice, bob },
		} = await startStackWithUsers({ webhooks: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event'], users: { alice: { first_name: 'Alice' }, bob: { first_name: 'Bob' } } }));
		await createCollection(stack.directus, 'rooms', [{ field: 'name', type: 'string' }]);
		await createCollection(stack.directus, 'presence_log', [
			{ field: 'kind', type: 'string' },
			{ field: 'channel', type: 'string' },
			{ field: 'user_id', type: 'string' },
			{ field: 'event_name', type: 'string' },
			{ field: 'data', type: 'json', meta: { special: ['cast-json'] } },
		]);
		const base = { collection: 'rooms', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };
		await createPresenceChannel(stack.directus, { collection: 'rooms', channel_name: 'presence-room-:roomId', client_events: true });
		await createChannel(stack.directus, { ...base, channel_name: 'private-doc-:docId', authorizer: 'return true;' });
		await createChannel(stack.directus, { ...base, channel_name: 'private-doc-open-:docId', authorizer: 'return true;', client_events: true });
		await createItemFlow(stack.directus, 'realtime.member_added', 'presence_log', { kind: 'added', channel: '{{$trigger.channel}}', user_id: '{{$trigger.user_id}}' });
		await createItemFlow(stack.directus, 'realtime.member_removed', 'presence_log', { kind: 'removed', channel: '{{$trigger.channel}}', user_id: '{{$trigger.user_id}}' });
		await createItemFlow(stack.directus, 'realtime.channel_occupied', 'presence_log', { kind: 'occupied', channel: '{{$trigger.channel}}' });
		await createItemFlow(stack.directus, 'realtime.client_event', 'presence_log', {
			kind: 'client',
			channel: '{{$trigger.channel}}',
			user_id: '{{$trigger.user_id}}',
			event_name: '{{$trigger.event}}',
			data: '{{$trigger.data}}',
		});
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	const connect = async (user: TestUser) => {
		const client = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
		clients.push(client);
		return client;
	};

	it('runs a Flow with $trigger.channel and $trigger.user_id for every member joining and leaving a presence channel', async () => {
		const a = await connect(alice);
		await subscribe(a, 'presence-room-1');
		const b = await connect(bob);
		await subscribe(b, 'presence-room-1');
		const rows = await waitForItems(stack.directus, 'presence_log', { channel: { _eq: 'presence-room-1' }, kind: { _eq: 'added' } }, (r) => r.length >= 2);
		assert.deepEqual(rows.map((r) => r.user_id).sort(), [alice.id, bob.id].sort());
		const occupied = await waitForItems(stack.directus, 'presence_log', { channel: { _eq: 'presence-room-1' }, kind: { _eq: 'occupied' } }, (r) => r.length >= 1);
		assert.equal(occupied.length, 1);

		b.unsubscribe('presence-room-1');
		const removed = await waitForItems(stack.directus, 'presence_log', { channel: { _eq: 'presence-room-1' }, kind: { _eq: 'removed' } }, (r) => r.length >= 1);
		assert.deepEqual(removed.map((r) => r.user_id), [bob.id]);
	});

	it('turns client events into realtime.client_event only on channels whose deciding row has client_events on', async () => {
		const a = await connect(alice);
		const b = await connect(bob);
		const before = await health();

		// Closed: private-doc-:docId (client_events off). The other member gets it all the same.
		const [closedA, closedB] = [await subscribe(a, 'private-doc-7'), await subscribe(b, 'private-doc-7')];
		const closedLog = new EventLog(closedB, 'client-typing');
		closedA.trigger('client-typing', { typing: 'closed' });
		await closedLog.waitFor(1);
		// Directus received and dropped it: counted, not emitted.
		const deadline = Date.now() + 10_000;
		while ((await health()).dropped_client_events === before.dropped_client_events) {
			assert.ok(Date.now() < deadline, 'the client_event webhook never reached Directus');
			await sleep(100);
		}

		// Open: presence-room-2 (the presence row has it on) and private-doc-open-3 (the more specific row decides).
		const [presenceA, presenceB] = [await subscribe(a, 'presence-room-2'), await subscribe(b, 'presence-room-2')];
		const presenceLog = new EventLog(presenceB, 'client-typing');
		presenceA.trigger('client-typing', { typing: 'presence' });
		await presenceLog.waitFor(1);
		const [openA] = [await subscribe(a, 'private-doc-open-3'), await subscribe(b, 'private-doc-open-3')];
		openA.trigger('client-typing', { typing: 'open' });

		const rows = await waitForItems(stack.directus, 'presence_log', { kind: { _eq: 'client' } }, (r) => r.length >= 2);
		const byChannel = Object.fromEntries(rows.map((r) => [r.channel, r]));
		assert.deepEqual(Object.keys(byChannel).sort(), ['presence-room-2', 'private-doc-open-3']);
		assert.equal(byChannel['presence-room-2'].event_name, 'client-typing');
		assert.equal(byChannel['presence-room-2'].user_id, alice.id, 'Soketi names the sender on presence channels');
		assert.deepEqual(byChannel['presence-room-2'].data, { typing: 'presence' });
		assert.deepEqual(byChannel['private-doc-open-3'].data, { typing: 'open' });
		assert.equal((await readItems(stack.directus, 'presence_log', { kind: { _eq: 'client' }, channel: { _eq: 'private-doc-7' } })).length, 0);
		assert.equal((await health()).dropped_client_events, before.dropped_client_events + 1);
	});

	it('refuses requests without key or signature with 401 and a JSON reason, body unread', async () => {
		const body = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'member_added', channel: 'presence-room-9', user_id: 'forged' }] });
		for (const headers of [{}, { 'x-pusher-key': stack.soketi.app.key }, { 'x-pusher-signature': 'a'.repeat(64) }] as Array<Record<string, string>>) {
			const res = await post(body, { 'content-type': 'application/json', ...headers });
			assert.equal(res.status, 401, JSON.stringify(headers));
			assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
			assert.match(res.body.errors[0].extensions.reason, /X-Pusher-Key and X-Pusher-Signature/);
		}
		// Declared far larger than the limit and never sent: the answer comes all the same.
		const unread = await rawRequest({ url: stack.directus.url, method: 'POST', path: '/realtime/webhook', headers: { 'content-type': 'application/json', 'content-length': '999999999' }, stream: { totalBytes: 1_000_000, chunkBytes: 1000 } });
		assert.equal(unread.status, 401);
	});

	it('refuses a wrong key, a malformed or wrong signature, and a body signed with another secret: nothing runs', async () => {
		const before = await health();
		const body = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'member_added', channel: 'presence-room-9', user_id: 'forged' }] });
		const good = signed(stack, body);
		const cases: Array<[string, Record<string, string>, string]> = [
			['wrong key', { ...good, 'x-pusher-key': 'not-the-key' }, 'INVALID_SIGNATURE'],
			['not hex', { ...good, 'x-pusher-signature': 'zz'.repeat(32) }, 'INVALID_SIGNATURE'],
			['short', { ...good, 'x-pusher-signature': good['x-pusher-signature'].slice(0, 63) }, 'INVALID_SIGNATURE'],
			['other secret', signed(stack, body, 'app-secret'), 'INVALID_SIGNATURE'],
			['other body', signed(stack, body + ' '), 'INVALID_SIGNATURE'],
			['upper-case of another body', { ...good, 'x-pusher-signature': signed(stack, body.replace('forged', 'forgeD'))['x-pusher-signature'].toUpperCase() }, 'INVALID_SIGNATURE'],
		];
		for (const [what, headers, code] of cases) {
			const res = await post(body, headers);
			assert.equal(res.status, 401, what);
			assert.equal(res.body.errors[0].extensions.code, code, what);
			assert.ok(!res.text.includes(stack.soketi.app.secret), what);
		}
		const after = await health();
		assert.equal(after.refused, before.refused + cases.length + 0);
		assert.equal(after.received, before.received);
		assert.equal((await readItems(stack.directus, 'presence_log', { user_id: { _eq: 'forged' } })).length, 0);
	});

	it('refuses oversized bodies with 413, by Content-Length or while streaming', async () => {
		const declared = await rawRequest({
			url: stack.directus.url,
			method: 'POST',
			path: '/realtime/webhook',
			headers: { 'content-type': 'application/json', 'x-pusher-key': stack.soketi.app.key, 'x-pusher-signature': 'a'.repeat(64), 'content-length': String(300 * 1024) },
			stream: { totalBytes: 300 * 1024, chunkBytes: 16 * 1024 },
		});
		assert.equal(declared.status, 413);
		assert.equal(declared.json.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
		const chunked = await rawRequest({
			url: stack.directus.url,
			method: 'POST',
			path: '/realtime/webhook',
			headers: { 'content-type': 'application/json', 'x-pusher-key': stack.soketi.app.key, 'x-pusher-signature': 'a'.repeat(64) },
			// Far more than loopback's socket buffers hold (a few MB), so a fast client cannot have
			// written it all before the answer comes (2 MB once could, on Directus 11).
			stream: { totalBytes: 32 * 1024 * 1024, chunkBytes: 64 * 1024 },
		});
		assert.equal(chunked.status, 413);
		assert.ok(chunked.sentBeforeAnswer < chunked.bodyBytes, `answered after ${chunked.sentBeforeAnswer} of ${chunked.bodyBytes} body bytes`);
		// Just under the limit, correctly signed: accepted (the limit is the limit).
		const filler = 'x'.repeat(250 * 1024);
		const body = JSON.stringify({ time_ms: Date.now(), events: [], filler });
		assert.equal((await post(body, signed(stack, body))).status, 200);
	});

	it('answers 400 for a signed body that is not Pusher\'s shape, and ignores (counts) unknown event names', async () => {
		const shapes = ['{not json', '[]', 'null', '{"time_ms":1}', '{"time_ms":"x","events":[]}', '{"time_ms":1,"events":{}}', '{"time_ms":1,"events":[1]}', '{"time_ms":1,"events":[{"name":"member_added"}]}', '{"time_ms":1,"events":[{"name":"member_added","channel":{"a":1}}]}', `{"time_ms":1,"events":[{"name":"member_added","channel":"presence-x","user_id":"${'u'.repeat(2000)}"}]}`];
		for (const body of shapes) {
			const res = await post(body, signed(stack, body));
			assert.equal(res.status, 400, body.slice(0, 80));
			assert.equal(res.body.errors[0].extensions.code, 'INVALID_PAYLOAD', body.slice(0, 80));
		}
		const before = await health();
		const body = JSON.stringify({ time_ms: 5, events: [{ name: 'something_new', channel: 'presence-room-9' }, { name: 'member_added', channel: 'presence-room-hand', user_id: 'by-hand' }] });
		const res = await post(body, signed(stack, body));
		assert.equal(res.status, 200);
		assert.deepEqual(res.body, { received: 2, emitted: 1 });
		const after = await health();
		assert.equal(after.unknown_events, before.unknown_events + 1);
		const rows = await waitForItems(stack.directus, 'presence_log', { user_id: { _eq: 'by-hand' } }, (r) => r.length >= 1);
		assert.equal(rows[0].channel, 'presence-room-hand');
	});

	it('shows its counters to admins only', async () => {
		const stats = await health();
		assert.deepEqual(Object.keys(stats).sort(), ['cache_misses', 'cache_resent', 'cache_throttled', 'dropped_client_events', 'emitted', 'invalid_client_events', 'public_client_events', 'received', 'refused', 'throttled_client_events', 'unknown_events']);
		const user = await stack.directus.request('GET', '/realtime/health', undefined, { token: alice.token });
		assert.deepEqual(user.body, { status: 'ok' });
	});
});

describe('Flows on realtime.client_event run with the sender\'s permissions', () => {
	let stack: Stack;
	let writer: TestUser;
	let reader: TestUser;

	const clientEvent = async (channel: string, userId: string | undefined, note: string) => {
		const body = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'client_event', channel, event: 'client-note', data: JSON.stringify({ note }), socket_id: '1.2', ...(userId ? { user_id: userId } : {}) }] });
		const res = await stack.directus.request('POST', '/realtime/webhook', undefined, { token: null, raw: body, headers: signed(stack, body) });
		assert.equal(res.status, 200, res.text);
	};

	before(async () => {
		const notes = (d: Stack['directus']) =>
			createCollection(d, 'notes', [
				{ field: 'note', type: 'string' },
				{ field: 'user_created', type: 'uuid', meta: { special: ['user-created'] } },
			]);
		({
			stack,
			users: { writer, reader },
		} = await startStackWithUsers({
			prepare: notes,
			users: { writer: { first_name: 'Writer', grants: [{ collection: 'notes', action: 'create' }] }, reader: { first_name: 'Reader', grants: [{ collection: 'notes', action: 'read' }] } },
		}));
		await createPresenceChannel(stack.directus, { collection: 'notes', channel_name: 'presence-desk-:id', client_events: true });
		await createChannel(stack.directus, { collection: 'notes', publisher: null, channel_name: 'private-desk-:id', authorizer: 'return true;', client_events: true });
		// "From Trigger" permissions: the Flow may do what whoever caused the action may do.
		await createOperationFlow(stack.directus, 'realtime.client_event', 'item-create', {
			collection: 'notes',
			permissions: '$trigger',
			emitEvents: true,
			payload: { note: '{{$trigger.data}}' },
		});
	});
	after(async () => stack?.stop());

	it('creates for a member who may create, as that member; not for one who may not, nor for a private channel\'s anonymous sender', async () => {
		await clientEvent('presence-desk-1', reader.id, 'from-reader');
		await clientEvent('private-desk-1', undefined, 'from-nobody');
		await clientEvent('presence-desk-1', 'not-a-user', 'from-a-stranger');
		await clientEvent('presence-desk-1', writer.id, 'from-writer');
		const rows = await waitForItems(stack.directus, 'notes', {}, (r) => r.some((row) => String(row.note).includes('from-writer')));
		// The writer's event came last: the others had their turn and made nothing.
		await sleep(1500);
		const all = await readItems(stack.directus, 'notes');
		assert.deepEqual(all.map((r) => JSON.parse(r.note).note), ['from-writer'], JSON.stringify(all));
		assert.equal(rows[0].user_created, writer.id, 'created as the sender');
	});
});
