/**
 * The client helper with the Directus SDK (`@directus/sdk`) in a real headless Chromium, against
 * a real Directus and Soketi, on a channel with no scripts (a permission-mode Item channel,
 * `private-articles.:id`): a user logged in through the SDK subscribes with `subscribeItem` and
 * sees an item's update arrive; a user whose role may not read the collection is refused; and
 * once the SDK's short-lived access token (ACCESS_TOKEN_TTL) has expired, the next
 * authorization is answered 401, the helper has the SDK refresh, and goes on with the SDK's new
 * token, which the history requests use too.
 *
 * The page loads pusher-js, the built helper (dist/client) and the SDK's own ES modules as they
 * ship (they import nothing outside their folder).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumOrSkip, launchBrowser, listenLocally, openPage, type Browser, type LocalServer, type Page } from '../harness/browser.js';
import { createChannel, createCollection, createItem, createUser, createUserWithPolicy, type TestUser } from '../harness/fixtures.js';
import { ROOT } from '../harness/paths.js';
import { waitFor } from '../harness/ports.js';
import { startStack, type Stack } from '../harness/stack.js';

const chromium = chromiumOrSkip();
const WAIT = 30_000;
const PUSHER_JS = readFileSync(join(ROOT, 'node_modules', 'pusher-js', 'dist', 'web', 'pusher.min.js'));
const CLIENT_DIR = join(ROOT, 'dist', 'client');
const SDK_DIR = join(ROOT, 'node_modules', '@directus', 'sdk', 'dist');
const PAGE = '<!doctype html><meta charset="utf-8"><title>client helper with the Directus SDK</title><script src="/pusher.min.js"></script>';

/** The page, pusher-js, the helper at /client/*.js and the SDK at /sdk/**.js. */
function site(req: IncomingMessage, res: ServerResponse) {
	const path = new URL(req.url ?? '/', 'http://x').pathname;
	const script = (file: string) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
	if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
	if (path === '/pusher.min.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(PUSHER_JS);
	const client = /^\/client\/(\w+)\.js$/.exec(path);
	if (client) return void script(join(CLIENT_DIR, `${client[1]}.js`));
	const sdk = /^\/sdk\/([\w/.-]+\.js)$/.exec(path);
	const file = sdk ? normalize(join(SDK_DIR, sdk[1]!)) : null;
	if (file && file.startsWith(SDK_DIR) && existsSync(file)) return void script(file);
	res.writeHead(404).end();
}

interface Request {
	path: string;
	authorization: string | null;
	status: number;
}

describe('the client helper with the Directus SDK, on a script-free channel, in a real browser', { skip: chromium.skip }, () => {
	let stack: Stack;
	let server: LocalServer;
	let browser: Browser;
	let reader: TestUser;
	let stranger: TestUser;

	before(async () => {
		stack = await startStack({
			directus: {
				env: {
					CORS_ENABLED: 'true',
					CORS_ORIGIN: 'true',
					// Short-lived access tokens, so the test sees one expire and the SDK refresh.
					ACCESS_TOKEN_TTL: '4s',
					RT_CHANNELS_CHECK_INTERVAL: '0',
				},
			},
		});
		await createCollection(stack.directus, 'articles', [{ field: 'title', type: 'string' }]);
		await createChannel(stack.directus, {
			channel_name: 'private-articles.:id',
			collection: 'articles',
			fields: ['id', 'title'],
			authorizer: null,
			publisher: null,
			authorize: 'permissions',
		});
		reader = await createUserWithPolicy(stack.directus, { first_name: 'Reader', permissions: [{ collection: 'articles', action: 'read' }] });
		stranger = await createUser(stack.directus, { first_name: 'Stranger' });
		server = await listenLocally(site);
		browser = await launchBrowser();
	});

	after(async () => {
		await browser?.close();
		await server?.close();
		await stack?.stop();
	});

	/** A page with a user logged in through the SDK (JSON mode, no timer: it refreshes only when asked), pusher-js authorizing through the helper. */
	async function loggedIn(user: TestUser) {
		const context = await browser.newContext();
		const { page, diagnostics } = await openPage(context);
		const requests: Request[] = [];
		page.on('response', (response) => {
			const request = response.request();
			const url = new URL(response.url());
			if (request.method() === 'OPTIONS' || !url.pathname.startsWith('/realtime/')) return;
			requests.push({ path: url.pathname, authorization: request.headers().authorization ?? null, status: response.status() });
		});
		await page.goto(server.url);
		await page.evaluate(
			async ({ directusUrl, key, soketiPort, email, password }) => {
				const w = globalThis as any;
				const { createDirectus, authentication, rest } = await import('/sdk/index.js' as string);
				const { createRecoveringClient, channelAuthorization } = await import('/client/index.js' as string);
				// msRefreshBeforeExpires far negative: the SDK hands out its token until told it expired,
				// so the first word of the expiry is Directus' 401 to the helper.
				w.sdk = createDirectus(directusUrl).with(authentication('json', { autoRefresh: false, msRefreshBeforeExpires: -3_600_000 })).with(rest());
				await w.sdk.login({ email, password });
				w.pusher = new w.Pusher(key, {
					cluster: 'mt1',
					wsHost: w.location.hostname,
					wsPort: soketiPort,
					forceTLS: false,
					enabledTransports: ['ws'],
					disableStats: true,
					channelAuthorization: channelAuthorization({ auth: w.sdk }),
				});
				w.realtime = createRecoveringClient(w.pusher, { auth: w.sdk, retry: { delay: 50, maxDelay: 200 } });
				w.seen = {};
			},
			{ directusUrl: stack.directus.url, key: stack.soketi.app.key, soketiPort: stack.soketi.port, email: user.email, password: user.password },
		);
		return { page, diagnostics, requests, close: () => context.close() };
	}

	/** `subscribeItem('articles', id)` in the page; resolves once pusher-js is subscribed (or refused) and the helper knows where the channel stands. */
	function subscribeItem(page: Page, id: number): Promise<'subscribed' | 'refused'> {
		return page.evaluate(async (id) => {
			const w = globalThis as any;
			const seen = (w.seen[id] = { updated: [] as unknown[], deleted: [] as unknown[], errors: [] as unknown[] });
			let refused = false;
			const subscription = w.realtime.subscribeItem('articles', id, {
				updated: (item: unknown, meta: any) => seen.updated.push({ item, seq: meta?.seq }),
				deleted: (item: unknown) => seen.deleted.push(item),
				onError: (e: any) => {
					seen.errors.push({ name: e.name, status: e.status, message: e.message });
					if (e.name === 'AuthorizationError') refused = true;
				},
			});
			w[`subscription${id}`] = subscription;
			for (let i = 0; i < 600; i++) {
				if (refused) return 'refused';
				if (subscription.channel.subscribed && subscription.position() !== null) return 'subscribed';
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
			throw new Error(`subscribeItem(${id}) neither subscribed nor refused: ${JSON.stringify(seen)}`);
		}, id);
	}

	const seenOf = (page: Page, id: number) => page.evaluate((id) => (globalThis as any).seen[id], id);
	const sdkToken = (page: Page) => page.evaluate(() => (globalThis as any).sdk.getToken() as Promise<string>);

	async function arrives(page: Page, id: number, count: number, diagnostics: () => string) {
		try {
			await page.waitForFunction(({ id, count }) => ((globalThis as any).seen[id]?.updated.length ?? 0) >= count, { id, count }, { timeout: WAIT });
		} catch {
			assert.fail(`the page saw ${JSON.stringify(await seenOf(page, id))} on private-articles.${id}${diagnostics()}`);
		}
		return seenOf(page, id);
	}

	it('a user logged in through the SDK subscribes with subscribeItem and sees the item updated, with no script on the row', async () => {
		const { page, diagnostics, requests, close } = await loggedIn(reader);
		try {
			const article = await createItem<{ id: number }>(stack.directus, 'articles', { title: 'draft' });
			assert.equal(await subscribeItem(page, article.id), 'subscribed', diagnostics());
			const token = await sdkToken(page);
			assert.ok(token, 'the SDK holds an access token');
			assert.deepEqual(
				requests.filter((r) => r.path === '/realtime/auth').map((r) => [r.authorization, r.status]),
				[[`Bearer ${token}`, 200]],
				'pusher-js was authorized with the SDK\'s token',
			);
			assert.ok(requests.some((r) => r.path === `/realtime/channels/private-articles.${article.id}/history` && r.authorization === `Bearer ${token}` && r.status === 200), JSON.stringify(requests));

			const res = await stack.directus.request('PATCH', `/items/articles/${article.id}`, { title: 'published' });
			assert.equal(res.status, 200, res.text);
			const seen = await arrives(page, article.id, 1, diagnostics);
			assert.deepEqual(seen.updated.map((u: { item: unknown }) => u.item), [{ id: article.id, title: 'published' }]);
			// Numbered by the server (the item's create was the channel's first event, before the subscription).
			assert.equal(seen.updated[0].seq, 2);
			assert.deepEqual(seen.errors, []);
		} finally {
			await close();
		}
	});

	it('a user whose role may not read the collection is refused (403 to onError), and gets nothing', async () => {
		const { page, diagnostics, requests, close } = await loggedIn(stranger);
		try {
			const article = await createItem<{ id: number }>(stack.directus, 'articles', { title: 'not for strangers' });
			assert.equal(await subscribeItem(page, article.id), 'refused', diagnostics());
			const seen = await seenOf(page, article.id);
			assert.equal(seen.errors[0].status, 403, JSON.stringify(seen.errors));
			assert.deepEqual(requests.filter((r) => r.path === '/realtime/auth').map((r) => r.status), [403]);
			await stack.directus.request('PATCH', `/items/articles/${article.id}`, { title: 'changed' });
			const probe = await createItem<{ id: number }>(stack.directus, 'articles', { title: 'probe' });
			// A reader on another page sees the later change: by then the stranger would have had the first.
			const other = await loggedIn(reader);
			try {
				assert.equal(await subscribeItem(other.page, probe.id), 'subscribed', other.diagnostics());
				await stack.directus.request('PATCH', `/items/articles/${probe.id}`, { title: 'probe changed' });
				await arrives(other.page, probe.id, 1, other.diagnostics);
			} finally {
				await other.close();
			}
			assert.deepEqual((await seenOf(page, article.id)).updated, []);
			assert.equal(await page.evaluate((id) => (globalThis as any).pusher.channel(`private-articles.${id}`)?.subscribed ?? false, article.id), false);
		} finally {
			await close();
		}
	});

	it('after the access token expired, the next authorization has the SDK refresh once and goes on with its new token', async () => {
		const { page, diagnostics, requests, close } = await loggedIn(reader);
		try {
			const first = await createItem<{ id: number }>(stack.directus, 'articles', { title: 'first' });
			assert.equal(await subscribeItem(page, first.id), 'subscribed', diagnostics());
			const old = await sdkToken(page);

			// Wait for Directus to refuse the old token (ACCESS_TOKEN_TTL), asking it directly.
			await waitFor(
				async () => (await fetch(`${stack.directus.url}/users/me`, { headers: { authorization: `Bearer ${old}` } })).status === 401,
				WAIT,
				() => 'the access token never expired',
			);
			assert.equal(await sdkToken(page), old, 'the SDK itself has not refreshed (no timer, it trusts its token)');

			const second = await createItem<{ id: number }>(stack.directus, 'articles', { title: 'second' });
			const before = requests.length;
			assert.equal(await subscribeItem(page, second.id), 'subscribed', diagnostics());
			const fresh = await sdkToken(page);
			assert.notEqual(fresh, old, 'the SDK refreshed');
			const auth = requests.slice(before).filter((r) => r.path === '/realtime/auth');
			assert.deepEqual(auth.map((r) => [r.authorization, r.status]), [[`Bearer ${old}`, 401], [`Bearer ${fresh}`, 200]], 'refused with the expired token, then the SDK\'s new one');
			const history = requests.slice(before).filter((r) => r.path.endsWith('/history'));
			assert.ok(history.length > 0 && history.every((r) => r.authorization === `Bearer ${fresh}` && r.status === 200), JSON.stringify(history));
			const refreshes = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/auth/refresh')).length);
			assert.equal(refreshes, 1, 'one refresh');

			await stack.directus.request('PATCH', `/items/articles/${second.id}`, { title: 'second, updated' });
			const seen = await arrives(page, second.id, 1, diagnostics);
			assert.deepEqual(seen.updated.map((u: { item: unknown }) => u.item), [{ id: second.id, title: 'second, updated' }]);
			// The first subscription goes on too (authorized once, when it was made).
			await stack.directus.request('PATCH', `/items/articles/${first.id}`, { title: 'first, updated' });
			assert.deepEqual((await arrives(page, first.id, 1, diagnostics)).updated.map((u: { item: unknown }) => u.item), [{ id: first.id, title: 'first, updated' }]);
		} finally {
			await close();
		}
	});
});
