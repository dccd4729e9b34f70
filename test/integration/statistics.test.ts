import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';
import { sleep } from '../harness/time.js';

describe('publishing statistics (RT_USE_STATS)', () => {
	let stack: Stack;
	const clients: PusherClient[] = [];

	before(async () => {
		stack = await startStack({ directus: { env: { RT_USE_STATS: 'true', RT_STATS_INTERVAL: '1' } } });
		await createCollection(stack.directus, 'notes', [{ field: 'text', type: 'string' }]);
		await createChannel(stack.directus, { channel_name: 'notes', collection: 'notes', fields: ['id', 'text'], publisher: 'trigger({}, "created", meta.payload);' });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('logs the queue and read counters every RT_STATS_INTERVAL seconds, without secrets', async () => {
		const client = await connectClient(stack.soketi, { signWith: stack.pusher });
		clients.push(client);
		const log = new EventLog(await subscribe(client, 'notes'), 'created');
		for (let n = 0; n < 3; n++) await createItem(stack.directus, 'notes', { text: `note ${n}` });
		await log.waitFor(3);

		const stats = (line: Record<string, any>) => {
			const match = /^realtime: stats (\{.*\})$/.exec(String(line.msg));
			return match ? JSON.parse(match[1]!) : null;
		};
		const line = await stack.directus.waitForLog((l) => {
			const s = stats(l);
			return s !== null && s.queue.sent >= 3 && s.reads.requested >= 3;
		}, 5_000);
		const counters = stats(line);
		assert.deepEqual(Object.keys(counters.queue).sort(), ['batches', 'dropped', 'failedBatches', 'inFlight', 'queued', 'sent']);
		assert.ok(counters.reads.queries >= 1 && counters.reads.queries <= counters.reads.requested);
		// Every second, not once a minute: more than one line within a few seconds.
		await sleep(2_500);
		const lines = stack.directus.logs().filter((l) => stats(l) !== null);
		assert.ok(lines.length >= 2, `${lines.length} stats lines`);
		for (const l of stack.directus.logs()) assert.doesNotMatch(JSON.stringify(l), new RegExp(stack.soketi.app.secret));
	});
});
