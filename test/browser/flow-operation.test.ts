/**
 * The Flows operation in the Data Studio's Flow editor, in a real headless Chromium: an admin
 * opens a Flow, attaches an operation to its trigger, finds "Realtime Event" in the operation
 * picker, and its options form (Channel, Event, Payload, Exclude Socket ID) renders and saves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumOrSkip, type Page } from '../harness/browser.js';
import { startStack, type Stack } from '../harness/stack.js';
import { openStudio, type Studio } from '../harness/studio.js';
import { pollUntil } from '../harness/time.js';

const chromium = chromiumOrSkip();

describe('the realtime-trigger operation in the Flow editor, in a real browser', { skip: chromium.skip }, () => {
	let stack: Stack;
	let studio: Studio;
	let page: Page;
	let flowId: string;

	before(async () => {
		stack = await startStack();
		flowId = (await stack.directus.request('POST', '/flows', { name: 'Realtime flow', status: 'active', trigger: 'manual', options: { collections: [] } })).body.data.id;
		studio = await openStudio(stack.directus.url, { artefacts: 'flow-operation', dismissLicensing: true });
		page = studio.page;
	});

	after(async () => {
		await studio?.close();
		await stack?.stop();
	});

	const seen: Studio['seen'] = (what, wait) => studio.seen(what, wait);

	it('lists the operation in the picker and renders its options form, which saves', async (t) => {
		await studio.logIn();

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
		const screenshot = join(studio.shots, 'operation-options.png');
		await page.screenshot({ path: screenshot });
		t.diagnostic(`screenshot: ${screenshot}`);

		await page.getByPlaceholder('private-chat-{{$trigger.payload.recipient}}').fill('private-chat-{{$trigger.body.recipient}}');
		await page.getByPlaceholder('message', { exact: true }).fill('message');
		// Directus 12 labels the drawer's button "Done"; 11 shows a check icon in the drawer's header.
		await page.getByRole('button', { name: 'Done' }).or(page.locator('.v-drawer .header-bar .actions .v-button')).last().click();
		// The flow editor keeps the new operation until the flow is saved.
		await seen('the new operation in the flow', () => page.locator('.v-workspace-tile, .operation', { hasText: 'Realtime Event' }).first().waitFor());
		await page.locator('.header-bar .actions .v-button, .header-bar .actions button').last().click();
		const operations: any[] = await pollUntil(async () => (await stack.directus.request('GET', `/operations?filter[flow][_eq]=${flowId}`)).body.data, (rows: any[]) => rows.length > 0, { timeoutMs: 15_000, intervalMs: 200 });
		assert.equal(operations.length, 1, `the operation was saved${studio.diagnostics()}`);
		assert.equal(operations[0].type, 'realtime-trigger');
		assert.equal(operations[0].options.channel, 'private-chat-{{$trigger.body.recipient}}');
		assert.equal(operations[0].options.event, 'message');
	});
});
