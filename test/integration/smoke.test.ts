import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { startStack, type Stack } from '../harness/stack.js';

describe('the test harness', () => {
	let stack: Stack;
	let client: PusherClient | undefined;

	before(async () => {
		stack = await startStack();
	});

	after(async () => {
		disconnectAll(client);
		await stack?.stop();
	});

	it('boots Directus with the bundle loaded: one package, its hook, endpoint, Flows operation and module as entries', async () => {
		const res = await stack.directus.request('GET', '/extensions');
		assert.equal(res.status, 200);
		const ours = res.body.data.filter((e: { schema?: { name?: string }; bundle?: string | null }) => e.schema?.name === 'directus-extension-realtime-pusher' || e.bundle);
		const bundle = ours.find((e: any) => e.schema?.name === 'directus-extension-realtime-pusher');
		assert.equal(bundle?.schema.type, 'bundle');
		const entries = ours.filter((e: any) => e.bundle === bundle.id).map((e: any) => [e.schema.name, e.schema.type]).sort();
		assert.deepEqual(entries, [
			['realtime-endpoints', 'endpoint'],
			['realtime-hooks', 'hook'],
			['realtime-module', 'module'],
			['realtime-trigger', 'operation'],
		]);
		assert.ok(res.body.data.every((e: any) => !/^directus-extension-realtime-(hooks|endpoints)$/.test(e.schema?.name ?? '')), 'no separate extensions any more');
	});

	it('serves the endpoint extension under /realtime, with details for admins only', async () => {
		const admin = await stack.directus.request('GET', '/realtime/health');
		assert.equal(admin.status, 200);
		assert.deepEqual(Object.keys(admin.body.queue).sort(), ['batches', 'dropped', 'failedBatches', 'inFlight', 'queued', 'sent']);
		assert.deepEqual(Object.keys(admin.body.reads).sort(), ['queries', 'requested']);
		const anonymous = await stack.directus.request('GET', '/realtime/health', undefined, { token: null });
		assert.deepEqual(anonymous.body, { status: 'ok' });
	});

	it('creates the realtime_channels collection on start', async () => {
		const res = await stack.directus.request('GET', '/collections/realtime_channels');
		assert.equal(res.status, 200);
		assert.equal(res.body.data.collection, 'realtime_channels');
	});

	it('delivers an event sent through the Pusher HTTP API to a pusher-js client', async () => {
		client = await connectClient(stack.soketi);
		const channel = await subscribe(client, 'smoke-test');
		const log = new EventLog(channel, 'hello');
		await stack.pusher.trigger('smoke-test', 'hello', { n: 1 });
		assert.deepEqual(await log.waitFor(1), [{ n: 1 }]);
	});
});
