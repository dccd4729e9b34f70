/**
 * The client helper's wiring to a pusher-js client (client/src/index.ts), on a stand-in channel
 * object and a scripted fetch: what it binds and leaves, which events it numbers, and how it
 * treats handlers that throw, forged envelopes and a history that never fills a gap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRecoveringClient, type EventMeta, type PusherChannelLike, type PusherLike, type Reset } from '../../client/src/index.js';

class FakeChannel implements PusherChannelLike {
	subscribed = false;
	readonly handlers = new Map<string, Array<(data: any) => void>>();
	readonly globals: Array<(event: string, data: any) => void> = [];
	constructor(readonly name: string) {}
	bind(event: string, callback: (data: any) => void) {
		this.handlers.set(event, [...(this.handlers.get(event) ?? []), callback]);
	}
	unbind(event?: string, callback?: (data: any) => void) {
		if (event) this.handlers.set(event, (this.handlers.get(event) ?? []).filter((c) => c !== callback));
	}
	bind_global(callback: (event: string, data: any) => void) {
		this.globals.push(callback);
	}
	unbind_global(callback?: (event: string, data: any) => void) {
		this.globals.splice(this.globals.indexOf(callback!), 1);
	}
	emit(event: string, data: unknown) {
		for (const g of [...this.globals]) g(event, data);
		for (const h of this.handlers.get(event) ?? []) h(data);
	}
	succeed() {
		this.subscribed = true;
		this.emit('pusher:subscription_succeeded', {});
	}
}

class FakePusher implements PusherLike {
	readonly channels = new Map<string, FakeChannel>();
	readonly unsubscribed: string[] = [];
	subscribe(name: string) {
		if (!this.channels.has(name)) this.channels.set(name, new FakeChannel(name));
		return this.channels.get(name)!;
	}
	unsubscribe(name: string) {
		this.unsubscribed.push(name);
		this.channels.delete(name);
	}
	channel(name: string) {
		return this.channels.get(name);
	}
}

const envelope = (seq: number, epoch = 'ep') => ({ id: `${epoch}-${seq}`, seq, epoch, data: { n: seq } });

/** A history that answers `latest` with no items, and records the queries. */
function emptyHistory(latest: number) {
	const asked: string[] = [];
	const fetch = (async (url: string) => {
		asked.push(new URL(url).search);
		return new Response(JSON.stringify({ channel: 'c', epoch: 'ep', recovered: true, latest, items: [], more: false }), { status: 200 });
	}) as unknown as typeof globalThis.fetch;
	return { fetch, asked };
}

function record() {
	const got: Array<[string, unknown, EventMeta | null]> = [];
	const resets: Reset[] = [];
	const errors: Error[] = [];
	return {
		got,
		resets,
		errors,
		handlers: { onEvent: (e: string, d: unknown, m: EventMeta | null) => got.push([e, d, m]), onReset: (r: Reset) => resets.push(r), onError: (e: Error) => errors.push(e) },
	};
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('the client helper on a pusher-js client', () => {
	it('needs a Directus URL or a history URL', () => {
		assert.throws(() => createRecoveringClient(new FakePusher(), {}), /baseUrl/);
	});

	it('passes a client event through as it came, and never lets a forged envelope in one move the position', async () => {
		const pusher = new FakePusher();
		const { fetch, asked } = emptyHistory(4);
		const seen = record();
		const subscription = createRecoveringClient(pusher, { baseUrl: 'http://d', fetch }).subscribe('private-room', seen.handlers);
		pusher.channels.get('private-room')!.succeed();
		await settle();
		const channel = pusher.channels.get('private-room')!;
		channel.emit('client-typing', envelope(1_000_000, 'forged'));
		channel.emit('updated', envelope(5));
		await settle();
		assert.deepEqual(seen.got, [
			['client-typing', envelope(1_000_000, 'forged'), null],
			['updated', { n: 5 }, { id: 'ep-5', seq: 5, epoch: 'ep', replayed: false }],
		]);
		assert.deepEqual(subscription.position(), { epoch: 'ep', seq: 5 });
		assert.deepEqual(asked, ['?limit=1'], 'only where the channel stands was asked');
	});

	it('gives up on a history whose answers never fill a gap: an error, a reset, and live delivery goes on', async () => {
		const pusher = new FakePusher();
		const { fetch, asked } = emptyHistory(4);
		const seen = record();
		createRecoveringClient(pusher, { baseUrl: 'http://d', fetch, retry: { attempts: 3, delay: 1, maxDelay: 2 } }).subscribe('c', seen.handlers);
		const channel = pusher.channels.get('c')!;
		channel.succeed();
		await settle();
		channel.emit('updated', envelope(9));
		await new Promise((resolve) => setTimeout(resolve, 200));
		assert.equal(asked.length, 1 + 1 + 3, 'where it stands, the gap, then three more asks that bring nothing');
		assert.deepEqual(seen.errors.map((e) => (e as { code?: string }).code), ['GAP_NOT_FILLED']);
		assert.deepEqual(seen.resets, [{ epoch: 'ep', latest: 8, previous: { epoch: 'ep', seq: 4 } }]);
		assert.deepEqual(seen.got.map(([, , m]) => m!.seq), [9]);
	});

	it('reports a handler that throws and goes on delivering', async () => {
		const pusher = new FakePusher();
		const errors: Error[] = [];
		const got: number[] = [];
		createRecoveringClient(pusher, { baseUrl: 'http://d', fetch: emptyHistory(0).fetch }).subscribe('c', {
			onEvent: (_e, _d, m) => {
				got.push(m!.seq);
				if (m!.seq === 1) throw new Error('handler broke');
			},
			onError: (e) => errors.push(e),
		});
		const channel = pusher.channels.get('c')!;
		channel.succeed();
		await settle();
		channel.emit('x', envelope(1));
		channel.emit('x', envelope(2));
		assert.deepEqual(got, [1, 2]);
		assert.deepEqual(errors.map((e) => e.message), ['handler broke']);
	});

	it('delivers only the events asked for, and skips pusher\'s own', async () => {
		const pusher = new FakePusher();
		const seen = record();
		createRecoveringClient(pusher, { baseUrl: 'http://d', fetch: emptyHistory(0).fetch }).subscribe('c', { ...seen.handlers, events: ['created'] });
		const channel = pusher.channels.get('c')!;
		channel.succeed();
		await settle();
		channel.emit('pusher:cache_miss', {});
		channel.emit('updated', envelope(1));
		channel.emit('created', envelope(2));
		assert.deepEqual(seen.got.map(([e, , m]) => [e, m!.seq]), [['created', 2]]);
	});

	it('starts at once on a channel Echo already subscribed, and leaves it subscribed; unsubscribes a channel of its own', async () => {
		const pusher = new FakePusher();
		pusher.subscribe('echo-channel').succeed();
		const { fetch, asked } = emptyHistory(3);
		const client = createRecoveringClient(pusher, { baseUrl: 'http://d', fetch });
		const shared = client.subscribe('echo-channel', record().handlers);
		await settle();
		assert.deepEqual(asked, ['?limit=1']);
		const own = client.subscribe('own', record().handlers);
		shared.unsubscribe();
		own.unsubscribe();
		assert.deepEqual(pusher.unsubscribed, ['own']);
		assert.equal(pusher.channels.get('echo-channel')!.globals.length, 0, 'its handlers are gone');
	});
});
