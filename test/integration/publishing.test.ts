import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, createRelationM2O, createUser, type TestUser } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');

describe('publishing item changes', () => {
	let stack: Stack;
	let recipient: TestUser;
	const clients: PusherClient[] = [];
	const client = async () => {
		const c = await connectClient(stack.soketi, { signWith: stack.pusher });
		clients.push(c);
		return c;
	};

	before(async () => {
		// Soketi's event limit equals RT_MAX_PAYLOAD_KB's default (10 KB), as with Pusher Channels.
		stack = await startStack({ encryptionMasterKey: ENCRYPTION_KEY, soketi: { env: { SOKETI_EVENT_MAX_SIZE_IN_KB: '10' } } });
		const d = stack.directus;
		recipient = await createUser(d, { first_name: 'Ada' });
		await createCollection(d, 'chat', [
			{ field: 'text', type: 'string' },
			{ field: 'recipient', type: 'uuid' },
		]);
		await createRelationM2O(d, 'chat', 'recipient', 'directus_users');
		await createCollection(d, 'posts', [
			{ field: 'title', type: 'string' },
			{ field: 'category', type: 'string' },
		]);
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('runs the seed README example verbatim, relations resolved', async () => {
		// The seed README's publisher, as written there.
		const publisher = `// Remember this is PURE JAVASCRIPT
// YOU ARE RESPONSIBLE FOR WHAT IS SHARED WITH THE USER
// You can select which fields you want to see in meta.payload object (resolves relations with dot notation).
//
// in this situation fields can be : *,recipient.id,recipient.first_name
// to get all top-level fields and all second-level relational fields : *.*
 trigger({userId:meta.payload.recipient.id},"message",meta.payload);
// if you want to trigger event on another channel use broadcastTo

// if it doesn't have any dynamic parameters in channel name,pass empty object on channelParams.
broadcastTo("another-channel",{},"somethingHappend",meta.payload);

// or with params

broadcastTo("private-chat-notification-:userId",{userId:meta.payload.recipient.id},"message",meta.payload);
`;
		await createChannel(stack.directus, {
			channel_name: 'private-chat-:userId',
			collection: 'chat',
			fields: ['*', 'recipient.id', 'recipient.first_name'],
			publisher,
			authorizer: 'return auth.user.id === params.userId;',
		});
		const c = await client();
		const own = new EventLog(await subscribe(c, `private-chat-${recipient.id}`), 'message');
		const another = new EventLog(await subscribe(c, 'another-channel'), 'somethingHappend');
		const notification = new EventLog(await subscribe(c, `private-chat-notification-${recipient.id}`), 'message');

		const item = await createItem(stack.directus, 'chat', { text: 'hi Ada', recipient: recipient.id });

		const expected = { id: item.id, text: 'hi Ada', recipient: { id: recipient.id, first_name: 'Ada' } };
		assert.deepEqual(await own.waitFor(1), [expected]);
		assert.deepEqual(await another.waitFor(1), [expected]);
		assert.deepEqual(await notification.waitFor(1), [expected]);
	});

	it('sends create, update and delete to the channel the publisher names, and to no other', async () => {
		await createChannel(stack.directus, {
			channel_name: 'posts-:category',
			collection: 'posts',
			fields: ['id', 'title', 'category'],
			publisher: 'trigger({ category: meta.payload.category }, action, { key: meta.key, title: meta.payload.title, changed: meta.changed });',
		});
		const c = await client();
		const channelA = await subscribe(c, 'posts-a');
		const channelB = await subscribe(c, 'posts-b');
		const logs = {
			a: { create: new EventLog(channelA, 'create'), update: new EventLog(channelA, 'update'), delete: new EventLog(channelA, 'delete') },
			b: { create: new EventLog(channelB, 'create'), update: new EventLog(channelB, 'update'), delete: new EventLog(channelB, 'delete') },
		};

		const post = await createItem(stack.directus, 'posts', { title: 'first', category: 'a' });
		assert.deepEqual(await logs.a.create.waitFor(1), [{ key: post.id, title: 'first', changed: null }]);

		await stack.directus.request('PATCH', `/items/posts/${post.id}`, { title: 'second' });
		assert.deepEqual(await logs.a.update.waitFor(1), [{ key: String(post.id), title: 'second', changed: { title: 'second' } }]);

		await stack.directus.request('DELETE', `/items/posts/${post.id}`);
		// A delete carries the item as it was just before the delete.
		assert.deepEqual(await logs.a.delete.waitFor(1), [{ key: String(post.id), title: 'second', changed: null }]);

		// A later event on channel b arrives after everything sent before it: b saw none of a's.
		await createItem(stack.directus, 'posts', { title: 'other', category: 'b' });
		await logs.b.create.waitFor(1);
		assert.equal(logs.b.update.events.length + logs.b.delete.events.length, 0);
		assert.equal(logs.b.create.events.length, 1);
		assert.equal(logs.a.create.events.length, 1);
	});

	it('delivers a bulk update of 500 items as 500 events in batched calls to Soketi (50 at best, at most 60)', async () => {
		await createCollection(stack.directus, 'bulk', [{ field: 'n', type: 'integer' }]);
		await createChannel(stack.directus, {
			channel_name: 'bulk',
			collection: 'bulk',
			fields: ['id', 'n'],
			trigger_on_create: false,
			publisher: 'trigger({}, "changed", { id: meta.payload.id, n: meta.payload.n });',
		});
		const created = await createItem<Array<{ id: number }>>(stack.directus, 'bulk', Array.from({ length: 500 }, (_, n) => ({ n })));
		const c = await client();
		const log = new EventLog(await subscribe(c, 'bulk'), 'changed');
		const callsBefore = await stack.soketi.httpCallsReceived();

		const res = await stack.directus.request('PATCH', '/items/bulk', { keys: created.map((i) => i.id), data: { n: -1 } });
		assert.equal(res.status, 200);

		const events = await log.waitFor(500, 30_000);
		assert.deepEqual(new Set(events.map((e) => e.id)), new Set(created.map((i) => i.id)));
		assert.ok(events.every((e) => e.n === -1));
		const calls = (await stack.soketi.httpCallsReceived()) - callsBefore;
		// Batches of 10: 50 calls at best. The sender starts while the script still produces events,
		// so a first batch may leave part-full; one call per event (500) is what this catches.
		assert.ok(calls >= 50 && calls <= 60, `${calls} calls to Soketi`);
	});

	it('publishes each of 60 concurrent creates with its own values, reading them in fewer queries than events', async () => {
		const d = stack.directus;
		await createCollection(d, 'burst', [{ field: 'label', type: 'string' }]);
		await createChannel(d, {
			channel_name: 'burst',
			collection: 'burst',
			fields: ['id', 'label'],
			publisher: 'trigger({}, "created", { id: meta.key, label: meta.payload.label });',
		});
		const c = await client();
		const log = new EventLog(await subscribe(c, 'burst'), 'created');
		const readsBefore = (await d.request('GET', '/realtime/health')).body.reads;

		const created = await Promise.all(Array.from({ length: 60 }, (_, n) => createItem<{ id: number; label: string }>(d, 'burst', { label: `item-${n}` })));

		const events = await log.waitFor(60, 30_000);
		const byId = new Map(events.map((e) => [e.id, e.label]));
		for (const item of created) assert.equal(byId.get(item.id), item.label, `event of item ${item.id}`);
		assert.equal(events.length, 60, 'one event per create, none twice');
		const reads = (await d.request('GET', '/realtime/health')).body.reads;
		assert.equal(reads.requested - readsBefore.requested, 60);
		const queries = reads.queries - readsBefore.queries;
		assert.ok(queries < 60, `${queries} queries for 60 events: concurrent reads were not merged`);
	});

	it('delivers the events of writes made one after the other in the order of the writes, across collections, also when an earlier publisher runs longer', async () => {
		const d = stack.directus;
		await createCollection(d, 'steps', [{ field: 'n', type: 'integer' }]);
		await createCollection(d, 'remarks', [{ field: 'n', type: 'integer' }]);
		// Every third write's publisher takes 150 ms (off Directus' thread after its slice); the others none.
		await createChannel(d, {
			channel_name: 'timeline',
			collection: 'steps',
			publisher: 'if (meta.payload.n % 3 === 2) { const t = Date.now(); while (Date.now() - t < 150); } trigger({}, "step", meta.payload.n);',
		});
		await createChannel(d, { channel_name: 'timeline-remarks', collection: 'remarks', publisher: 'broadcastTo("timeline", {}, "step", meta.payload.n);' });
		const c = await client();
		const log = new EventLog(await subscribe(c, 'timeline'), 'step');
		for (let n = 1; n <= 12; n++) {
			const res = await d.request('POST', `/items/${n % 4 === 0 ? 'remarks' : 'steps'}`, { n });
			assert.equal(res.status, 200);
		}
		assert.deepEqual(
			await log.waitFor(12, 30_000),
			Array.from({ length: 12 }, (_, i) => i + 1),
		);
		const seqs = log.envelopes.map((e) => e.seq);
		assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'numbered in the order they left');
	});

	it('publishes the saved values of a batch update (PATCH with an array of items)', async () => {
		const c = await client();
		const log = new EventLog(await subscribe(c, 'posts-batch'), 'update');
		const a = await createItem(stack.directus, 'posts', { title: 'a0', category: 'batch' });
		const b = await createItem(stack.directus, 'posts', { title: 'b0', category: 'batch' });
		const res = await stack.directus.request('PATCH', '/items/posts', [
			{ id: a.id, title: 'a1' },
			{ id: b.id, title: 'b1' },
		]);
		assert.equal(res.status, 200);
		const events = await log.waitFor(2);
		assert.deepEqual(events.map((e) => e.title).sort(), ['a1', 'b1']);
	});

	it('leaves out the socket that made the change when the publisher passes meta.socket_id', async () => {
		await createCollection(stack.directus, 'notes', [{ field: 'text', type: 'string' }]);
		await createChannel(stack.directus, {
			channel_name: 'notes',
			collection: 'notes',
			publisher: 'trigger({}, "note", { text: meta.payload.text }, meta.socket_id);',
		});
		const author = await client();
		const reader = await client();
		const authorLog = new EventLog(await subscribe(author, 'notes'), 'note');
		const readerLog = new EventLog(await subscribe(reader, 'notes'), 'note');

		await stack.directus.request('POST', '/items/notes', { text: 'mine' }, { headers: { 'X-Socket-ID': author.connection.socket_id } });
		await stack.directus.request('POST', '/items/notes', { text: 'anyone' });

		assert.deepEqual(await readerLog.waitFor(2), [{ text: 'mine' }, { text: 'anyone' }]);
		assert.deepEqual(await authorLog.waitFor(1), [{ text: 'anyone' }]);
		assert.equal(authorLog.events.length, 1);
	});

	it("gives meta.socket_id the X-Socket-ID of the request behind each write: REST, GraphQL, batch update; null without a valid one", async () => {
		await createCollection(stack.directus, 'socket_notes', [{ field: 'text', type: 'string' }]);
		await createChannel(stack.directus, {
			channel_name: 'socket-notes',
			collection: 'socket_notes',
			publisher: 'trigger({}, "note", { action, text: meta.payload.text, socket: meta.socket_id });',
		});
		const reader = await client();
		const log = new EventLog<{ action: string; text: string; socket: string | null }>(await subscribe(reader, 'socket-notes'), 'note');
		const as = (socket: string) => ({ headers: { 'X-Socket-ID': socket } });

		const created = await stack.directus.request('POST', '/items/socket_notes', { text: 'rest' }, as('11.1'));
		assert.equal(created.status, 200);
		const graphql = await stack.directus.request('POST', '/graphql', { query: 'mutation { create_socket_notes_item(data: { text: "graphql" }) { id } }' }, as('22.2'));
		assert.equal(graphql.status, 200, JSON.stringify(graphql.body));
		const id = (created.body as { data: { id: number } }).data.id;
		assert.equal((await stack.directus.request('PATCH', '/items/socket_notes', { keys: [id], data: { text: 'batch' } }, as('33.3'))).status, 200);
		await stack.directus.request('POST', '/items/socket_notes', { text: 'malformed' }, as('not-a-socket'));
		await stack.directus.request('POST', '/items/socket_notes', { text: 'none' });

		const events = await log.waitFor(5);
		assert.deepEqual(
			events.map((e) => [e.action, e.text, e.socket]).sort(),
			[
				['create', 'graphql', '22.2'],
				['create', 'malformed', null],
				['create', 'none', null],
				['create', 'rest', '11.1'],
				['update', 'batch', '33.3'],
			],
		);
	});

	it('encrypts events to private-encrypted channels end to end', async () => {
		await createCollection(stack.directus, 'secrets', [{ field: 'text', type: 'string' }]);
		await createChannel(stack.directus, {
			channel_name: 'private-encrypted-secrets',
			collection: 'secrets',
			publisher: 'trigger({}, "secret", { text: meta.payload.text });',
		});
		const c = await client();
		const log = new EventLog(await subscribe(c, 'private-encrypted-secrets'), 'secret');
		await createItem(stack.directus, 'secrets', { text: 'for your eyes only' });
		assert.deepEqual(await log.waitFor(1), [{ text: 'for your eyes only' }]);
	});

	it('refuses, to the script, a payload that would pass the limit as sent (in its envelope, sealed): what it accepts the Pusher server takes', async () => {
		await createCollection(stack.directus, 'sized', [{ field: 'n', type: 'integer' }]);
		// The script reports its own refusal on the channel, so a lost event and a refused one differ.
		const publisher = 'try { trigger({}, "s", "x".repeat(meta.payload.n)); } catch (e) { trigger({}, "refused", { message: e.message }); }';
		for (const channel_name of ['sized-plain', 'private-encrypted-sized']) await createChannel(stack.directus, { channel_name, collection: 'sized', publisher });
		const c = await client();
		const plain = await subscribe(c, 'sized-plain');
		const sealed = await subscribe(c, 'private-encrypted-sized');
		const sent = { plain: new EventLog(plain, 's'), sealed: new EventLog(sealed, 's') };
		const refused = { plain: new EventLog(plain, 'refused'), sealed: new EventLog(sealed, 'refused') };
		// 10,140 bytes fit 10 KB bare, not in the envelope; 7,600 fit in the envelope, not sealed.
		for (const n of [10_000, 10_140, 7_000, 7_600]) await createItem(stack.directus, 'sized', { n });
		await sent.plain.waitFor(3);
		await refused.plain.waitFor(1);
		await sent.sealed.waitFor(1);
		await refused.sealed.waitFor(3);
		assert.deepEqual(sent.plain.events.map((e: string) => e.length), [10_000, 7_000, 7_600]);
		assert.deepEqual(sent.sealed.events.map((e: string) => e.length), [7_000]);
		assert.match(refused.plain.events[0].message, /payload is 10142 bytes \(up to \d+ as sent, in its envelope\), above the limit of 10240/);
		for (const refusal of refused.sealed.events) assert.match(refusal.message, /as sent, sealed, in its envelope\), above the limit of 10240/);
		// Nothing went to Soketi that it refused: the queue dropped nothing.
		const health = await stack.directus.request('GET', '/realtime/health');
		assert.equal(health.body.queue.dropped, 0, JSON.stringify(health.body.queue));
	});

	it('logs a publisher that throws, loops or names an invalid channel, and still runs the others', async () => {
		await createCollection(stack.directus, 'fragile', [{ field: 'text', type: 'string' }]);
		const broken = [
			{ channel_name: 'fragile-throws', publisher: 'throw new Error("publisher exploded");' },
			{ channel_name: 'fragile-loops', publisher: 'while (true) {}' },
			{ channel_name: 'fragile-bad-name', publisher: 'broadcastTo("not a channel", {}, "e", {});' },
			{ channel_name: 'fragile-too-big', publisher: 'trigger({}, "big", "x".repeat(20000));' },
		];
		for (const row of broken) await createChannel(stack.directus, { ...row, collection: 'fragile', sort: 1 });
		await createChannel(stack.directus, { channel_name: 'fragile-ok', collection: 'fragile', sort: 2, publisher: 'trigger({}, "ok", meta.payload.text);' });
		const c = await client();
		const log = new EventLog(await subscribe(c, 'fragile-ok'), 'ok');

		const res = await stack.directus.request('POST', '/items/fragile', { text: 'still here' });
		assert.equal(res.status, 200);
		assert.deepEqual(await log.waitFor(1), ['still here']);

		const errors = () => stack.directus.logs().filter((l) => l.level >= 50 && String(l.msg).includes('publisher of channel row'));
		await stack.directus.waitForLog((l) => String(l.msg).includes('(fragile-bad-name)'));
		await stack.directus.waitForLog((l) => String(l.msg).includes('(fragile-too-big)'));
		const messages = errors().map((l) => String(l.msg));
		assert.ok(messages.some((m) => m.includes('(fragile-throws)') && m.includes('publisher exploded')), messages.join('\n'));
		assert.ok(messages.some((m) => m.includes('(fragile-loops)') && /time/i.test(m)), messages.join('\n'));
		assert.ok(messages.some((m) => m.includes('(fragile-bad-name)') && m.includes('not a channel')), messages.join('\n'));
		assert.ok(messages.some((m) => m.includes('(fragile-too-big)') && m.includes('above the limit of 10240')), messages.join('\n'));
	});

	it('tells the publisher who made the change and which keys it touched', async () => {
		const author = await createUser(stack.directus, { first_name: 'Author', grants: [{ collection: 'posts', action: 'create' }, { collection: 'posts', action: 'update' }, { collection: 'posts', action: 'read' }] });
		await createChannel(stack.directus, {
			channel_name: 'posts-audit',
			collection: 'posts',
			fields: ['id'],
			trigger_on_create: false,
			publisher: 'trigger({}, "audit", { user: meta.user, key: meta.key, keys: meta.keys, collection, action });',
		});
		const log = new EventLog(await subscribe(await client(), 'posts-audit'), 'audit');
		const first = await createItem(stack.directus, 'posts', { title: 'x', category: 'audit' }, author.token);
		const second = await createItem(stack.directus, 'posts', { title: 'y', category: 'audit' }, author.token);
		await stack.directus.request('PATCH', '/items/posts', { keys: [first.id, second.id], data: { title: 'z' } }, { token: author.token });
		const events = await log.waitFor(2);
		const keys = [String(first.id), String(second.id)];
		assert.deepEqual(
			events.map((e) => ({ ...e, keys: e.keys.map(String), key: String(e.key) })),
			keys.map((key) => ({ user: author.id, key, keys, collection: 'posts', action: 'update' })),
		);
	});

	it('publishes nothing for collections without channel rows', async () => {
		await createCollection(stack.directus, 'quiet', [{ field: 'text', type: 'string' }]);
		const log = new EventLog(await subscribe(await client(), 'notes'), 'note');
		const before = await stack.soketi.httpCallsReceived();
		await createItem(stack.directus, 'quiet', { text: 'nobody listens' });
		await createItem(stack.directus, 'notes', { text: 'sentinel' });
		// The sentinel's event went out after the quiet item was written: one call in all.
		assert.deepEqual(await log.waitFor(1), [{ text: 'sentinel' }]);
		assert.equal((await stack.soketi.httpCallsReceived()) - before, 1);
	});
});
