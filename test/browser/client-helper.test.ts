/**
 * The client helper (`directus-extension-realtime-pusher/client`, built into dist/client) in a
 * real headless Chromium, over pusher-js's browser build and a real Soketi: events lost on the
 * way, repeated, or sent while Soketi was down reach the page once each and in order, a changed
 * epoch calls onReset, private channels send the bearer token to the history, and encrypted
 * channels' sealed history items are opened.
 *
 * The history answers come from a small stand-in for `GET /realtime/channels/<name>/history`
 * serving the reply shape of docs/delivery.md, so that this suite pins the client's side of the
 * contract on its own; test/integration/client-recovery.test.ts runs it against Directus.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Pusher from 'pusher';
import nacl from 'tweetnacl';
import { chromiumOrSkip, launchBrowser, listenLocally, openPage, type Browser, type LocalServer, type Page } from '../harness/browser.js';
import { ROOT } from '../harness/paths.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';

const chromium = chromiumOrSkip();
const WAIT = 30_000;
const PUSHER_JS = readFileSync(join(ROOT, 'node_modules', 'pusher-js', 'dist', 'web', 'pusher-with-encryption.min.js'));
const CLIENT_DIR = join(ROOT, 'dist', 'client');
const PAGE = '<!doctype html><meta charset="utf-8"><title>client helper</title><script src="/pusher.min.js"></script>';
const TOKEN = `token-${randomBytes(8).toString('hex')}`;

interface Stored {
	id: string;
	seq: number;
	event: string;
	data: unknown;
}

/** A channel's numbering and history as docs/delivery.md describes them, kept in this process. */
class ChannelHistory {
	epoch = `ep-${randomBytes(4).toString('hex')}`;
	items: Stored[] = [];
	/** Answers still to fail with 503 before the next one succeeds. */
	failNext = 0;
	requests: string[] = [];
}

/**
 * The stand-in server: the page, pusher-js, the built client, `/realtime/auth` (bearer token
 * checked, signed with the app secret) and the history route.
 */
class StandIn {
	readonly channels = new Map<string, ChannelHistory>();
	constructor(readonly pusher: Pusher, readonly masterKey: Buffer) {}

	channel(name: string): ChannelHistory {
		let history = this.channels.get(name);
		if (!history) this.channels.set(name, (history = new ChannelHistory()));
		return history;
	}

	/** Numbers an event into the history; sends it live unless `live` is false (a loss on the way). */
	async publish(name: string, event: string, payload: unknown, options: { live?: boolean; times?: number } = {}): Promise<number> {
		const history = this.channel(name);
		const seq = (history.items.at(-1)?.seq ?? 0) + 1;
		const envelope = { id: `${history.epoch}-${seq}`, seq, epoch: history.epoch, data: payload };
		history.items.push({ id: envelope.id, seq, event, data: name.startsWith('private-encrypted-') ? this.seal(name, envelope) : envelope });
		if (options.live !== false) for (let i = 0; i < (options.times ?? 1); i++) await this.pusher.trigger(name, event, envelope);
		return seq;
	}

	seal(name: string, value: unknown) {
		const nonce = nacl.randomBytes(24);
		const box = nacl.secretbox(new TextEncoder().encode(JSON.stringify(value)), nonce, new Uint8Array(createHash('sha256').update(name).update(this.masterKey).digest()));
		return { nonce: Buffer.from(nonce).toString('base64'), ciphertext: Buffer.from(box).toString('base64') };
	}

	handle = (req: IncomingMessage, res: ServerResponse) => {
		const url = new URL(req.url ?? '/', 'http://x');
		const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
		const refuse = (status: number, code: string) => send(status, { errors: [{ message: code, extensions: { code } }] });
		const authorized = req.headers.authorization === `Bearer ${TOKEN}`;
		if (url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
		if (url.pathname === '/pusher.min.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(PUSHER_JS);
		const module = /^\/client\/(\w+)\.js$/.exec(url.pathname);
		if (module) return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(CLIENT_DIR, `${module[1]}.js`)));
		if (url.pathname === '/realtime/auth' && req.method === 'POST') {
			let body = '';
			req.on('data', (chunk) => (body += chunk));
			req.on('end', () => {
				if (!authorized) return refuse(401, 'UNAUTHENTICATED');
				const form = new URLSearchParams(body);
				send(200, this.pusher.authorizeChannel(form.get('socket_id')!, form.get('channel_name')!));
			});
			return;
		}
		const route = /^\/realtime\/channels\/([^/]+)\/history$/.exec(url.pathname);
		if (!route) return void res.writeHead(404).end();
		const name = decodeURIComponent(route[1]!);
		const history = this.channel(name);
		history.requests.push(url.search);
		if (name.startsWith('private-') && !authorized) return refuse(403, 'FORBIDDEN');
		if (history.failNext > 0) {
			history.failNext--;
			return refuse(503, 'HISTORY_UNAVAILABLE');
		}
		const latest = history.items.at(-1)?.seq ?? 0;
		const limit = Number(url.searchParams.get('limit') ?? 100);
		const since = url.searchParams.get('since');
		// A channel with no events answers under an epoch its first event will not share (docs/delivery.md).
		const epoch = latest === 0 ? `unborn-${randomBytes(4).toString('hex')}` : history.epoch;
		if (since === null) return send(200, { channel: name, epoch, recovered: true, latest, items: history.items.slice(-limit), more: false });
		if (url.searchParams.get('epoch') !== history.epoch) return send(200, { channel: name, epoch: history.epoch, recovered: false, latest, items: [], more: false });
		const after = history.items.filter((i) => i.seq > Number(since));
		send(200, { channel: name, epoch: history.epoch, recovered: true, latest, items: after.slice(0, limit), more: after.length > limit });
	};
}

interface Seen {
	got: Array<[string, unknown, { seq: number; epoch: string; replayed: boolean } | null]>;
	plain: unknown[];
	resets: unknown[];
	errors: Array<{ message: string; status?: number; code?: string }>;
}

/**
 * In the page: pusher-js for Soketi, the helper from /client/index.js subscribed to `channel`,
 * and a plain pusher-js binding of `event` beside it for comparison.
 */
function subscribeInPage(page: Page, args: { key: string; soketiPort: number; channel: string; event: string; token?: string; pageSize?: number }): Promise<void> {
	return page.evaluate(async ({ key, soketiPort, channel, event, token, pageSize }) => {
		const w = globalThis as any;
		const { createRecoveringClient } = await import('/client/index.js' as string);
		w.pusher ??= new w.Pusher(key, {
			cluster: 'mt1',
			wsHost: w.location.hostname,
			wsPort: soketiPort,
			forceTLS: false,
			enabledTransports: ['ws'],
			disableStats: true,
			channelAuthorization: { endpoint: '/realtime/auth', transport: 'ajax', headers: token ? { Authorization: `Bearer ${token}` } : {} },
		});
		const seen = { got: [], plain: [], resets: [], errors: [] } as any;
		w.seen = seen;
		const client = createRecoveringClient(w.pusher, { baseUrl: w.location.origin, auth: () => token, pageSize, retry: { delay: 50, maxDelay: 200 } });
		await new Promise<void>((resolve, reject) => {
			const subscription = client.subscribe(channel, {
				onEvent: (name: string, data: unknown, meta: any) => seen.got.push([name, data, meta && { seq: meta.seq, epoch: meta.epoch, replayed: meta.replayed }]),
				onReset: (reset: unknown) => seen.resets.push(reset),
				onError: (e: any) => seen.errors.push({ message: e.message, status: e.status, code: e.code }),
			});
			w.subscription = subscription;
			subscription.channel.bind(event, (data: any) => seen.plain.push(data.data ?? data));
			subscription.channel.bind('pusher:subscription_succeeded', () => resolve());
			subscription.channel.bind('pusher:subscription_error', (e: any) => reject(new Error(`subscription refused: ${JSON.stringify(e)}`)));
		});
	}, args);
}

async function seenWhen(page: Page, test: string, diagnostics: () => string): Promise<Seen> {
	try {
		await page.waitForFunction(test, undefined, { timeout: WAIT });
	} catch {
		assert.fail(`the page saw ${JSON.stringify(await page.evaluate(() => (globalThis as any).seen))}, waiting for ${test}${diagnostics()}`);
	}
	return page.evaluate(() => (globalThis as any).seen);
}

describe('the client helper in a real browser, with pusher-js and Soketi', { skip: chromium.skip }, () => {
	let soketi: Soketi;
	let standIn: StandIn;
	let server: LocalServer;
	let browser: Browser;

	before(async () => {
		soketi = await startSoketi();
		const masterKey = randomBytes(32);
		const pusher = new Pusher({
			appId: soketi.app.id,
			key: soketi.app.key,
			secret: soketi.app.secret,
			host: soketi.host,
			port: String(soketi.port),
			useTLS: false,
			encryptionMasterKeyBase64: masterKey.toString('base64'),
		});
		standIn = new StandIn(pusher, masterKey);
		server = await listenLocally(standIn.handle);
		browser = await launchBrowser();
	});

	after(async () => {
		await browser?.close();
		await server?.close();
		await soketi?.stop();
	});

	async function openAt() {
		const context = await browser.newContext();
		const { page, diagnostics } = await openPage(context);
		await page.goto(server.url);
		return { page, diagnostics, close: () => context.close() };
	}

	it('fills a gap from the history and drops a repeat: every event once, in order, where plain pusher-js loses one and repeats one', async () => {
		const { page, diagnostics, close } = await openAt();
		try {
			const channel = 'notes-gap';
			await subscribeInPage(page, { key: soketi.app.key, soketiPort: soketi.port, channel, event: 'created' });
			await seenWhen(page, `globalThis.subscription.position() !== null`, diagnostics);
			await standIn.publish(channel, 'created', { n: 1 });
			await standIn.publish(channel, 'created', { n: 2 });
			await standIn.publish(channel, 'created', { n: 3 }, { live: false });
			await standIn.publish(channel, 'created', { n: 4 }, { times: 2 });
			await standIn.publish(channel, 'created', { n: 5 });
			const seen = await seenWhen(page, 'globalThis.seen.got.length >= 5 && globalThis.seen.plain.length >= 5', diagnostics);
			// Events after the gap may come from the history too (it has them by then): each once.
			assert.deepEqual(seen.got.map(([event, data, meta]) => [event, data, meta!.seq]), [1, 2, 3, 4, 5].map((n) => ['created', { n }, n]));
			assert.equal(seen.got[2]![2]!.replayed, true, 'the lost event came from the history');
			assert.deepEqual(seen.plain, [{ n: 1 }, { n: 2 }, { n: 4 }, { n: 4 }, { n: 5 }]);
			assert.deepEqual(seen.errors, []);
		} finally {
			await close();
		}
	});

	it('recovers what was sent while Soketi was down, in pages, through failing history answers', async () => {
		const { page, diagnostics, close } = await openAt();
		try {
			const channel = 'notes-outage';
			await subscribeInPage(page, { key: soketi.app.key, soketiPort: soketi.port, channel, event: 'created', pageSize: 2 });
			await standIn.publish(channel, 'created', { n: 1 });
			await seenWhen(page, 'globalThis.seen.got.length >= 1', diagnostics);
			await soketi.stop();
			await page.waitForFunction(() => (globalThis as any).pusher.connection.state !== 'connected', undefined, { timeout: WAIT });
			for (let n = 2; n <= 6; n++) await standIn.publish(channel, 'created', { n }, { live: false });
			standIn.channel(channel).failNext = 2;
			const before = standIn.channel(channel).requests.length;
			await soketi.start();
			const seen = await seenWhen(page, 'globalThis.seen.got.length >= 6', diagnostics);
			assert.deepEqual(seen.got.map(([, data, meta]) => [(data as { n: number }).n, meta!.replayed]), [[1, false], [2, true], [3, true], [4, true], [5, true], [6, true]]);
			assert.deepEqual(seen.plain, [{ n: 1 }], 'plain pusher-js never sees what was sent during the outage');
			const epoch = standIn.channel(channel).epoch;
			assert.deepEqual(standIn.channel(channel).requests.slice(before), [
				`?since=1&epoch=${epoch}&limit=2`,
				`?since=1&epoch=${epoch}&limit=2`,
				`?since=1&epoch=${epoch}&limit=2`,
				`?since=3&epoch=${epoch}&limit=2`,
				`?since=5&epoch=${epoch}&limit=2`,
			], 'two 503s tried again, then three pages');
			await standIn.publish(channel, 'created', { n: 7 });
			assert.deepEqual((await seenWhen(page, 'globalThis.seen.got.length >= 7', diagnostics)).got.at(-1), ['created', { n: 7 }, { seq: 7, epoch, replayed: false }]);
		} finally {
			await close();
		}
	});

	it('calls onReset when the history lost the channel\'s numbering (a new epoch), and continues after latest', async () => {
		const { page, diagnostics, close } = await openAt();
		try {
			const channel = 'notes-reset';
			await subscribeInPage(page, { key: soketi.app.key, soketiPort: soketi.port, channel, event: 'created' });
			await standIn.publish(channel, 'created', { n: 1 });
			await seenWhen(page, 'globalThis.seen.got.length >= 1', diagnostics);
			const history = standIn.channel(channel);
			const old = history.epoch;
			history.epoch = 'ep-new';
			history.items = [];
			await standIn.publish(channel, 'created', { n: 2 }, { live: false });
			await standIn.publish(channel, 'created', { n: 3 });
			const seen = await seenWhen(page, 'globalThis.seen.resets.length >= 1', diagnostics);
			assert.deepEqual(seen.resets, [{ epoch: 'ep-new', latest: 2, previous: { epoch: old, seq: 1 } }]);
			await standIn.publish(channel, 'created', { n: 4 });
			const after = await seenWhen(page, 'globalThis.seen.got.length >= 2', diagnostics);
			// The new numbering: n 2 is seq 1 (lost), n 3 seq 2, both covered by the reload; n 4 follows latest.
			assert.deepEqual(after.got.map(([, data, meta]) => [(data as { n: number }).n, meta!.seq, meta!.epoch]), [[1, 1, old], [4, 3, 'ep-new']]);
		} finally {
			await close();
		}
	});

	it('sends the bearer token with history requests of a private channel; refused, it says so, resets at a gap and goes on live', async () => {
		const { page, diagnostics, close } = await openAt();
		try {
			const channel = 'private-notes-7';
			await subscribeInPage(page, { key: soketi.app.key, soketiPort: soketi.port, channel, event: 'created', token: TOKEN });
			// Where the channel stands is known before anything is sent (else n 1 may count as before the subscription).
			await seenWhen(page, 'globalThis.subscription.position() !== null', diagnostics);
			await standIn.publish(channel, 'created', { n: 1 }, { live: false });
			await standIn.publish(channel, 'created', { n: 2 });
			const seen = await seenWhen(page, 'globalThis.seen.got.length >= 2', diagnostics);
			assert.deepEqual(seen.got.map(([, data, meta]) => [(data as { n: number }).n, meta!.seq]), [[1, 1], [2, 2]]);
			assert.equal(seen.got[0]![2]!.replayed, true, 'the lost event came from the history, which needs the token');

			// The same page with a helper that has no token for the history.
			await page.evaluate(async ({ channel }) => {
				const w = globalThis as any;
				w.subscription.unsubscribe();
				const { createRecoveringClient } = await import('/client/index.js' as string);
				w.seen = { got: [], plain: [], resets: [], errors: [] };
				createRecoveringClient(w.pusher, { baseUrl: w.location.origin, retry: { delay: 10, maxDelay: 20 } }).subscribe(channel, {
					onEvent: (name: string, data: unknown, meta: any) => w.seen.got.push([name, data, meta && { seq: meta.seq, replayed: meta.replayed }]),
					onReset: (reset: unknown) => w.seen.resets.push(reset),
					onError: (e: any) => w.seen.errors.push({ message: e.message, status: e.status, code: e.code }),
				});
			}, { channel });
			await seenWhen(page, 'globalThis.seen.errors.length >= 1', diagnostics);
			await standIn.publish(channel, 'created', { n: 3 });
			await standIn.publish(channel, 'created', { n: 4 }, { live: false });
			await standIn.publish(channel, 'created', { n: 5 });
			const refused = await seenWhen(page, 'globalThis.seen.got.length >= 2', diagnostics);
			assert.deepEqual(refused.errors.map((e) => [e.status, e.code]), [[403, 'FORBIDDEN'], [403, 'FORBIDDEN']], 'where the channel stands, then the gap');
			assert.deepEqual(refused.resets, [{ epoch: standIn.channel(channel).epoch, latest: 4, previous: { epoch: standIn.channel(channel).epoch, seq: 3 } }]);
			assert.deepEqual(refused.got.map(([, data]) => (data as { n: number }).n), [3, 5]);
		} finally {
			await close();
		}
	});

	it('opens the sealed history items of an encrypted channel with the shared secret pusher-js got from /realtime/auth', async () => {
		const { page, diagnostics, close } = await openAt();
		try {
			const channel = 'private-encrypted-notes-7';
			await subscribeInPage(page, { key: soketi.app.key, soketiPort: soketi.port, channel, event: 'created', token: TOKEN });
			await standIn.publish(channel, 'created', { secret: 'one' });
			await standIn.publish(channel, 'created', { secret: 'two' }, { live: false });
			await standIn.publish(channel, 'created', { secret: 'three' });
			const seen = await seenWhen(page, 'globalThis.seen.got.length >= 3', diagnostics);
			assert.deepEqual(seen.got.map(([, data]) => data), [{ secret: 'one' }, { secret: 'two' }, { secret: 'three' }]);
			assert.equal(seen.got[1]![2]!.replayed, true, 'the lost event came from the history, sealed');
			assert.ok(standIn.channel(channel).items.every((i) => 'ciphertext' in (i.data as object)), 'the history holds only sealed items');
			assert.deepEqual(seen.errors, []);
		} finally {
			await close();
		}
	});
});
