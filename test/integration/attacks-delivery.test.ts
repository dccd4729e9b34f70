/**
 * GET /realtime/channels/<name>/history under attack, against a real Directus and Soketi: every
 * refusal of /realtime/auth (an authorizer that throws, loops or answers garbage, permission
 * mode without read access, a policy removed while the token is valid) is the history's too,
 * with the same answer; hostile names in the path; anonymous callers with huge bodies, headers
 * and query strings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChannel, createCollection, createItem, createUserWithPolicy, type TestUser } from '../harness/fixtures.js';
import { rawRequest, type RawResponse } from '../harness/raw-http.js';
import { startStack, type Stack } from '../harness/stack.js';
import { pollUntil } from '../harness/time.js';

const MB = 1024 * 1024;

describe('the history endpoint under attack', () => {
	let stack: Stack;
	let reader: TestUser & { policy: string; access: string };
	let outsider: TestUser;
	let article: { id: number };
	const history = (name: string, token: string | null, query = 'limit=5') =>
		stack.directus.request('GET', `/realtime/channels/${encodeURIComponent(name)}/history?${query}`, undefined, { token });
	const authorize = (channel_name: string, token: string) =>
		stack.directus.request('POST', '/realtime/auth', undefined, { token, form: { socket_id: '1234.5678', channel_name } });
	const raw = (path: string, extra: { headers?: Record<string, string>; body?: string; stream?: { totalBytes: number } } = {}) =>
		rawRequest({ url: stack.directus.url, method: 'GET', path, ...extra });
	const noStack = (res: { text: string }) => assert.doesNotMatch(res.text, /\n\s+at |\.ts:\d+|\.js:\d+/, 'no stack in the answer');
	const expectAlive = async () => {
		assert.equal((await fetch(`${stack.directus.url}/server/ping`)).status, 200);
		assert.equal(stack.directus.process.isRunning(), true);
	};
	const answeredEarly = (res: RawResponse) =>
		assert.ok(res.sentBeforeAnswer < res.bodyBytes, `answered after ${res.sentBeforeAnswer} of ${res.bodyBytes} body bytes`);

	before(async () => {
		stack = await startStack({ directus: { env: { RT_CHANNELS_CHECK_INTERVAL: '0', RT_SCRIPT_TIMEOUT: '200' } } });
		const d = stack.directus;
		await createCollection(d, 'articles', [{ field: 'title', type: 'string' }]);
		const quiet = { collection: 'articles', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };
		await createChannel(d, { ...quiet, channel_name: 'news-:room', authorizer: null, publisher: 'trigger({ room: "lobby" }, "note", { title: meta.payload.title });', trigger_on_create: true });
		await createChannel(d, { ...quiet, channel_name: 'private-articles.:id', fields: ['title'], authorizer: null, authorize: 'permissions', trigger_on_create: true, trigger_on_update: true });
		await createChannel(d, { ...quiet, channel_name: 'private-boom-:x', authorizer: 'throw new Error("boom");' });
		await createChannel(d, { ...quiet, channel_name: 'private-loop-:x', authorizer: 'while (true) {}' });
		await createChannel(d, { ...quiet, channel_name: 'private-odd-:x', authorizer: 'return "yes";' });
		await createChannel(d, { ...quiet, channel_name: 'presence-odd-:x', authorizer: 'return { user_info: () => 1 };' });
		await createChannel(d, { ...quiet, channel_name: 'private-encrypted-vault-:x', authorizer: 'return true;' });
		reader = await createUserWithPolicy(d, { first_name: 'Reader', permissions: [{ collection: 'articles', action: 'read' }] });
		outsider = await createUserWithPolicy(d, { first_name: 'Outsider' });
		article = await createItem(d, 'articles', { title: 'First' });
	});

	after(async () => {
		await stack?.stop();
	});

	it('refuses whoever /realtime/auth refuses, with the same answer, however the refusal comes about', async () => {
		const channels = [`private-articles.${article.id}`, 'private-boom-1', 'private-loop-1', 'private-odd-1', 'presence-odd-1', 'private-encrypted-vault-1', 'private-nobody', 'presence-nobody'];
		const compared: string[] = [];
		for (const user of [reader, outsider]) {
			for (const channel of channels) {
				const join = await authorize(channel, user.token);
				const read = await history(channel, user.token);
				noStack(read);
				compared.push(`${user.first_name} ${channel}: ${join.status}`);
				if (join.status === 200) assert.equal(read.status, 200, `${channel} for ${user.first_name}: ${read.text}`);
				else assert.deepEqual([read.status, read.body], [join.status, join.body], `${channel} for ${user.first_name}`);
			}
		}
		// The cases that must be refusals are refusals (else the comparison above proves little).
		for (const channel of channels.slice(1, 4)) assert.ok(compared.includes(`Reader ${channel}: 403`), compared.join('\n'));
		assert.ok(compared.includes(`Outsider private-articles.${article.id}: 403`), compared.join('\n'));
		assert.ok(compared.includes(`Reader private-articles.${article.id}: 200`), compared.join('\n'));
	});

	it('refuses a reader whose policy was removed, at the next call, with the token still valid', async () => {
		const channel = `private-articles.${article.id}`;
		assert.equal((await history(channel, reader.token)).status, 200);
		assert.equal((await stack.directus.request('DELETE', `/access/${reader.access}`)).status, 204);
		const read = await history(channel, reader.token);
		const join = await authorize(channel, reader.token);
		assert.equal(read.status, 403, read.text);
		assert.deepEqual(read.body, join.body);
		// And their token itself is still accepted by Directus.
		assert.equal((await stack.directus.request('GET', '/users/me', undefined, { token: reader.token })).status, 200);
	});

	it('answers hostile names in the path with a 400 or the one refusal: never another resource, never a 500', async () => {
		await createItem(stack.directus, 'articles', { title: 'for the lobby' });
		const open = await pollUntil(() => history('news-lobby', null), (res) => res.status !== 200 || res.body.latest > 0);
		assert.equal(open.status, 200, open.text);
		const paths = [
			'/realtime/channels/../health/history',
			'/realtime/channels/..%2Fhealth/history',
			'/realtime/channels/..%2f..%2fusers/history',
			'/realtime/channels/%2e%2e/history',
			'/realtime/channels/news-lobby%00/history',
			'/realtime/channels/news-lobby%0d%0aX-Injected:%201/history',
			'/realtime/channels/n%C3%ABws-lobby/history',
			'/realtime/channels/news-lobby%252e/history',
			'/realtime/channels/%E0%A4%A/history',
			'/realtime/channels/%/history',
			`/realtime/channels/${'a'.repeat(5000)}/history`,
			'/realtime/channels/news-%6cobby%2Fhistory/history',
			'/realtime/channels/private-articles.1%20OR%201=1/history',
			'/realtime/channels/%23server-to-user-1/history',
		];
		for (const path of paths) {
			const res = await raw(path);
			noStack(res);
			assert.equal(res.headers['x-injected'], undefined, path);
			const code = res.json?.errors?.[0]?.extensions?.code;
			const fine = (res.status === 400 && code === 'INVALID_CHANNEL_NAME') || (res.status === 403 && code === 'FORBIDDEN') || (res.status === 401 && code === 'UNAUTHENTICATED') || res.status === 404;
			assert.ok(fine, `${path}: ${res.status} ${res.text.slice(0, 300)}`);
		}
		// A public name a row's parameter matches, `;` and `.` included, is a channel of its own: none of another's events.
		const glued = await raw('/realtime/channels/news-lobby;private-articles.1/history');
		assert.equal(glued.status, 200, glued.text);
		assert.deepEqual([glued.json.channel, glued.json.latest, glued.json.items], ['news-lobby;private-articles.1', 0, []]);
		// An encoded name that decodes to a served one is that channel, and nothing else.
		const encoded = await raw('/realtime/channels/news-%6cobby/history?limit=1');
		assert.equal(encoded.status, 200, encoded.text);
		assert.equal(encoded.json.channel, 'news-lobby');
		await expectAlive();
	});

	it('answers anonymous callers with huge bodies before reading them, and huge headers or queries without a 500', async () => {
		// Directus' own JSON parser reads a JSON body to its end on every route (/server/ping too)
		// before it refuses it as too large; any other body is left unread by the history.
		for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'text/plain' }, { 'content-type': 'application/octet-stream' }] as Array<Record<string, string>>) {
			for (const path of ['/realtime/channels/news-lobby/history', '/realtime/channels/private-articles.1/history']) {
				const res = await raw(path, { headers, stream: { totalBytes: 50 * MB } });
				noStack(res);
				assert.ok(res.status < 500, `${path} ${JSON.stringify(headers)}: ${res.status} ${res.text.slice(0, 200)}`);
				answeredEarly(res);
			}
		}
		const json = await raw('/realtime/channels/private-articles.1/history', { headers: { 'content-type': 'application/json' }, stream: { totalBytes: 20 * MB } });
		assert.ok(json.status >= 400 && json.status < 500, `${json.status} ${json.text.slice(0, 200)}`);
		noStack(json);
		const bigHeader = await raw('/realtime/channels/news-lobby/history', { headers: { cookie: `x=${'c'.repeat(64 * 1024)}` } });
		assert.equal(bigHeader.status, 431, bigHeader.text);
		const bigQuery = await raw(`/realtime/channels/news-lobby/history?limit=5&pad=${'q'.repeat(60 * 1024)}`);
		assert.ok(bigQuery.status < 500, `${bigQuery.status}`);
		const nested = await raw(`/realtime/channels/news-lobby/history?${Array.from({ length: 500 }, (_, i) => `since[${i}]=1`).join('&')}&epoch=e`);
		noStack(nested);
		assert.equal(nested.status, 400, nested.text.slice(0, 300));
		await expectAlive();
	});
});
