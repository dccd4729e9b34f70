/**
 * One pass as an attacker over where the trust features meet: overlapping rows of every type
 * with two users, item data trying to steer events, a role granted too much, anonymous callers
 * with tricky requests, hostile scripts, and Directus' own permission filters on deletes. Each
 * test states what must not happen and would see it if it did.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, createRelationM2O, createUser, login, type ChannelInput, type TestUser } from '../harness/fixtures.js';
import { connectDatabase } from '../harness/databases.js';
import { rawRequest } from '../harness/raw-http.js';
import { startStack, type Stack } from '../harness/stack.js';
import { sleep } from '../harness/time.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const MARK = 'attacker-script-marker-7d2a';

// The seed README's authorizers, as written there (they end without a return when they refuse).
const SEED_PRIVATE = `// ${MARK}\nif (auth.user.id === params.userId) {\n    return true;\n}`;
const SEED_PRESENCE = `// ${MARK}\nif(auth.user.id === params.userId)\n{\nreturn {user_id:auth.user.id,user_info:{name:auth.user.first_name}};\n}`;

describe('an attacker where the trust features meet', () => {
	let stack: Stack;
	let ada: TestUser;
	let bob: TestUser;
	const clients: PusherClient[] = [];
	const as = async (user: TestUser) => {
		const c = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
		clients.push(c);
		return c;
	};
	/** A subscriber that signs its own subscriptions: it sees whatever is sent. */
	const listener = async () => {
		const c = await connectClient(stack.soketi, { signWith: stack.pusher });
		clients.push(c);
		return c;
	};
	const authorize = (channel_name: string, user: TestUser | null, socket_id = '1234.5678') =>
		stack.directus.request('POST', '/realtime/auth', undefined, { token: user?.token ?? null, form: { socket_id, channel_name } });
	const channel = (row: Omit<ChannelInput, 'collection'> & { collection?: string }) =>
		createChannel(stack.directus, { collection: 'msgs', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false, ...row });

	before(async () => {
		stack = await startStack({
			encryptionMasterKey: ENCRYPTION_KEY,
			directus: { env: { RT_SCRIPT_TIMEOUT: '1000', RT_CHANNELS_CHECK_INTERVAL: '0', RT_SCRIPT_MAX_CALLS: '100' } },
		});
		await createCollection(stack.directus, 'msgs', [
			{ field: 'target', type: 'string' },
			{ field: 'num', type: 'integer' },
		]);
		ada = await createUser(stack.directus, { first_name: 'Ada' });
		bob = await createUser(stack.directus, { first_name: 'Bob' });
		// The seed README's rows, a lenient lobby and an encrypted row, all at once.
		await channel({ channel_name: 'private-chat-:userId', authorizer: SEED_PRIVATE });
		await channel({ channel_name: 'private-chat-notification-:userId', authorizer: SEED_PRIVATE });
		await channel({ channel_name: 'presence-chat-:userId', authorizer: SEED_PRESENCE });
		await channel({ channel_name: 'private-:name', authorizer: `// ${MARK}\nreturn true;` });
		await channel({ channel_name: 'private-encrypted-vault-:userId', authorizer: SEED_PRIVATE });
	});

	after(async () => {
		if (process.env.ATTACK_LOG) (await import('node:fs')).writeFileSync(process.env.ATTACK_LOG, stack.directus.process.output());
		disconnectAll(...clients);
		await stack?.stop();
	});

	describe('two users, every row type, one lenient lobby', () => {
		it('lets each user join their own channels of every type', async () => {
			const c = await as(ada);
			for (const name of [`private-chat-${ada.id}`, `private-chat-notification-${ada.id}`, `presence-chat-${ada.id}`, `private-encrypted-vault-${ada.id}`, 'private-lobby']) {
				await subscribe(c, name);
			}
		});

		it("refuses each user the other's channels, whatever the lobby says, and hands out no shared_secret", async () => {
			const names = [
				`private-chat-${ada.id}`,
				`private-chat-notification-${ada.id}`,
				`presence-chat-${ada.id}`,
				`private-encrypted-vault-${ada.id}`,
				// Near misses that a lenient row must not pick up instead.
				`private-chat-${ada.id}-x`,
				`private-chat-notification-${ada.id}.x`,
				'private-chat-notification-',
				'private-encrypted-lobby',
				`private-encrypted-${ada.id}`,
			];
			const answers = [];
			for (const name of names) answers.push({ name, res: await authorize(name, bob) });
			for (const { name, res } of answers) {
				assert.equal(res.status, 403, `${name}: ${res.text}`);
				assert.doesNotMatch(res.text, /shared_secret|auth/, name);
				assert.equal(res.text, answers[0]!.res.text, `${name} answers like every other refusal`);
			}
			// The other way round, too.
			assert.equal((await authorize(`private-encrypted-vault-${bob.id}`, ada)).status, 403);
			assert.equal((await authorize(`private-encrypted-vault-${bob.id}`, bob)).status, 200);
		});

		it('gives an anonymous caller nothing for any of them, the lobby included', async () => {
			for (const name of [`private-chat-${ada.id}`, 'private-lobby', `private-encrypted-vault-${ada.id}`, `presence-chat-${ada.id}`]) {
				const res = await authorize(name, null);
				assert.equal(res.status, 401, `${name}: ${res.text}`);
				assert.doesNotMatch(res.text, /auth"|shared_secret/);
			}
		});

		it('answers a malformed request body with a clear 4xx, never a signature', async () => {
			const bodies: unknown[] = [
				{ socket_id: '1234.5678', channel_name: ['private-lobby', `private-chat-${ada.id}`] },
				{ socket_id: ['1234.5678'], channel_name: 'private-lobby' },
				{ socket_id: '1234.5678', channel_name: { toString: 'private-lobby' } },
				{ socket_id: 1234.5678, channel_name: 'private-lobby' },
				{ socket_id: '1234.5678:private-chat-x', channel_name: 'private-lobby' },
				{ socket_id: '1234.5678', channel_name: 'private-lobby\n' },
				{ socket_id: '1234.5678', channel_name: `private-${'a'.repeat(200)}` },
				{ socket_id: '1234.5678', channel_name: 'private-ünïcode' },
				'not json at all',
				[],
				null,
			];
			for (const body of bodies) {
				const res = await stack.directus.request('POST', '/realtime/auth', undefined, {
					token: bob.token,
					headers: { 'content-type': 'application/json' },
					raw: typeof body === 'string' ? body : JSON.stringify(body),
				});
				assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)}: ${res.status} ${res.text}`);
				assert.doesNotMatch(res.text, /"auth"/, JSON.stringify(body));
			}
			// The same request, well formed, is granted: the refusals above came from the shapes.
			assert.equal((await authorize('private-lobby', bob)).status, 200);
		});
	});

	describe('item data steering a publisher', () => {
		it('sends only to names that lead back to the row, whatever the item holds', async () => {
			// Each item's target is tried with trigger() on the seed's private-chat row, with
			// broadcastTo() on the lobby's pattern, and on the chat row's pattern with its parameter
			// renamed; failures are reported on a public channel.
			const row = (await stack.directus.request('GET', '/items/realtime_channels?filter[channel_name][_eq]=private-chat-:userId&fields=id')).body.data[0];
			const patched = await stack.directus.request('PATCH', `/items/realtime_channels/${row.id}`, {
				trigger_on_create: true,
				publisher: `const to = meta.payload.num !== null ? meta.payload.num : meta.payload.target;
try { trigger({ userId: to }, "m", { to, via: "trigger" }); } catch (e) { broadcastTo("refusals", {}, "r", { to, via: "trigger" }); }
try { broadcastTo("private-:name", { name: "chat-" + to }, "m", { to, via: "lobby" }); } catch (e) { broadcastTo("refusals", {}, "r", { to, via: "lobby" }); }
try { broadcastTo("private-chat-:id", { id: to }, "m", { to, via: "renamed" }); } catch (e) { broadcastTo("refusals", {}, "r", { to, via: "renamed" }); }`,
			});
			assert.equal(patched.status, 200, patched.text);
			const c = await listener();
			const refusals = new EventLog(await subscribe(c, 'refusals'), 'r');
			const notification = new EventLog(await subscribe(c, 'private-chat-notification-5'), 'm');
			const encrypted = new EventLog(await subscribe(c, 'private-encrypted-5'), 'm');
			const plain = new EventLog(await subscribe(c, 'private-chat-7'), 'm');
			const dotted = new EventLog(await subscribe(c, 'private-chat-a.b-c'), 'm');

			const targets: Array<{ target?: string; num?: number }> = [
				{ target: 'notification-5' },
				{ target: 'encrypted-5' },
				{ target: 'ünïcode' },
				{ target: 'x'.repeat(200) },
				{ target: '' },
				{ target: 'a/b' },
				{ target: 'a.b-c' },
				{ num: 7 },
			];
			for (const item of targets) await createItem(stack.directus, 'msgs', { target: null, num: null, ...item });

			// 8 items, 2 attempts each: trigger() sends a.b-c, 7 and encrypted-5 (to the private
			// private-chat-encrypted-5) and refuses 5; the lobby's attempts land on the chat row's
			// names and are refused, except "private-chat-" (empty target), which the lobby decides.
			// The renamed pattern is the chat row's too: it sends and refuses what trigger() does.
			await plain.waitFor(2);
			await dotted.waitFor(2);
			await refusals.waitFor(5 + 7 + 5);
			assert.deepEqual(plain.events, [{ to: 7, via: 'trigger' }, { to: 7, via: 'renamed' }]);
			assert.deepEqual(dotted.events, [{ to: 'a.b-c', via: 'trigger' }, { to: 'a.b-c', via: 'renamed' }]);
			assert.deepEqual(notification.events, []);
			assert.deepEqual(encrypted.events, []);
			for (const via of ['trigger', 'renamed']) {
				const refused = refusals.events.filter((e) => e.via === via).map((e) => e.to).sort();
				assert.deepEqual(refused, ['', 'a/b', 'notification-5', 'x'.repeat(200), 'ünïcode'].sort(), via);
			}
			assert.deepEqual(refusals.events.filter((e) => e.via === 'lobby').map((e) => e.to).sort(), targets.filter((t) => t.target !== '').map((t) => t.target ?? t.num).sort());
		});
	});

	describe('an anonymous caller with tricky requests', () => {
		// Larger than loopback's socket buffers can hold, so "answered before the whole body was
		// sent" cannot pass by the kernel taking the upload at once; well under the 64 MB the gate
		// discards before it closes a refused connection.
		const UPLOAD = 32 * 1024 * 1024;
		const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
		const post = (path: string, headers: Record<string, string>, totalBytes = UPLOAD) =>
			rawRequest({ url: stack.directus.url, path, headers: { ...FORM, ...headers }, stream: { totalBytes } });
		const expectAlive = async () => assert.equal((await stack.directus.request('GET', '/server/ping', undefined, { token: null })).text, 'pong');

		it('treats an empty credential as none: 401 before the body, not 413 after reading it', async () => {
			const sessionCookie = 'directus_session_token';
			const cases: Array<[string, Record<string, string>]> = [
				['Bearer with an empty token', { authorization: 'Bearer ' }],
				['an empty session cookie', { cookie: `${sessionCookie}=` }],
				['a quoted empty session cookie', { cookie: `${sessionCookie}=""` }],
				['an empty access_token', {}],
			];
			for (const [what, headers] of cases) {
				const path = what === 'an empty access_token' ? '/realtime/auth?access_token=' : '/realtime/auth';
				const res = await post(path, headers);
				assert.equal(res.status, 401, `${what}: ${res.status} ${res.text}`);
				assert.equal(res.json?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', what);
				assert.ok(res.sentBeforeAnswer < res.bodyBytes, `${what}: answered after the whole body`);
			}
			// Small bodies too: an empty credential gets the same early 401 as no credential.
			const small = await rawRequest({ url: stack.directus.url, path: '/realtime/auth', headers: { ...FORM, authorization: 'Bearer ' }, body: 'socket_id=1.2&channel_name=private-lobby' });
			assert.equal(small.json?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', small.text);
		});

		it('never grants with the token in the body, two Authorization headers, or smuggling headers', async () => {
			const body = `socket_id=1.2&channel_name=private-lobby&access_token=${bob.token}`;
			const inBody = await rawRequest({ url: stack.directus.url, path: '/realtime/auth', headers: FORM, body });
			assert.equal(inBody.status, 401, inBody.text);
			// Node keeps the first Authorization header; Directus and the gate see the same one.
			const twice = await rawRequest({ url: stack.directus.url, path: '/realtime/auth', headers: { ...FORM, Authorization: 'Basic eDp5', authorization: `Bearer ${bob.token}` }, body: 'socket_id=1.2&channel_name=private-lobby' });
			assert.notEqual(twice.status, 200, twice.text);
			// Content-Length and Transfer-Encoding together: refused by Node's parser (no smuggling).
			const both = await rawRequest({
				url: stack.directus.url,
				path: '/realtime/auth',
				headers: { ...FORM, authorization: `Bearer ${bob.token}`, 'content-length': '5', 'transfer-encoding': 'chunked' },
				body: '0\r\n\r\nPOST /realtime/auth HTTP/1.1\r\n\r\n',
			}).catch((e: Error) => ({ status: 0, text: e.message }));
			assert.notEqual(both.status, 200, both.text);
			for (const method of ['post', 'Post']) {
				const lower = await rawRequest({ url: stack.directus.url, method, path: '/realtime/auth', headers: FORM, body: 'socket_id=1.2&channel_name=private-lobby' }).catch(
					(e: Error) => ({ status: 0, text: e.message }),
				);
				assert.notEqual(lower.status, 200, `${method}: ${lower.text}`);
			}
			await expectAlive();
		});

		it('reaches no route around the gate through odd paths', async () => {
			for (const path of ['/realtime/%61uth', '//realtime/auth', '/realtime//auth', '//realtime//auth/', '/realtime///user-auth', '/realtime/auth;x=1', '/realtime/./auth', '/realtime/auth%2F', '/realtime/auth#x']) {
				const res = await post(path, {}).catch((e: Error) => ({ status: 0, text: e.message, json: undefined, sentBeforeAnswer: 0, bodyBytes: 1 }));
				// Either not routed at all, or refused by the gate: never the endpoint reading the body.
				assert.ok(res.status === 404 || res.status === 401, `${path}: ${res.status} ${res.text.slice(0, 200)}`);
				if (res.status !== 401) continue; // Directus' own 404, in its own time
				assert.equal((res.json as any)?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', path);
				assert.ok(res.sentBeforeAnswer < res.bodyBytes, `${path}: answered ${res.status} only after the whole body: ${res.text.slice(0, 200)}`);
			}
			await expectAlive();
		});

		it('keeps answering others during many concurrent anonymous uploads and a slow drip', async () => {
			// A slow drip: the head and part of a body, then a byte every 50 ms for 1 s (bounded).
			const drip = new Promise<void>((resolve) => {
				const { hostname, port } = new URL(stack.directus.url);
				const socket = connect(Number(port), hostname, () => {
					socket.write(`POST /realtime/auth HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${bob.token}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nsocket_id=1.2`);
					let sent = 0;
					const timer = setInterval(() => {
						if (++sent > 20 || socket.destroyed) {
							clearInterval(timer);
							socket.destroy();
							resolve();
						} else socket.write('x');
					}, 50);
				});
				socket.on('error', () => resolve());
			});
			const floods = Array.from({ length: 50 }, () => post('/realtime/auth', {}));
			const ping = await stack.directus.request('GET', '/server/ping', undefined, { token: null });
			assert.equal(ping.text, 'pong');
			const answers = await Promise.all(floods);
			for (const res of answers) assert.equal(res.status, 401);
			// Another user is served meanwhile.
			assert.equal((await authorize('private-lobby', ada)).status, 200);
			await drip;
		});
	});

	describe('a role granted too much by mistake', () => {
		let granted: TestUser;
		const as = (method: string, path: string, body?: unknown) => stack.directus.request(method, path, body, { token: granted.token });
		const noScript = (res: { text: string }, what: string) => assert.ok(!res.text.includes(MARK), `${what} shows script text: ${res.text.slice(0, 400)}`);

		before(async () => {
			granted = await createUser(stack.directus, {
				grants: [
					...(['create', 'read', 'update', 'delete', 'share'] as const).map((action) => ({ collection: 'realtime_channels', action })),
					{ collection: 'directus_revisions', action: 'read' },
					{ collection: 'directus_activity', action: 'read' },
					{ collection: 'directus_users', action: 'read' },
					{ collection: 'directus_versions', action: 'read' },
					{ collection: 'directus_versions', action: 'create' },
					{ collection: 'directus_comments', action: 'read' },
					{ collection: 'directus_comments', action: 'create' },
					{ collection: 'msgs', action: 'read' },
				],
			});
		});

		it('finds no script text through /items query tricks: deep, alias, export, fields wildcards', async () => {
			const rows = await stack.directus.request('GET', '/items/realtime_channels?fields=id&limit=1');
			const id = rows.body.data[0].id;
			for (const path of [
				'/items/realtime_channels?alias[x]=authorizer&fields=x',
				'/items/realtime_channels?deep[collection][_limit]=1&fields=*.*',
				'/items/realtime_channels?export=csv',
				'/items/realtime_channels?export=yaml',
				`/items/realtime_channels/${id}?fields=authorizer,publisher`,
				'/items/realtime_channels?aggregate[count]=*&groupBy[]=authorizer',
				'/items/realtime_channels?filter[authorizer][_contains]=return&fields=id',
				'/items/realtime_channels?search=return',
			]) {
				const res = await as('GET', path);
				assert.equal(res.status, 403, `${path}: ${res.text.slice(0, 300)}`);
				noScript(res, path);
			}
		});

		it('learns nothing through GraphQL: introspection, aliases, aggregates, system schema', async () => {
			const introspection = await as('POST', '/graphql', { query: '{ __schema { types { name fields { name } } } }' });
			assert.doesNotMatch(introspection.text, /realtime_channels/, 'introspection lists the collection');
			for (const query of [
				'{ a: realtime_channels { b: authorizer c: publisher } }',
				'{ realtime_channels_aggregated(groupBy: ["authorizer"]) { group count { id } } }',
				'{ realtime_channels(filter: { authorizer: { _contains: "return" } }) { id } }',
			]) {
				const res = await as('POST', '/graphql', { query });
				assert.ok(res.body.errors?.length, `${query}: ${res.text.slice(0, 300)}`);
				noScript(res, query);
			}
			const system = await as('POST', '/graphql/system', {
				query: '{ revisions(limit: -1) { data delta } activity(limit: -1) { revisions { data } } versions { delta } comments { comment } }',
			});
			noScript(system, 'GraphQL system');
		});

		it('finds no script text in revisions, activity, versions, comments or an export of them', async () => {
			for (const path of [
				'/revisions?fields=*.*.*&limit=-1',
				'/activity?fields=revisions.*&limit=-1',
				'/activity?fields=*.*.*&limit=-1&filter[collection][_eq]=realtime_channels',
				'/versions?fields=*.*&limit=-1',
				'/comments?fields=*.*&limit=-1',
				'/revisions?export=csv&limit=-1',
			]) {
				const res = await as('GET', path);
				noScript(res, path);
			}
			// A content version of a channel row, as the role: refused (it would copy the row).
			const rows = await stack.directus.request('GET', '/items/realtime_channels?fields=id&limit=1');
			const version = await as('POST', '/versions', { key: 'draft', name: 'draft', collection: 'realtime_channels', item: rows.body.data[0].id });
			assert.ok(version.status >= 400, `a version of a channel row: ${version.text.slice(0, 300)}`);
			noScript(version, 'creating a version');
		});

		it("reads no user's token, password, tfa secret or auth_data through directus_users", async () => {
			for (const path of [`/users/${ada.id}?fields=*`, '/users?fields=token,password,tfa_secret,auth_data&limit=-1', 'SEARCH /users']) {
				// SEARCH carries the query in its body, so the token is not written to the request log.
				const res = path.startsWith('SEARCH')
					? await as('SEARCH', '/users', { query: { filter: { token: { _eq: ada.token } }, fields: ['id'] } })
					: await as('GET', path);
				assert.doesNotMatch(res.text, new RegExp(`${ada.token}|${ada.password}|\\$argon2`), path);
				if (path.startsWith('SEARCH')) assert.deepEqual(res.body.data ?? [], [], `a filter on token tells whether a token is valid: ${res.text.slice(0, 200)}`);
			}
		});

		it('cannot use the mis-grant to join a channel or to change what answers', async () => {
			// The lobby grants anybody logged in; the vault row decides for its names, not the role.
			assert.equal((await authorize(`private-encrypted-vault-${ada.id}`, granted)).status, 403);
			assert.equal((await as('POST', '/utils/sort/realtime_channels', { item: 'x', to: 'y' })).status, 403);
			const flow = await as('POST', '/flows', { name: 'steal', trigger: 'manual', status: 'active' });
			assert.equal(flow.status, 403, flow.text.slice(0, 200));
		});
	});

	describe('hostile scripts', () => {
		before(async () => {
			await createCollection(stack.directus, 'flood', [{ field: 'text', type: 'string' }]);
			const rows: Array<[string, string]> = [
				// Every matching row says "not my call".
				['presence-void-:id', 'return null;'],
				['presence-:any', 'return null;'],
				// Refused reads (Ada may not read msgs) still count as calls.
				['private-q1000-:id', "for (let i = 0; i < 1000; i++) { try { await query('msgs', { limit: 1 }); } catch (e) { if (/at most/.test(e.message)) throw e; } }\nreturn true;"],
				['private-alloc-:id', 'const hoard = [];\nwhile (true) hoard.push(new Array(1e6).fill(hoard.length));'],
				['private-canloop-:id', "const again = () => can('read', 'msgs').then(again);\nawait again();\nreturn true;"],
				['private-canspin-:id', "await can('read', 'msgs').then(() => { while (true) {} });\nreturn true;"],
			];
			for (const [channel_name, authorizer] of rows) await channel({ channel_name, authorizer });
			await channel({
				channel_name: 'flood-:n',
				collection: 'flood',
				trigger_on_create: true,
				publisher: "for (let i = 0; i < 10000; i++) trigger({ n: i }, 'e', { i });",
			});
		});

		it('refuses when every matching row returns null', async () => {
			for (const name of ['presence-void-1', 'presence-anything']) {
				const res = await authorize(name, ada);
				assert.equal(res.status, 403, `${name}: ${res.text}`);
			}
		});

		it('refuses looping, allocating and call-flooding authorizers while Directus keeps answering', async () => {
			const names = ['private-q1000-1', 'private-alloc-1', 'private-canloop-1', 'private-canspin-1'];
			let settled = 0;
			const runs = names.flatMap((name) => [1, 2].map((i) => authorize(name, ada, `1234.${i}`).finally(() => settled++)));
			const ping = await stack.directus.request('GET', '/server/ping', undefined, { token: null });
			assert.equal(ping.text, 'pong');
			const answers = await Promise.all(runs);
			assert.ok(settled === names.length * 2);
			answers.forEach((res, i) => assert.equal(res.status, 403, `${names[Math.floor(i / 2)]}: ${res.text}`));
			await stack.directus.waitForLog((l) => String(l.msg).includes('(private-q1000-:id)') && String(l.msg).includes('at most 100 times'));
			await stack.directus.waitForLog((l) => String(l.msg).includes('(private-canloop-:id)') && String(l.msg).includes('at most 100 times'));
			// The isolates recover: an ordinary row answers at once afterwards.
			assert.equal((await authorize('private-lobby', ada)).status, 200);
		});

		it('lets a publisher that calls trigger 10,000 times send at most RT_SCRIPT_MAX_CALLS events', async () => {
			const c = await listener();
			const first = new EventLog(await subscribe(c, 'flood-0'), 'e');
			const late = new EventLog(await subscribe(c, 'flood-150'), 'e');
			const marker = new EventLog(await subscribe(c, 'private-lobby-marker'), 'done');
			const created = await stack.directus.request('POST', '/items/flood', { text: 'go' });
			assert.equal(created.status, 200, created.text);
			await stack.directus.waitForLog((l) => String(l.msg).includes('(flood-:n)') && String(l.msg).includes('at most 100 times'));
			assert.equal((await stack.directus.request('GET', '/server/ping', undefined, { token: null })).text, 'pong');
			// Events go out in order: one sent after the flood arrives after anything the flood sent.
			await stack.pusher.trigger('private-lobby-marker', 'done', {});
			await marker.waitFor(1);
			await sleep(200);
			assert.ok(first.events.length <= 1);
			assert.deepEqual(late.events, []);
		});
	});

	describe("a delete only Directus' permission filter allows", () => {
		let deleter: TestUser;
		let other: TestUser;
		let deleted: EventLog;

		before(async () => {
			const d = stack.directus;
			await createCollection(d, 'owned', [
				{ field: 'title', type: 'string' },
				{ field: 'owner', type: 'uuid' },
			]);
			await createRelationM2O(d, 'owned', 'owner', 'directus_users');
			deleter = await createUser(d, { first_name: 'Dee', grants: [{ collection: 'owned', action: 'read' }] });
			other = await createUser(d, { first_name: 'Oz' });
			// A delete permission narrowed to the caller's own items. Directus 12 refuses to save such a
			// rule without a licence (and drops it when it finds one), so it goes in by hand: the
			// bridge must publish what Directus deleted, whatever Directus made of the rule.
			const access = await d.request('GET', `/access?filter[role][_eq]=${deleter.role}&fields=policy`);
			const policy = access.body.data[0].policy;
			const db = connectDatabase(d.dbEnv);
			try {
				await db('directus_permissions').insert({
					policy,
					collection: 'owned',
					action: 'delete',
					fields: '*',
					permissions: JSON.stringify({ owner: { _eq: '$CURRENT_USER' } }),
				});
			} finally {
				await db.destroy();
			}
			await createItem(d, 'owned', [
				{ title: 'mine 1', owner: deleter.id },
				{ title: 'mine 2', owner: deleter.id },
				{ title: 'theirs 3', owner: other.id },
				{ title: 'theirs 4', owner: other.id },
				{ title: 'theirs 5', owner: other.id },
			]);
			await channel({
				channel_name: 'owned-deletes',
				collection: 'owned',
				fields: ['id', 'title', 'owner.first_name'],
				trigger_on_delete: true,
				publisher: 'trigger({}, "deleted", { id: meta.payload.id, title: meta.payload.title, owner: meta.payload.owner && meta.payload.owner.first_name });',
			});
			const c = await listener();
			deleted = new EventLog(await subscribe(c, 'owned-deletes'), 'deleted');
		});

		it("refuses a mix of own and others' items as a whole and publishes nothing of it", async () => {
			const mixed = await stack.directus.request('DELETE', '/items/owned', [1, 3], { token: deleter.token });
			assert.equal(mixed.status, 403, mixed.text);
			const byQuery = await stack.directus.request('DELETE', '/items/owned', { query: { filter: { id: { _in: [2, 4] } } } }, { token: deleter.token });
			assert.equal(byQuery.status, 403, byQuery.text);
			const one = await stack.directus.request('DELETE', '/items/owned/5', undefined, { token: deleter.token });
			assert.equal(one.status, 403, one.text);
			// Own items alone: allowed if Directus honours the rule (refused if it dropped it).
			const own = await stack.directus.request('DELETE', '/items/owned', [1], { token: deleter.token });
			assert.ok(own.status === 204 || own.status === 403, own.text);
			const session = await login(stack.directus, deleter);
			const ownAgain = await stack.directus.request('DELETE', '/items/owned/2', undefined, { token: session });
			assert.ok(ownAgain.status === 204 || ownAgain.status === 403, ownAgain.text);
			// A later admin delete's event comes after anything the deletes above could have sent.
			assert.equal((await stack.directus.request('DELETE', '/items/owned/4')).status, 204);
			await deleted.waitUntil((events) => events.some((e) => e.id === 4));
			const left = (await stack.directus.request('GET', '/items/owned?fields=id&sort=id')).body.data.map((r: { id: number }) => r.id);
			const gone = [1, 2, 3, 4, 5].filter((id) => !left.includes(id));
			assert.ok(left.includes(3) && left.includes(5), `others' items were deleted: ${left}`);
			const titles: Record<number, [string, string]> = { 1: ['mine 1', 'Dee'], 2: ['mine 2', 'Dee'], 4: ['theirs 4', 'Oz'] };
			// Exactly what Directus deleted is published, as it was: nothing refused, nothing twice.
			assert.deepEqual(
				deleted.events.sort((a, b) => a.id - b.id),
				gone.map((id) => ({ id, title: titles[id]![0], owner: titles[id]![1] })),
			);
		});
	});

	it('leaves no secret in any answer above or in Directus\' log', async () => {
		const output = stack.directus.process.output();
		const secrets: Array<[string, string]> = [
			['RT_APP_SECRET', stack.rtEnv.RT_APP_SECRET!],
			['a user token', ada.token],
			['a user token', bob.token],
			['a user password', ada.password],
			['a password hash', '$argon2'],
		];
		for (const [what, value] of secrets) assert.ok(!output.includes(value), `${what} is in Directus' log`);
		assert.ok(!output.includes(MARK), 'script text is in the log');
		// The log is not empty: the checks above looked at something.
		assert.ok(output.includes('refused'));
	});
});
