/**
 * The client helper under attack: a `headers` option that gives what no request can carry (fetch
 * refuses it with the same TypeError as a network failure, so it would be retried as one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthorizationError, channelAuthorization } from '../../client/src/authorize.js';
import { fetchHistory, HistoryError } from '../../client/src/history.js';

const REPLY = { channel: 'private-x', epoch: 'ep', recovered: true, latest: 0, items: [], more: false };

function recordingFetch() {
	const calls: Array<{ url: string; headers: Record<string, string> }> = [];
	const fetch = (async (url: string, init: RequestInit) => {
		calls.push({ url, headers: init.headers as Record<string, string> });
		return new Response(JSON.stringify(REPLY), { status: 200, headers: { 'content-type': 'application/json' } });
	}) as unknown as typeof globalThis.fetch;
	return { fetch, calls };
}

function authorize(option: ReturnType<typeof channelAuthorization>, channelName: string) {
	return new Promise<{ error: Error | null; data: unknown }>((resolve) => option.customHandler({ socketId: '1.2', channelName }, (error, data) => resolve({ error, data })));
}

describe('the client helper\'s headers option', () => {
	const hostile: Array<[string, unknown]> = [
		['a CR LF in a value', { 'X-Tenant': 'a\r\nX-Injected: 1' }],
		['a NUL in a value', { 'X-Tenant': 'a\u0000b' }],
		['a character past U+00FF', { 'X-Tenant': '🙂' }],
		['a space in a name', { 'X Tenant': 'a' }],
		['a line break in a name', { 'X-Tenant\r\nX-Injected': 'a' }],
		['an object as a value', { 'X-Tenant': { toString: () => 'a' } }],
		['a string instead of headers', 'X-Tenant: a'],
		['an array instead of headers', [['X-Tenant', 'a']]],
	];

	it('refuses headers no request can carry without sending anything, once (not retried as a network failure)', async () => {
		const { fetch, calls } = recordingFetch();
		for (const [what, headers] of hostile) {
			for (const source of [headers, () => headers]) {
				const options = { baseUrl: 'http://d', auth: 'token', headers: source as Record<string, string>, fetch, retry: { attempts: 3, delay: 1, maxDelay: 2 } };
				await assert.rejects(fetchHistory('private-x', { since: null }, options), (e: unknown) => e instanceof HistoryError && e.code === 'TOKEN_SOURCE' && !e.retryable, what);
				const result = await authorize(channelAuthorization(options), 'private-x');
				assert.ok(result.error instanceof AuthorizationError && result.error.code === 'TOKEN_SOURCE', `${what}: ${String(result.error)}`);
			}
		}
		assert.equal(calls.length, 0, 'nothing was sent');
	});

	it('with the real fetch, is one refusal rather than attempts that fail like the network', async () => {
		let attempts = 0;
		const counted = ((url: string, init: RequestInit) => {
			attempts++;
			return globalThis.fetch(url, init);
		}) as typeof globalThis.fetch;
		const options = { baseUrl: 'http://127.0.0.1:9', headers: { 'X-Tenant': 'a\r\nX-Injected: 1' }, fetch: counted, retry: { attempts: 3, delay: 1, maxDelay: 2 } };
		await assert.rejects(fetchHistory('private-x', { since: null }, options), (e: unknown) => e instanceof HistoryError && e.code === 'TOKEN_SOURCE');
		assert.equal(attempts, 0);
	});

	it('still takes ordinary headers, numbers among them, and puts the token last', async () => {
		const { fetch, calls } = recordingFetch();
		await fetchHistory('private-x', { since: null }, { baseUrl: 'http://d', auth: 'token', headers: () => ({ 'X-Tenant': 'a b\tc', 'X-Version': 2 as unknown as string, Authorization: 'Bearer other' }), fetch });
		assert.deepEqual(calls[0]!.headers, { Accept: 'application/json', 'X-Tenant': 'a b\tc', 'X-Version': '2', Authorization: 'Bearer token' });
		await fetchHistory('private-x', { since: null }, { baseUrl: 'http://d', headers: null as unknown as Record<string, string>, fetch });
		assert.equal(calls.length, 2);
		// Another spelling of Authorization would reach the server joined to the token's (`Bearer a, Bearer b`): the token replaces it.
		await fetchHistory('private-x', { since: null }, { baseUrl: 'http://d', auth: 'token', headers: { authorization: 'Bearer stale', AUTHORIZATION: 'Bearer staler' }, fetch });
		assert.deepEqual(new Headers(calls[2]!.headers).get('authorization'), 'Bearer token');
		// Without a token (session cookies), a header of one's own is left as it is.
		await fetchHistory('private-x', { since: null }, { baseUrl: 'http://d', headers: { authorization: 'Bearer own' }, fetch });
		assert.deepEqual(new Headers(calls[3]!.headers).get('authorization'), 'Bearer own');
	});
});

describe('a Directus SDK client refused everywhere at once', () => {
	it('refreshes once for history requests and authorizations refused together with one token, then each goes on with the new one', async () => {
		let token = 'access-1';
		let refreshes = 0;
		const sdk = {
			url: 'http://d',
			getToken: async () => token,
			refresh: async () => {
				refreshes++;
				await new Promise((resolve) => setTimeout(resolve, 5));
				token = `access-${refreshes + 1}`;
			},
		};
		const calls: string[] = [];
		const fetch = (async (url: string, init: RequestInit) => {
			const authorization = (init.headers as Record<string, string>).Authorization;
			calls.push(authorization ?? '');
			if (authorization !== 'Bearer access-2') return new Response('{"errors":[{"message":"Token expired.","extensions":{"code":"TOKEN_EXPIRED"}}]}', { status: 401 });
			return new Response(JSON.stringify(url.includes('/history') ? REPLY : { auth: 'k:s' }), { status: 200 });
		}) as unknown as typeof globalThis.fetch;
		const option = channelAuthorization({ auth: sdk, fetch });
		const [histories, joins] = await Promise.all([
			Promise.all(Array.from({ length: 5 }, (_, i) => fetchHistory(`private-x.${i}`, { since: null }, { auth: sdk, fetch, retry: { delay: 1, maxDelay: 2 } }))),
			Promise.all(Array.from({ length: 5 }, (_, i) => authorize(option, `private-x.${i}`))),
		]);
		assert.equal(refreshes, 1);
		assert.equal(histories.length, 5);
		assert.deepEqual(joins.map((j) => j.error), [null, null, null, null, null]);
		assert.deepEqual([calls.filter((c) => c === 'Bearer access-1').length, calls.filter((c) => c === 'Bearer access-2').length], [10, 10]);
	});
});
