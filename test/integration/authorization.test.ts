import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Echo from 'laravel-echo';
import { connectClient, disconnectAll, EventLog, PusherJs, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, login, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');

// The seed README's authorizer examples, as written there.
const SEED_PRIVATE_AUTHORIZER = `// For private channels
 if (auth.user.id === params.userId) {

    return true;
}`;
const SEED_PRESENCE_AUTHORIZER = `// For presence Channels
if(auth.user.id === params.userId)
{
return {user_id:auth.user.id,user_info:{name:auth.user.first_name}}; // Check Pusher presence channel docs.
}`;

describe('channel authorization at /realtime/auth', () => {
	let stack: Stack;
	let ada: TestUser;
	let bob: TestUser;
	let reader: TestUser;
	const clients: PusherClient[] = [];
	const as = async (user: TestUser | null, extra: Parameters<typeof connectClient>[1] = {}) => {
		const c = await connectClient(stack.soketi, { directusUrl: stack.directus.url, ...(user ? { token: user.token } : {}), ...extra });
		clients.push(c);
		return c;
	};
	/** One authorization request as pusher-js sends it (form-encoded). */
	const authorize = (channel_name: string, token: string | null, socket_id = '1234.5678') =>
		stack.directus.request('POST', '/realtime/auth', undefined, { token, form: { socket_id, channel_name } });

	before(async () => {
		({
			stack,
			users: { ada, bob, reader },
		} = await startStackWithUsers({
			encryptionMasterKey: ENCRYPTION_KEY,
			directus: { env: { RT_SCRIPT_TIMEOUT: '300' } },
			prepare: async (d) => {
				await createCollection(d, 'rooms', [{ field: 'name', type: 'string' }]);
				await createItem(d, 'rooms', { name: 'lobby' });
			},
			users: { ada: { first_name: 'Ada' }, bob: { first_name: 'Bob' }, reader: { first_name: 'Reader', grants: [{ collection: 'rooms', action: 'read' }] } },
		}));
		const d = stack.directus;
		const rows = [
			{ channel_name: 'private-chat-:userId', authorizer: SEED_PRIVATE_AUTHORIZER },
			{ channel_name: 'presence-chat-:userId', authorizer: SEED_PRESENCE_AUTHORIZER },
			{ channel_name: 'presence-team', authorizer: 'return { user_info: { name: auth.user.first_name, seen: Object.keys(auth.user).sort() } };' },
			{ channel_name: 'private-room-:roomId(\\d+)', authorizer: "return await can('read', 'rooms', params.roomId);" },
			{ channel_name: 'private-listed-:roomId', authorizer: "const rows = await query('rooms', { filter: { id: { _eq: params.roomId } } }); return rows.length === 1;" },
			{ channel_name: 'private-encrypted-doc-:id', authorizer: 'return true;' },
			{ channel_name: 'private-orders-:userId', authorizer: 'return auth.user.id === params.userId;' },
			{ channel_name: 'private-refuses', authorizer: 'return false;' },
			{ channel_name: 'private-throws', authorizer: 'throw new Error("internal detail 42");' },
			{ channel_name: 'private-slow', authorizer: 'while (true) {}' },
			{ channel_name: 'private-waits', authorizer: 'await new Promise(() => {});' },
			{ channel_name: 'presence-no-object', authorizer: 'return true;' },
			{ channel_name: 'private-context', authorizer: 'return typeof socket_id === "string" && channel_name === "private-context" && auth.app === false && auth.admin === false && typeof auth.ip === "string";' },
			{ channel_name: 'private-no-authorizer', authorizer: null },
		];
		for (const row of rows) await createChannel(d, { ...row, collection: 'rooms', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('lets a user into their own private channel with the seed README authorizer', async () => {
		await subscribe(await as(ada), `private-chat-${ada.id}`);
	});

	it('keeps a user out of another user\'s private channel', async () => {
		await assert.rejects(subscribe(await as(bob), `private-chat-${ada.id}`), (e: any) => e.detail?.status === 403);
	});

	it('shows presence members joining and leaving with the user_info the script chose', async () => {
		const adaClient = await as(ada);
		const bobClient = await as(bob);
		const adaTeam = await subscribe(adaClient, 'presence-team');
		const joined = new EventLog(adaTeam, 'pusher:member_added');
		const left = new EventLog(adaTeam, 'pusher:member_removed');
		const bobTeam = await subscribe(bobClient, 'presence-team');

		const [member] = await joined.waitFor(1);
		assert.equal(member.id, bob.id);
		assert.equal(member.info.name, 'Bob');
		assert.equal((bobTeam as any).members.count, 2);
		bobClient.unsubscribe('presence-team');
		const [gone] = await left.waitFor(1);
		assert.equal(gone.id, bob.id);
	});

	it('runs the seed README presence authorizer', async () => {
		const channel = await subscribe(await as(ada), `presence-chat-${ada.id}`);
		assert.deepEqual((channel as any).members.me, { id: ada.id, info: { name: 'Ada' } });
	});

	it('never shows a script the password, tfa_secret, token or auth_data', async () => {
		const channel = await subscribe(await as(ada), 'presence-team');
		const seen: string[] = (channel as any).members.me.info.seen;
		assert.ok(seen.includes('id') && seen.includes('email') && seen.includes('first_name'));
		for (const secret of ['password', 'tfa_secret', 'token', 'auth_data']) assert.ok(!seen.includes(secret), secret);
	});

	it('gives the authorizer the seed context', async () => {
		await subscribe(await as(bob), 'private-context');
	});

	it('follows Directus item permissions with can()', async () => {
		await subscribe(await as(reader), 'private-room-1');
		await assert.rejects(subscribe(await as(ada), 'private-room-1'), (e: any) => e.detail?.status === 403);
		// An item that does not exist is not readable either.
		await assert.rejects(subscribe(await as(reader), 'private-room-999'), (e: any) => e.detail?.status === 403);
	});

	it('reads with the caller\'s permissions in query()', async () => {
		await subscribe(await as(reader), 'private-listed-1');
		await assert.rejects(subscribe(await as(ada), 'private-listed-1'), (e: any) => e.detail?.status === 403);
	});

	it('round-trips an encrypted channel: shared_secret to the client, publisher events decrypted', async () => {
		const res = await authorize('private-encrypted-doc-7', ada.token);
		assert.equal(res.status, 200);
		assert.equal(typeof res.body.shared_secret, 'string');
		const channel = await subscribe(await as(ada), 'private-encrypted-doc-7');
		const log = new EventLog(channel, 'note');
		await stack.pusher.trigger('private-encrypted-doc-7', 'note', { text: 'sealed' });
		assert.deepEqual(await log.waitFor(1), [{ text: 'sealed' }]);
	});

	it('accepts the session cookie and the access_token query parameter', async () => {
		const cookie = await login(stack.directus, ada, 'session');
		const viaCookie = await stack.directus.request('POST', '/realtime/auth', undefined, {
			token: null,
			headers: { cookie },
			form: { socket_id: '1.2', channel_name: `private-chat-${ada.id}` },
		});
		assert.equal(viaCookie.status, 200);
		const accessToken = await login(stack.directus, ada);
		const viaQuery = await stack.directus.request('POST', `/realtime/auth?access_token=${accessToken}`, undefined, {
			token: null,
			form: { socket_id: '1.2', channel_name: `private-chat-${ada.id}` },
		});
		assert.equal(viaQuery.status, 200);
		assert.match(viaQuery.body.auth, new RegExp(`^${stack.soketi.app.key}:[0-9a-f]{64}$`));
	});

	it('accepts a JSON body', async () => {
		const res = await stack.directus.request('POST', '/realtime/auth', { socket_id: '1.2', channel_name: `private-chat-${ada.id}` }, { token: ada.token });
		assert.equal(res.status, 200);
	});

	it('authorizes Laravel Echo (pusher connector)', async () => {
		const echo = new Echo({
			broadcaster: 'pusher',
			Pusher: PusherJs,
			key: stack.soketi.app.key,
			cluster: 'mt1',
			wsHost: stack.soketi.host,
			wsPort: stack.soketi.port,
			forceTLS: false,
			enabledTransports: ['ws'],
			disableStats: true,
			authEndpoint: `${stack.directus.url}/realtime/auth`,
			auth: { headers: { Authorization: `Bearer ${ada.token}` } },
		} as any);
		try {
			const shipped = await new Promise<unknown>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error('no event through Echo')), 10_000);
				echo
					.private(`orders-${ada.id}`)
					.subscribed(() => void stack.pusher.trigger(`private-orders-${ada.id}`, 'shipped', { order: 1 }))
					.error((e: unknown) => reject(new Error(`Echo refused: ${JSON.stringify(e)}`)))
					.listen('.shipped', (data: unknown) => {
						clearTimeout(timer);
						resolve(data);
					});
			});
			assert.deepEqual(shipped, { order: 1 });
		} finally {
			echo.disconnect();
		}
	});

	it('writes no secret to the log: tokens, passwords, the app secret', async () => {
		const log = stack.directus.process.output();
		for (const secret of [ada.token, ada.password, bob.token, reader.token, stack.soketi.app.secret]) {
			assert.equal(log.includes(secret), false, `a secret appears in the log`);
		}
	});

	describe('refusals', () => {
		const expectRefusal = (res: { status: number; body: any; text: string }, status: number, code: string) => {
			assert.equal(res.status, status, res.text);
			assert.equal(res.body.errors[0].extensions.code, code);
			assert.equal(typeof res.body.errors[0].extensions.reason, 'string');
			assert.doesNotMatch(res.text, /at .+\.(js|ts):\d+/);
		};

		it('401 without a logged-in user', async () => expectRefusal(await authorize(`private-chat-${ada.id}`, null), 401, 'UNAUTHENTICATED'));
		it('401 for an invalid token (Directus itself)', async () => {
			const res = await authorize(`private-chat-${ada.id}`, 'not-a-token');
			assert.equal(res.status, 401);
		});
		it('403 for a public channel name', async () => expectRefusal(await authorize('news', ada.token), 403, 'PUBLIC_CHANNEL'));
		it('403 when no row matches, the same answer as a refusal', async () => {
			const noMatch = await authorize('private-unknown-1', ada.token);
			expectRefusal(noMatch, 403, 'FORBIDDEN');
			assert.equal(noMatch.text, (await authorize('private-refuses', ada.token)).text);
		});
		it('403 when the authorizer returns false', async () => expectRefusal(await authorize('private-refuses', ada.token), 403, 'FORBIDDEN'));
		it('403 when the row has no authorizer', async () => expectRefusal(await authorize('private-no-authorizer', ada.token), 403, 'FORBIDDEN'));
		it('403 when the authorizer throws, with the detail in the log only', async () => {
			const res = await authorize('private-throws', ada.token);
			expectRefusal(res, 403, 'FORBIDDEN');
			assert.doesNotMatch(res.text, /internal detail 42/);
			await stack.directus.waitForLog((l) => String(l.msg).includes('(private-throws)') && String(l.msg).includes('internal detail 42'));
		});
		it('403 when the authorizer loops past the time limit', async () => expectRefusal(await authorize('private-slow', ada.token), 403, 'FORBIDDEN'));
		it('403 when the authorizer never settles', async () => expectRefusal(await authorize('private-waits', ada.token), 403, 'FORBIDDEN'));
		it('403 when a presence authorizer returns no object', async () => expectRefusal(await authorize('presence-no-object', ada.token), 403, 'FORBIDDEN'));
		it('400 for a socket id not in Pusher\'s format', async () => {
			for (const socket_id of ['abc', '1.2.3', '', '1.2; drop table']) {
				expectRefusal(await authorize(`private-chat-${ada.id}`, ada.token, socket_id), 400, 'INVALID_SOCKET_ID');
			}
		});
		it('400 for an overlong or invalid channel name', async () => {
			expectRefusal(await authorize(`private-${'x'.repeat(200)}`, ada.token), 400, 'INVALID_CHANNEL_NAME');
			expectRefusal(await authorize('private-chat-<script>', ada.token), 400, 'INVALID_CHANNEL_NAME');
		});
		it('400 for a body without the fields', async () => {
			const res = await stack.directus.request('POST', '/realtime/auth', undefined, { token: ada.token, form: { socket_id: '1.2' } });
			expectRefusal(res, 400, 'INVALID_PAYLOAD');
		});
		it('400 for a JSON body that is not an object, or fields that are not strings', async () => {
			expectRefusal(await stack.directus.request('POST', '/realtime/auth', [1, 2], { token: ada.token }), 400, 'INVALID_PAYLOAD');
			expectRefusal(await stack.directus.request('POST', '/realtime/auth', { socket_id: 1.2, channel_name: ['x'] }, { token: ada.token }), 400, 'INVALID_PAYLOAD');
		});
		it('400 for a repeated form field', async () => {
			const res = await stack.directus.request('POST', '/realtime/auth', undefined, {
				token: ada.token,
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				raw: 'socket_id=1.2&channel_name=private-a&channel_name=private-b',
			});
			expectRefusal(res, 400, 'INVALID_PAYLOAD');
		});
		it('400 for an unsupported content type', async () => {
			const res = await stack.directus.request('POST', '/realtime/auth', undefined, { token: ada.token, headers: { 'content-type': 'text/xml' }, raw: '<x/>' });
			expectRefusal(res, 400, 'INVALID_PAYLOAD');
		});
		it('413 for an oversized body, and the server stays up', async () => {
			const res = await stack.directus.request('POST', '/realtime/auth', undefined, {
				token: ada.token,
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				raw: `socket_id=1.2&channel_name=${'x'.repeat(100_000)}`,
			});
			expectRefusal(res, 413, 'PAYLOAD_TOO_LARGE');
			assert.equal((await authorize(`private-chat-${ada.id}`, ada.token)).status, 200);
		});
	});

	describe('user authentication at /realtime/user-auth', () => {
		it('signs in a user whose connections then receive sendToUser events', async () => {
			await createCollection(stack.directus, 'alerts', [{ field: 'text', type: 'string' }, { field: 'for_user', type: 'string' }]);
			await createChannel(stack.directus, { channel_name: 'alerts', collection: 'alerts', publisher: 'sendToUser(meta.payload.for_user, "alert", { text: meta.payload.text });' });
			const c = await as(ada);
			const signedIn = new Promise<void>((resolve) => c.bind('pusher:signin_success', () => resolve()));
			c.signin();
			await signedIn;
			const alerts: unknown[] = [];
			const got = new Promise<void>((resolve) => c.user.bind('alert', (data: unknown) => (alerts.push(data), resolve())));
			await createItem(stack.directus, 'alerts', { text: 'for Ada', for_user: ada.id });
			await got;
			assert.deepEqual(alerts, [{ text: 'for Ada' }]);
		});

		it('answers with user_info from the configured fields and nothing secret', async () => {
			const res = await stack.directus.request('POST', '/realtime/user-auth', undefined, { token: ada.token, form: { socket_id: '1.2' } });
			assert.equal(res.status, 200);
			const user = JSON.parse(res.body.user_data);
			assert.equal(user.id, ada.id);
			assert.deepEqual(Object.keys(user.user_info).sort(), ['avatar', 'first_name', 'last_name']);
		});

		it('refuses an anonymous caller and a bad socket id', async () => {
			const anonymous = await stack.directus.request('POST', '/realtime/user-auth', undefined, { token: null, form: { socket_id: '1.2' } });
			assert.equal(anonymous.status, 401);
			const bad = await stack.directus.request('POST', '/realtime/user-auth', undefined, { token: ada.token, form: { socket_id: 'x' } });
			assert.equal(bad.status, 400);
		});
	});
});
