/**
 * An operator who follows both the old instructions (a folder in extensions/) and the new ones
 * (`npm install`) ends up with the bundle twice: Directus loads both copies. Each copy has its own
 * module scope, so its own runtime, hooks and queue: every item change would be published twice.
 * The start must notice the second copy, say where both are, and keep one of them quiet.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';
import { sleep } from '../harness/time.js';

const BUNDLE = 'directus-extension-realtime-pusher';

describe('the bundle installed twice: in extensions/ and as an npm dependency', () => {
	let stack: Stack;
	let client: PusherClient | undefined;

	before(async () => {
		stack = await startStack();
		const d = stack.directus;
		await d.halt();
		mkdirSync(join(d.dir, 'node_modules'), { recursive: true });
		cpSync(join(d.dir, 'extensions', BUNDLE), join(d.dir, 'node_modules', BUNDLE), { recursive: true });
		writeFileSync(join(d.dir, 'package.json'), JSON.stringify({ name: 'rt-test-project', private: true, dependencies: { [BUNDLE]: '*' } }));
		await d.restart();
		await createCollection(d, 'twice', [{ field: 'title', type: 'string' }]);
	});

	after(async () => {
		disconnectAll(client);
		await stack?.stop();
	});

	it('Directus loads both copies', async () => {
		const res = await stack.directus.request('GET', '/extensions');
		const bundles = res.body.data.filter((e: any) => e.schema?.name === BUNDLE);
		assert.equal(bundles.length, 2, JSON.stringify(bundles.map((b: any) => b.schema)));
	});

	it('the start warns, naming both places', async () => {
		const warning = await stack.directus.waitForLog((l) => /installed twice/.test(String(l.msg)), 5_000);
		const msg = String(warning.msg);
		assert.ok(msg.includes(join(realpathSync(stack.directus.dir), 'extensions', BUNDLE)), msg);
		assert.ok(msg.includes(join(realpathSync(stack.directus.dir), 'node_modules', BUNDLE)), msg);
		assert.equal(stack.directus.logs().filter((l) => /installed twice/.test(String(l.msg))).length, 1, 'said once, by the quiet copy');
	});

	it('publishes every item change once, not once per copy', async () => {
		await createChannel(stack.directus, { channel_name: 'twice-feed', collection: 'twice', publisher: 'trigger({}, "changed", { id: meta.payload.id });' });
		client = await connectClient(stack.soketi);
		const log = new EventLog(await subscribe(client, 'twice-feed'), 'changed');
		await createItem(stack.directus, 'twice', { title: 'one' });
		await log.waitFor(1);
		await sleep(2_000);
		assert.equal(log.events.length, 1, `events: ${JSON.stringify(log.events)}`);
	});
});
