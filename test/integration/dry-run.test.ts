/**
 * POST /realtime/dry-run: admins run a publisher on an item or an authorizer as a user, with the
 * real sandbox and checks, and nothing is sent. Everyone else gets the admins-only 403 before
 * anything is read; bodies are bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, type TestUser } from '../harness/fixtures.js';
import { rawRequest } from '../harness/raw-http.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';
import { waitFor } from '../harness/ports.js';
import { authorizerDryRunReply, publisherDryRunReply } from '../../shared/src/wire.js';

const PUBLISHER = [
	"console.log('publishing', meta.key, action);",
	"trigger({ id: meta.payload.id }, 'changed', { title: meta.payload.title, action });",
	"broadcastTo('board', {}, 'any', { id: meta.key });",
	"sendToUser('u-1', 'note', { n: 1 });",
].join('\n');

describe('dry-run of scripts (POST /realtime/dry-run)', () => {
	let stack: Stack;
	let reader: TestUser;
	let stranger: TestUser;
	let rowId: string;
	let roomRow: string;
	let catchAll: string;
	let presenceRow: string;
	let docId: number;
	let roomId: number;
	const clients: PusherClient[] = [];
	const dryRun = (body: unknown, token?: string | null) => stack.directus.request('POST', '/realtime/dry-run', body, token === undefined ? {} : { token });

	before(async () => {
		({
			stack,
			users: { reader, stranger },
		} = await startStackWithUsers({
			prepare: async (d) => {
				await createCollection(d, 'docs', [{ field: 'title', type: 'string' }]);
				await createCollection(d, 'rooms', [{ field: 'name', type: 'string' }]);
			},
			users: { reader: { first_name: 'Reader', grants: [{ collection: 'rooms', action: 'read' }] }, stranger: { first_name: 'Stranger' } },
		}));
		const d = stack.directus;
		rowId = (await createChannel(d, { channel_name: 'doc-:id', collection: 'docs', fields: ['id', 'title'], publisher: PUBLISHER })).id;
		roomRow = (
			await createChannel(d, {
				channel_name: 'private-room-:id',
				collection: 'rooms',
				publisher: null,
				authorizer: "console.log('user', auth.user.email, JSON.stringify(auth.user));\nreturn await can('read', 'rooms', params.id);",
			})
		).id;
		catchAll = (await createChannel(d, { channel_name: 'private-:rest', collection: 'rooms', publisher: null, authorizer: 'return true;' })).id;
		presenceRow = (
			await createChannel(d, { channel_name: 'presence-lobby', collection: 'rooms', publisher: null, authorizer: 'return { user_info: { name: auth.user.first_name } };' })
		).id;
		docId = (await createItem<{ id: number }>(d, 'docs', { title: 'first' })).id;
		roomId = (await createItem<{ id: number }>(d, 'rooms', { name: 'blue' })).id;
		// The create's three events go out after Directus answered: wait for them, so the first
		// test's subscriber cannot receive them late and its counts start from a settled queue.
		const sent = async () => (await d.request('GET', '/realtime/health')).body.queue;
		await waitFor(async () => {
			const q = await sent();
			return q.sent >= 3 && q.queued === 0 && q.inFlight === 0;
		}, 15_000, () => 'the create\'s events were not sent');
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('runs a row\'s publisher on an item as it is now: the events it would send, its console lines, and sends nothing', async () => {
		const client = await connectClient(stack.soketi);
		clients.push(client);
		const changed = new EventLog(await subscribe(client, `doc-${docId}`), 'changed');
		const before = (await stack.directus.request('GET', '/realtime/health')).body.queue.sent;

		const res = await dryRun({ row: rowId, action: 'update', key: docId });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body, {
			data: {
				events: [
					{ channel: `doc-${docId}`, event: 'changed', data: { title: 'first', action: 'update' } },
					{ channel: 'board', event: 'any', data: { id: docId } },
					{ channel: '#server-to-user-u-1', event: 'note', data: { n: 1 } },
				],
				logs: [{ level: 'log', message: `publishing ${docId} update` }],
				error: null,
			},
		});
		// Nothing reached the queue or a client; a real change does.
		await createItem(stack.directus, 'docs', { title: 'second' });
		await stack.directus.request('PATCH', `/items/docs/${docId}`, { title: 'renamed' });
		await changed.waitFor(1);
		assert.deepEqual(changed.events, [{ title: 'renamed', action: 'update' }]);
		const health = (await stack.directus.request('GET', '/realtime/health')).body;
		assert.equal(health.queue.sent - before, 6, 'only the real create and update sent (three events each)');
	});

	it('runs unsaved script text, and answers a script error with its message, line and column', async () => {
		const ok = await dryRun({ publisher: "trigger({ id: meta.key }, 'x', meta.payload);", collection: 'docs', fields: ['title'], channel_name: 'draft-:id', action: 'create', key: docId });
		assert.equal(ok.status, 200, ok.text);
		assert.deepEqual(ok.body.data.events, [{ channel: `draft-${docId}`, event: 'x', data: { title: 'renamed', id: docId } }]);

		const thrown = await dryRun({ publisher: "console.log('before');\nconst x = null;\n  x.boom();", collection: 'docs', channel_name: 'draft-:id', action: 'delete', key: docId });
		assert.equal(thrown.status, 200, thrown.text);
		assert.deepEqual(thrown.body.data.logs, [{ level: 'log', message: 'before' }]);
		assert.equal(thrown.body.data.error.line, 3);
		assert.equal(thrown.body.data.error.column, 5);
		assert.match(thrown.body.data.error.message, /^TypeError: Cannot read properties of null/);

		const syntax = await dryRun({ publisher: 'trigger({}, "x", 1);\nif (', collection: 'docs', channel_name: 'draft', action: 'create', key: docId });
		assert.equal(syntax.status, 200, syntax.text);
		assert.deepEqual(Object.keys(syntax.body.data.error).sort(), ['column', 'line', 'message']);
		assert.equal(syntax.body.data.error.line, 2);
		assert.deepEqual(syntax.body.data.events, []);
	});

	it('applies the real checks: a refused name or payload reaches the script (and the answer), not Pusher', async () => {
		const res = await dryRun({
			publisher: "try { trigger({ id: 'a b' }, 'x', {}); } catch (e) { console.warn(e.message); }\ntrigger({ id: 1 }, 'x', 'y'.repeat(200000));",
			collection: 'docs',
			channel_name: 'draft-:id',
			action: 'create',
			key: docId,
		});
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.data.logs[0].level, 'warn');
		assert.match(res.body.data.error.message, /above the limit/);
		assert.equal(res.body.data.error.line, 2);
	});

	it('keeps the time limit and bounds console output of a looping or shouting script', async () => {
		const loop = await dryRun({ publisher: "for (;;) console.log('again and again');", collection: 'docs', channel_name: 'draft', action: 'create', key: docId });
		assert.equal(loop.status, 200, loop.text);
		assert.match(loop.body.data.error.message, /did not finish within/);
		assert.equal(loop.body.data.logs.length, 101);
		assert.match(loop.body.data.logs[100].message, /further output cut/);

		const huge = await dryRun({ publisher: "const s = 'x'.repeat(1e6); for (let i = 0; i < 40; i++) console.error(s);", collection: 'docs', channel_name: 'draft', action: 'create', key: docId });
		assert.equal(huge.status, 200, huge.text);
		assert.ok(huge.text.length < 20_000, `${huge.text.length} characters answered`);
		for (const line of huge.body.data.logs) assert.ok(Buffer.byteLength(line.message) <= 1024);
	});

	it('runs an authorizer as a user: their auth (without secrets), can() with their permissions, and the row that decides', async () => {
		const name = `private-room-${roomId}`;
		const granted = await dryRun({ row: roomRow, channel_name: name, user: reader.id });
		assert.equal(granted.status, 200, granted.text);
		assert.equal(granted.body.data.granted, true);
		assert.equal(granted.body.data.matched_row, roomRow);
		assert.equal(granted.body.data.error, null);
		assert.equal(granted.body.data.logs[0].message.split(' ')[1], reader.email);
		for (const secret of ['"password"', '"token"', '"tfa_secret"', '"auth_data"', reader.token]) assert.ok(!granted.text.includes(secret), `answer carries ${secret}`);

		const refused = await dryRun({ row: roomRow, channel_name: name, user: stranger.id });
		assert.equal(refused.body.data.granted, false);

		// The catch-all would grant, but the more specific row decides for this name.
		const catchAllRun = await dryRun({ row: catchAll, channel_name: name, user: stranger.id });
		assert.equal(catchAllRun.body.data.granted, true);
		assert.equal(catchAllRun.body.data.matched_row, roomRow);

		const presence = await dryRun({ row: presenceRow, channel_name: 'presence-lobby', user: reader.id });
		assert.deepEqual(presence.body.data.channel_data, { user_id: reader.id, user_info: { name: 'Reader' } });

		const unsaved = await dryRun({ authorizer: "console.info(params.x);\nreturn params.x === 'ok';", channel_name_pattern: 'private-draft-:x', channel_name: 'private-draft-ok', user: stranger.id });
		assert.equal(unsaved.status, 200, unsaved.text);
		assert.deepEqual(unsaved.body.data, { granted: true, matched_row: catchAll, logs: [{ level: 'info', message: 'ok' }], error: null });

		const broken = await dryRun({ authorizer: 'return 1;\n}); (function () {', channel_name_pattern: 'private-draft-:x', channel_name: 'private-draft-ok', user: stranger.id });
		assert.equal(broken.body.data.granted, false);
		assert.equal(broken.body.data.error.line, 1);
	});

	it('answers in the shapes the Realtime module reads (shared/src/wire.ts)', async () => {
		for (const body of [
			{ row: rowId, action: 'update', key: docId },
			{ publisher: "console.log('before');\nnull.boom();", collection: 'docs', channel_name: 'draft-:id', action: 'delete', key: docId },
		]) {
			const res = await dryRun(body);
			assert.equal(res.status, 200, res.text);
			assert.deepEqual(publisherDryRunReply.parse(res.body), res.body);
		}
		for (const body of [
			{ row: presenceRow, channel_name: 'presence-lobby', user: reader.id },
			{ row: roomRow, channel_name: `private-room-${roomId}`, user: stranger.id },
			{ authorizer: 'return 1;\n}); (function () {', channel_name_pattern: 'private-draft-:x', channel_name: 'private-draft-ok', user: stranger.id },
		]) {
			const res = await dryRun(body);
			assert.equal(res.status, 200, res.text);
			assert.deepEqual(authorizerDryRunReply.parse(res.body), res.body);
		}
	});

	it('answers 404 for a row, an item or a user that does not exist, and 400 for malformed input', async () => {
		const missing = '00000000-0000-4000-8000-000000000000';
		for (const body of [
			{ row: missing, action: 'create', key: 1 },
			{ row: rowId, action: 'create', key: 999999 },
			{ row: rowId, action: 'create', key: 'not-a-number' },
			{ row: roomRow, channel_name: `private-room-${roomId}`, user: missing },
		]) {
			const res = await dryRun(body);
			assert.equal(res.status, 404, `${JSON.stringify(body)}: ${res.text}`);
			assert.equal(res.body.errors[0].extensions.code, 'NOT_FOUND');
		}
		for (const body of [
			[],
			'text',
			{},
			{ row: 'x; drop table', action: 'create', key: 1 },
			{ row: `${rowId}'`, action: 'create', key: 1 },
			{ row: rowId, action: 'explode', key: 1 },
			{ row: rowId, action: 'create', key: { $ne: 1 } },
			{ row: rowId, action: 'create', key: 1, extra: true },
			{ row: rowId, publisher: 'return 1;', action: 'create', key: 1 },
			{ row: rowId, action: 'create', key: 1, user: reader.id },
			{ publisher: 'x', collection: 'directus_sessions', channel_name: 'a', action: 'create', key: 1 },
			{ publisher: 'x', collection: 'realtime_channels', channel_name: 'a', action: 'create', key: 1 },
			{ publisher: 'x', collection: 'nope', channel_name: 'a', action: 'create', key: 1 },
			{ publisher: 'x', collection: 'docs', channel_name: 'bad name(', action: 'create', key: 1 },
			{ publisher: 'x', collection: 'docs', channel_name: 'a', fields: ['*', 5], action: 'create', key: 1 },
			{ row: roomRow, channel_name: 'private-other-1', user: reader.id },
			{ row: roomRow, channel_name: 'private-room-1', user: 'admin' },
			{ row: roomRow, channel_name: 'private room', user: reader.id },
			{ row: rowId, channel_name: 'doc-1', user: reader.id },
		]) {
			const res = await dryRun(body);
			assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
			assert.ok(res.body.errors[0].extensions.reason.length > 0);
		}
	});

	it('refuses non-admins and anonymous callers with the same 403', async () => {
		const body = { publisher: "console.log('ran');", collection: 'docs', channel_name: 'a', action: 'create', key: docId };
		const asUser = await dryRun(body, reader.token);
		const anonymous = await dryRun(body, null);
		const noJson = await rawRequest({ url: stack.directus.url, method: 'POST', path: '/realtime/dry-run', headers: { 'content-type': 'text/plain' }, body: 'x' });
		assert.equal(asUser.status, 403);
		assert.equal(anonymous.status, 403);
		assert.equal(noJson.status, 403);
		assert.deepEqual(asUser.body, anonymous.body);
		assert.deepEqual(noJson.json, anonymous.body);
		assert.equal(asUser.body.errors[0].extensions.code, 'FORBIDDEN');
		assert.equal(asUser.body.data, undefined);
	});

	it('answers 413 for a body over 64 KB without reading it, declared or chunked', async () => {
		const big = JSON.stringify({ publisher: `// ${'x'.repeat(70 * 1024)}`, collection: 'docs', channel_name: 'a', action: 'create', key: 1 });
		const headers = { 'content-type': 'application/json', authorization: 'Bearer rt-test-admin-token' };
		const declared = await rawRequest({ url: stack.directus.url, method: 'POST', path: '/realtime/dry-run', headers, body: big });
		assert.equal(declared.status, 413, declared.text);
		const chunked = await rawRequest({ url: stack.directus.url, method: 'POST', path: '/realtime/dry-run', headers, stream: { totalBytes: 4 * 1024 * 1024, chunkBytes: 16 * 1024 } });
		assert.equal(chunked.status, 413, chunked.text);
		assert.ok(chunked.sentBeforeAnswer < chunked.bodyBytes);
		const anonymousBig = await rawRequest({ url: stack.directus.url, method: 'POST', path: '/realtime/dry-run', headers: { 'content-type': 'application/json' }, body: big });
		assert.equal(anonymousBig.status, 403);
		// Just under the limit is run.
		const fits = await dryRun({ publisher: `// ${'x'.repeat(60 * 1024)}\nconsole.log('fits');`, collection: 'docs', channel_name: 'a', action: 'create', key: docId });
		assert.equal(fits.status, 200, fits.text.slice(0, 300));
		assert.deepEqual(fits.body.data.logs, [{ level: 'log', message: 'fits' }]);
	});
});
