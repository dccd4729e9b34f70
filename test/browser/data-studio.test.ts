/**
 * The Data Studio (Directus' own Vue app) in a real headless Chromium: an admin logs in, opens
 * Realtime Channels, types a publisher that does not compile into the code editor and saves.
 * The Studio must refuse it and show the validation message with the line and column; once the
 * script is fixed, the same form saves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artefactDir, chromiumOrSkip, launchBrowser, openPage, type Browser, type BrowserContext, type Page } from '../harness/browser.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../harness/directus.js';
import { createCollection } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';

const chromium = chromiumOrSkip();
/** The Studio is a large app; on a 2-core machine a view can take several seconds to appear. */
const STUDIO_WAIT = 30_000;

describe('the Data Studio with the realtime_channels preset, in a real browser', { skip: chromium.skip }, () => {
	let stack: Stack;
	let browser: Browser;
	let context: BrowserContext;
	let page: Page;
	let diagnostics: () => string = () => '';
	let shots: string;
	const channelName = 'studio-broken-publisher';

	before(async () => {
		stack = await startStack();
		await createCollection(stack.directus, 'articles', [{ field: 'title', type: 'string' }]);
		shots = artefactDir('data-studio');
		browser = await launchBrowser();
		// With reduced motion the login view's animated WebGL background stays still: rendered in
		// software here, it would take most of the CPU while the test types.
		context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, reducedMotion: 'reduce' });
		({ page, diagnostics } = await openPage(context));
		page.setDefaultTimeout(STUDIO_WAIT);
		// Directus 12 greets a fresh project's admin with licensing dialogs ("Have a license key?",
		// "You have not set a project owner") over every view. Dismiss them as an admin would: the
		// first is remembered in a cookie that survives login, the second is asked again after each
		// login (see dismissOwnerReminder). Handlers catch them should they appear anyway.
		await context.addCookies([{ name: 'license-onboarding-dismissed', value: 'true', url: stack.directus.url }]);
		await page.addLocatorHandler(page.getByText('Have a license key?'), () => page.getByRole('button', { name: 'Skip' }).click());
		await page.addLocatorHandler(page.getByText('You have not set a project owner'), () =>
			page.getByRole('button', { name: 'Remind Later' }).click(),
		);
	});

	after(async () => {
		await browser?.close();
		await stack?.stop();
	});

	const dismissOwnerReminder = () => context.addCookies([{ name: 'license-banner-dismissed', value: 'true', url: stack.directus.url }]);

	/** Waits for `what`; on a time-out, fails with a screenshot of the Studio and what the page logged. */
	async function seen(what: string, wait: () => Promise<unknown>): Promise<void> {
		try {
			await wait();
		} catch (error) {
			const path = join(shots, `failed-${what.replace(/\W+/g, '-')}.png`);
			await page.screenshot({ path, fullPage: true }).catch(() => undefined);
			assert.fail(`the Studio did not show ${what} (screenshot: ${path}): ${(error as Error).message.split('\n')[0]}${diagnostics()}`);
		}
	}

	it('lets the admin log in with email and password', async () => {
		await page.goto(`${stack.directus.url}/admin/login`);
		await seen('the login form', () => page.locator('input[type=email]').waitFor());
		await page.fill('input[type=email]', ADMIN_EMAIL);
		await page.fill('input[type=password]', ADMIN_PASSWORD);
		await page.click('button[type=submit]');
		await seen('the content module after login', () => page.waitForURL(/\/admin\/content/));
		await dismissOwnerReminder();
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
		const screenshot = join(shots, 'publisher-validation.png');
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
