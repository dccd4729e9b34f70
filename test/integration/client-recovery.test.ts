/**
 * The client helper (client/src, shipped as `directus-extension-realtime-pusher/client`) with
 * pusher-js against a real Directus and Soketi, recovering from the channel history of
 * GET /realtime/channels/<name>/history:
 *
 * - Soketi killed (SIGKILL) and started again while 8 writers create items: the recovering client ends
 *   with every event once and in order; a plain pusher-js client beside it misses some.
 * - A client whose socket is cut for 10 s (a TCP relay between it and Soketi) gets everything
 *   on return, through the history of a private channel it is authorized for with its token.
 * - A client away for longer than the history keeps events gets onReset, then goes on live.
 *
 * The subscribers reach Soketi through a relay the test cuts, so what they miss does not
 * depend on who reconnects first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRecoveringClient, type EventMeta, type Reset } from '../../client/src/index.js';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, createUser, type TestUser } from '../harness/fixtures.js';
import { waitFor } from '../harness/ports.js';
import type { Soketi } from '../harness/soketi.js';
import { startStack, type Stack } from '../harness/stack.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';

const HISTORY_SIZE = 200;
const WAIT = 60_000;

/** What a recovering subscription handed over. */
class Received {
	readonly events: Array<{ id: string; seq: number; replayed: boolean }> = [];
	readonly resets: Reset[] = [];
	readonly errors: Error[] = [];

	onEvent = (_event: string, data: unknown, meta: EventMeta | null) => {
		assert.ok(meta, 'every event of the channel carries an envelope');
		this.events.push({ id: (data as { id: string }).id, seq: meta.seq, replayed: meta.replayed });
	};
	onReset = (reset: Reset) => this.resets.push(reset);
	onError = (error: Error) => this.errors.push(error);

	until(done: () => boolean, what: string): Promise<void> {
		return waitFor(async () => done(), WAIT, () => `${what}: got ${this.events.length} events (last ${JSON.stringify(this.events.at(-1))}), resets ${JSON.stringify(this.resets)}, errors ${this.errors.map((e) => e.message)}`);
	}
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the client helper recovering from the channel history, against Directus and Soketi', () => {
	let stack: Stack;
	let relay: TcpProxy;
	let ada: TestUser;
	const clients: PusherClient[] = [];

	/** A pusher-js client connected to Soketi through the relay. */
	const connectThroughRelay = async (options: Parameters<typeof connectClient>[1] = {}) => {
		const client = await connectClient({ ...stack.soketi, port: relay.port } as Soketi, options);
		clients.push(client);
		return client;
	};
	const note = (topic: string) => createItem<{ id: string }>(stack.directus, 'notes', { topic, owner: ada.id });
	const recovering = (client: PusherClient, channel: string, token?: string) => {
		const received = new Received();
		const subscription = createRecoveringClient(client, { baseUrl: stack.directus.url, auth: token, retry: { delay: 100, maxDelay: 1000, attempts: 30 } }).subscribe(channel, { onEvent: received.onEvent, onReset: received.onReset, onError: received.onError });
		return { received, subscription };
	};
	const positioned = (subscription: { position(): unknown }) => waitFor(async () => subscription.position() !== null, WAIT, () => 'the helper never learnt where the channel stands');

	before(async () => {
		stack = await startStack({ directus: { env: { RT_HISTORY_SIZE: String(HISTORY_SIZE), RT_CHANNELS_CHECK_INTERVAL: '0' } } });
		relay = await startTcpProxy(stack.soketi.port);
		await createCollection(stack.directus, 'notes', [
			{ field: 'topic', type: 'string' },
			{ field: 'owner', type: 'string' },
		]);
		await createChannel(stack.directus, { channel_name: 'notes-:topic', collection: 'notes', authorizer: null, publisher: "trigger({ topic: meta.payload.topic }, 'created', { id: meta.key });" });
		await createChannel(stack.directus, {
			channel_name: 'private-notes-:userId',
			collection: 'notes',
			authorizer: 'return auth.user.id === params.userId;',
			publisher: "if (meta.payload.topic === 'private') trigger({ userId: meta.payload.owner }, 'created', { id: meta.key });",
		});
		ada = await createUser(stack.directus, { first_name: 'Ada' });
	});

	after(async () => {
		disconnectAll(...clients);
		await relay?.close();
		await stack?.stop();
	});

	it('ends with every event once and in order after Soketi was killed (SIGKILL) while 8 writers created items; a plain client misses some', async () => {
		const channel = 'notes-outage';
		const client = await connectThroughRelay();
		const { received, subscription } = recovering(client, channel);
		const plain = new EventLog(await subscribe(await connectThroughRelay(), channel), 'created');
		await positioned(subscription);

		const created: string[] = [];
		const writers = Array.from({ length: 8 }, async () => {
			for (let i = 0; i < 20; i++) created.push((await note('outage')).id);
		});
		const written = Promise.all(writers);
		await waitFor(async () => created.length >= 40, WAIT, () => `only ${created.length} items written`);
		await relay.block();
		await stack.soketi.kill();
		assert.equal(stack.soketi.process.isRunning(), false, 'Soketi is down');
		const atStop = created.length;
		await waitFor(async () => created.length >= atStop + 16, WAIT, () => 'the writers stalled while Soketi was down');
		await stack.soketi.start();
		await written;

		// Everything Directus queued has reached Soketi (its queue is ordered) once a last item,
		// sent after the rest, arrives at a subscriber connected straight to Soketi.
		const probe = new EventLog(await subscribe(await (async () => { const c = await connectClient(stack.soketi); clients.push(c); return c; })(), channel), 'created');
		created.push((await note('outage')).id);
		await probe.waitUntil((events) => events.some((e: { id: string }) => e.id === created.at(-1)), WAIT);
		await relay.unblock();

		const total = created.length;
		await received.until(() => received.events.length >= total, 'the recovering client did not get every event');
		assert.deepEqual(received.events.map((e) => e.seq), range(1, total), 'every number once, in order');
		assert.deepEqual(new Set(received.events.map((e) => e.id)), new Set(created), 'every item created');
		assert.ok(received.events.some((e) => e.replayed), 'some came from the history');
		assert.deepEqual(received.resets, []);
		assert.ok(plain.events.length < total, `the plain client got ${plain.events.length} of ${total}`);
	});

	it('recovers every event of a private channel after its socket was cut for 10 s, through the history with its token', async () => {
		const channel = `private-notes-${ada.id}`;
		const client = await connectThroughRelay({ directusUrl: stack.directus.url, token: ada.token });
		const { received, subscription } = recovering(client, channel, ada.token);
		await positioned(subscription);
		const before = [(await note('private')).id];
		await received.until(() => received.events.length >= 1, 'the first live event');

		await relay.block();
		const offline: string[] = [];
		const cutAt = Date.now();
		while (Date.now() - cutAt < 10_000) {
			offline.push((await note('private')).id);
			await new Promise((resolve) => setTimeout(resolve, 400));
		}
		await relay.unblock();

		const all = [...before, ...offline];
		await received.until(() => received.events.length >= all.length, 'the offline events were not recovered');
		assert.deepEqual(received.events.map((e) => e.id), all, 'each once, in order');
		assert.ok(received.events.slice(1).every((e) => e.replayed), 'those sent while it was offline came from the history');
		assert.deepEqual([received.resets, received.errors], [[], []]);
	});

	it('calls onReset for a client away past the history window, then delivers what follows live', async () => {
		const channel = 'notes-window';
		const client = await connectThroughRelay();
		const { received, subscription } = recovering(client, channel);
		await positioned(subscription);
		await note('window');
		await received.until(() => received.events.length >= 1, 'the first live event');
		const epoch = subscription.position()!.epoch;

		await relay.block();
		const batch = await stack.directus.request('POST', '/items/notes', Array.from({ length: HISTORY_SIZE + 20 }, () => ({ topic: 'window', owner: ada.id })));
		assert.equal(batch.status, 200);
		const latest = 1 + HISTORY_SIZE + 20;
		// The history has taken in the whole batch before the client returns.
		await waitFor(async () => (await stack.directus.request('GET', `/realtime/channels/${channel}/history?limit=1`)).body?.latest === latest, WAIT, () => 'the batch was not numbered');
		await relay.unblock();

		await received.until(() => received.resets.length >= 1, 'no reset');
		assert.deepEqual(received.resets, [{ epoch, latest, previous: { epoch, seq: 1 } }]);
		assert.equal(received.events.length, 1, 'nothing of the lost stretch is delivered');
		const next = await note('window');
		await received.until(() => received.events.length >= 2, 'the event after the reset');
		assert.deepEqual(received.events[1], { id: next.id, seq: latest + 1, replayed: false });
	});
});
