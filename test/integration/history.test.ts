/**
 * Numbered events and GET /realtime/channels/<name>/history against a real Directus and Soketi
 * (memory history: no Redis here; test/services/history-redis.test.ts runs the Redis store).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import nacl from 'tweetnacl';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection, createItem, createUser, login, type TestUser } from '../harness/fixtures.js';
import { waitFor } from '../harness/ports.js';
import { startStack, type Stack } from '../harness/stack.js';
import { pollUntil } from '../harness/time.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const HISTORY_SIZE = 6;
const REFUSED = { errors: [{ message: 'not allowed to join this channel', extensions: { code: 'FORBIDDEN', reason: 'not allowed to join this channel' } }] };
const OWN = 'return auth.user.id === params.userId;';

/** Rows of every channel type on `notes`, each sending `{ title }` to the owner's channel. */
async function noteChannels(d: Directus): Promise<void> {
	await createCollection(d, 'notes', [
		{ field: 'title', type: 'text' },
		{ field: 'owner', type: 'string' },
	]);
	const send = (params: string) => `trigger(${params}, 'note', { title: meta.payload.title });`;
	await createChannel(d, { channel_name: 'news', collection: 'notes', authorizer: null, publisher: send('{}') });
	await createChannel(d, { channel_name: 'private-notes-:userId', collection: 'notes', authorizer: OWN, publisher: send('{ userId: meta.payload.owner }') });
	await createChannel(d, { channel_name: 'presence-notes-:userId', collection: 'notes', authorizer: 'return auth.user.id === params.userId ? { user_info: {} } : false;', publisher: send('{ userId: meta.payload.owner }') });
	await createChannel(d, { channel_name: 'private-encrypted-notes-:userId', collection: 'notes', authorizer: OWN, publisher: send('{ userId: meta.payload.owner }') });
}

function open(channel: string, sealed: { nonce: string; ciphertext: string }): unknown {
	const key = createHash('sha256').update(Buffer.concat([Buffer.from(channel), Buffer.from(ENCRYPTION_KEY, 'base64')])).digest();
	const text = nacl.secretbox.open(Buffer.from(sealed.ciphertext, 'base64'), Buffer.from(sealed.nonce, 'base64'), key);
	assert.ok(text, 'the sealed event opens with the channel key');
	return JSON.parse(Buffer.from(text).toString('utf8'));
}

describe('numbered events and their history', () => {
	let stack: Stack;
	let ada: TestUser;
	let bob: TestUser;
	const clients: PusherClient[] = [];
	const history = (channel: string, query: string, token: string | null = ada.token) =>
		stack.directus.request('GET', `/realtime/channels/${encodeURIComponent(channel)}/history${query ? `?${query}` : ''}`, undefined, { token });
	const note = (title: string, owner = ada.id) => createItem(stack.directus, 'notes', { title, owner });
	const connect = async (user: TestUser | null) => {
		const c = await connectClient(stack.soketi, { directusUrl: stack.directus.url, ...(user ? { token: user.token } : {}) });
		clients.push(c);
		return c;
	};

	before(async () => {
		stack = await startStack({
			encryptionMasterKey: ENCRYPTION_KEY,
			directus: { env: { RT_HISTORY_SIZE: String(HISTORY_SIZE), RT_HISTORY_MAX_RESPONSE_KB: '16', RT_CHANNELS_CHECK_INTERVAL: '0' } },
		});
		await noteChannels(stack.directus);
		ada = await createUser(stack.directus, { first_name: 'Ada' });
		bob = await createUser(stack.directus, { first_name: 'Bob' });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('sends every event in an envelope: a unique id, seq 1, 2, 3 per channel, one epoch, the payload unchanged', async () => {
		const c = await connect(ada);
		const live = new EventLog(await subscribe(c, `private-notes-${ada.id}`), 'note');
		for (const title of ['one', 'two', 'three']) await note(title);
		await live.waitFor(3);
		assert.deepEqual(live.events, [{ title: 'one' }, { title: 'two' }, { title: 'three' }]);
		assert.deepEqual(live.envelopes.map((e) => e.seq), [1, 2, 3]);
		assert.equal(new Set(live.envelopes.map((e) => e.epoch)).size, 1);
		assert.equal(new Set(live.envelopes.map((e) => e.id)).size, 3);

		// The history gives back exactly what the live handler received.
		const res = await history(`private-notes-${ada.id}`, `since=0&epoch=${live.envelopes[0]!.epoch}`);
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body, {
			channel: `private-notes-${ada.id}`,
			epoch: live.envelopes[0]!.epoch,
			recovered: true,
			latest: 3,
			items: live.envelopes.map((e) => ({ id: e.id, seq: e.seq, event: 'note', data: e })),
			more: false,
		});
	});

	it('counts what it numbered in GET /realtime/health, for admins', async () => {
		const health = await stack.directus.request('GET', '/realtime/health');
		assert.equal(health.body.history.store, 'memory');
		assert.ok(health.body.history.appended >= 3, JSON.stringify(health.body.history));
		assert.equal(health.body.history.redisFailures, 0);
	});

	it('pages with since and limit, and rewinds to the newest events without since', async () => {
		const channel = `private-notes-${ada.id}`;
		const { epoch, latest } = (await history(channel, '')).body;
		const first = await history(channel, `since=${latest - 3}&epoch=${epoch}&limit=2`);
		assert.deepEqual([first.body.items.map((i: { seq: number }) => i.seq), first.body.more], [[latest - 2, latest - 1], true]);
		const next = await history(channel, `since=${latest - 1}&epoch=${epoch}&limit=2`);
		assert.deepEqual([next.body.items.map((i: { seq: number }) => i.seq), next.body.more, next.body.recovered], [[latest], false, true]);
		const rewind = await history(channel, 'limit=2');
		assert.deepEqual(rewind.body.items.map((i: { seq: number }) => i.seq), [latest - 1, latest]);
	});

	it('answers recovered: false past the window and on another epoch, with the current epoch and latest', async () => {
		const channel = `private-notes-${ada.id}`;
		for (let i = 0; i < HISTORY_SIZE; i++) await note(`flood ${i}`);
		await waitFor(async () => (await history(channel, '')).body.latest >= 3 + HISTORY_SIZE, 10_000, () => 'the flood was not numbered');
		const { epoch, latest } = (await history(channel, '')).body;
		const past = await history(channel, `since=1&epoch=${epoch}`);
		assert.deepEqual(past.body, { channel, epoch, latest, recovered: false, items: [], more: false });
		const other = await history(channel, `since=${latest - 1}&epoch=not-this-one`);
		assert.deepEqual(other.body, { channel, epoch, latest, recovered: false, items: [], more: false });
		const inWindow = await history(channel, `since=${latest - HISTORY_SIZE}&epoch=${epoch}`);
		assert.equal(inWindow.body.recovered, true);
		assert.equal(inWindow.body.items.length, HISTORY_SIZE);
	});

	it('gives a refused caller the same 403 for every channel type, and for a channel no row has', async () => {
		const asked = [`news-nobody`, `private-notes-${ada.id}`, `presence-notes-${ada.id}`, `private-encrypted-notes-${ada.id}`, 'private-nobody'];
		for (const channel of asked) {
			const res = await history(channel, 'limit=5', bob.token);
			assert.equal(res.status, 403, `${channel}: ${res.text}`);
			assert.deepEqual(res.body, REFUSED, channel);
		}
		// The refusal is that of /realtime/auth for the same caller.
		const join = await stack.directus.request('POST', '/realtime/auth', undefined, { token: bob.token, form: { socket_id: '1.2', channel_name: `private-notes-${ada.id}` } });
		assert.deepEqual(join.body, REFUSED);
	});

	it('lets anyone read a public channel a row serves, and asks for a login on the others', async () => {
		await note('for everyone');
		// The event is numbered on its way out, after Directus answered the write: wait for it.
		const open = await pollUntil(
			() => history('news', 'limit=1', null),
			(res) => res.status !== 200 || res.body.items[0]?.data.data.title === 'for everyone',
		);
		assert.equal(open.status, 200, open.text);
		assert.deepEqual(open.body.items[0].data.data, { title: 'for everyone' });
		const closed = await history(`private-notes-${ada.id}`, 'limit=1', null);
		assert.equal(closed.status, 401, closed.text);
		assert.equal(closed.body.errors[0].extensions.code, 'UNAUTHENTICATED');
	});

	it('gives a cut-off (suspended) user nothing, on any channel, with the token they still hold', async () => {
		const carol = await createUser(stack.directus, { first_name: 'Carol' });
		const jwt = await login(stack.directus, carol);
		await note('carol 1', carol.id);
		assert.equal((await history(`private-notes-${carol.id}`, '', jwt)).status, 200);
		assert.equal((await stack.directus.request('PATCH', `/users/${carol.id}`, { status: 'suspended' })).status, 200);
		for (const channel of [`private-notes-${carol.id}`, `presence-notes-${carol.id}`, `private-encrypted-notes-${carol.id}`, 'news']) {
			const res = await history(channel, '', jwt);
			assert.equal(res.status, 403, `${channel}: ${res.text}`);
			assert.deepEqual(res.body, REFUSED);
		}
	});

	it('returns an encrypted channel\'s events sealed, opening to the envelope the live client decrypted', async () => {
		const channel = `private-encrypted-notes-${ada.id}`;
		const c = await connect(ada);
		const live = new EventLog(await subscribe(c, channel), 'note');
		await note('secret');
		await live.waitFor(1);
		const res = await history(channel, 'limit=1');
		assert.equal(res.status, 200, res.text);
		const item = res.body.items[0];
		assert.deepEqual(Object.keys(item.data).sort(), ['ciphertext', 'nonce']);
		assert.ok(!res.text.includes('secret'), 'no plaintext in the answer');
		assert.deepEqual(open(channel, item.data), live.envelopes[0]);
	});

	it('keeps the answer within RT_HISTORY_MAX_RESPONSE_KB, saying there is more', async () => {
		for (const letter of ['x', 'y', 'z']) await note(letter.repeat(6000), bob.id);
		const channel = `private-notes-${bob.id}`;
		await waitFor(async () => (await history(channel, '', bob.token)).body.latest >= 3, 10_000, () => 'not numbered');
		const { epoch } = (await history(channel, '', bob.token)).body;
		const res = await history(channel, `since=0&epoch=${epoch}`, bob.token);
		assert.equal(res.status, 200, res.text);
		assert.ok(res.body.items.length < 3 && res.body.items.length >= 1, `${res.body.items.length} items`);
		assert.equal(res.body.more, true);
		assert.ok(res.text.length < 16 * 1024 + 2048, `${res.text.length} bytes`);
	});

	it('answers malformed and hostile queries with a clear 400, before any decision', async () => {
		const channel = `private-notes-${ada.id}`;
		const cases = ['since=abc&epoch=e', 'since=1', 'epoch=e', 'since=-1&epoch=e', `since=${'9'.repeat(5000)}&epoch=e`, 'since=1&since=2&epoch=e', 'since[$gt]=1&epoch=e', 'since=1&epoch=%27%3Bdrop', 'limit=0', 'limit=100000', 'limit=1e3', `since=1&epoch=${'a'.repeat(65)}`];
		for (const query of cases) {
			const res = await history(channel, query, bob.token);
			assert.equal(res.status, 400, `${query}: ${res.text}`);
			assert.equal(res.body.errors[0].extensions.code, 'INVALID_QUERY', query);
			assert.doesNotMatch(res.text, /\n\s+at |\.ts:\d+/, 'no stack');
		}
		for (const name of ['bad name', 'x'.repeat(200), '%E0%A4%A', '#server-to-user-1']) {
			const res = await stack.directus.request('GET', `/realtime/channels/${name.startsWith('%') ? name : encodeURIComponent(name)}/history`, undefined, { token: ada.token });
			assert.equal(res.status, 400, `${name}: ${res.text}`);
			assert.equal(res.body.errors[0].extensions.code, 'INVALID_CHANNEL_NAME');
		}
	});
});

describe('RT_HISTORY=false and RT_ENVELOPE=false', () => {
	let stack: Stack;
	let plain: Directus;
	let ada: TestUser;
	const clients: PusherClient[] = [];

	before(async () => {
		stack = await startStack({ directus: { env: { RT_HISTORY: 'false', RT_CHANNELS_CHECK_INTERVAL: '0' } } });
		await noteChannels(stack.directus);
		plain = await startDirectus({ env: { ...stack.rtEnv, RT_ENVELOPE: 'false', RT_CHANNELS_CHECK_INTERVAL: '0' } });
		await noteChannels(plain);
		ada = await createUser(stack.directus, { first_name: 'Ada' });
	});

	after(async () => {
		disconnectAll(...clients);
		await plain?.stop();
		await stack?.stop();
	});

	it('with RT_HISTORY=false numbers events but keeps none: a recovery answers recovered: false', async () => {
		const c = await connectClient(stack.soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'news'), 'note');
		await createItem(stack.directus, 'notes', { title: 'a', owner: ada.id });
		await createItem(stack.directus, 'notes', { title: 'b', owner: ada.id });
		await live.waitFor(2);
		assert.deepEqual(live.envelopes.map((e) => e.seq), [1, 2]);
		const res = await stack.directus.request('GET', `/realtime/channels/news/history?since=1&epoch=${live.envelopes[0]!.epoch}`, undefined, { token: ada.token });
		assert.deepEqual(res.body, { channel: 'news', epoch: live.envelopes[0]!.epoch, latest: 2, recovered: false, items: [], more: false });
	});

	it('with RT_ENVELOPE=false sends bare payloads as before, and has no history (404 once the caller passed)', async () => {
		const c = await connectClient(stack.soketi);
		clients.push(c);
		const live = new EventLog(await subscribe(c, 'news'), 'note');
		await createItem(plain, 'notes', { title: 'bare' });
		await live.waitFor(1);
		assert.deepEqual(live.events, [{ title: 'bare' }]);
		assert.deepEqual(live.envelopes, []);
		const res = await plain.request('GET', '/realtime/channels/news/history', undefined, { token: null });
		assert.equal(res.status, 404, res.text);
		assert.equal(res.body.errors[0].extensions.code, 'HISTORY_DISABLED');
		const someone = await createUser(plain, { first_name: 'Someone' });
		const refused = await plain.request('GET', '/realtime/channels/private-nobody/history', undefined, { token: someone.token });
		assert.deepEqual([refused.status, refused.body], [403, REFUSED], 'a refused caller does not learn that history is off');
	});
});
