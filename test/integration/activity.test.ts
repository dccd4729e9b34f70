/**
 * What admins see of the channel rows at work: per-row counters and the Pusher probe in
 * GET /realtime/health, the tail of outgoing events in GET /realtime/tail, and the scripts'
 * console lines in Directus' log at debug level.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createChannel, createCollection, createItem, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';
import { adminHealthReply, publicHealthReply, tailReply } from '../../shared/src/wire.js';
import { pollUntil } from '../harness/time.js';

describe('row counters, the outgoing tail and script console lines', () => {
	let stack: Stack;
	let user: TestUser;
	let good: string;
	let broken: string;
	let refusing: string;
	let disabled: string;
	let encrypted: string;
	const health = async () => (await stack.directus.request('GET', '/realtime/health')).body;
	const rowOf = (body: any, id: string) => body.rows.find((r: any) => r.id === id);

	before(async () => {
		({
			stack,
			users: { user },
		} = await startStackWithUsers({ encryptionMasterKey: randomBytes(32).toString('base64'), directus: { env: { LOG_LEVEL: 'debug' } }, users: { user: {} } }));
		const d = stack.directus;
		// text, not string: PostgreSQL and MySQL hold at most 255 characters in a string field.
		await createCollection(d, 'posts', [{ field: 'title', type: 'text' }]);
		good = (await createChannel(d, { channel_name: 'posts', collection: 'posts', fields: ['id', 'title'], publisher: "console.log('post', meta.key);\ntrigger({}, 'created', meta.payload);", trigger_on_update: false, trigger_on_delete: false })).id;
		broken = (await createChannel(d, { channel_name: 'posts-broken', collection: 'posts', publisher: "const a = 1;\nnull.crash;", trigger_on_update: false, trigger_on_delete: false })).id;
		refusing = (
			await createChannel(d, { channel_name: 'posts-refused', collection: 'posts', publisher: "try { trigger({}, 'pusher:fake', {}); } catch {}\nfor (let i = 0; i < 500; i++) console.log('x'.repeat(2000));", trigger_on_update: false, trigger_on_delete: false })
		).id;
		encrypted = (await createChannel(d, { channel_name: 'private-encrypted-posts', collection: 'posts', authorizer: 'return true;', publisher: "trigger({}, 'secret', { title: meta.payload.title });", trigger_on_update: false, trigger_on_delete: false })).id;
		disabled = (await createChannel(d, { channel_name: 'private-posts-:id', collection: 'posts', enabled: false, authorizer: 'return true;', publisher: null })).id;
	});

	after(async () => {
		await stack?.stop();
	});

	it('shows every row with its type, match order, state and counters, and the Pusher server\'s reachability', async () => {
		const tailBefore = (await stack.directus.request('GET', '/realtime/tail')).body.seq;
		// Events of two separate writes are not ordered against each other yet: the second item is
		// written once the first one's event has left, so the tail's order below is the writes' order.
		await createItem(stack.directus, 'posts', { title: 'post 0' });
		await pollUntil(health, (body) => rowOf(body, good).counters.sent >= 1, { intervalMs: 50 });
		await createItem(stack.directus, 'posts', { title: 'post 1' });
		const body = await pollUntil(health, (b) => rowOf(b, good).counters.sent >= 2 && rowOf(b, broken).counters.errors >= 2 && rowOf(b, refusing).counters.refused >= 2, { intervalMs: 50 });

		const goodRow = rowOf(body, good);
		assert.deepEqual({ ...goodRow, counters: undefined }, { id: good, channel_name: 'posts', collection: 'posts', type: 'public', kind: 'public', enabled: true, order: goodRow.order, mode: 'script', receives: 'what the publisher script sends', counters: undefined });
		assert.equal(goodRow.counters.sent, 2);
		assert.equal(goodRow.counters.errors, 0);
		assert.ok(Date.parse(goodRow.counters.last_event_at) > 0);
		const brokenRow = rowOf(body, broken);
		assert.equal(brokenRow.counters.errors, 2);
		assert.equal(brokenRow.counters.sent, 0);
		assert.match(brokenRow.counters.last_error.message, /^TypeError: Cannot read properties of null/);
		assert.equal(brokenRow.counters.last_error.line, 2);
		assert.equal(typeof brokenRow.counters.last_error.column, 'number');
		assert.ok(Date.parse(brokenRow.counters.last_error.at) > 0);
		assert.equal(rowOf(body, refusing).counters.refused, 2);
		assert.equal(rowOf(body, refusing).counters.errors, 0);
		const off = rowOf(body, disabled);
		assert.deepEqual([off.type, off.enabled, off.order], ['private', false, null]);
		assert.equal(rowOf(body, encrypted).type, 'private-encrypted');
		// Public rows in match order: the longest literal first.
		const publicOrder = body.rows.filter((r: any) => r.type === 'public').map((r: any) => [r.channel_name, r.order]);
		assert.deepEqual(publicOrder, [['posts-refused', 1], ['posts-broken', 2], ['posts', 3]]);
		assert.equal(body.pusher.reachable, true);
		assert.equal(typeof body.pusher.latency_ms, 'number');

		// The tail: what left, with a preview, never an encrypted payload.
		const tail = (await stack.directus.request('GET', `/realtime/tail?after=${tailBefore}`)).body;
		const sent = tail.data.filter((e: any) => e.row === good);
		assert.equal(sent.length, 2);
		assert.equal(sent[0].channel, 'posts');
		assert.equal(sent[0].event, 'created');
		assert.equal(JSON.parse(sent[0].preview).title, 'post 0');
		assert.equal(sent[0].bytes, Buffer.byteLength(sent[0].preview));
		const secret = tail.data.filter((e: any) => e.row === encrypted);
		assert.equal(secret.length, 2);
		for (const e of secret) assert.equal(e.preview, null);
		assert.equal(tail.seq, tail.data.at(-1).seq);
		const none = (await stack.directus.request('GET', `/realtime/tail?after=${tail.seq}`)).body;
		assert.deepEqual(none, { data: [], seq: tail.seq });
	});

	it('answers health and tail in the shapes the Realtime module reads (shared/src/wire.ts)', async () => {
		const body = await health();
		assert.deepEqual(adminHealthReply.parse(body), body);
		assert.ok(body.rows.some((r: any) => r.counters.last_error !== null), 'a row with an error is among them');
		const bare = (await stack.directus.request('GET', '/realtime/health', undefined, { token: user.token })).body;
		assert.deepEqual(publicHealthReply.parse(bare), bare);
		const tail = (await stack.directus.request('GET', '/realtime/tail')).body;
		assert.ok(tail.data.some((e: any) => e.preview === null) && tail.data.some((e: any) => e.preview !== null));
		assert.deepEqual(tailReply.parse(tail), tail);
	});

	it('cuts the preview of a large payload to 1 KB', async () => {
		const before = (await stack.directus.request('GET', '/realtime/tail')).body.seq;
		await createItem(stack.directus, 'posts', { title: 'y'.repeat(5000) });
		const tail = await pollUntil(async () => (await stack.directus.request('GET', `/realtime/tail?after=${before}`)).body, (t) => t.data.some((e: any) => e.row === good), { intervalMs: 50 });
		const event = tail.data.find((e: any) => e.row === good);
		assert.ok(event.bytes > 5000);
		assert.ok(Buffer.byteLength(event.preview) <= 1024);
	});

	it('writes console lines of real runs to the Directus log at debug level with the row, bounded per run', async () => {
		const line = await stack.directus.waitForLog((l) => String(l.msg).startsWith(`realtime: channel row ${good} (posts) console.log: post `));
		assert.equal(line.level, 20);
		const shouting = stack.directus.logs().filter((l) => String(l.msg).startsWith(`realtime: channel row ${refusing} `));
		// Three creates so far: at most 101 lines each (100 and the marker), each line cut to 1 KB.
		assert.ok(shouting.length > 0 && shouting.length <= 3 * 101, `${shouting.length} lines`);
		for (const l of shouting) assert.ok(Buffer.byteLength(String(l.msg)) < 1200);
	});

	it('shows rows, counters and the tail to admins only: others get the admins-only 403 or the bare status', async () => {
		const asUser = await stack.directus.request('GET', '/realtime/tail', undefined, { token: user.token });
		const anonymous = await stack.directus.request('GET', '/realtime/tail?after=0', undefined, { token: null });
		assert.equal(asUser.status, 403);
		assert.equal(anonymous.status, 403);
		assert.deepEqual(asUser.body, anonymous.body);
		assert.deepEqual((await stack.directus.request('GET', '/realtime/health', undefined, { token: user.token })).body, { status: 'ok' });
		for (const after of ['abc', '-1', '1.5', '1e3', '9'.repeat(30)]) {
			const res = await stack.directus.request('GET', `/realtime/tail?after=${encodeURIComponent(after)}`);
			assert.equal(res.status, 400, `${after}: ${res.text}`);
		}
		const twice = await stack.directus.request('GET', '/realtime/tail?after=1&after=2');
		assert.equal(twice.status, 400);
	});

	it('reports the Pusher server unreachable, without the signed URL or the secret', async () => {
		await stack.soketi.stop();
		const body = await pollUntil(health, (b) => !b.pusher.reachable, { timeoutMs: 15_000, intervalMs: 50 });
		assert.equal(body.pusher.reachable, false);
		assert.equal(typeof body.pusher.error, 'string');
		assert.doesNotMatch(JSON.stringify(body), /auth_signature|auth_key/);
		assert.ok(!JSON.stringify(body).includes(stack.soketi.app.secret));
	});
});
