/**
 * /realtime/auth and /realtime/user-auth refuse anonymous callers before reading their body,
 * and oversized bodies without buffering them, while Directus keeps serving. Raw TCP clients
 * show the order of things: the answer arrives while the client still has body to send.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChannel, createCollection, login, type TestUser } from '../harness/fixtures.js';
import { rawRequest, type RawRequest, type RawResponse } from '../harness/raw-http.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';

const MB = 1024 * 1024;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const APP_ORIGIN = 'https://app.example';

describe('bodies of the authorization endpoints', () => {
	let stack: Stack;
	let user: TestUser;
	const post = (request: Omit<RawRequest, 'url'>) => rawRequest({ url: stack.directus.url, ...request });
	const bearer = () => ({ authorization: `Bearer ${user.token}` });
	const validForm = 'socket_id=123.456&channel_name=private-gate-1';

	const expectCode = (res: RawResponse, status: number, code: string) => {
		assert.equal(res.status, status, res.text);
		assert.equal(res.json?.errors?.[0]?.extensions?.code, code, res.text);
	};
	/** The server answered before the client had sent its whole body. */
	const answeredEarly = (res: RawResponse) =>
		assert.ok(res.sentBeforeAnswer < res.bodyBytes, `answered after ${res.sentBeforeAnswer} of ${res.bodyBytes} body bytes`);
	const expectAlive = async () => {
		assert.equal((await fetch(`${stack.directus.url}/server/ping`)).status, 200);
		assert.equal(stack.directus.process.isRunning(), true);
	};

	before(async () => {
		// A browser app on another origin: Directus answers it with CORS headers, and so must the early refusals.
		({
			stack,
			users: { user },
		} = await startStackWithUsers({ directus: { env: { CORS_ENABLED: 'true', CORS_ORIGIN: APP_ORIGIN } }, users: { user: {} } }));
		await createCollection(stack.directus, 'gates', [{ field: 'name', type: 'string' }]);
		await createChannel(stack.directus, {
			channel_name: 'private-gate-:n',
			collection: 'gates',
			authorizer: 'return true;',
			publisher: null,
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
	});

	after(async () => {
		await stack?.stop();
	});

	describe('without any credential', () => {
		it('answers a browser with the CORS headers Directus gives its own routes, so pusher-js sees the 401', async () => {
			for (const origin of [APP_ORIGIN, 'https://elsewhere.example']) {
				const res = await post({ path: '/realtime/auth', headers: { ...FORM, origin }, body: validForm });
				expectCode(res, 401, 'UNAUTHENTICATED');
				const own = await fetch(`${stack.directus.url}/server/ping`, { headers: { origin } });
				assert.equal(res.headers['access-control-allow-origin'], own.headers.get('access-control-allow-origin') ?? undefined, origin);
			}
			const res = await post({ path: '/realtime/auth', headers: { ...FORM, origin: APP_ORIGIN }, body: validForm });
			assert.equal(res.headers['access-control-allow-origin'], APP_ORIGIN);
		});

		it('401 for a small anonymous body', async () => {
			expectCode(await post({ path: '/realtime/auth', headers: FORM, body: validForm }), 401, 'UNAUTHENTICATED');
			expectCode(await post({ path: '/realtime/user-auth', headers: FORM, body: 'socket_id=123.456' }), 401, 'UNAUTHENTICATED');
		});

		it('401 before a 50 MB chunked upload is done, and Directus keeps serving', async () => {
			const res = await post({ path: '/realtime/auth', headers: FORM, stream: { totalBytes: 50 * MB } });
			expectCode(res, 401, 'UNAUTHENTICATED');
			answeredEarly(res);
			await expectAlive();
		});

		it('401 before a 50 MB body with a Content-Length is sent, JSON or garbage', async () => {
			for (const type of ['application/json', 'text/xml', 'multipart/form-data; boundary=x', 'application/octet-stream']) {
				const res = await post({ path: '/realtime/user-auth', headers: { 'content-type': type, 'content-length': String(50 * MB) }, stream: { totalBytes: 50 * MB } });
				expectCode(res, 401, 'UNAUTHENTICATED');
				answeredEarly(res);
			}
			await expectAlive();
		});

		it('401 whatever the path looks like: query string, case, trailing slash', async () => {
			for (const path of ['/realtime/auth?x=1', '/REALTIME/Auth/', '/realtime/user-auth/?socket_id=1.2']) {
				const res = await post({ path, headers: FORM, stream: { totalBytes: 10 * MB } });
				expectCode(res, 401, 'UNAUTHENTICATED');
				answeredEarly(res);
			}
		});
	});

	describe('with a credential', () => {
		it('413 before an oversized form, JSON or chunked body is sent', async () => {
			const cases: Array<Omit<RawRequest, 'url'>> = [
				{ path: '/realtime/auth', headers: { ...bearer(), ...FORM, 'content-length': String(50 * MB) }, stream: { totalBytes: 50 * MB } },
				{ path: '/realtime/auth', headers: { ...bearer(), ...JSON_TYPE, 'content-length': String(50 * MB) }, stream: { totalBytes: 50 * MB } },
				{ path: '/realtime/auth', headers: { ...bearer(), ...FORM }, stream: { totalBytes: 50 * MB } },
				{ path: '/realtime/auth', headers: { ...bearer(), ...JSON_TYPE }, stream: { totalBytes: 50 * MB } },
				{ path: '/realtime/user-auth', headers: { ...bearer(), 'content-type': 'text/xml' }, stream: { totalBytes: 50 * MB } },
			];
			for (const request of cases) {
				const res = await post(request);
				expectCode(res, 413, 'PAYLOAD_TOO_LARGE');
				answeredEarly(res);
			}
			await expectAlive();
		});

		it('413 for a JSON body over the limit that Directus itself would have parsed', async () => {
			const body = JSON.stringify({ socket_id: '123.456', channel_name: 'private-gate-1', padding: 'x'.repeat(20_000) });
			expectCode(await post({ path: '/realtime/auth', headers: { ...bearer(), ...JSON_TYPE }, body }), 413, 'PAYLOAD_TOO_LARGE');
		});

		it('200 for a valid body: form, JSON, chunked form and chunked JSON', async () => {
			const json = JSON.stringify({ socket_id: '123.456', channel_name: 'private-gate-1' });
			const answers = [
				await post({ path: '/realtime/auth', headers: { ...bearer(), ...FORM }, body: validForm }),
				await post({ path: '/realtime/auth', headers: { ...bearer(), ...JSON_TYPE }, body: json }),
				await post({ path: '/realtime/auth', headers: { ...bearer(), ...FORM, 'transfer-encoding': 'chunked' }, body: `${validForm.length.toString(16)}\r\n${validForm}\r\n0\r\n\r\n` }),
				await post({ path: '/realtime/auth', headers: { ...bearer(), ...JSON_TYPE, 'transfer-encoding': 'chunked' }, body: `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n` }),
			];
			for (const res of answers) {
				assert.equal(res.status, 200, res.text);
				assert.match(res.json.auth, /^[^:]+:[0-9a-f]{64}$/);
			}
		});

		it('200 with the token in the query string or the session cookie', async () => {
			const viaQuery = await post({ path: `/realtime/auth?access_token=${user.token}`, headers: FORM, body: validForm });
			assert.equal(viaQuery.status, 200, viaQuery.text);
			const cookie = await login(stack.directus, user, 'session');
			const viaCookie = await post({ path: '/realtime/user-auth', headers: { ...FORM, cookie }, body: 'socket_id=123.456' });
			assert.equal(viaCookie.status, 200, viaCookie.text);
		});

		it('400 for garbage: unsupported content type, broken chunked JSON', async () => {
			expectCode(await post({ path: '/realtime/auth', headers: { ...bearer(), 'content-type': 'text/xml' }, body: '<x/>' }), 400, 'INVALID_PAYLOAD');
			const broken = '{"socket_id": ';
			const res = await post({
				path: '/realtime/auth',
				headers: { ...bearer(), ...JSON_TYPE, 'transfer-encoding': 'chunked' },
				body: `${broken.length.toString(16)}\r\n${broken}\r\n0\r\n\r\n`,
			});
			expectCode(res, 400, 'INVALID_PAYLOAD');
		});

		it('an invalid token is still refused by Directus itself', async () => {
			const res = await post({ path: '/realtime/auth', headers: { authorization: 'Bearer not-a-token', ...FORM }, body: validForm });
			assert.ok(res.status === 401 || res.status === 403, res.text);
			assert.notEqual(res.json?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
			await expectAlive();
		});
	});
});
