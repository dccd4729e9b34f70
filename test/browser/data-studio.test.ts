/**
 * The Data Studio (Directus' own Vue app) in a real headless Chromium: an admin logs in, opens
 * Realtime Channels, types a publisher that does not compile into the code editor and saves.
 * The Studio must refuse it and show the validation message with the line and column; once the
 * script is fixed, the same form saves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumOrSkip, type Page } from '../harness/browser.js';
import { createCollection } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';
import { openStudio, type Studio } from '../harness/studio.js';

const chromium = chromiumOrSkip();

describe('the Data Studio with the realtime_channels preset, in a real browser', { skip: chromium.skip }, () => {
	let stack: Stack;
	let studio: Studio;
	let page: Page;
	const channelName = 'studio-broken-publisher';

	before(async () => {
		stack = await startStack();
		await createCollection(stack.directus, 'articles', [{ field: 'title', type: 'string' }]);
		// Directus 12 greets a fresh project's admin with licensing dialogs over every view: the
		// Studio harness answers them as an admin would.
		studio = await openStudio(stack.directus.url, { artefacts: 'data-studio', dismissLicensing: true });
		page = studio.page;
	});

	after(async () => {
		await studio?.close();
		await stack?.stop();
	});

	const seen: Studio['seen'] = (what, wait) => studio.seen(what, wait);

	it('lets the admin log in with email and password', async () => {
		await studio.logIn();
	});

	it('refuses a publisher that does not compile and shows the message with line and column', async (t) => {
		await page.goto(`${stack.directus.url}/admin/content/realtime_channels/+`);
		await seen('the new channel form', () => page.locator('[data-field="publisher"] .CodeMirror').waitFor());

		await page.locator('[data-field="channel_name"] input').fill(channelName);
		await page.locator('[data-field="collection"] .v-input').click();
		await page.locator('button.v-list-item', { hasText: /^Articles$/ }).click();
		// Typed into the code editor (CodeMirror) as an admin would: line 2 has the error.
		await page.locator('[data-field="publisher"] .CodeMirror').click();
		await page.keyboard.type('const a = 1;');
		await page.keyboard.press('Enter');
		await page.keyboard.type('const b = ;');

		const answer = page.waitForResponse((r) => r.url().endsWith('/items/realtime_channels') && r.request().method() === 'POST');
		await page.getByRole('button', { name: 'Save', exact: true }).first().click();
		const response = await answer;
		assert.equal(response.status(), 400, 'the API refuses the row');
		const error = (await response.json()).errors[0];
		assert.equal(error.extensions.code, 'FAILED_VALIDATION');
		assert.equal(error.extensions.field, 'publisher');

		const shown = page.locator('.v-form .validation-errors .validation-error', { has: page.locator('strong.field', { hasText: /^Publisher$/ }) });
		await seen('the validation error of the publisher', () => shown.waitFor());
		const screenshot = join(studio.shots, 'publisher-validation.png');
		await page.screenshot({ path: screenshot });
		t.diagnostic(`screenshot: ${screenshot}`);

		const text = await shown.innerText();
		assert.match(text, /Unexpected token ';'/, `the Studio shows: ${text}`);
		assert.match(text, /\(line 2, column 11\)/, `the Studio shows: ${text}`);
		assert.ok(text.includes(error.extensions.validation_message), `the Studio shows the API's message "${error.extensions.validation_message}", got: ${text}`);

		assert.match(page.url(), /\/admin\/content\/realtime_channels\/\+$/, 'the form stays open with the input');
		const rows = await stack.directus.request('GET', `/items/realtime_channels?filter[channel_name][_eq]=${channelName}`);
		assert.deepEqual(rows.body.data, [], 'nothing was saved');
	});

	it('saves the same form once the publisher is fixed', async () => {
		const fixed = "trigger({}, 'saved', { id: meta.key });";
		await page.locator('[data-field="publisher"] .CodeMirror').click();
		await page.keyboard.press('ControlOrMeta+a');
		await page.keyboard.type(fixed);

		const answer = page.waitForResponse((r) => r.url().endsWith('/items/realtime_channels') && r.request().method() === 'POST');
		await page.getByRole('button', { name: 'Save', exact: true }).first().click();
		assert.equal((await answer).status(), 200);
		await seen('the channel list after saving', () => page.waitForURL(/\/admin\/content\/realtime_channels\/?$/));

		const rows = await stack.directus.request('GET', `/items/realtime_channels?filter[channel_name][_eq]=${channelName}`);
		assert.equal(rows.body.data.length, 1);
		assert.equal(rows.body.data[0].publisher, fixed);
		assert.equal(rows.body.data[0].collection, 'articles');
	});
});
