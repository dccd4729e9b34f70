/**
 * Soketi's cache channels (`cache-`, `private-cache-`, `presence-cache-`,
 * `private-encrypted-cache-`) against a real Directus and Soketi: rows of those kinds publish, a
 * subscriber who comes after the event gets it from Soketi's cache, /realtime/auth answers each
 * cache kind as its kind without the cache, and a row of one kind never answers for the other.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import nacl from 'tweetnacl';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, createUser, type ChannelInput, type TestUser } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';
import { pollUntil } from '../harness/time.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const PUBLISHER = 'trigger({ room: meta.payload.room }, "note", { text: meta.payload.text });';

describe('cache channels', () => {
	let stack: Stack;
	let ada: TestUser;
	const clients: PusherClient[] = [];
	const as = async (user: TestUser) => {
		const c = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
		clients.push(c);
		return c;
	};
	/** A subscriber that signs its own subscriptions: it sees whatever is sent, whatever the rows say. */
	const listener = async () => {
		const c = await connectClient(stack.soketi, { signWith: stack.pusher, presenceMember: { user_id: 'listener' } });
		clients.push(c);
		return c;
	};
	const channel = (row: Omit<ChannelInput, 'collection'>) =>
		createChannel(stack.directus, { collection: 'notes', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false, ...row });
	const authorize = (channel_name: string, user: TestUser) =>
		stack.directus.request('POST', '/realtime/auth', undefined, { token: user.token, form: { socket_id: '1234.5678', channel_name } });
	const refused = (e: any) => e.detail?.status === 403;
	/** Subscribes with the log bound first: a cache channel hands its last event right after the subscription succeeds. */
	const subscribeLogging = (client: PusherClient, name: string, event: string) => {
		const log = new EventLog(client.subscribe(name), event);
		return log;
	};

	const webhookStats = async () => {
		const res = await stack.directus.request('GET', '/realtime/health');
		assert.equal(res.status, 200, res.text);
		return res.body.webhooks;
	};
	/** Soketi sends its webhooks after the fact: waits until the counters satisfy `done`. */
	const webhookStatsUntil = async (done: (stats: any) => boolean) => {
		const deadline = Date.now() + 20_000;
		for (;;) {
			const stats = await webhookStats();
			if (done(stats)) return stats;
			assert.ok(Date.now() < deadline, `webhook counters: ${JSON.stringify(stats)}`);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	};

	before(async () => {
		stack = await startStack({ encryptionMasterKey: ENCRYPTION_KEY, directus: { env: { RT_CHANNELS_CHECK_INTERVAL: '0' } } });
		await createCollection(stack.directus, 'notes', [
			{ field: 'room', type: 'string' },
			{ field: 'text', type: 'string' },
		]);
		ada = await createUser(stack.directus, { first_name: 'Ada' });
		for (const channel_name of ['cache-notes-:room', 'private-cache-notes-:room', 'private-encrypted-cache-notes-:room']) {
			await channel({ channel_name, authorizer: channel_name.startsWith('private-') ? 'return true;' : null, publisher: PUBLISHER, trigger_on_create: true });
		}
		await channel({ channel_name: 'presence-cache-lobby-:room', authorizer: 'return { user_info: { name: auth.user.first_name } };' });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('hands a publisher\'s last event to a subscriber who comes later, from Soketi\'s cache', async () => {
		const names = ['cache-notes-r1', 'private-cache-notes-r1', 'private-encrypted-cache-notes-r1'];
		// Someone is there when the event goes out, so the test knows it went out.
		const early = await listener();
		const seen = await Promise.all(
			names.map(async (name) => {
				const log = new EventLog(await subscribe(early, name), 'note');
				return log;
			}),
		);
		await createItem(stack.directus, 'notes', { room: 'r1', text: 'hello' });
		for (const log of seen) assert.deepEqual(await log.waitFor(1), [{ text: 'hello' }]);

		// Ada joins afterwards, through /realtime/auth for the private kinds, and still gets it.
		const late = await as(ada);
		for (const name of names) {
			const log = subscribeLogging(late, name, 'note');
			assert.deepEqual(await log.waitFor(1), [{ text: 'hello' }], name);
		}
	});

	it('hears Soketi\'s cache_miss webhook when a subscriber finds nothing cached, and counts it', async () => {
		const before = await webhookStats();
		const late = await as(ada);
		const misses = subscribeLogging(late, 'private-cache-notes-empty', 'pusher:cache_miss');
		await misses.waitFor(1);
		const after = await webhookStatsUntil((stats) => stats.cache_misses > before.cache_misses);
		assert.equal(after.cache_misses, before.cache_misses + 1);
		// Nothing was ever sent there: nothing to send again.
		assert.equal(after.cache_resent, before.cache_resent);
	});

	it('answers /realtime/auth for each cache kind exactly as for its kind without the cache', async () => {
		const presence = await authorize('presence-cache-lobby-1', ada);
		assert.equal(presence.status, 200, presence.text);
		assert.deepEqual(JSON.parse(presence.body.channel_data), { user_id: ada.id, user_info: { name: 'Ada' } });
		const sealed = await authorize('private-encrypted-cache-notes-1', ada);
		assert.equal(sealed.status, 200, sealed.text);
		assert.equal(typeof sealed.body.shared_secret, 'string');
		const plain = await authorize('private-cache-notes-1', ada);
		assert.equal(plain.status, 200, plain.text);
		assert.equal(plain.body.shared_secret, undefined);
		assert.equal(plain.body.channel_data, undefined);
		const cachePublic = await authorize('cache-notes-1', ada);
		assert.equal(cachePublic.status, 403, cachePublic.text);
		assert.equal(cachePublic.body.errors[0].extensions.code, 'PUBLIC_CHANNEL');
		// A presence-cache member is a real presence member.
		const channel = (await subscribe(await as(ada), 'presence-cache-lobby-2')) as any;
		assert.equal(channel.members.me.id, ada.id);
	});

	it('lets overlapping rows (private-:x and private-cache-:x) each answer only their own kind', async () => {
		// A lenient lobby that decides first (sort 1), and a cache row that opens one room.
		await channel({ channel_name: 'private-:x', authorizer: 'return true;', sort: 1 });
		await channel({ channel_name: 'private-cache-:x', authorizer: 'return params.x === "open";', sort: 2 });
		const c = await as(ada);
		await subscribe(c, 'private-cache-open');
		// The lobby would grant this one if it answered cache names.
		await assert.rejects(subscribe(c, 'private-cache-closed'), refused);
		// And the cache row, which would refuse it, never answers a plain name.
		await subscribe(c, 'private-closed');
	});

	it('answers the history of each cache kind as /realtime/auth decides it, sealed on private-encrypted-cache-', async () => {
		const history = (name: string, token: string | null) => stack.directus.request('GET', `/realtime/channels/${name}/history?limit=5`, undefined, { token });
		await createItem(stack.directus, 'notes', { room: 'h1', text: 'kept secret' });
		const sealedName = 'private-encrypted-cache-notes-h1';
		const sealed = await pollUntil(() => history(sealedName, ada.token), (res) => res.status !== 200 || res.body.items.length > 0);
		assert.equal(sealed.status, 200, sealed.text);
		assert.deepEqual(Object.keys(sealed.body.items[0].data).sort(), ['ciphertext', 'nonce']);
		assert.ok(!sealed.text.includes('kept secret'), 'no plaintext in the answer');
		const key = createHash('sha256').update(Buffer.concat([Buffer.from(sealedName), Buffer.from(ENCRYPTION_KEY, 'base64')])).digest();
		const box = sealed.body.items[0].data;
		const opened = nacl.secretbox.open(Buffer.from(box.ciphertext, 'base64'), Buffer.from(box.nonce, 'base64'), key);
		assert.deepEqual(JSON.parse(Buffer.from(opened!).toString('utf8')).data, { text: 'kept secret' });
		// The same event on the plain kinds: readable as sent, the public one without a token.
		const open = await pollUntil(() => history('cache-notes-h1', null), (res) => res.status !== 200 || res.body.items.length > 0);
		assert.deepEqual(open.body.items[0].data.data, { text: 'kept secret' });
		// Whichever row decides private-cache-notes-h1 now (the overlapping pair's cache row may), both answer alike.
		const auth = await authorize('private-cache-notes-h1', ada);
		const read = await history('private-cache-notes-h1', ada.token);
		assert.deepEqual([read.status, read.status === 403 ? read.body : null], [auth.status, auth.status === 403 ? auth.body : null]);
		for (const name of [sealedName, 'private-cache-notes-h1', 'presence-cache-lobby-1']) assert.equal((await history(name, null)).status, 401, name);
		// Where /realtime/auth refuses (the cache row of the overlapping pair), the history refuses alike;
		// a public cache name with no cache row of its own is refused, whatever private rows match it.
		const refusal = await authorize('private-cache-closed', ada);
		assert.equal(refusal.status, 403);
		for (const name of ['private-cache-closed', 'cache-closed', 'cache-lobby-1']) {
			const res = await history(name, ada.token);
			assert.equal(res.status, 403, `${name}: ${res.text}`);
			assert.deepEqual(res.body, refusal.body, name);
		}
		assert.equal((await history('private-cache-open', ada.token)).status, 200);
		assert.equal((await history('presence-cache-lobby-1', ada.token)).status, 200);
	});

	it('refuses client events on a public cache channel row on save', async () => {
		const res = await stack.directus.request('POST', '/items/realtime_channels', { enabled: true, collection: 'notes', channel_name: 'cache-chat-:room', client_events: true });
		assert.equal(res.status, 400, res.text);
		assert.match(res.text, /public channel/);
	});

	// Last: it restarts Soketi.
	it('sends the last event again from history when Soketi lost its cache (restarted), to a new subscriber', async () => {
		const early = await listener();
		const missesBefore = (await webhookStats()).cache_misses;
		const seen = new EventLog(await subscribe(early, 'private-encrypted-cache-notes-r9'), 'note');
		// The first subscriber's miss (nothing to send yet) is answered before the event exists, and
		// must not hold the channel: the miss after the restart comes well within its second.
		await webhookStatsUntil((stats) => stats.cache_misses > missesBefore);
		await createItem(stack.directus, 'notes', { room: 'r9', text: 'state' });
		await seen.waitFor(1);
		const first = seen.envelopes[0];
		assert.ok(first, 'the event went out in its envelope');
		early.disconnect();
		await stack.soketi.stop();
		await stack.soketi.start();
		const before = await webhookStats();
		const late = await as(ada);
		const log = subscribeLogging(late, 'private-encrypted-cache-notes-r9', 'note');
		await log.waitFor(1, 20_000).catch(async (error) => {
			throw new Error(`${error.message}; webhook counters before ${JSON.stringify(before)}, now ${JSON.stringify(await webhookStats())}`);
		});
		// The same event, as it first went out: same id, seq and epoch, decrypted by the client.
		assert.deepEqual(log.envelopes[0], first);
		assert.deepEqual(log.events[0], { text: 'state' });
		const after = await webhookStatsUntil((stats) => stats.cache_resent > before.cache_resent);
		assert.equal(after.cache_resent, before.cache_resent + 1);
	});
});
