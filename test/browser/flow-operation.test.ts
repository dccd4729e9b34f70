/**
 * The Flows operation in the Data Studio's Flow editor, in a real headless Chromium: an admin
 * opens a Flow, attaches an operation to its trigger, finds "Realtime Event" in the operation
 * picker, and its options form (Channel, Event, Payload, Exclude Socket ID) renders and saves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artefactDir, chromiumOrSkip, launchBrowser, openPage, type Browser, type BrowserContext, type Page } from '../harness/browser.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../harness/directus.js';
import { startStack, type Stack } from '../harness/stack.js';

const chromium = chromiumOrSkip();
const STUDIO_WAIT = 30_000;

describe('the realtime-trigger operation in the Flow editor, in a real browser', { skip: chromium.skip }, () => {
	let stack: Stack;
	let browser: Browser;
	let context: BrowserContext;
	let page: Page;
	let diagnostics: () => string = () => '';
	let shots: string;
	let flowId: string;

	before(async () => {
		stack = await startStack();
		flowId = (await stack.directus.request('POST', '/flows', { name: 'Realtime flow', status: 'active', trigger: 'manual', options: { collections: [] } })).body.data.id;
		shots = artefactDir('flow-operation');
		browser = await launchBrowser();
		context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, reducedMotion: 'reduce' });
		({ page, diagnostics } = await openPage(context));
		page.setDefaultTimeout(STUDIO_WAIT);
		await context.addCookies([{ name: 'license-onboarding-dismissed', value: 'true', url: stack.directus.url }]);
		await page.addLocatorHandler(page.getByText('Have a license key?'), () => page.getByRole('button', { name: 'Skip' }).click());
		await page.addLocatorHandler(page.getByText('You have not set a project owner'), () => page.getByRole('button', { name: 'Remind Later' }).click());
	});

	after(async () => {
		await browser?.close();
		await stack?.stop();
	});

	async function seen(what: string, wait: () => Promise<unknown>): Promise<void> {
		try {
			await wait();
		} catch (error) {
			const path = join(shots, `failed-${what.replace(/\W+/g, '-')}.png`);
			await page.screenshot({ path, fullPage: true }).catch(() => undefined);
			assert.fail(`the Studio did not show ${what} (screenshot: ${path}): ${(error as Error).message.split('\n')[0]}${diagnostics()}`);
		}
	}

	it('lists the operation in the picker and renders its options form, which saves', async (t) => {
		await page.goto(`${stack.directus.url}/admin/login`);
		await seen('the login form', () => page.locator('input[type=email]').waitFor());
		await page.fill('input[type=email]', ADMIN_EMAIL);
		await page.fill('input[type=password]', ADMIN_PASSWORD);
		await page.click('button[type=submit]');
		await seen('the content module after login', () => page.waitForURL(/\/admin\/content/));
		await context.addCookies([{ name: 'license-banner-dismissed', value: 'true', url: stack.directus.url }]);

		await page.goto(`${stack.directus.url}/admin/settings/flows/${flowId}`);
		await seen('the flow editor', () => page.locator('.trigger').first().waitFor());
		// The trigger's "+" attaches the first operation and opens the operation drawer.
		await page.locator('.trigger').first().hover();
		await page.locator('.trigger .button.add, .trigger .add-resolve, .trigger [class*="add"]').first().click();
		await seen('the operation picker with Realtime Event', () => page.getByText('Realtime Event', { exact: true }).first().waitFor());
		await page.getByText('Realtime Event', { exact: true }).first().click();
		for (const label of ['Channel', 'Event', 'Payload', 'Exclude Socket ID', 'Any Channel Name']) {
			await seen(`the option ${label}`, () => page.locator('.v-form .field-label, .v-form .field-name', { hasText: new RegExp(`^${label}`) }).first().waitFor());
		}
		await seen('the payload code editor', () => page.locator('.v-form .CodeMirror').first().waitFor());
		const screenshot = join(shots, 'operation-options.png');
		await page.screenshot({ path: screenshot });
		t.diagnostic(`screenshot: ${screenshot}`);

		await page.getByPlaceholder('private-chat-{{$trigger.payload.recipient}}').fill('private-chat-{{$trigger.body.recipient}}');
		await page.getByPlaceholder('message', { exact: true }).fill('message');
		// Directus 12 labels the drawer's button "Done"; 11 shows a check icon in the drawer's header.
		await page.getByRole('button', { name: 'Done' }).or(page.locator('.v-drawer .header-bar .actions .v-button')).last().click();
		// The flow editor keeps the new operation until the flow is saved.
		await seen('the new operation in the flow', () => page.locator('.v-workspace-tile, .operation', { hasText: 'Realtime Event' }).first().waitFor());
		await page.locator('.header-bar .actions .v-button, .header-bar .actions button').last().click();
		let operations: any[] = [];
		const deadline = Date.now() + 15_000;
		while (operations.length === 0 && Date.now() < deadline) {
			operations = (await stack.directus.request('GET', `/operations?filter[flow][_eq]=${flowId}`)).body.data;
			if (operations.length === 0) await new Promise((r) => setTimeout(r, 200));
		}
		assert.equal(operations.length, 1, `the operation was saved${diagnostics()}`);
		assert.equal(operations[0].type, 'realtime-trigger');
		assert.equal(operations[0].options.channel, 'private-chat-{{$trigger.body.recipient}}');
		assert.equal(operations[0].options.event, 'message');
	});
});
