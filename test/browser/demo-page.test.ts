/**
 * The playground's demo page (what `npm start` serves) in a real headless Chromium, against a
 * real Directus + Soketi seeded the way the playground seeds itself: it connects, shows every
 * create / update / delete of a `messages` item live, its login form joins the presence
 * channel and lists the member, and once logged in its live list follows `private-messages`, a
 * channel row with no scripts (permission mode) through the package's client helper.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error plain ESM scripts shared with `npm start`
import { createPlaygroundServer } from '../../playground/serve.mjs';
// @ts-expect-error plain ESM scripts shared with `npm start`
import { seedPlayground } from '../../playground/seed.mjs';
import { chromiumOrSkip, launchBrowser, listenLocally, openPage, type Browser, type LocalServer, type Page } from '../harness/browser.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../harness/directus.js';
import { startStack, type Stack } from '../harness/stack.js';

const chromium = chromiumOrSkip();
const WAIT = 15_000;

describe('the playground demo page in a real browser', { skip: chromium.skip }, () => {
	let stack: Stack;
	let site: LocalServer;
	let browser: Browser;
	let page: Page;
	let diagnostics: () => string = () => '';

	before(async () => {
		// The page lives on its own origin and calls Directus (login, /realtime/auth) across origins.
		stack = await startStack({ directus: { env: { CORS_ENABLED: 'true', CORS_ORIGIN: 'true' } } });
		await seedPlayground({ url: stack.directus.url, email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
		site = await listenLocally(
			createPlaygroundServer({ directusUrl: stack.directus.url, appKey: stack.soketi.app.key, soketiPort: stack.soketi.port }),
		);
		browser = await launchBrowser();
		({ page, diagnostics } = await openPage(browser));
		await page.goto(site.url);
	});

	after(async () => {
		await browser?.close();
		await site?.close();
		await stack?.stop();
	});

	/** The page's list entry for one event: its action label and `#<key>`, once it is shown. */
	async function eventShown(action: 'create' | 'update' | 'delete', key: number, text?: string): Promise<string> {
		const entry = page
			.locator('#events li.event', { has: page.locator(`strong.${action}`, { hasText: new RegExp(`^${action}$`) }) })
			.filter({ hasText: `#${key} ` })
			.filter(text ? { hasText: text } : {});
		try {
			await entry.first().waitFor({ timeout: WAIT });
		} catch {
			const shown = await page.locator('#events').innerText();
			assert.fail(`the page did not show "${action} #${key}"${text ? ` with "${text}"` : ''}; #events shows:\n${shown}${diagnostics()}`);
		}
		return entry.first().innerText();
	}

	const api = (method: string, path: string, body?: unknown) => stack.directus.request(method, path, body);

	it('connects to Soketi and subscribes to the messages channel', async () => {
		await page
			.locator('#state', { hasText: /^connected$/ })
			.waitFor({ timeout: WAIT })
			.catch(async () => assert.fail(`connection state stays "${await page.textContent('#state')}"${diagnostics()}`));
		assert.equal(await page.getAttribute('#state', 'class'), 'connected');
		// Nothing on the page says "subscribed"; wait for pusher-js itself so no event is missed.
		await page.waitForFunction("pusher.channel('messages')?.subscribed === true", null, { timeout: WAIT });
	});

	it('shows a message created through the REST API, with its text', async () => {
		const res = await api('POST', '/items/messages', { text: 'created from the test' });
		assert.equal(res.status, 200, res.text);
		const entry = await eventShown('create', res.body.data.id, 'created from the test');
		assert.match(entry, /^create #\d+ /);
	});

	it('shows an update of a message with the new text', async () => {
		const { id } = (await api('POST', '/items/messages', { text: 'before the update' })).body.data;
		await eventShown('create', id);
		const res = await api('PATCH', `/items/messages/${id}`, { text: 'after the update' });
		assert.equal(res.status, 200, res.text);
		const entry = await eventShown('update', id, 'after the update');
		assert.match(entry, /^update #\d+ /);
	});

	it('shows a deleted message', async () => {
		const { id } = (await api('POST', '/items/messages', { text: 'soon deleted' })).body.data;
		await eventShown('create', id);
		const res = await api('DELETE', `/items/messages/${id}`);
		assert.equal(res.status, 204, res.text);
		const entry = await eventShown('delete', id);
		assert.match(entry, /^delete #\d+ /);
	});

	it('lists the newest event first', async () => {
		const first = (await api('POST', '/items/messages', { text: 'older' })).body.data.id;
		await eventShown('create', first);
		const second = (await api('POST', '/items/messages', { text: 'newer' })).body.data.id;
		await eventShown('create', second);
		assert.match(await page.locator('#events li.event').first().innerText(), new RegExp(`^create #${second} `));
	});

	it('logs in through its form, joins presence-lobby and lists the member', async () => {
		const me = (await api('GET', '/users/me?fields=id,first_name,email')).body.data;
		const name = me.first_name || me.email;
		await page.fill('#login input[name=email]', ADMIN_EMAIL);
		await page.fill('#login input[name=password]', ADMIN_PASSWORD);
		await page.click('#login button');
		await page
			.locator('#presence-status', { hasText: /^Joined\.$/ })
			.waitFor({ timeout: WAIT })
			.catch(async () => assert.fail(`presence status: "${await page.textContent('#presence-status')}"${diagnostics()}`));
		assert.deepEqual(await page.locator('#members li').allInnerTexts(), [`${name} (you)`], diagnostics());
	});

	it('follows private-messages, a channel with no scripts, in its live list: created, updated and deleted messages', async () => {
		// The playground's row is a permission-mode row: nothing but Directus' permissions decides.
		const row = (await api('GET', '/items/realtime_channels?filter[channel_name][_eq]=private-messages&fields=authorize,authorizer,publisher,collection')).body.data;
		assert.deepEqual(row, [{ authorize: 'permissions', authorizer: null, publisher: null, collection: 'messages' }]);
		await page
			.locator('#live-status', { hasText: /^Subscribed/ })
			.waitFor({ timeout: WAIT })
			.catch(async () => assert.fail(`live list status: "${await page.textContent('#live-status')}"${diagnostics()}`));
		assert.equal(await page.evaluate("pusher.channel('private-messages')?.subscribed === true"), true);
		const entry = (id: number) => page.locator(`#live-list li[data-id="${id}"]`);
		const shows = async (id: number, text: string) => {
			await entry(id)
				.filter({ hasText: new RegExp(`^#${id} ${text}$`) })
				.waitFor({ timeout: WAIT })
				.catch(async () => assert.fail(`the live list does not show "#${id} ${text}"; it shows:\n${await page.locator('#live-list').innerText()}${diagnostics()}`));
		};

		const { id } = (await api('POST', '/items/messages', { text: 'live, no scripts' })).body.data;
		await shows(id, 'live, no scripts');
		assert.equal(await page.locator('#live-list li').first().getAttribute('data-id'), String(id), 'a new message goes on top');
		assert.equal(await entry(id).getAttribute('class'), 'fresh', 'it came live, not from the reload');
		assert.equal((await api('PATCH', `/items/messages/${id}`, { text: 'live, edited' })).status, 200);
		await shows(id, 'live, edited');
		assert.equal((await api('DELETE', `/items/messages/${id}`)).status, 204);
		await entry(id)
			.waitFor({ state: 'detached', timeout: WAIT })
			.catch(async () => assert.fail(`the deleted message stays in the live list:\n${await page.locator('#live-list').innerText()}${diagnostics()}`));
	});

	it('chats in the lobby: "is typing" as a client event from another window, messages saved as items', async () => {
		const { page: other, diagnostics: otherDiagnostics } = await openPage(browser);
		try {
			await other.goto(site.url);
			await other.fill('#login input[name=email]', ADMIN_EMAIL);
			await other.fill('#login input[name=password]', ADMIN_PASSWORD);
			await other.click('#login button');
			await other.locator('#chat input[name=text]').waitFor({ timeout: WAIT }).catch(() => assert.fail(`no chat box${otherDiagnostics()}`));
			await other.type('#chat input[name=text]', 'typed in the other window');
			await page
				.locator('#typing', { hasText: /is typing…$/ })
				.waitFor({ timeout: WAIT })
				.catch(async () => assert.fail(`no typing indicator: "${await page.textContent('#typing')}"${diagnostics()}${otherDiagnostics()}`));
			await other.click('#chat button');
			await page
				.locator('#events li.event', { has: page.locator('strong.create') })
				.filter({ hasText: 'typed in the other window' })
				.first()
				.waitFor({ timeout: WAIT })
				.catch(async () => assert.fail(`the message did not arrive; #events shows:\n${await page.locator('#events').innerText()}${diagnostics()}`));
			const saved = await stack.directus.request('GET', '/items/messages?filter[text][_eq]=typed%20in%20the%20other%20window');
			assert.equal(saved.body.data.length, 1, 'saved as an item');
		} finally {
			await other.close();
		}
	});

	it('says so when the login is refused, and joins nothing', async () => {
		const { page: other, diagnostics: otherDiagnostics } = await openPage(browser);
		try {
			await other.goto(site.url);
			await other.fill('#login input[name=email]', ADMIN_EMAIL);
			await other.fill('#login input[name=password]', 'not-the-password');
			await other.click('#login button');
			await other
				.locator('#presence-status', { hasText: /^Login failed/ })
				.waitFor({ timeout: WAIT })
				.catch(async () => assert.fail(`presence status: "${await other.textContent('#presence-status')}"${otherDiagnostics()}`));
			assert.equal(await other.textContent('#presence-status'), 'Login failed (401)');
			assert.equal(await other.locator('#members li').count(), 0);
		} finally {
			await other.close();
		}
	});
});
