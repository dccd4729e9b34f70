/**
 * Scripts never stall Directus: with a script that loops forever, Directus keeps answering other
 * requests while the script runs (until RT_SCRIPT_TIMEOUT ends it). No timing is asserted: the
 * tests check the order in which things happen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';
import { sleep } from '../harness/time.js';

describe('scripts do not stall Directus', () => {
	let stack: Stack;
	let ada: TestUser;
	const clients: PusherClient[] = [];

	before(async () => {
		({
			stack,
			users: { ada },
		} = await startStackWithUsers({ directus: { env: { RT_SCRIPT_TIMEOUT: '1000', RT_SCRIPT_MAX_CALLS: '20', RT_SCRIPT_MAX_CONCURRENT_CALLS: '2' } }, users: { ada: { first_name: 'Ada' } } }));
		const d = stack.directus;
		await createCollection(d, 'notes', [{ field: 'text', type: 'string' }]);
		await createCollection(d, 'tasks', [{ field: 'title', type: 'string' }]);
		await createCollection(d, 'slow', [{ field: 'text', type: 'string' }]);
		await createChannel(d, {
			channel_name: 'private-spin',
			collection: 'notes',
			authorizer: 'while (true) {}',
			publisher: null,
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		const counting: Array<[string, string]> = [
			['private-many-calls', "for (let i = 0; i < 25; i++) await can('read', 'notes', 1);\nreturn true;"],
			['private-parallel-calls', "const answers = await Promise.all([1, 2, 3, 4, 5].map((id) => can('read', 'notes', id)));\nreturn answers.length === 5;"],
		];
		for (const [channel_name, authorizer] of counting) {
			await createChannel(d, { channel_name, collection: 'notes', authorizer, publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false });
		}
		await createChannel(d, {
			channel_name: 'private-busy',
			collection: 'notes',
			authorizer: 'const end = Date.now() + 400; while (Date.now() < end) {}\nreturn true;',
			publisher: null,
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		await createCollection(d, 'news', [{ field: 'text', type: 'string' }]);
		await createChannel(d, {
			channel_name: 'news-feed',
			collection: 'news',
			authorizer: null,
			publisher: "trigger({}, 'posted', { text: meta.payload.text });",
			trigger_on_create: true,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		await createChannel(d, {
			channel_name: 'spin-notes',
			collection: 'notes',
			authorizer: null,
			publisher: "trigger({}, 'created', meta.payload);\nwhile (true) {}",
			trigger_on_create: true,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('answers /server/ping while eight requests wait on an authorizer that loops forever', async () => {
		let settled = 0;
		const requests = Array.from({ length: 8 }, (_, i) =>
			stack.directus
				.request('POST', '/realtime/auth', undefined, { token: ada.token, form: { socket_id: `1234.${i + 1}`, channel_name: 'private-spin' } })
				.finally(() => settled++),
		);
		// Lets the requests get through Directus' middleware to their scripts (not a speed check).
		await sleep(300);
		const ping = await stack.directus.request('GET', '/server/ping');
		const settledAtPing = settled;
		assert.equal(ping.status, 200);
		assert.equal(ping.text, 'pong');
		// A script holding Directus' thread for its whole time limit would have answered (403) at
		// least one of the eight before the ping got through.
		assert.equal(settledAtPing, 0, 'the ping was answered while every authorizer was still running');
		for (const response of await Promise.all(requests)) assert.equal(response.status, 403);
	});

	it('answers writes while a publisher loops forever', async () => {
		const failed = () => stack.directus.logs().some((l) => String(l.msg).includes('publisher of') && String(l.msg).includes('(spin-notes)'));
		const created = await stack.directus.request('POST', '/items/notes', { text: 'starts the looping publisher' });
		assert.equal(created.status, 200);
		await sleep(100);
		// Writes to another collection, one after the other, until the publisher's time is up.
		let answered = 0;
		while (!failed() && answered < 500) {
			const write = await stack.directus.request('POST', '/items/tasks', { title: `task ${answered}` });
			if (failed()) break;
			assert.equal(write.status, 200);
			answered++;
		}
		await stack.directus.waitForLog((l) => String(l.msg).includes('(spin-notes)') && String(l.msg).includes('did not finish within 1000 ms'));
		// A publisher holding Directus' thread would let no write through until it timed out.
		assert.ok(answered >= 2, `${answered} writes were answered while the publisher ran`);
	});

	it('publishes once the events of a publisher that outlasts its slice and is run again off the thread', async () => {
		await createChannel(stack.directus, {
			channel_name: 'slow-notes',
			collection: 'slow',
			authorizer: null,
			// 'slow' keeps the script busy past RT_SCRIPT_SLICE (5 ms) after it published.
			publisher: "trigger({}, 'created', { text: meta.payload.text });\nif (meta.payload.text === 'slow') { const end = Date.now() + 100; while (Date.now() < end) {} }",
			trigger_on_create: true,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		const c = await connectClient(stack.soketi, { signWith: stack.pusher });
		clients.push(c);
		const log = new EventLog(await subscribe(c, 'slow-notes'), 'created');
		await createItem(stack.directus, 'slow', { text: 'slow' });
		await createItem(stack.directus, 'slow', { text: 'marker' });
		// Events are sent in order: a duplicate of the first would arrive before the marker.
		assert.deepEqual(await log.waitFor(2), [{ text: 'slow' }, { text: 'marker' }]);
	});

	it('keeps publishing while a flood of join requests keeps every authorizer isolate busy', async () => {
		const c = await connectClient(stack.soketi, { signWith: stack.pusher });
		clients.push(c);
		const feed = new EventLog(await subscribe(c, 'news-feed'), 'posted');
		// 24 joins of 400 ms each on 4 isolates: about six rounds of work queued for authorizers.
		let settled = 0;
		const joins = Array.from({ length: 24 }, (_, i) =>
			stack.directus
				.request('POST', '/realtime/auth', undefined, { token: ada.token, form: { socket_id: `4321.${i + 1}`, channel_name: 'private-busy' } })
				.finally(() => settled++),
		);
		// Lets the joins reach their scripts (not a speed check).
		await sleep(300);
		await createItem(stack.directus, 'news', { text: 'still flowing' });
		assert.deepEqual(await feed.waitFor(1), [{ text: 'still flowing' }]);
		const settledAtEvent = settled;
		// Sharing one pool, the publisher's run would wait behind every queued authorizer run.
		assert.ok(settledAtEvent <= 12, `the event arrived after ${settledAtEvent} of 24 joins were answered`);
		for (const response of await Promise.all(joins)) assert.equal(response.status, 200);
	});

	it('bounds host calls per run: past RT_SCRIPT_MAX_CALLS the call throws; past the in-flight bound calls wait their turn', async () => {
		const authorize = (channel_name: string) =>
			stack.directus.request('POST', '/realtime/auth', undefined, { token: ada.token, form: { socket_id: '1234.5678', channel_name } });
		assert.equal((await authorize('private-many-calls')).status, 403);
		await stack.directus.waitForLog(
			(l) => String(l.msg).includes('(private-many-calls)') && String(l.msg).includes('can: a script run may call the host at most 20 times'),
		);
		// Five calls at once with two in flight: the other three queue, and all five answer.
		assert.equal((await authorize('private-parallel-calls')).status, 200);
	});
});
