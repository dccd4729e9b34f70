/**
 * The per-sender bound on client events holds across Directus instances when Directus runs with
 * Redis: two servers on one database and one Redis, a load balancer's worth of webhooks spread
 * over both, one budget. Needs Redis (127.0.0.1:6379 or RT_TEST_REDIS_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection } from '../harness/fixtures.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';
import { postWebhookEvents } from '../harness/webhooks.js';
import { startOfSecond } from '../harness/time.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BOUND = 3;

describe('client events bounded across instances over Redis', () => {
	let soketi: Soketi;
	const directus: Directus[] = [];

	before(async () => {
		soketi = await startSoketi();
		const env = {
			RT_APP_HOST: soketi.host,
			RT_APP_PORT: String(soketi.port),
			RT_APP_SECRET: soketi.app.secret,
			RT_CHANNELS_CHECK_INTERVAL: '0',
			RT_CLIENT_EVENTS_PER_SECOND: String(BOUND),
			// A Redis db of its own so parallel runs of other suites are not disturbed.
			REDIS: `${REDIS_URL.replace(/\/\d*$/, '')}/14`,
			CACHE_ENABLED: 'false',
		};
		directus.push(await startDirectus({ env }));
		directus.push(await startDirectus({ env, sameDatabaseAs: directus[0]! }));
		await createCollection(directus[0]!, 'rooms', [{ field: 'name', type: 'string' }]);
		await createChannel(directus[0]!, { channel_name: 'private-shared-:id', collection: 'rooms', authorizer: 'return true;', publisher: null, client_events: true });
	});

	after(async () => {
		for (const d of directus.reverse()) await d.stop();
		await soketi?.stop();
	});

	const post = async (server: Directus, socket: string) => {
		const res = await postWebhookEvents(server, soketi.app, [{ name: 'client_event', channel: 'private-shared-1', event: 'client-x', data: '{}', socket_id: socket }]);
		assert.equal(res.status, 200, res.text);
		return res.body.emitted as number;
	};

	it('admits one sender\'s bound per second in all, whichever server each webhook reaches', async () => {
		// Warm both (the first client event finds Redis), on another sender.
		await Promise.all(directus.map((d) => post(d, '1.1')));
		for (let attempt = 0; attempt < 3; attempt++) {
			// Start early in a second, so the burst stays in one.
			await startOfSecond(100);
			const start = Math.floor(Date.now() / 1000);
			const socket = `7.${attempt}`;
			const emitted = await Promise.all(Array.from({ length: 20 }, (_, i) => post(directus[i % 2]!, socket)));
			if (Math.floor(Date.now() / 1000) !== start) continue;
			const total = emitted.reduce((a, b) => a + b, 0);
			assert.equal(total, BOUND, `${total} of 20 emitted across two servers, bound ${BOUND}`);
			const throttled = await Promise.all(directus.map(async (d) => (await d.request('GET', '/realtime/health')).body.webhooks.throttled_client_events as number));
			assert.ok(throttled.reduce((a, b) => a + b, 0) >= 20 - BOUND, JSON.stringify(throttled));
			return;
		}
		assert.fail('no burst fitted in one second in three attempts');
	});
});
