/**
 * Rows on Directus' own collections publish like any collection: an upload, a user update and a
 * comment reach real pusher-js clients, a delete carries the item as it was, and no secret
 * leaves whatever the row's fields say. Collections with secrets are refused on save.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { connectDatabase } from '../harness/databases.js';
import { ADMIN_TOKEN } from '../harness/directus.js';
import { createChannel, createCollection, createItem, createUser, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';
import { keysOf } from '../harness/json.js';

const SECRET_KEYS = ['password', 'token', 'tfa_secret', 'auth_data'];
const TFA_SECRET = 'JBSWY3DPEHPK3PXPSYSTEMSRC';
const AUTH_DATA = 'sso-refresh-token-system-sources';

describe('system collections as channel sources', () => {
	let stack: Stack;
	let client: PusherClient;
	let ada: TestUser;
	let secrets: string[];
	const clients: PusherClient[] = [];

	const assertClean = (value: unknown, what: string) => {
		const text = JSON.stringify(value);
		for (const secret of secrets) assert.ok(!text.includes(secret), `${what} carries a secret value: ${text.slice(0, 300)}`);
		const keys = keysOf(value);
		for (const key of SECRET_KEYS) assert.ok(!keys.has(key), `${what} carries ${key}: ${text.slice(0, 300)}`);
	};

	before(async () => {
		({
			stack,
			users: { ada },
		} = await startStackWithUsers({ prepare: (d) => createCollection(d, 'docs', [{ field: 'title', type: 'string' }]), users: { ada: { first_name: 'Ada' } } }));
		const d = stack.directus;
		const db = connectDatabase(d.dbEnv);
		try {
			await db('directus_users').where({ id: ada.id }).update({ auth_data: JSON.stringify({ refresh_token: AUTH_DATA }), tfa_secret: TFA_SECRET });
			const hashes = (await db('directus_users').select('password')).map((r: { password: string | null }) => r.password).filter(Boolean) as string[];
			secrets = [ada.token, ada.password, TFA_SECRET, AUTH_DATA, ADMIN_TOKEN, ...hashes];
		} finally {
			await db.destroy();
		}
		const all = { trigger_on_create: true, trigger_on_update: true, trigger_on_delete: true };
		await createChannel(d, { channel_name: 'files', collection: 'directus_files', fields: ['*', 'uploaded_by.*'], publisher: "trigger({}, action, meta.payload);", ...all });
		await createChannel(d, { channel_name: 'users', collection: 'directus_users', fields: ['*', '*.*'], publisher: "trigger({}, action, { item: meta.payload, changed: meta.changed });", ...all });
		await createChannel(d, { channel_name: 'comments', collection: 'directus_comments', fields: ['*', 'user_created.*'], publisher: "trigger({}, action, meta.payload);", ...all });
		client = await connectClient(stack.soketi);
		clients.push(client);
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('refuses rows on system collections with secrets or without item events, and on realtime_channels', async () => {
		for (const collection of ['directus_sessions', 'directus_settings', 'directus_shares', 'directus_revisions', 'directus_activity', 'realtime_channels']) {
			const res = await stack.directus.request('POST', '/items/realtime_channels', { channel_name: `x-${collection}`, collection, publisher: 'return;' });
			assert.equal(res.status, 400, `${collection}: ${res.text}`);
			assert.match(res.body.errors[0].extensions.validation_message ?? res.body.errors[0].message, /cannot be a source|channel rows themselves/);
		}
	});

	it('an upload (multipart POST /files) publishes the file, its uploader without secrets', async () => {
		const created = new EventLog(await subscribe(client, 'files'), 'create');
		const form = new FormData();
		form.append('title', 'Report');
		form.append('file', new Blob(['hello realtime'], { type: 'text/plain' }), 'report.txt');
		const res = await fetch(`${stack.directus.url}/files`, { method: 'POST', headers: { authorization: `Bearer ${ada.token}` }, body: form });
		// Ada has no permission to upload: refused, nothing published.
		assert.equal(res.status, 403);
		const upload = await fetch(`${stack.directus.url}/files`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
		assert.equal(upload.status, 200, await upload.clone().text());
		const file = ((await upload.json()) as any).data;
		const [event] = await created.waitFor(1);
		assert.equal(event.id, file.id);
		assert.equal(event.filename_download, 'report.txt');
		assert.equal(event.title, 'Report');
		assert.equal(typeof event.uploaded_by, 'object');
		assertClean(event, 'the upload event');
		assert.equal(created.events.length, 1);

		const deleted = new EventLog(client.channel('files'), 'delete');
		assert.equal((await stack.directus.request('DELETE', `/files/${file.id}`)).status, 204);
		const [gone] = await deleted.waitFor(1);
		assert.equal(gone.id, file.id);
		assert.equal(gone.filename_download, 'report.txt');
		assertClean(gone, 'the file delete event');
	});

	it('a user update publishes the user and the change without secrets, even with fields * and *.*', async () => {
		const updated = new EventLog(await subscribe(client, 'users'), 'update');
		const res = await stack.directus.request('PATCH', `/users/${ada.id}`, { first_name: 'Ada L.', password: 'new-secret-password-123', token: 'new-static-token-456' });
		assert.equal(res.status, 200, res.text);
		secrets.push('new-secret-password-123', 'new-static-token-456');
		const [event] = await updated.waitFor(1);
		assert.equal(event.item.id, ada.id);
		assert.equal(event.item.first_name, 'Ada L.');
		assert.equal(event.changed.first_name, 'Ada L.');
		assert.equal(typeof event.item.role, 'object', 'relations resolved with *.*');
		assertClean(event, 'the user update event');
	});

	it('a comment publishes, and its delete carries the comment as it was', async () => {
		const created = new EventLog(await subscribe(client, 'comments'), 'create');
		const doc = await createItem<{ id: number }>(stack.directus, 'docs', { title: 'commented' });
		const comment = await stack.directus.request('POST', '/comments', { collection: 'docs', item: String(doc.id), comment: 'Looks good' });
		assert.equal(comment.status, 200, comment.text);
		const [event] = await created.waitFor(1);
		assert.equal(event.comment, 'Looks good');
		assert.equal(event.collection, 'docs');
		assertClean(event, 'the comment event');

		const deleted = new EventLog(client.channel('comments'), 'delete');
		assert.equal((await stack.directus.request('DELETE', `/comments/${comment.body.data.id}`)).status, 204);
		const [gone] = await deleted.waitFor(1);
		assert.equal(gone.comment, 'Looks good');
		assert.equal(gone.id, comment.body.data.id);
	});

	it('a user delete carries the user as it was, without secrets; a refused delete publishes nothing', async () => {
		const deleted = new EventLog(client.channel('users'), 'delete');
		const bob = await createUser(stack.directus, { first_name: 'Bob' });
		// Bob may not delete users: Directus refuses, and nothing is read or sent.
		const refused = await stack.directus.request('DELETE', `/users/${ada.id}`, undefined, { token: bob.token });
		assert.equal(refused.status, 403);
		assert.equal((await stack.directus.request('DELETE', `/users/${ada.id}`)).status, 204);
		const [gone] = await deleted.waitFor(1);
		assert.equal(gone.item.id, ada.id);
		assert.equal(gone.item.first_name, 'Ada L.');
		assertClean(gone, 'the user delete event');
		assert.equal(deleted.events.length, 1);
	});
});
