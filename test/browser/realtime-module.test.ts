/**
 * The bundle's Realtime module in the Data Studio, in a real headless Chromium, on a project set
 * up the way `npm start` sets up the playground (its Directus settings and seed): the Studio
 * opens on the channel list with no licensing dialog; an admin finds the module in the module
 * bar and sees the channel rows with their counters, the live tail (also of the playground's Flow
 * with the realtime-trigger operation) and the dry-runs (events of a
 * publisher, the line of a script's error, an authorizer's decision); a user without admin access
 * has no such module.
 *
 * RT_DOCS_SCREENSHOTS=1 also writes the screenshots of docs/images/.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error plain ESM scripts shared with `npm start`
import { PLAYGROUND_DIRECTUS_ENV, seedPlayground } from '../../playground/seed.mjs';
import { chromiumOrSkip, openPage, type Page } from '../harness/browser.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../harness/directus.js';
import { createChannel } from '../harness/fixtures.js';
import { ROOT } from '../harness/paths.js';
import { startStack, type Stack } from '../harness/stack.js';
import { openStudio, STUDIO_WAIT, type Studio } from '../harness/studio.js';
import { sleep } from '../harness/time.js';

const chromium = chromiumOrSkip();

/** A publisher that compiles but throws on its second line for every item. */
const BROKEN_PUBLISHER = 'const text = meta.payload.text;\nnull.boom(text);\n';

describe('the Realtime module in the Data Studio, in a real browser', { skip: chromium.skip }, () => {
	let stack: Stack;
	let studio: Studio;
	let page: Page;
	let messageId: number;
	let brokenRow: string;

	const api = (method: string, path: string, body?: unknown) => stack.directus.request(method, path, body);

	before(async () => {
		stack = await startStack({ directus: { env: PLAYGROUND_DIRECTUS_ENV } });
		await seedPlayground({ url: stack.directus.url, email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
		brokenRow = (
			await createChannel(stack.directus, { channel_name: 'broken-messages', collection: 'messages', publisher: BROKEN_PUBLISHER, trigger_on_update: false, trigger_on_delete: false })
		).id;
		const created = await api('POST', '/items/messages', { text: 'counted by the module' });
		assert.equal(created.status, 200, created.text);
		messageId = created.body.data.id;
		// Publishing never delays the request: wait until both rows have counted the item.
		const deadline = Date.now() + STUDIO_WAIT;
		for (;;) {
			const rows: any[] = (await api('GET', '/realtime/health')).body.rows ?? [];
			const counted = (name: string, key: 'sent' | 'errors') => rows.find((r) => r.channel_name === name)?.counters?.[key] >= 1;
			if (counted('messages', 'sent') && counted('broken-messages', 'errors')) break;
			if (Date.now() > deadline) assert.fail(`the health rows never counted the item: ${JSON.stringify(rows)}`);
			await sleep(100);
		}

		// No licensing cookies and no dialog handlers here: the playground's settings must do.
		studio = await openStudio(stack.directus.url, { artefacts: 'realtime-module', viewport: { width: 1800, height: 1000 } });
		page = studio.page;
	});

	after(async () => {
		await studio?.close();
		await stack?.stop();
	});

	const seen: Studio['seen'] = (what, wait, where) => studio.seen(what, wait, where);

	/** A screenshot into the suite's folder, and into docs/images/ with RT_DOCS_SCREENSHOTS=1. */
	async function screenshot(name: string): Promise<string> {
		const path = join(studio.shots, name);
		await page.screenshot({ path });
		if (process.env.RT_DOCS_SCREENSHOTS === '1') copyFileSync(path, join(ROOT, 'docs', 'images', name));
		return path;
	}

	it('opens the Data Studio on the channel list with no licensing dialog over it', async () => {
		await studio.logIn();
		await page.goto(`${stack.directus.url}/admin/content/realtime_channels`);
		const row = page.locator('.v-table tbody tr', { hasText: 'presence-lobby' });
		await seen('the channel list', () => row.waitFor());
		assert.equal(await page.getByText('Have a license key?').count(), 0, 'no license dialog');
		assert.equal(await page.getByText('You have not set a project owner').count(), 0, 'no project owner dialog');
		// A dialog would cover the list: a click on a row must reach it.
		await row.click({ timeout: 5_000 });
		await seen('the channel item opened from the list', () => page.waitForURL(/\/admin\/content\/realtime_channels\/[0-9a-f-]{36}$/));
	});

	it('is in the module bar of an admin and lists the rows with their counters', async (t) => {
		const link = page.locator('.module-bar a[href$="/admin/realtime"]');
		await seen('the Realtime module in the module bar', () => link.waitFor());
		await link.click();
		await seen('the module view', () => page.waitForURL(/\/admin\/realtime$/));
		const table = page.locator('[data-test=rows]');
		const messages = table.locator('tbody tr', { has: page.locator('a', { hasText: /^messages$/ }) });
		const broken = table.locator('tbody tr', { hasText: 'broken-messages' });
		await seen('the channel rows', () => broken.waitFor());

		const cells = async (row: typeof messages) => (await row.locator('td').allInnerTexts()).map((s) => s.trim());
		// Columns: channel, type, collection, order, state, sent, refused, errors, last event, last error, client events, over bound.
		const shown = await cells(messages);
		assert.equal(shown[1], 'public');
		assert.equal(shown[2], 'messages');
		assert.equal(shown[4], 'on');
		assert.ok(Number(shown[5]) >= 1, `events sent of "messages": ${shown.join(' | ')}`);
		assert.notEqual(shown[8], '—', 'the last event time of "messages"');
		assert.deepEqual(shown.slice(10, 12), ['0', '0'], 'client events and those over the bound, written out');
		const failing = await cells(broken);
		assert.ok(Number(failing[7]) >= 1, `script errors of "broken-messages": ${failing.join(' | ')}`);
		assert.match(failing[9]!, /^line 2: /, `the last error names its line: ${failing[9]}`);
		const notice = page.locator('[data-test=row-error]', { hasText: 'broken-messages' });
		assert.match(await notice.innerText(), /broken-messages, line 2, column \d+: TypeError/);

		await seen('the Pusher server as reachable', () => page.locator('[data-test=pusher-state]', { hasText: /^reachable$/ }).waitFor());
		t.diagnostic(`screenshot: ${await screenshot('realtime-module.png')}`);
	});

	it('links each row to its item in the content module', async () => {
		await page.locator('[data-test=rows] a', { hasText: /^broken-messages$/ }).click();
		await seen('the row item', () => page.waitForURL(new RegExp(`/admin/content/realtime_channels/${brokenRow}$`)));
	});

	it('creates complete script-free rows from the presets and shows their mode and what subscribers receive', async (t) => {
		// The playground seeds one script-free row, private-messages (the demo page's live list): the
		// Collection channel preset makes the same name, so it goes first.
		const seeded = (await api('GET', '/items/realtime_channels?filter[channel_name][_eq]=private-messages&filter[authorize][_eq]=permissions&fields=id')).body.data;
		assert.equal(seeded.length, 1, 'the playground seeds private-messages');
		assert.equal((await api('DELETE', `/items/realtime_channels/${seeded[0].id}`)).status, 204);
		await page.goto(`${stack.directus.url}/admin/realtime`);
		await seen('the presets', () => page.locator('[data-test=presets] .v-select').first().waitFor());
		await page.locator('[data-test=preset-collection] .v-select').click();
		await page.locator('.v-menu-content .v-list-item', { hasText: /^messages$/ }).first().click();
		await seen('the user fields of messages', () => page.locator('[data-test=preset-inbox] button:not([disabled])').waitFor());
		const expected = ['private-messages.:id', 'private-messages', 'private-messages.user.:user_created'];
		for (const [button, name] of [['preset-item', expected[0]], ['preset-collection-channel', expected[1]], ['preset-inbox', expected[2]]] as const) {
			await page.locator(`[data-test=${button}] button`).click();
			await seen(`the created ${name}`, () => page.locator('[data-test=preset-created]', { hasText: `Created ${name}:` }).waitFor());
		}
		const saved = (await api('GET', '/items/realtime_channels?filter[collection][_eq]=messages&filter[authorize][_eq]=permissions&fields=id,channel_name,authorizer,publisher,fields,authorize&sort=channel_name')).body.data;
		// The later tests count the events of the playground's own rows only.
		t.after(async () => {
			assert.equal((await api('DELETE', '/items/realtime_channels', saved.map((r: { id: string }) => r.id))).status, 204);
		});
		assert.deepEqual(
			saved.map(({ id: _id, ...row }: { id: string }) => row),
			[...expected].sort().map((channel_name) => ({ channel_name, authorizer: null, publisher: null, fields: ['*'], authorize: 'permissions' })),
		);
		// Columns 12 and 13: the mode in force and what a subscriber receives.
		const row = page.locator('[data-test=rows] tbody tr', { has: page.locator('a', { hasText: /^private-messages\.:id$/ }) });
		await seen('the preset row in the table', () => row.waitFor());
		const cells = (await row.locator('td').allInnerTexts()).map((text) => text.trim());
		assert.equal(cells[12], 'permissions');
		assert.equal(cells[13], 'created / updated / deleted with *');
		const scripted = page.locator('[data-test=rows] tbody tr', { has: page.locator('a', { hasText: /^messages$/ }) });
		const scriptedCells = (await scripted.locator('td').allInnerTexts()).map((text) => text.trim());
		assert.deepEqual(scriptedCells.slice(12, 14), ['script', 'what the publisher script sends'], 'the seed-style row keeps its scripts');
	});

	it('shows outgoing events live in the tail', async () => {
		await page.goto(`${stack.directus.url}/admin/realtime/tail`);
		await seen('the tail', () => page.locator('[data-test=tail]').waitFor());
		const text = `tailed ${Date.now()}`;
		assert.equal((await api('POST', '/items/messages', { text })).status, 200);
		const published = page.locator('[data-test=tail] tbody tr', { hasText: text }).filter({ hasNotText: 'flow-notices' });
		await seen('the new event in the tail', () => published.waitFor());
		const row = await published.locator('td').allInnerTexts();
		assert.equal(row[1]?.trim(), 'messages');
		assert.equal(row[2]?.trim(), 'create');
		// The playground's Flow announces the message through the realtime-trigger operation.
		const announced = page.locator('[data-test=tail] tbody tr', { hasText: text }).filter({ hasText: 'flow-notices' });
		await seen('the Flow\'s event in the tail', () => announced.waitFor());
		assert.equal((await announced.locator('td').allInnerTexts())[2]?.trim(), 'message-created');
	});

	/** Picks `option` in the v-select of the dry-run form field labelled `label`. */
	async function choose(form: string, label: string, option: string | RegExp): Promise<void> {
		await page.locator(`[data-test=${form}] .field`, { has: page.locator('.type-label', { hasText: label }) }).locator('.v-select').click();
		await page.locator('.v-menu-content button.v-list-item, .v-menu-content .v-list-item', { hasText: option }).first().click();
	}

	it('runs a publisher dry-run and shows its events', async (t) => {
		await page.goto(`${stack.directus.url}/admin/realtime/dry-run`);
		await seen('the dry-run forms', () => page.locator('[data-test=publisher-form] .v-select').first().waitFor());
		await choose('publisher-form', 'Channel row', /^messages \(messages\)$/);
		await page.locator('[data-test=publisher-key] input').fill(String(messageId));
		await page.locator('[data-test=run-publisher]').click();
		const event = page.locator('[data-test=dry-run-events] tbody tr', { hasText: 'counted by the module' });
		await seen('the events of the dry-run', () => event.waitFor());
		const cells = (await event.locator('td').allInnerTexts()).map((s) => s.trim());
		assert.equal(cells[0], 'messages');
		assert.equal(cells[1], 'create');
		assert.equal(await page.locator('[data-test=publisher-form] [data-test=script-error]').count(), 0);
		t.diagnostic(`screenshot: ${await screenshot('realtime-module-dry-run.png')}`);
	});

	it('shows the line of the error of a script that fails', async () => {
		await choose('publisher-form', 'Channel row', /^broken-messages \(messages\)$/);
		await page.locator('[data-test=run-publisher]').click();
		const error = page.locator('[data-test=publisher-form] [data-test=script-error]');
		await seen('the script error', () => error.waitFor());
		assert.match(await error.innerText(), /\(line 2, column \d+\)/);
		assert.equal(await page.locator('[data-test=dry-run-events] tbody tr', { hasText: 'counted by the module' }).count(), 0, 'no event of the earlier run');
	});

	it('shows the line and column of an unsaved publisher that does not compile', async () => {
		await page.locator('[data-test=publisher-form] .CodeMirror').click();
		await page.keyboard.type('const a = 1;');
		await page.keyboard.press('Enter');
		await page.keyboard.type('const b = ;');
		await page.locator('[data-test=run-publisher]').click();
		const error = page.locator('[data-test=publisher-form] [data-test=script-error]', { hasText: 'line 2, column 11' });
		await seen('the compile error of the unsaved script', () => error.waitFor());
		assert.match(await error.innerText(), /Unexpected token ';'/);
	});

	it('runs an authorizer dry-run as a user and shows the decision and the deciding row', async () => {
		await choose('authorizer-form', 'Channel row', /^presence-lobby$/);
		await page.locator('[data-test=authorizer-channel] input').fill('presence-lobby');
		await choose('authorizer-form', 'As user', /Admin/);
		await page.locator('[data-test=run-authorizer]').click();
		const result = page.locator('[data-test=authorizer-result]');
		await seen('the authorizer decision', () => result.waitFor());
		const text = await result.innerText();
		assert.match(text, /granted/);
		assert.match(text, /deciding row:\s*presence-lobby/);
		assert.match(text, /channel_data/);
	});

	it('does not exist for a user without admin access', async () => {
		const tag = Date.now().toString(36);
		const role = (await api('POST', '/roles', { name: `editors-${tag}` })).body.data;
		const policy = (await api('POST', '/policies', { name: `editors-${tag}`, admin_access: false, app_access: true })).body.data;
		assert.equal((await api('POST', '/access', { role: role.id, policy: policy.id })).status, 200);
		const editor = { email: `editor-${tag}@example.com`, password: `pw-${tag}-editor` };
		assert.equal((await api('POST', '/users', { ...editor, role: role.id, status: 'active' })).status, 200);

		const other = await studio.browser.newContext({ viewport: { width: 1400, height: 900 }, reducedMotion: 'reduce' });
		try {
			const { page: editorPage } = await openPage(other);
			editorPage.setDefaultTimeout(STUDIO_WAIT);
			await studio.logIn(editor.email, editor.password, editorPage);
			await seen('the editor\'s module bar', () => editorPage.locator('.module-bar a[href$="/admin/content"]').waitFor(), editorPage);
			assert.equal(await editorPage.locator('.module-bar a[href$="/admin/realtime"]').count(), 0, 'no Realtime module in the bar');
			await editorPage.goto(`${stack.directus.url}/admin/realtime`);
			await seen('the not-found view', () => editorPage.getByText('Page Not Found').first().waitFor(), editorPage);
			assert.equal(await editorPage.locator('[data-test=rows]').count(), 0);
		} finally {
			await other.close();
		}
	});
});
