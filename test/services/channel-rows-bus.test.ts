/**
 * Two Directus instances on one database, with Redis: a channel row changed through one is in
 * force on the other within 2 s although both check the rows' content only once an hour
 * (RT_CHANNELS_CHECK_INTERVAL=3600000): only the announcement over Directus' own bus explains
 * that. Then what anyone else who can publish on that Redis can do with it. Needs Redis
 * (127.0.0.1:6379 or RT_TEST_REDIS_URL); CI runs it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createUser, type TestUser } from '../harness/fixtures.js';
import { DIRECTUS_DIR, DIRECTUS_HOST } from '../harness/paths.js';
import { startStack, type Stack } from '../harness/stack.js';
import { authorizingRow as row, follows, joinStatus } from '../harness/instances.js';

const REDIS_URL = process.env.RT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// A Redis db of its own; pub/sub ignores db numbers, so a bus namespace of its own too (Directus
// 12 reads REDIS_BUS_NAMESPACE; 11 always uses `directus:bus`).
const REDIS_DB = '11';
const NAMESPACE = DIRECTUS_HOST.major >= 12 ? `directus:bus:rt-test-${process.pid}` : 'directus:bus';
const ROWS_CHANNEL = `${NAMESPACE}:realtime-pusher:channel-rows`;
const HOUR_MS = '3600000';

type Redis = { publish(channel: string, message: string | Buffer): Promise<number>; pipeline(): any; quit(): Promise<unknown> };
const IORedis = createRequire(join(DIRECTUS_DIR, 'package.json'))('ioredis') as new (url: string) => Redis;

const ALLOW = 'return true;';
const REFUSE = 'return false;';

describe("channel rows over Directus' Redis bus: two instances that check the rows once an hour", () => {
	let stack: Stack;
	let a: Directus;
	let b: Directus;
	let user: TestUser;
	let redis: Redis;

	before(async () => {
		const env = {
			REDIS: `${REDIS_URL.replace(/\/\d*$/, '')}/${REDIS_DB}`,
			REDIS_BUS_NAMESPACE: NAMESPACE,
			CACHE_ENABLED: 'false',
			RT_CHANNELS_CHECK_INTERVAL: HOUR_MS,
		};
		stack = await startStack({ directus: { env } });
		a = stack.directus;
		b = await startDirectus({ sameDatabaseAs: a, env: { ...stack.rtEnv, ...env } });
		user = await createUser(a, { first_name: 'Follower' });
		redis = new IORedis(REDIS_URL);
	});

	after(async () => {
		await redis?.quit();
		await b?.stop();
		await stack?.stop();
	});

	it('follows a reorder, a script edit and a disable made on the other instance', async () => {
		const first = await createChannel(a, row({ channel_name: 'private-order-:x', authorizer: ALLOW, sort: 1 }));
		const second = await createChannel(a, row({ channel_name: 'private-order-:x(\\d+)', authorizer: REFUSE, sort: 2 }));
		await follows(b, user, 'private-order-7', 200, Date.now());

		let since = Date.now();
		const sorted = await a.request('POST', '/utils/sort/realtime_channels', { item: second.id, to: first.id });
		assert.ok(sorted.status < 300, sorted.text);
		assert.equal(await joinStatus(a, user, 'private-order-7'), 403, 'the instance that sorted follows at once');
		await follows(b, user, 'private-order-7', 403, since);

		since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${second.id}`, { authorizer: ALLOW })).status, 200);
		await follows(b, user, 'private-order-7', 200, since);

		since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${second.id}`, { authorizer: REFUSE })).status, 200);
		await follows(b, user, 'private-order-7', 403, since);

		since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${second.id}`, { enabled: false })).status, 200);
		await follows(b, user, 'private-order-7', 200, since);
	});

	it('follows both ways: a row created and deleted on the second instance', async () => {
		await follows(a, user, 'private-back-1', 403, Date.now());
		let since = Date.now();
		const created = await createChannel(b, row({ channel_name: 'private-back-:x', authorizer: ALLOW }));
		await follows(a, user, 'private-back-1', 200, since);
		since = Date.now();
		assert.ok((await b.request('DELETE', `/items/realtime_channels/${created.id}`)).status < 300);
		await follows(a, user, 'private-back-1', 403, since);
	});

	it('follows an import (Directus emits its events inside the import, before the commit)', async () => {
		await follows(b, user, 'private-import-1', 403, Date.now());
		const since = Date.now();
		const rows = [{ id: randomUUID(), ...row({ channel_name: 'private-import-:x', authorizer: ALLOW }), enabled: true }];
		const form = new FormData();
		form.append('file', new Blob([JSON.stringify(rows)], { type: 'application/json' }), 'rows.json');
		const res = await fetch(`${a.url}/utils/import/realtime_channels`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
		assert.ok(res.status < 300, `${res.status} ${await res.text()}`);
		await follows(b, user, 'private-import-1', 200, since);
	});

	it('shrugs off forged and malformed messages on its bus channel, and still follows real changes', async () => {
		const target = await createChannel(a, row({ channel_name: 'private-forged-:x', authorizer: ALLOW }));
		await follows(b, user, 'private-forged-1', 200, Date.now());
		const junk = ['null', '5', '"x"', '[]', '{}', '{"origin":5}', JSON.stringify({ origin: 'x'.repeat(100) }), JSON.stringify({ origin: 'y', pad: 'z'.repeat(100_000) })];
		// A flood: 5,000 announcements from made-up instances, with junk between them.
		const flood = (async () => {
			for (let batch = 0; batch < 10; batch++) {
				const pipe = redis.pipeline();
				for (let i = 0; i < 500; i++) pipe.publish(ROWS_CHANNEL, i % 10 === 0 ? junk[(i / 10) % junk.length]! : JSON.stringify({ origin: `forged-${batch}-${i}` }));
				await pipe.exec();
			}
		})();
		// Meanwhile B keeps answering, with the rows as they are.
		const answers: number[] = [];
		while (answers.length < 20) answers.push(await joinStatus(b, user, 'private-forged-1'));
		await flood;
		assert.deepEqual(new Set(answers), new Set([200]));
		assert.equal((await b.request('GET', '/server/ping')).status, 200);
		// And a real change still gets through.
		const since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${target.id}`, { authorizer: REFUSE })).status, 200);
		await follows(b, user, 'private-forged-1', 403, since);
	});
});
