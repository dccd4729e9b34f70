/**
 * The client helper's Directus side (client/src/token.ts, authorize.ts, channels.ts and the row
 * subscriptions of index.ts), with a stand-in token source shaped like a Directus SDK client: the
 * token asked for at every request, one refresh after a 401 (shared by concurrent requests, never
 * a loop), a source that throws or answers garbage, the preset channel names and the hostile
 * collection names and ids they refuse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelAuthorization, userAuthentication, AuthorizationError } from '../../client/src/authorize.js';
import { collectionChannel, eventNames, inboxChannel, itemChannel } from '../../client/src/channels.js';
import { fetchHistory, HistoryError } from '../../client/src/history.js';
import { createRecoveringClient, type PusherChannelLike, type PusherLike } from '../../client/src/index.js';
import { currentToken, refreshAfter401, TOKEN_SOURCE_TIMEOUT_MS, TokenSourceError, type DirectusAuthLike } from '../../client/src/token.js';

const REPLY = { channel: 'private-notes.7', epoch: 'ep', recovered: true, latest: 0, items: [], more: false };

/** A Directus SDK client as far as the helper sees it: `getToken()` answers the current token, `refresh()` moves to the next. */
class FakeSdk implements DirectusAuthLike {
	url = 'http://directus.test/';
	token: string;
	generation = 1;
	refreshes = 0;
	gets = 0;
	failRefresh = false;
	constructor(prefix = 'access') {
		this.token = `${prefix}-1`;
	}
	async getToken() {
		this.gets++;
		return this.token;
	}
	async refresh(): Promise<unknown> {
		this.refreshes++;
		await new Promise((resolve) => setImmediate(resolve));
		if (this.failRefresh) throw new Error('refresh token expired');
		this.token = `access-${++this.generation}`;
		return { access_token: this.token };
	}
}

/** A Directus that accepts only `valid()` as the token: 401 for any other, and records what it was sent. */
function directus(valid: () => string | null, answer: (url: string) => unknown = () => ({ auth: 'key:signature' })) {
	const calls: Array<{ url: string; authorization: string | undefined; body: string | undefined }> = [];
	const fetch = (async (url: string, init: RequestInit) => {
		const headers = init.headers as Record<string, string>;
		calls.push({ url, authorization: headers.Authorization, body: init.body as string | undefined });
		if (headers.Authorization !== `Bearer ${valid()}`) {
			return new Response(JSON.stringify({ errors: [{ message: 'Token expired.', extensions: { code: 'TOKEN_EXPIRED' } }] }), { status: 401 });
		}
		return new Response(JSON.stringify(answer(url)), { status: 200, headers: { 'content-type': 'application/json' } });
	}) as unknown as typeof globalThis.fetch;
	return { fetch, calls };
}

function authorize(option: ReturnType<typeof channelAuthorization>, channelName: string) {
	return new Promise<{ error: Error | null; data: unknown }>((resolve) => option.customHandler({ socketId: '1.2', channelName }, (error, data) => resolve({ error, data })));
}

/** Enough of pusher-js for the helper: channels that record their bindings, subscribed at once. */
function fakePusher() {
	const channels = new Map<string, PusherChannelLike & { global: Array<(event: string, data: any) => void>; emit(event: string, data: unknown): void }>();
	const pusher: PusherLike = {
		subscribe(name) {
			const global: Array<(event: string, data: any) => void> = [];
			const channel = {
				name,
				subscribed: true,
				global,
				bind: () => undefined,
				unbind: () => undefined,
				bind_global: (cb: (event: string, data: any) => void) => global.push(cb),
				unbind_global: () => undefined,
				emit: (event: string, data: unknown) => global.forEach((cb) => cb(event, data)),
			};
			channels.set(name, channel);
			return channel;
		},
		unsubscribe: (name) => void channels.delete(name),
		channel: (name) => channels.get(name),
	};
	return { pusher, channels };
}

describe('the token source', () => {
	it('asks a Directus SDK client for its token at every request, and uses its url as the Directus URL', async () => {
		const sdk = new FakeSdk();
		const { fetch, calls } = directus(() => sdk.token, () => REPLY);
		const options = { auth: sdk, fetch };
		await fetchHistory('private-notes.7', { since: null }, options);
		sdk.token = 'access-refreshed-by-the-sdk-timer';
		await fetchHistory('private-notes.7', { since: null }, options);
		assert.deepEqual(calls.map((c) => c.authorization), ['Bearer access-1', 'Bearer access-refreshed-by-the-sdk-timer']);
		assert.ok(calls.every((c) => c.url.startsWith('http://directus.test/realtime/channels/private-notes.7/history?')), calls[0]!.url);
		assert.equal(sdk.refreshes, 0);
	});

	it('on a 401, has the SDK refresh once and tries again with the new token (history and authorization alike)', async () => {
		const sdk = new FakeSdk();
		let valid = 'access-1';
		const { fetch, calls } = directus(() => valid, (url) => (url.includes('/history') ? REPLY : { auth: 'key:sig', channel_data: '{"user_id":"u"}', extra: 'dropped' }));
		valid = 'access-2'; // the server already sees access-1 as expired; the SDK does not know yet
		await fetchHistory('private-notes.7', { since: null }, { auth: sdk, fetch });
		assert.equal(sdk.refreshes, 1);
		assert.deepEqual(calls.map((c) => c.authorization), ['Bearer access-1', 'Bearer access-2']);

		valid = 'access-3';
		const result = await authorize(channelAuthorization({ auth: sdk, fetch }), 'presence-notes.7');
		assert.equal(result.error, null);
		assert.deepEqual(result.data, { auth: 'key:sig', channel_data: '{"user_id":"u"}' });
		assert.equal(sdk.refreshes, 2);
		assert.deepEqual(calls.slice(2).map((c) => [c.url, c.authorization, c.body]), [
			['http://directus.test/realtime/auth', 'Bearer access-2', 'socket_id=1.2&channel_name=presence-notes.7'],
			['http://directus.test/realtime/auth', 'Bearer access-3', 'socket_id=1.2&channel_name=presence-notes.7'],
		]);
	});

	it('tries once more after a refresh that leaves the token as it was, and stops there', async () => {
		const sdk = new FakeSdk();
		sdk.refresh = async () => {
			sdk.refreshes++;
			return {};
		};
		const { fetch, calls } = directus(() => 'never-this-one');
		const result = await authorize(channelAuthorization({ auth: sdk, fetch }), 'private-notes.7');
		assert.ok(result.error instanceof AuthorizationError && result.error.status === 401);
		assert.deepEqual([calls.length, sdk.refreshes], [2, 1]);
	});

	it('refuses an answer that is not an authorization, and passes pusher-js only its own fields', async () => {
		for (const answer of [{}, { auth: 5 }, [], 'text', null, { auth: ['a'] }]) {
			const { fetch } = directus(() => 'x', () => answer);
			const result = await authorize(channelAuthorization({ baseUrl: 'http://d', auth: 'x', fetch }), 'private-notes.7');
			assert.ok(result.error instanceof AuthorizationError && result.error.code === 'INVALID_REPLY', JSON.stringify(answer));
		}
		const { fetch } = directus(() => 'x', () => ({ auth: 'k:s', channel_data: { not: 'a string' }, shared_secret: 7, user_id: 'not passed on' }));
		const result = await authorize(channelAuthorization({ baseUrl: 'http://d', auth: 'x', fetch }), 'private-notes.7');
		assert.deepEqual(result.data, { auth: 'k:s' });
	});

	it('never loops: a 401 after the refresh is the answer, for history and authorization', async () => {
		const sdk = new FakeSdk();
		const { fetch, calls } = directus(() => 'never-this-one', () => REPLY);
		await assert.rejects(fetchHistory('private-notes.7', { since: null }, { auth: sdk, fetch, retry: { delay: 1, maxDelay: 2 } }), (e: unknown) => e instanceof HistoryError && e.status === 401);
		assert.equal(calls.length, 2);
		assert.equal(sdk.refreshes, 1);
		const result = await authorize(channelAuthorization({ auth: sdk, fetch }), 'private-notes.7');
		assert.ok(result.error instanceof AuthorizationError && result.error.status === 401 && result.error.code === 'TOKEN_EXPIRED', String(result.error));
		assert.equal(calls.length, 4);
		assert.equal(sdk.refreshes, 2);
	});

	it('does not retry when the refresh fails, and says why (401)', async () => {
		const sdk = new FakeSdk();
		sdk.failRefresh = true;
		const { fetch, calls } = directus(() => 'other');
		const result = await authorize(channelAuthorization({ auth: sdk, fetch }), 'private-notes.7');
		assert.ok(result.error instanceof AuthorizationError && result.error.status === 401);
		assert.equal(calls.length, 1);
	});

	it('survives a refresh that throws at once, with twenty requests refused together: one refresh, twenty refusals, no retry', async () => {
		const sdk = new FakeSdk();
		sdk.refresh = () => {
			sdk.refreshes++;
			throw new Error('no refresh token');
		};
		const { fetch, calls } = directus(() => 'other');
		const option = channelAuthorization({ auth: sdk, fetch });
		const results = await Promise.all(Array.from({ length: 20 }, (_, i) => authorize(option, `private-notes.${i}`)));
		assert.ok(results.every((r) => r.error instanceof AuthorizationError && r.error.status === 401));
		assert.deepEqual([sdk.refreshes, calls.length], [1, 20]);
	});

	it('shares one refresh among requests refused with the same token, and skips it when the token already changed', async () => {
		const sdk = new FakeSdk();
		let valid = 'access-1';
		const { fetch, calls } = directus(() => valid);
		valid = 'access-2';
		const option = channelAuthorization({ auth: sdk, fetch });
		const results = await Promise.all(Array.from({ length: 5 }, (_, i) => authorize(option, `private-notes.${i}`)));
		assert.deepEqual(results.map((r) => r.error), [null, null, null, null, null]);
		assert.equal(sdk.refreshes, 1, 'five 401s with access-1, one refresh');
		assert.equal(calls.filter((c) => c.authorization === 'Bearer access-2').length, 5);

		// A 401 with a token the SDK has replaced meanwhile (its own timer refreshed): no refresh, the new token.
		assert.equal(await refreshAfter401(sdk, 'access-1'), true);
		assert.equal(sdk.refreshes, 1);
	});

	it('keeps the plain token and function sources of before: one retry after a 401, the function asked again', async () => {
		let token = 'old';
		const { fetch, calls } = directus(() => 'new');
		const fn = channelAuthorization({ baseUrl: 'http://d', auth: () => token, fetch });
		const pending = authorize(fn, 'private-x');
		token = 'new';
		assert.equal((await pending).error, null);
		assert.deepEqual(calls.map((c) => c.authorization), ['Bearer old', 'Bearer new']);
		const fixed = await authorize(channelAuthorization({ baseUrl: 'http://d', auth: 'static-token', headers: { 'X-Extra': '1' }, fetch }), 'private-x');
		assert.ok(fixed.error instanceof AuthorizationError && fixed.error.status === 401);
		assert.deepEqual(calls.slice(2).map((c) => c.authorization), ['Bearer static-token', 'Bearer static-token']);
	});

	it('turns a token source that throws, or answers something that is no token, into a refusal without a request', async () => {
		const { fetch, calls } = directus(() => 'x', () => REPLY);
		const throwing: DirectusAuthLike = { url: 'http://d', getToken: () => { throw new Error('storage unavailable'); } };
		const rejecting = { url: 'http://d', getToken: () => Promise.reject(new Error('refresh failed')) };
		for (const auth of [throwing, rejecting, () => 'bad\r\nX-Injected: 1', () => 'two words', () => 'tökén', () => ({ token: 'x' }) as unknown as string, () => 'x'.repeat(20_000)]) {
			await assert.rejects(currentToken(auth), TokenSourceError);
			const result = await authorize(channelAuthorization({ baseUrl: 'http://d', auth, fetch }), 'private-x');
			assert.ok(result.error instanceof AuthorizationError && result.error.code === 'TOKEN_SOURCE', String(result.error));
			// The history reports it once: a token source that fails is not retried 8 times.
			await assert.rejects(fetchHistory('private-x', { since: null }, { baseUrl: 'http://d', auth, fetch, retry: { delay: 1, maxDelay: 2 } }), (e: unknown) => e instanceof HistoryError && e.code === 'TOKEN_SOURCE' && !e.retryable);
		}
		assert.equal(calls.length, 0, 'nothing was sent');
		assert.equal(await currentToken({ getToken: async () => null }), null, 'no token (session cookies): no Authorization header');
	});

	it('gives up on a token source, header function or refresh that never settles, after TOKEN_SOURCE_TIMEOUT_MS', async (t) => {
		t.mock.timers.enable({ apis: ['setTimeout'] });
		const never = () => new Promise<never>(() => {});
		const { fetch, calls } = directus(() => 'x', () => REPLY);
		const pending = [
			assert.rejects(currentToken({ url: 'http://d', getToken: never }), (e: unknown) => e instanceof TokenSourceError && /did not answer within 10000 ms/.test(e.message)),
			assert.rejects(currentToken(never), TokenSourceError),
			authorize(channelAuthorization({ baseUrl: 'http://d', auth: never, fetch }), 'private-x').then((r) => {
				assert.ok(r.error instanceof AuthorizationError && r.error.code === 'TOKEN_SOURCE', String(r.error));
			}),
			assert.rejects(fetchHistory('private-x', { since: null }, { baseUrl: 'http://d', headers: never, fetch, retry: { delay: 1, maxDelay: 2 } }), (e: unknown) => e instanceof HistoryError && e.code === 'TOKEN_SOURCE'),
		];
		// Not before the limit…
		await new Promise((resolve) => setImmediate(resolve));
		t.mock.timers.tick(TOKEN_SOURCE_TIMEOUT_MS - 1);
		let settled = 0;
		for (const p of pending) void p.then(() => settled++, () => settled++);
		await new Promise((resolve) => setImmediate(resolve));
		assert.equal(settled, 0);
		// …and all of them at it.
		t.mock.timers.tick(1);
		await Promise.all(pending);
		assert.equal(calls.length, 0, 'nothing was sent');

		// A refresh that never settles: no retry, and the next 401 may start a new refresh.
		const sdk = new FakeSdk();
		sdk.refresh = never;
		const refreshed = refreshAfter401(sdk, 'access-1');
		await new Promise((resolve) => setImmediate(resolve));
		t.mock.timers.tick(TOKEN_SOURCE_TIMEOUT_MS);
		assert.equal(await refreshed, false);
	});

	it('user authentication posts the socket id to /realtime/user-auth', async () => {
		const sdk = new FakeSdk();
		const { fetch, calls } = directus(() => sdk.token, () => ({ auth: 'k:s', user_data: '{"id":"u"}' }));
		const data = await new Promise((resolve, reject) => userAuthentication({ auth: sdk, fetch }).customHandler({ socketId: '3.4' }, (e, d) => (e ? reject(e) : resolve(d))));
		assert.deepEqual(data, { auth: 'k:s', user_data: '{"id":"u"}' });
		assert.deepEqual([calls[0]!.url, calls[0]!.body], ['http://directus.test/realtime/user-auth', 'socket_id=3.4']);
	});

	it('needs a Directus URL from somewhere', () => {
		assert.throws(() => channelAuthorization({ auth: { getToken: () => 'x' } }), TypeError);
		assert.throws(() => createRecoveringClient(fakePusher().pusher, { auth: 'x' }), TypeError);
		assert.doesNotThrow(() => createRecoveringClient(fakePusher().pusher, { auth: new FakeSdk() }));
	});
});

describe('preset channel names', () => {
	it('are the names the Item channel, Collection channel and User inbox presets make', () => {
		assert.equal(itemChannel('articles', 7), 'private-articles.7');
		assert.equal(itemChannel('articles', '3f6c2c6e-1b7a-4e3a-9f7e-0c1d2e3f4a5b'), 'private-articles.3f6c2c6e-1b7a-4e3a-9f7e-0c1d2e3f4a5b');
		assert.equal(itemChannel('articles', 7, 'presence'), 'presence-articles.7');
		assert.equal(collectionChannel('articles'), 'private-articles');
		assert.equal(collectionChannel('directus_notifications', 'private-encrypted'), 'private-encrypted-directus_notifications');
		assert.equal(inboxChannel('messages', 'u-1'), 'private-messages.user.u-1');
	});

	it('refuses hostile collection names and ids rather than build another channel\'s name', () => {
		const refused: Array<[string, () => string]> = [
			['a dot adds a part: the inbox, not the item', () => itemChannel('articles', 'user.5')],
			['a dot in the collection', () => collectionChannel('articles.user')],
			['spaces', () => itemChannel('articles', 'a b')],
			['a newline', () => itemChannel('articles', '1\n2')],
			['unicode', () => itemChannel('artículos', 1)],
			['unicode id', () => itemChannel('articles', '①')],
			['an emoji', () => inboxChannel('messages', '🙂')],
			['a slash', () => itemChannel('articles', '../7')],
			['a pattern parameter', () => itemChannel('articles', ':id')],
			['empty', () => itemChannel('articles', '')],
			['empty collection', () => collectionChannel('')],
			['300 characters', () => itemChannel('articles', 'x'.repeat(300))],
			['a name past 164 characters', () => itemChannel('a'.repeat(100), 'b'.repeat(60))],
			['a float', () => itemChannel('articles', 1.5)],
			['NaN', () => itemChannel('articles', Number.NaN)],
			['an object', () => itemChannel('articles', { toString: () => '7' } as unknown as string)],
			['null', () => itemChannel('articles', null as unknown as string)],
			['a prefix of another type', () => itemChannel('articles', 1, 'public' as 'private')],
			['a NUL', () => collectionChannel('x\u0000')],
			['a collection that makes an encrypted channel of a private one', () => collectionChannel('encrypted-notes')],
			['a collection that makes a cache channel', () => itemChannel('cache-notes', 1)],
			['the same under presence', () => inboxChannel('cache-x', 'u', 'presence')],
			['a bigint', () => itemChannel('articles', 7n as unknown as number)],
			['an unsafe integer', () => itemChannel('articles', 2 ** 60)],
		];
		for (const [what, make] of refused) assert.throws(make, TypeError, what);
		// The refusal quotes at most a short, printable part of what it got.
		assert.throws(() => itemChannel('articles', `${'x'.repeat(300)}\u001b[31m`), (e: Error) => e.message.length < 200 && !e.message.includes('\u001b'));
	});

	it('takes event names from a row\'s event_names, checked', () => {
		assert.deepEqual(eventNames(), { created: 'created', updated: 'updated', deleted: 'deleted' });
		assert.deepEqual(eventNames({ created: 'article-added' }), { created: 'article-added', updated: 'updated', deleted: 'deleted' });
		for (const bad of [{ created: '' }, { updated: 'pusher:subscription_succeeded' }, { deleted: 'x'.repeat(201) }, { created: 'updated' }, { created: 5 as unknown as string }]) {
			assert.throws(() => eventNames(bad), TypeError, JSON.stringify(bad));
		}
	});
});

describe('subscribeItem / subscribeCollection / subscribeInbox', () => {
	const envelope = (seq: number, data: unknown) => ({ id: `e${seq}`, seq, epoch: 'ep', data });

	it('subscribes the preset name and hands each action to its handler, in order, with renamed events', async () => {
		const { pusher, channels } = fakePusher();
		const sdk = new FakeSdk();
		const { fetch } = directus(() => sdk.token, () => ({ ...REPLY, latest: 0 }));
		const client = createRecoveringClient(pusher, { auth: sdk, fetch });
		const seen: unknown[] = [];
		const item = client.subscribeItem<{ id: number; title: string }>('articles', 7, {
			updated: (a, meta) => seen.push(['updated', a.title, meta?.seq]),
			deleted: (a) => seen.push(['deleted', a.id]),
			onOther: (event) => seen.push(['other', event]),
		});
		const list = client.subscribeCollection('articles', { created: (a) => seen.push(['added', a]), eventNames: { created: 'article-added' } });
		const inbox = client.subscribeInbox('messages', 'u-1', { created: (m) => seen.push(['inbox', m]) });
		assert.deepEqual([...channels.keys()], ['private-articles.7', 'private-articles', 'private-messages.user.u-1']);
		assert.equal(item.channel.name, 'private-articles.7');

		// Subscribed at once: where the channel stands (empty) is asked, live events meanwhile are held.
		const a = channels.get('private-articles.7')!;
		a.emit('updated', envelope(1, { id: 7, title: 'one' }));
		a.emit('client-typing', { name: 'x' });
		await new Promise((resolve) => setTimeout(resolve, 20));
		a.emit('updated', envelope(1, { id: 7, title: 'one' }));
		a.emit('updated', envelope(2, { id: 7, title: 'two' }));
		a.emit('deleted', envelope(3, { id: 7 }));
		channels.get('private-articles')!.emit('article-added', envelope(1, { id: 8 }));
		channels.get('private-articles')!.emit('created', envelope(2, { id: 9 }));
		await new Promise((resolve) => setTimeout(resolve, 20));
		assert.deepEqual(seen, [['other', 'client-typing'], ['updated', 'one', 1], ['updated', 'two', 2], ['deleted', 7], ['added', { id: 8 }]]);
		item.unsubscribe();
		list.unsubscribe();
		inbox.unsubscribe();
		assert.equal(channels.size, 0);
	});

	it('sends events named like Object properties to onOther, not to a handler lookup', async () => {
		const { pusher, channels } = fakePusher();
		const client = createRecoveringClient(pusher, { baseUrl: 'http://d', fetch: directus(() => null, () => REPLY).fetch });
		const other: string[] = [];
		client.subscribeCollection('articles', { onOther: (event) => other.push(event), onError: (e) => other.push(`error ${e.message}`) });
		for (const event of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) channels.get('private-articles')!.emit(event, { bare: true });
		assert.deepEqual(other, ['constructor', '__proto__', 'toString', 'hasOwnProperty']);
	});

	it('refuses a hostile id before subscribing anything', () => {
		const { pusher, channels } = fakePusher();
		const client = createRecoveringClient(pusher, { baseUrl: 'http://d' });
		assert.throws(() => client.subscribeItem('articles', 'user.5', {}), TypeError);
		assert.throws(() => client.subscribeInbox('messages', 'x y', {}), TypeError);
		assert.throws(() => client.subscribeCollection('articles', { eventNames: { created: 'pusher:x' } }), TypeError);
		assert.equal(channels.size, 0);
	});
});
