/**
 * pusher-js's browser build, in a real headless Chromium, authorizing a private channel against
 * Directus' /realtime/auth the ways a front end does it, then receiving what the channel's
 * publisher sends when an item is created through the REST API:
 *
 * - a Bearer token header, from a page on another origin than Directus (CORS);
 * - the Directus session cookie, from a page on the same origin as Directus (app and API behind
 *   one host, here a small reverse proxy): pusher-js's own `ajax` transport sends it as is;
 * - the session cookie from a page on another origin: pusher-js's XHR transport has no
 *   `withCredentials` option (8.x), so the page authorizes with a `customHandler` that calls
 *   /realtime/auth with `fetch(..., { credentials: 'include' })`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumOrSkip, launchBrowser, listenLocally, openPage, type Browser, type LocalServer, type Page } from '../harness/browser.js';
import { createChannel, createCollection, createItem, createUser, type TestUser } from '../harness/fixtures.js';
import { ROOT } from '../harness/paths.js';
import { startStack, type Stack } from '../harness/stack.js';

const chromium = chromiumOrSkip();
const WAIT = 15_000;
const PUSHER_JS = readFileSync(join(ROOT, 'node_modules', 'pusher-js', 'dist', 'web', 'pusher.min.js'));
const PAGE = '<!doctype html><meta charset="utf-8"><title>pusher-js in a browser</title><script src="/pusher.min.js"></script>';

/** What the page reports back: the subscription's verdict and the events received so far. */
interface Outcome {
	subscribed: boolean;
	error?: { status: number; error: string };
}

type AuthMode =
	| { kind: 'bearer'; endpoint: string; token: string }
	| { kind: 'cookie'; endpoint: string }
	| { kind: 'cookie-fetch'; endpoint: string }
	| { kind: 'none'; endpoint: string };

/**
 * In the page: a pusher-js client for Soketi that subscribes to `channel` with the given kind of
 * authorization, records every `note` event in `window.notes`, and resolves with the verdict.
 */
function subscribeInPage(page: Page, args: { key: string; soketiPort: number; channel: string; auth: AuthMode }): Promise<Outcome> {
	return page.evaluate(({ key, soketiPort, channel, auth }) => {
		const w = globalThis as any;
		let channelAuthorization: Record<string, unknown>;
		if (auth.kind === 'bearer') {
			channelAuthorization = { endpoint: auth.endpoint, transport: 'ajax', headers: { Authorization: `Bearer ${auth.token}` } };
		} else if (auth.kind === 'cookie-fetch') {
			channelAuthorization = {
				customHandler: async ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (e: Error | null, d: unknown) => void) => {
					const res = await fetch(auth.endpoint, {
						method: 'POST',
						credentials: 'include',
						headers: { 'content-type': 'application/x-www-form-urlencoded' },
						body: new URLSearchParams({ socket_id: socketId, channel_name: channelName }),
					});
					if (res.ok) callback(null, await res.json());
					else callback(Object.assign(new Error(`HTTP ${res.status}`), { status: res.status }), null);
				},
			};
		} else {
			channelAuthorization = { endpoint: auth.endpoint, transport: 'ajax' };
		}
		const pusher = new w.Pusher(key, {
			cluster: 'mt1',
			wsHost: w.location.hostname,
			wsPort: soketiPort,
			forceTLS: false,
			enabledTransports: ['ws'],
			disableStats: true,
			channelAuthorization,
		});
		w.pusher = pusher;
		w.notes = [];
		const subscription = pusher.subscribe(channel);
		// Events arrive in the envelope { id, seq, epoch, data }: the publisher's payload is `data`.
		subscription.bind('note', (envelope: { seq: number; data: unknown }) => w.notes.push(typeof envelope.seq === 'number' ? envelope.data : { notAnEnvelope: envelope }));
		return new Promise<Outcome>((resolve) => {
			subscription.bind('pusher:subscription_succeeded', () => resolve({ subscribed: true }));
			subscription.bind('pusher:subscription_error', (e: { status: number; error: string }) =>
				resolve({ subscribed: false, error: { status: e.status, error: String(e.error) } }),
			);
		});
	}, args);
}

/** Logs in with fetch from the page; `session` mode leaves Directus' session cookie in the browser. */
function loginInPage(page: Page, url: string, user: TestUser, mode: 'json' | 'session'): Promise<{ status: number; token?: string }> {
	return page.evaluate(
		async ({ url, email, password, mode }) => {
			const res = await fetch(url, {
				method: 'POST',
				credentials: 'include',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ email, password, mode }),
			});
			const body: any = await res.json();
			return { status: res.status, token: body?.data?.access_token };
		},
		{ url, email: user.email, password: user.password, mode },
	);
}

/** Waits until the page has received `count` note events; returns them. */
async function notesReceived(page: Page, count: number, diagnostics: () => string): Promise<any[]> {
	try {
		await page.waitForFunction((n) => (globalThis as any).notes.length >= n, count, { timeout: WAIT });
	} catch {
		assert.fail(`the page received ${JSON.stringify(await page.evaluate(() => (globalThis as any).notes))}, expected ${count} note(s)${diagnostics()}`);
	}
	return page.evaluate(() => (globalThis as any).notes);
}

/**
 * The page and Directus on one origin: `/` and `/pusher.min.js` are the page, everything else is
 * passed to Directus unchanged (cookies included), as a reverse proxy in front of both would.
 */
function sameOriginProxy(directusUrl: string) {
	const target = new URL(directusUrl);
	return listenLocally((req, res) => {
		if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
		if (req.url === '/pusher.min.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(PUSHER_JS);
		const upstream = httpRequest(
			{ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			},
		);
		upstream.on('error', (error) => res.writeHead(502).end(error.message));
		req.pipe(upstream);
	});
}

describe('pusher-js in a real browser, authorized by Directus', { skip: chromium.skip }, () => {
	let stack: Stack;
	let otherOrigin: LocalServer;
	let sameOrigin: LocalServer;
	let browser: Browser;
	let user: TestUser;
	let soketi: { key: string; soketiPort: number };
	let channel: string;

	before(async () => {
		// CORS for the page on another origin; Directus answers credentialed requests by default
		// (CORS_CREDENTIALS), and reflects the page's origin with CORS_ORIGIN=true.
		stack = await startStack({ directus: { env: { CORS_ENABLED: 'true', CORS_ORIGIN: 'true' } } });
		const { directus } = stack;
		await createCollection(directus, 'notes', [
			{ field: 'owner', type: 'string' },
			{ field: 'text', type: 'string' },
		]);
		await createChannel(directus, {
			channel_name: 'private-notes-:userId',
			collection: 'notes',
			authorizer: 'return auth.user?.id === params.userId;',
			publisher: "trigger({ userId: meta.payload.owner }, 'note', { id: meta.key, text: meta.payload.text });",
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		user = await createUser(directus, { first_name: 'Browser' });
		channel = `private-notes-${user.id}`;
		soketi = { key: stack.soketi.app.key, soketiPort: stack.soketi.port };
		otherOrigin = await listenLocally((req, res) => {
			if (req.url === '/pusher.min.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(PUSHER_JS);
			else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
		});
		sameOrigin = await sameOriginProxy(directus.url);
		browser = await launchBrowser();
	});

	after(async () => {
		await browser?.close();
		await otherOrigin?.close();
		await sameOrigin?.close();
		await stack?.stop();
	});

	/** A fresh browser context (own cookies) with a page at `origin`. */
	async function pageAt(origin: LocalServer) {
		const context = await browser.newContext();
		const { page, diagnostics } = await openPage(context);
		await page.goto(origin.url);
		return { page, diagnostics, close: () => context.close() };
	}

	it('authorizes with a Bearer token header from a page on another origin and delivers the publisher\'s event', async () => {
		const { page, diagnostics, close } = await pageAt(otherOrigin);
		try {
			const login = await loginInPage(page, `${stack.directus.url}/auth/login`, user, 'json');
			assert.equal(login.status, 200, diagnostics());
			const outcome = await subscribeInPage(page, {
				...soketi,
				channel,
				auth: { kind: 'bearer', endpoint: `${stack.directus.url}/realtime/auth`, token: login.token! },
			});
			assert.deepEqual(outcome, { subscribed: true }, diagnostics());

			const note = await createItem(stack.directus, 'notes', { owner: user.id, text: 'for the bearer page' });
			assert.deepEqual(await notesReceived(page, 1, diagnostics), [{ id: note.id, text: 'for the bearer page' }]);
		} finally {
			await close();
		}
	});

	it('refuses the same page without credentials (401), so the header is what authorizes', async () => {
		const { page, diagnostics, close } = await pageAt(otherOrigin);
		try {
			const outcome = await subscribeInPage(page, { ...soketi, channel, auth: { kind: 'none', endpoint: `${stack.directus.url}/realtime/auth` } });
			assert.equal(outcome.subscribed, false, diagnostics());
			assert.equal(outcome.error?.status, 401);
		} finally {
			await close();
		}
	});

	it('refuses a Bearer token for another user\'s channel (403)', async () => {
		const { page, diagnostics, close } = await pageAt(otherOrigin);
		try {
			const other = await createUser(stack.directus);
			const outcome = await subscribeInPage(page, {
				...soketi,
				channel: `private-notes-${user.id}`,
				auth: { kind: 'bearer', endpoint: `${stack.directus.url}/realtime/auth`, token: other.token },
			});
			assert.equal(outcome.subscribed, false, diagnostics());
			assert.equal(outcome.error?.status, 403);
		} finally {
			await close();
		}
	});

	it('authorizes with the session cookie from a page on the Directus origin, with pusher-js\'s own ajax transport', async () => {
		const { page, diagnostics, close } = await pageAt(sameOrigin);
		try {
			const login = await loginInPage(page, '/auth/login', user, 'session');
			assert.equal(login.status, 200, diagnostics());
			assert.equal(login.token, undefined, 'session mode leaves the token in the cookie, not in the answer');
			const cookies = await page.context().cookies();
			assert.ok(cookies.some((c) => c.name === 'directus_session_token' && c.httpOnly), 'the browser holds the httpOnly session cookie');

			const outcome = await subscribeInPage(page, { ...soketi, channel, auth: { kind: 'cookie', endpoint: '/realtime/auth' } });
			assert.deepEqual(outcome, { subscribed: true }, diagnostics());

			const note = await createItem(stack.directus, 'notes', { owner: user.id, text: 'for the same-origin page' });
			assert.deepEqual(await notesReceived(page, 1, diagnostics), [{ id: note.id, text: 'for the same-origin page' }]);
		} finally {
			await close();
		}
	});

	it('authorizes with the session cookie from a page on another origin, through a customHandler with credentials: include', async () => {
		const { page, diagnostics, close } = await pageAt(otherOrigin);
		try {
			const login = await loginInPage(page, `${stack.directus.url}/auth/login`, user, 'session');
			assert.equal(login.status, 200, diagnostics());

			const outcome = await subscribeInPage(page, {
				...soketi,
				channel,
				auth: { kind: 'cookie-fetch', endpoint: `${stack.directus.url}/realtime/auth` },
			});
			assert.deepEqual(outcome, { subscribed: true }, diagnostics());

			const note = await createItem(stack.directus, 'notes', { owner: user.id, text: 'for the cross-origin cookie page' });
			assert.deepEqual(await notesReceived(page, 1, diagnostics), [{ id: note.id, text: 'for the cross-origin cookie page' }]);
		} finally {
			await close();
		}
	});
});
