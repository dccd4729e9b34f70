import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection } from '../harness/fixtures.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';

describe('when the Pusher server is unreachable', () => {
	let soketi: Soketi;
	let proxy: TcpProxy;
	let directus: Directus;
	const clients: PusherClient[] = [];

	before(async () => {
		soketi = await startSoketi();
		// Directus reaches Soketi through a relay the test can cut; subscribers connect directly.
		proxy = await startTcpProxy(soketi.port);
		directus = await startDirectus({
			env: { RT_APP_ID: soketi.app.id, RT_APP_KEY: soketi.app.key, RT_APP_SECRET: soketi.app.secret, RT_APP_HOST: '127.0.0.1', RT_APP_PORT: String(proxy.port) },
		});
		await createCollection(directus, 'orders', [{ field: 'n', type: 'integer' }]);
		await createChannel(directus, { channel_name: 'orders', collection: 'orders', publisher: 'trigger({}, "order", meta.payload.n);' });
	});

	after(async () => {
		disconnectAll(...clients);
		await directus?.stop();
		await proxy?.close();
		await soketi?.stop();
	});

	it('lets writes succeed and delivers the queued events, in order, once it is reachable again', async () => {
		const c = await connectClient(soketi);
		clients.push(c);
		const log = new EventLog(await subscribe(c, 'orders'), 'order');

		await proxy.block();
		for (const n of [1, 2, 3]) {
			const res = await directus.request('POST', '/items/orders', { n });
			assert.equal(res.status, 200);
		}
		await directus.waitForLog((l) => l.level === 40 && String(l.msg).includes('retrying'));
		assert.equal(log.events.length, 0);

		await proxy.unblock();
		assert.deepEqual(await log.waitFor(3, 30_000), [1, 2, 3]);
		// Numbered once, before the first attempt: the retries kept their seq (no gap, no renumbering).
		assert.deepEqual(log.envelopes.map((e) => e.seq), [1, 2, 3]);
	});

	it('lets writes succeed while Soketi is stopped, and publishes again once it is back', async () => {
		await soketi.stop();
		const res = await directus.request('POST', '/items/orders', { n: 10 });
		assert.equal(res.status, 200);

		await soketi.start();
		const c = await connectClient(soketi);
		clients.push(c);
		const log = new EventLog(await subscribe(c, 'orders'), 'order');
		await directus.request('POST', '/items/orders', { n: 11 });
		await log.waitUntil((events) => events.includes(11), 30_000);
	});
});
