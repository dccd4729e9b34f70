/**
 * The client helper's history requests (client/src/history.ts) and sealed items
 * (client/src/sealed.ts): the URL and credentials it sends, the answers it refuses to read, which
 * failures it tries again and how long it waits.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import nacl from 'tweetnacl';
import { backoff, fetchHistory, historyAddress, HistoryError, parseHistoryReply, type HistoryOptions } from '../../client/src/history.js';
import { isSealed, openSealed } from '../../client/src/sealed.js';

const REPLY = { channel: 'private-notes.7', epoch: 'ep', recovered: true, latest: 2, items: [{ id: 'a', seq: 2, event: 'created', data: { id: 'a', seq: 2, epoch: 'ep', data: {} } }], more: false };

/** A fetch that answers from a list, and records what it was asked. */
function scripted(answers: Array<() => Response>) {
	const calls: Array<{ url: string; init: RequestInit }> = [];
	const fetch = (async (url: string, init: RequestInit) => {
		calls.push({ url, init });
		const next = answers.shift();
		if (!next) throw new Error('no more answers');
		return next();
	}) as unknown as typeof globalThis.fetch;
	return { fetch, calls };
}

const json = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const quick: HistoryOptions['retry'] = { delay: 1, maxDelay: 2 };

describe('client history requests', () => {
	it('asks <baseUrl>/realtime/channels/<name>/history with since, epoch and limit, the name encoded', () => {
		assert.equal(
			historyAddress('private-a;b@c', { since: 4, epoch: 'x y' }, { baseUrl: 'https://d.example/', pageSize: 50 }),
			'https://d.example/realtime/channels/private-a%3Bb%40c/history?since=4&epoch=x+y&limit=50',
		);
		assert.equal(historyAddress('c', { since: null }, { baseUrl: 'https://d.example' }), 'https://d.example/realtime/channels/c/history?limit=1');
		assert.equal(historyAddress('c', { since: 0, epoch: 'e' }, { historyUrl: (n) => `/proxy/${n}?x=1`, pageSize: 5000 }), '/proxy/c?x=1&since=0&epoch=e&limit=1000');
		assert.throws(() => historyAddress('c', { since: null }, {}), /baseUrl/);
	});

	it('sends the bearer token (asked for at each request), the extra headers and the credentials mode', async () => {
		const { fetch, calls } = scripted([json(200, REPLY)]);
		let asked = 0;
		await fetchHistory('c', { since: 1, epoch: 'ep' }, { baseUrl: 'http://d', fetch, auth: async () => `t${++asked}`, headers: { 'X-App': 'notes' }, credentials: 'include' });
		assert.deepEqual(calls[0]!.init.headers, { Accept: 'application/json', 'X-App': 'notes', Authorization: 'Bearer t1' });
		assert.equal(calls[0]!.init.credentials, 'include');
	});

	it('reads the documented reply', async () => {
		const { fetch } = scripted([json(200, REPLY)]);
		assert.deepEqual(await fetchHistory('c', { since: 1, epoch: 'ep' }, { baseUrl: 'http://d', fetch }), REPLY);
	});

	it('refuses answers that are not a history reply, naming what is wrong', () => {
		const bad: unknown[] = [
			null,
			[],
			'text',
			{ ...REPLY, epoch: 5 },
			{ ...REPLY, recovered: 'yes' },
			{ ...REPLY, latest: -1 },
			{ ...REPLY, latest: 1.5 },
			{ ...REPLY, items: {} },
			{ ...REPLY, items: [null] },
			{ ...REPLY, items: [{ id: 'a', seq: 0, event: 'x', data: 1 }] },
			{ ...REPLY, items: [{ id: 'a', seq: 1, event: 'x' }] },
			{ ...REPLY, items: [{ id: 7, seq: 1, event: 'x', data: 1 }] },
		];
		for (const body of bad) assert.throws(() => parseHistoryReply(body, 'c'), (e: unknown) => e instanceof HistoryError && e.code === 'INVALID_REPLY', JSON.stringify(body));
	});

	it('tries again after a network failure, a 429 and a 503, then reads the answer', async () => {
		const { fetch, calls } = scripted([
			() => {
				throw new TypeError('connection refused');
			},
			json(429, {}),
			json(503, { errors: [{ message: 'history unavailable', extensions: { code: 'HISTORY_UNAVAILABLE' } }] }),
			json(200, REPLY),
		]);
		const retried: string[] = [];
		const reply = await fetchHistory('c', { since: 1, epoch: 'ep' }, { baseUrl: 'http://d', fetch, retry: quick }, undefined, (e) => retried.push(e.code));
		assert.equal(reply.latest, 2);
		assert.equal(calls.length, 4);
		assert.deepEqual(retried, ['NETWORK', 'HTTP_429', 'HISTORY_UNAVAILABLE']);
	});

	it('does not try again after a refusal or a bad query, and passes the server\'s code on', async () => {
		for (const [status, code] of [[403, 'FORBIDDEN'], [400, 'INVALID_QUERY'], [404, 'HISTORY_DISABLED']] as const) {
			const { fetch, calls } = scripted([json(status, { errors: [{ message: 'no', extensions: { code } }] }), json(200, REPLY)]);
			await assert.rejects(fetchHistory('c', { since: 1, epoch: 'ep' }, { baseUrl: 'http://d', fetch, retry: quick }), (e: unknown) => e instanceof HistoryError && e.status === status && e.code === code);
			assert.equal(calls.length, 1, `${status} is not retried`);
		}
	});

	it('tries a 401 once more with the token asked for again (it may have been refreshed)', async () => {
		const { fetch, calls } = scripted([json(401, {}), json(200, REPLY)]);
		let token = 'old';
		await fetchHistory('c', { since: 1, epoch: 'ep' }, { baseUrl: 'http://d', fetch, retry: quick, auth: () => { const t = token; token = 'new'; return t; } });
		assert.deepEqual(calls.map((c) => (c.init.headers as Record<string, string>).Authorization), ['Bearer old', 'Bearer new']);
		const twice = scripted([json(401, {}), json(401, {}), json(200, REPLY)]);
		await assert.rejects(fetchHistory('c', { since: 1, epoch: 'ep' }, { baseUrl: 'http://d', fetch: twice.fetch, retry: quick }), (e: unknown) => e instanceof HistoryError && e.status === 401);
		assert.equal(twice.calls.length, 2);
	});

	it('gives up after the configured attempts', async () => {
		const { fetch, calls } = scripted(Array.from({ length: 10 }, () => json(502, {})));
		await assert.rejects(fetchHistory('c', { since: 1, epoch: 'ep' }, { baseUrl: 'http://d', fetch, retry: { ...quick, attempts: 3 } }), HistoryError);
		assert.equal(calls.length, 3);
	});

	it('waits longer after each failure, never past maxDelay', () => {
		const waits = [0, 1, 2, 3, 10, 50].map((n) => backoff(n, { delay: 100, maxDelay: 1000 }, () => 1));
		assert.deepEqual(waits, [100, 200, 400, 800, 1000, 1000]);
		assert.equal(backoff(3, { delay: 100, maxDelay: 1000 }, () => 0), 400, 'jitter takes at most half');
	});
});

describe('sealed history items', () => {
	const masterKey = randomBytes(32);
	const channel = 'private-encrypted-notes';
	// Pusher's shared secret of an encrypted channel: SHA-256 of the name and the master key.
	const key = new Uint8Array(createHash('sha256').update(channel).update(masterKey).digest());
	const seal = (value: unknown, withKey = key) => {
		const nonce = nacl.randomBytes(24);
		const box = nacl.secretbox(new TextEncoder().encode(JSON.stringify(value)), nonce, withKey);
		return { nonce: Buffer.from(nonce).toString('base64'), ciphertext: Buffer.from(box).toString('base64') };
	};

	it('open with the channel\'s shared secret into the envelope', () => {
		const envelope = { id: 'a', seq: 3, epoch: 'ep', data: { secret: 'plan' } };
		const sealed = seal(envelope);
		assert.equal(isSealed(sealed), true);
		assert.deepEqual(openSealed(sealed, key, nacl), envelope);
	});

	it('refuse to open with another key, or when tampered with', () => {
		assert.throws(() => openSealed(seal({ a: 1 }, new Uint8Array(32)), key, nacl), /does not open/);
		const sealed = seal({ a: 1 });
		const bytes = Buffer.from(sealed.ciphertext, 'base64');
		bytes[0]! ^= 1;
		assert.throws(() => openSealed({ ...sealed, ciphertext: bytes.toString('base64') }, key, nacl), /does not open/);
		assert.throws(() => openSealed({ nonce: 'short', ciphertext: 'x' }, key, nacl), /does not open/);
	});
});
