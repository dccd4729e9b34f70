/**
 * Two Directus instances on one database, without Redis: a channel row changed through one is in
 * force on the other within 2 s, whatever the change touches. A reorder (POST /utils/sort, as
 * dragging rows in the Data Studio does) sets no date; with RT_DONT_PRESET nothing sets
 * `date_updated`; on MySQL two edits within one second leave the same `date_updated`. The other
 * instance is watched only from outside: the decisions its POST /realtime/auth answers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createUser, type ChannelInput, type TestUser } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';
import { authorizingRow as row, follows, joinStatus } from '../harness/instances.js';
import { startOfSecond } from '../harness/time.js';

const DB = process.env.DB ?? 'sqlite';

const ALLOW = 'return true;';
const REFUSE = 'return false;';

interface Pair {
	stack: Stack;
	a: Directus;
	b: Directus;
	user: TestUser;
	stop(): Promise<void>;
}

async function startPair(env: Record<string, string>, envB: Record<string, string> = {}): Promise<Pair> {
	const stack = await startStack({ directus: { env } });
	let b: Directus | undefined;
	try {
		b = await startDirectus({ sameDatabaseAs: stack.directus, env: { ...stack.rtEnv, ...env, ...envB } });
		const user = await createUser(stack.directus, { first_name: 'Follower' });
		return {
			stack,
			a: stack.directus,
			b,
			user,
			async stop() {
				await b?.stop();
				await stack.stop();
			},
		};
	} catch (error) {
		await b?.stop();
		await stack.stop();
		throw error;
	}
}

describe(`channel rows changed on one instance, in force on another sharing the ${DB} database`, () => {
	let pair: Pair;
	before(async () => {
		// B checks every 250 ms, so that it can read the rows between two edits in one second.
		pair = await startPair({}, { RT_CHANNELS_CHECK_INTERVAL: '250' });
	});
	after(async () => {
		await pair?.stop();
	});

	it('follows a reorder made through POST /utils/sort/realtime_channels (no date changes)', async () => {
		const { a, b, user } = pair;
		const first = await createChannel(a, row({ channel_name: 'private-order-:x', authorizer: ALLOW, sort: 1 }));
		const second = await createChannel(a, row({ channel_name: 'private-order-:x(\\d+)', authorizer: REFUSE, sort: 2 }));
		await follows(b, user, 'private-order-7', 200, Date.now());
		const since = Date.now();
		const sorted = await a.request('POST', '/utils/sort/realtime_channels', { item: second.id, to: first.id });
		assert.ok(sorted.status < 300, sorted.text);
		// Directus emits realtime_channels.items.sort for it: the instance that sorted follows at once.
		assert.equal(await joinStatus(a, user, 'private-order-7'), 403);
		await follows(b, user, 'private-order-7', 403, since);
		// And back.
		const back = Date.now();
		assert.ok((await a.request('POST', '/utils/sort/realtime_channels', { item: first.id, to: second.id })).status < 300);
		assert.equal(await joinStatus(a, user, 'private-order-7'), 200);
		await follows(b, user, 'private-order-7', 200, back);
	});

	it('follows a script edit', async () => {
		const { a, b, user } = pair;
		const edited = await createChannel(a, row({ channel_name: 'private-edit-:x', authorizer: ALLOW }));
		await follows(b, user, 'private-edit-1', 200, Date.now());
		const since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${edited.id}`, { authorizer: REFUSE })).status, 200);
		await follows(b, user, 'private-edit-1', 403, since);
	});

	it('follows a disable, and an enable', async () => {
		const { a, b, user } = pair;
		const toggled = await createChannel(a, row({ channel_name: 'private-toggle-:x', authorizer: ALLOW }));
		await follows(b, user, 'private-toggle-1', 200, Date.now());
		const since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${toggled.id}`, { enabled: false })).status, 200);
		await follows(b, user, 'private-toggle-1', 403, since);
		const again = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${toggled.id}`, { enabled: true })).status, 200);
		await follows(b, user, 'private-toggle-1', 200, again);
	});

	it('follows a one-character edit at the end of a long script (60 KB; same length before and after)', async () => {
		const { a, b, user } = pair;
		// 60 KB fits MySQL's TEXT; PostgreSQL and MySQL digest it themselves, SQLite hands it over.
		const script = (verdict: '0' | '1') => `// ${'x'.repeat(60_000)}\nreturn !${verdict};`;
		const long = await createChannel(a, row({ channel_name: 'private-long-:x', authorizer: script('0') }));
		await follows(b, user, 'private-long-1', 200, Date.now());
		const since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${long.id}`, { authorizer: script('1') })).status, 200);
		await follows(b, user, 'private-long-1', 403, since);
	});

	it('follows the second of two edits made within one second (MySQL keeps whole seconds)', async () => {
		const { a, b, user } = pair;
		const edited = await createChannel(a, row({ channel_name: 'private-twice-:x', authorizer: ALLOW }));
		await follows(b, user, 'private-twice-1', 200, Date.now());
		await startOfSecond(150);
		const since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${edited.id}`, { authorizer: REFUSE })).status, 200);
		await follows(b, user, 'private-twice-1', 403, since);
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${edited.id}`, { authorizer: ALLOW })).status, 200);
		const second = Date.now();
		assert.ok(second - since < 1000, `the two edits were ${second - since} ms apart; the machine was too slow to test this`);
		await follows(b, user, 'private-twice-1', 200, second);
	});
});

describe(`channel rows with RT_DONT_PRESET (no date fields set), two instances on one ${DB} database`, () => {
	let pair: Pair;
	before(async () => {
		pair = await startPair({ RT_DONT_PRESET: 'true' });
	});
	after(async () => {
		await pair?.stop();
	});

	it('follows two script edits made within one second, and a disable', async () => {
		const { a, b, user } = pair;
		// Without the preset Directus knows no uuid default for the id.
		const edited = await createChannel(a, { id: randomUUID(), ...row({ channel_name: 'private-bare-:x', authorizer: ALLOW }) } as ChannelInput);
		await follows(b, user, 'private-bare-1', 200, Date.now());
		const since = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${edited.id}`, { authorizer: REFUSE })).status, 200);
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${edited.id}`, { authorizer: `${REFUSE} // twice` })).status, 200);
		await follows(b, user, 'private-bare-1', 403, since);
		const back = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${edited.id}`, { authorizer: ALLOW })).status, 200);
		await follows(b, user, 'private-bare-1', 200, back);
		const off = Date.now();
		assert.equal((await a.request('PATCH', `/items/realtime_channels/${edited.id}`, { enabled: false })).status, 200);
		await follows(b, user, 'private-bare-1', 403, off);
	});
});
