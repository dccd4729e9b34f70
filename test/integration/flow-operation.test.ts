/**
 * The Flows operation `realtime-trigger` in real Flows made through Directus' REST API: a
 * webhook Flow and an item-event Flow send to real pusher-js clients through the bundle's checks
 * and queue, and a refused send is the operation's output, so the Flow branches on it. The name
 * a Flow renders must be decided by an enabled channel row of its type (the publisher rule),
 * unless the operation's `any_channel` option is on.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import type { Directus } from '../harness/directus.js';
import { createChannel, createCollection, createItem } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import { startStack, type Stack } from '../harness/stack.js';
import { pollUntil } from '../harness/time.js';

function ok<T = any>(res: { status: number; body: any; text: string }, what: string): T {
	assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text}`);
	return res.body?.data as T;
}

interface OperationSpec {
	key: string;
	type: string;
	options: Record<string, unknown>;
	resolve?: string;
	reject?: string;
}

/** A Flow and its operations; the first one listed runs first. */
async function createFlow(directus: Directus, flow: Record<string, unknown>, operations: OperationSpec[]): Promise<string> {
	const created = ok<{ id: string }>(await directus.request('POST', '/flows', { status: 'active', accountability: 'all', ...flow }), 'creating a flow');
	const ids = new Map<string, string>();
	// Last first: resolve/reject point at operations that exist already.
	for (const [index, op] of [...operations].reverse().entries()) {
		const row = ok<{ id: string }>(
			await directus.request('POST', '/operations', {
				flow: created.id,
				key: op.key,
				name: op.key,
				type: op.type,
				position_x: 20 + index * 20,
				position_y: 1,
				options: op.options,
				resolve: op.resolve ? ids.get(op.resolve) : null,
				reject: op.reject ? ids.get(op.reject) : null,
			}),
			`creating operation ${op.key}`,
		);
		ids.set(op.key, row.id);
	}
	ok(await directus.request('PATCH', `/flows/${created.id}`, { operation: ids.get(operations[0]!.key) }), 'starting the flow at its first operation');
	return created.id;
}

describe('the Flows operation realtime-trigger', () => {
	let stack: Stack;
	let webhook: string;
	let free: string;
	let steered: string;
	const clients: PusherClient[] = [];

	before(async () => {
		stack = await startStack({ encryptionMasterKey: undefined, directus: { env: { RT_MAX_PAYLOAD_KB: '2' } } });
		const d = stack.directus;
		await createCollection(d, 'orders', [{ field: 'title', type: 'string' }]);
		await createCollection(d, 'chat_refusals', [
			{ field: 'reason', type: 'text' },
			{ field: 'title', type: 'string' },
		]);
		await createCollection(d, 'chat', [
			{ field: 'to', type: 'string' },
			{ field: 'text', type: 'string' },
		]);
		await createCollection(d, 'refusals', [
			{ field: 'reason', type: 'text' },
			{ field: 'title', type: 'string' },
		]);
		// The rows that decide the names the Flows send to; they publish nothing themselves.
		const quiet = { collection: 'orders', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };
		for (const channel_name of ['news', 'room', 'order-:title']) await createChannel(d, { ...quiet, channel_name });
		await createChannel(d, { ...quiet, channel_name: 'private-chat-:userId', authorizer: 'return true;' });
		await createPresenceChannel(d, { collection: 'orders', channel_name: 'presence-off-:n', authorizer: 'return {};', enabled: false });
		webhook = await createFlow(d, { name: 'rt webhook', trigger: 'webhook', options: { method: 'POST', async: false, return: '$last' } }, [
			{
				key: 'rt',
				type: 'realtime-trigger',
				options: { channel: '{{$trigger.body.channel}}', event: '{{$trigger.body.event}}', payload: { text: '{{$trigger.body.text}}', fixed: 1 }, exclude_socket_id: '{{$trigger.body.exclude}}' },
			},
		]);
		// An option templated from the caller's body: only the form's boolean turns free names on.
		steered = await createFlow(d, { name: 'rt webhook, templated any_channel', trigger: 'webhook', options: { method: 'POST', async: false, return: '$last' } }, [
			{ key: 'rt', type: 'realtime-trigger', options: { channel: '{{$trigger.body.channel}}', event: 'x', payload: {}, any_channel: '{{$trigger.body.free}}' } },
		]);
		free = await createFlow(d, { name: 'rt webhook, free names', trigger: 'webhook', options: { method: 'POST', async: false, return: '$last' } }, [
			{ key: 'rt', type: 'realtime-trigger', options: { channel: '{{$trigger.body.channel}}', event: 'free', payload: { text: '{{$trigger.body.text}}' }, any_channel: true } },
		]);
		// A template filled from item data, as the example: private-chat-{{...}}.
		await createFlow(d, { name: 'rt chat', trigger: 'event', options: { type: 'action', scope: ['items.create'], collections: ['chat'] } }, [
			{ key: 'rt', type: 'realtime-trigger', options: { channel: 'private-{{$trigger.payload.to}}', event: 'message', payload: { text: '{{$trigger.payload.text}}' } }, resolve: 'check' },
			{ key: 'check', type: 'condition', options: { filter: { rt: { sent: { _eq: false } } } }, resolve: 'note' },
			{ key: 'note', type: 'item-create', options: { collection: 'chat_refusals', payload: { reason: '{{rt.reason}}', title: '{{$trigger.payload.to}}' } } },
		]);
		await createFlow(d, { name: 'rt on orders', trigger: 'event', options: { type: 'action', scope: ['items.create'], collections: ['orders'] } }, [
			{ key: 'rt', type: 'realtime-trigger', options: { channel: 'order-{{$trigger.payload.title}}', event: 'created', payload: '{"id": {{$trigger.key}}, "title": "{{$trigger.payload.title}}"}' }, resolve: 'check' },
			{ key: 'check', type: 'condition', options: { filter: { rt: { sent: { _eq: false } } } }, resolve: 'note' },
			{ key: 'note', type: 'item-create', options: { collection: 'refusals', payload: { reason: '{{rt.reason}}', title: '{{$trigger.payload.title}}' } } },
		]);
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	const trigger = (body: unknown) => stack.directus.request('POST', `/flows/trigger/${webhook}`, body);
	const triggerFree = (body: unknown) => stack.directus.request('POST', `/flows/trigger/${free}`, body);

	it('a webhook Flow sends to a real client and answers { sent: true, channel, event }', async () => {
		const client = await connectClient(stack.soketi);
		clients.push(client);
		const log = new EventLog(await subscribe(client, 'news'), 'headline');
		const res = await trigger({ channel: 'news', event: 'headline', text: 'hello' });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body, { sent: true, channel: 'news', event: 'headline' });
		assert.deepEqual(await log.waitFor(1), [{ text: 'hello', fixed: 1 }]);
		// It went through the queue: the tail shows it, from no row.
		const tail = (await stack.directus.request('GET', '/realtime/tail')).body.data;
		assert.ok(tail.some((e: any) => e.channel === 'news' && e.event === 'headline' && e.row === null));
	});

	it('excludes the given socket, and refuses a malformed one', async () => {
		const sender = await connectClient(stack.soketi);
		const other = await connectClient(stack.soketi);
		clients.push(sender, other);
		const mine = new EventLog(await subscribe(sender, 'room'), 'said');
		const theirs = new EventLog(await subscribe(other, 'room'), 'said');
		assert.equal((await trigger({ channel: 'room', event: 'said', text: 'a', exclude: sender.connection.socket_id })).body.sent, true);
		await theirs.waitFor(1);
		assert.equal((await trigger({ channel: 'room', event: 'said', text: 'b' })).body.sent, true);
		await mine.waitFor(1);
		assert.deepEqual(mine.events, [{ text: 'b', fixed: 1 }]);
		const bad = await trigger({ channel: 'room', event: 'said', text: 'c', exclude: 'not-a-socket' });
		assert.equal(bad.body.sent, false);
		assert.match(bad.body.reason, /socket id/);
	});

	it('answers refused sends as { sent: false, reason } with the same checks as publishers', async () => {
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ channel: 'bad name', event: 'x' }, /channel name/i],
			[{ channel: '', event: 'x' }, /channel name/i],
			[{ channel: 'c'.repeat(300), event: 'x' }, /longer than/],
			[{ channel: 'news', event: 'pusher:internal' }, /reserved/],
			[{ channel: 'news', event: '' }, /event name/],
			[{ channel: 'news', event: 'big', text: 'z'.repeat(5000) }, /RT_MAX_PAYLOAD_KB/],
			[{ channel: 'private-encrypted-x', event: 'x' }, /RT_ENCRYPTION_MASTER_KEY/],
		];
		for (const [body, reason] of cases) {
			const res = await trigger(body);
			assert.equal(res.status, 200, res.text);
			assert.equal(res.body.sent, false, JSON.stringify(body).slice(0, 100));
			assert.match(res.body.reason, reason);
		}
		const line = stack.directus.logs().find((l) => /realtime-trigger refused an event/.test(String(l.msg)));
		assert.ok(line, 'refusals are logged');
	});

	it('sends only to a name an enabled row of its type decides: others are refused with a reason and logged', async () => {
		const cases: Array<[string, RegExp]> = [
			// No row at all, public or not: item data cannot pick a name nobody decides.
			['headlines', /no enabled channel row of kind public matches "headlines"/],
			['private-admin-5', /no enabled channel row of kind private/],
			['private-encrypted-chat-5', /RT_ENCRYPTION_MASTER_KEY|no enabled channel row/],
			// A private row's pattern never answers for presence; a disabled row decides nothing.
			['presence-chat-5', /no enabled channel row of kind presence/],
			['presence-off-1', /no enabled channel row of kind presence/],
			// A user's channel is no row's: refused without any_channel.
			['#server-to-user-5', /user's channel.*any_channel/],
		];
		for (const [channel, reason] of cases) {
			const res = await trigger({ channel, event: 'x', text: 'no' });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.body.sent, false, channel);
			assert.match(res.body.reason, reason, channel);
			await stack.directus.waitForLog((l) => String(l.msg).includes('realtime-trigger refused an event') && String(l.msg).includes(channel));
		}
		// A name a row decides goes out, whatever the row's type.
		const client = await connectClient(stack.soketi);
		clients.push(client);
		const log = new EventLog(await subscribe(client, 'news'), 'ruled');
		assert.equal((await trigger({ channel: 'news', event: 'ruled', text: 'yes' })).body.sent, true);
		assert.deepEqual(await log.waitFor(1), [{ text: 'yes', fixed: 1 }]);
		assert.equal((await trigger({ channel: 'private-chat-5', event: 'x', text: 'yes' })).body.sent, true);
	});

	it('an item-event Flow with private-{{item data}} sends only where a row decides, and refuses the rest', async () => {
		const tag = randomBytes(3).toString('hex');
		await createItem(stack.directus, 'chat', { to: `chat-${tag}`, text: 'to a chat' });
		await createItem(stack.directus, 'chat', { to: `admin-${tag}`, text: 'steered' });
		const refusals: any[] = await pollUntil(async () => (await stack.directus.request('GET', '/items/chat_refusals')).body.data, (rows: any[]) => rows.length > 0);
		assert.deepEqual(refusals.map((r) => r.title), [`admin-${tag}`], 'only the steered name was refused');
		assert.match(refusals[0].reason, /no enabled channel row of kind private/);
	});

	it('with any_channel on, any name Pusher accepts is sent, and #server-to-user-<id> takes a user id', async () => {
		const client = await connectClient(stack.soketi);
		clients.push(client);
		const log = new EventLog(await subscribe(client, 'unruled'), 'free');
		const res = await triggerFree({ channel: 'unruled', text: 'free' });
		assert.deepEqual(res.body, { sent: true, channel: 'unruled', event: 'free' });
		assert.deepEqual(await log.waitFor(1), [{ text: 'free' }]);
		assert.deepEqual((await triggerFree({ channel: '#server-to-user-5', text: 'hi' })).body, { sent: true, channel: '#server-to-user-5', event: 'free' });
		for (const channel of ['bad name', '#server-to-user-', '#server-to-user-a b', 'c'.repeat(300)]) {
			const refused = await triggerFree({ channel, text: 'no' });
			assert.equal(refused.body.sent, false, channel);
		}
	});

	it('a templated any_channel is on only when it renders the boolean true (Flows render a lone {{x}} as its value)', async () => {
		for (const free of ['true', 1, 'yes', null]) {
			for (const channel of ['unruled', '#server-to-user-5']) {
				const res = await stack.directus.request('POST', `/flows/trigger/${steered}`, { channel, free });
				assert.equal(res.status, 200, res.text);
				assert.equal(res.body.sent, false, `${channel} with free=${JSON.stringify(free)}`);
			}
		}
		// What the README warns about: a template there hands the switch to whoever fills it.
		assert.equal((await stack.directus.request('POST', `/flows/trigger/${steered}`, { channel: 'unruled', free: true })).body.sent, true);
	});

	it('an item-event Flow sends to a client, and a refused send takes the Flow\'s other branch with its reason', async () => {
		const client = await connectClient(stack.soketi);
		clients.push(client);
		const tag = randomBytes(3).toString('hex');
		const log = new EventLog(await subscribe(client, `order-${tag}`), 'created');
		const order = await createItem<{ id: number }>(stack.directus, 'orders', { title: tag });
		assert.deepEqual(await log.waitFor(1), [{ id: order.id, title: tag }]);

		await createItem(stack.directus, 'orders', { title: 'has spaces' });
		const refusals: any[] = await pollUntil(async () => (await stack.directus.request('GET', '/items/refusals')).body.data, (rows: any[]) => rows.length > 0);
		assert.equal(refusals.length, 1, 'only the refused send took the refusal branch');
		assert.equal(refusals[0].title, 'has spaces');
		assert.match(refusals[0].reason, /channel name/i);
	});
});
