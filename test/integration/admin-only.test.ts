import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDatabase } from '../harness/databases.js';
import { createChannel, createCollection, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';

// Script text that must never reach the mis-granted role, by any path.
const MARK = 'script-marker-4f1c9e';
const authorizer = (n: number) => `// ${MARK}-a${n}\nreturn true;`;
const publisher = (n: number) => `// ${MARK}-p${n}\ntrigger({}, "e", {});`;

describe('channel rows for a role granted realtime_channels by mistake', () => {
	let stack: Stack;
	let granted: TestUser;
	let rows: Array<{ id: string }>;
	const as = (method: string, path: string, body?: unknown) => stack.directus.request(method, path, body, { token: granted.token });
	const noScript = (res: { text: string }, what: string) => assert.ok(!res.text.includes(MARK), `${what} shows script text: ${res.text.slice(0, 600)}`);
	const graphql = (path: string, query: string) => as('POST', path, { query });

	before(async () => {
		({
			stack,
			users: { granted },
		} = await startStackWithUsers({
			prepare: (d) => createCollection(d, 'items_b', [{ field: 'text', type: 'string' }]),
			users: {
				granted: {
					grants: [
						...(['create', 'read', 'update', 'delete', 'share'] as const).map((action) => ({ collection: 'realtime_channels', action })),
						{ collection: 'directus_revisions', action: 'read' },
						{ collection: 'directus_activity', action: 'read' },
						{ collection: 'directus_shares', action: 'create' },
						{ collection: 'directus_shares', action: 'read' },
					],
				},
			},
		}));
		const d = stack.directus;
		rows = [];
		for (const n of [1, 2, 3]) {
			rows.push(await createChannel(d, { channel_name: `private-admin-only-${n}`, collection: 'items_b', authorizer: authorizer(n), publisher: publisher(n), sort: n }));
		}
		// An admin's edit: activity (and, before this protection, a revision with the script).
		assert.equal((await d.request('PATCH', `/items/realtime_channels/${rows[0]!.id}`, { publisher: publisher(11) })).status, 200);
	});

	after(async () => stack?.stop());

	it('cannot read them through /items, one or many, nor export them with ?export', async () => {
		for (const path of ['/items/realtime_channels', `/items/realtime_channels/${rows[0]!.id}`, '/items/realtime_channels?export=json', '/items/realtime_channels?fields=*.*']) {
			const res = await as('GET', path);
			assert.equal(res.status, 403, path);
			noScript(res, path);
		}
	});

	it('cannot export them through /utils/export', async () => {
		await as('POST', '/utils/export/realtime_channels', { format: 'json', query: { fields: ['*'] } });
		// The export runs after the answer; it fails, and no file is written for the role.
		await stack.directus.waitForLog((l) => String(l.msg).includes("Couldn't export realtime_channels"));
		const files = await stack.directus.request('GET', `/files?filter[uploaded_by][_eq]=${granted.id}`);
		assert.deepEqual(files.body.data, []);
	});

	it('cannot read or change them through GraphQL', async () => {
		const read = await graphql('/graphql', '{ realtime_channels { id authorizer publisher } }');
		assert.ok(read.body.errors?.length, read.text);
		noScript(read, 'a GraphQL query');
		const byId = await graphql('/graphql', `{ realtime_channels_by_id(id: "${rows[1]!.id}") { publisher } }`);
		assert.ok(byId.body.errors?.length, byId.text);
		noScript(byId, 'a GraphQL query by id');
		const update = await graphql('/graphql', `mutation { update_realtime_channels_item(id: "${rows[1]!.id}", data: { publisher: "x" }) { id } }`);
		assert.ok(update.body.errors?.length, update.text);
		const remove = await graphql('/graphql', `mutation { delete_realtime_channels_item(id: "${rows[1]!.id}") { id } }`);
		assert.ok(remove.body.errors?.length, remove.text);
		const create = await graphql('/graphql', 'mutation { create_realtime_channels_item(data: { channel_name: "gql-made", collection: "items_b" }) { id } }');
		assert.ok(create.body.errors?.length, create.text);
		const row = await stack.directus.request('GET', `/items/realtime_channels/${rows[1]!.id}`);
		assert.equal(row.body.data.publisher, publisher(2));
		const made = await stack.directus.request('GET', '/items/realtime_channels?filter[channel_name][_eq]=gql-made');
		assert.deepEqual(made.body.data, []);
	});

	it('sees no script text in revisions or activity, top-level or nested, REST or GraphQL', async () => {
		const paths = [
			'/revisions?fields=data,delta&limit=-1',
			'/revisions?fields=*,activity.*&filter[collection][_eq]=realtime_channels',
			'/activity?fields=*,revisions.*&limit=-1',
			'/activity?fields=*.*.*&filter[collection][_eq]=realtime_channels',
			'/revisions?fields=*.*.*&limit=-1',
		];
		for (const path of paths) {
			const res = await as('GET', path);
			assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 300)}`);
			noScript(res, path);
		}
		const system = await graphql('/graphql/system', '{ revisions(limit: -1) { data delta } activity(limit: -1) { collection revisions { data delta } } }');
		noScript(system, 'GraphQL revisions and activity');
		// Who changed which row, and when, is still recorded.
		const activity = await stack.directus.request('GET', `/activity?filter[collection][_eq]=realtime_channels&filter[item][_eq]=${rows[0]!.id}&fields=action`);
		assert.deepEqual(activity.body.data.map((a: { action: string }) => a.action).sort(), ['create', 'update']);
	});

	it('cannot reorder them through /utils/sort', async () => {
		const res = await as('POST', '/utils/sort/realtime_channels', { item: rows[2]!.id, to: rows[0]!.id });
		assert.equal(res.status, 403, res.text);
		const sorts = await stack.directus.request('GET', '/items/realtime_channels?fields=id,sort&filter[channel_name][_starts_with]=private-admin-only-&sort=sort');
		assert.deepEqual(sorts.body.data.map((r: { id: string }) => r.id), rows.map((r) => r.id));
	});

	it('cannot create, change or delete them through /items, one or in a batch', async () => {
		const id = rows[2]!.id;
		assert.equal((await as('POST', '/items/realtime_channels', { channel_name: 'sneaky', collection: 'items_b' })).status, 403);
		assert.equal((await as('PATCH', `/items/realtime_channels/${id}`, { publisher: 'x' })).status, 403);
		assert.equal((await as('PATCH', '/items/realtime_channels', { keys: [id], data: { enabled: false } })).status, 403);
		assert.equal((await as('DELETE', `/items/realtime_channels/${id}`)).status, 403);
		assert.equal((await as('DELETE', '/items/realtime_channels', [id])).status, 403);
		const row = (await stack.directus.request('GET', `/items/realtime_channels/${id}`)).body.data;
		assert.equal(row.publisher, publisher(3));
		assert.equal(row.enabled, true);
	});

	it('cannot share them, and a share an admin made does not show them', async () => {
		const own = await as('POST', '/shares', { name: 'leak', collection: 'realtime_channels', item: rows[0]!.id, role: granted.role });
		assert.equal(own.status, 403, own.text);

		const adminRole = (await stack.directus.request('GET', '/users/me?fields=role')).body.data.role;
		const share = await stack.directus.request('POST', '/shares', { name: 'admin-made', collection: 'realtime_channels', item: rows[0]!.id, role: adminRole });
		assert.equal(share.status, 200, share.text);
		const login = await stack.directus.request('POST', '/shares/auth', { share: share.body.data.id, mode: 'json' }, { token: null });
		assert.equal(login.status, 200, login.text);
		const token = login.body.data.access_token;
		for (const path of [`/items/realtime_channels/${rows[0]!.id}`, '/items/realtime_channels']) {
			const res = await stack.directus.request('GET', path, undefined, { token });
			assert.equal(res.status, 403, `${path}: ${res.text.slice(0, 300)}`);
			noScript(res, `a share's ${path}`);
		}
	});

	it('tells the role it has no access to them (what the Data Studio shows)', async () => {
		const me = await as('GET', '/permissions/me');
		assert.equal(me.status, 200, me.text);
		assert.equal(me.body.data.realtime_channels, undefined, JSON.stringify(me.body.data).slice(0, 300));
	});

	it('gives anonymous callers nothing either when the public policy is granted them', async () => {
		const d = stack.directus;
		const policies = await d.request('GET', '/policies?fields=id,name&limit=-1');
		const publicPolicy = policies.body.data.find((p: { name: string }) => p.name === '$t:public_label');
		assert.ok(publicPolicy, 'the public policy');
		const granted: string[] = [];
		try {
			for (const [collection, action] of [['realtime_channels', 'read'], ['realtime_channels', 'update'], ['directus_revisions', 'read'], ['directus_activity', 'read']]) {
				const res = await d.request('POST', '/permissions', { policy: publicPolicy.id, collection, action, fields: ['*'], permissions: {}, validation: {} });
				assert.equal(res.status, 200, res.text);
				granted.push(res.body.data.id);
			}
			const anonymous = (method: string, path: string, body?: unknown) => d.request(method, path, body, { token: null });
			for (const path of ['/items/realtime_channels', `/items/realtime_channels/${rows[0]!.id}`]) assert.equal((await anonymous('GET', path)).status, 403, path);
			assert.equal((await anonymous('PATCH', `/items/realtime_channels/${rows[0]!.id}`, { enabled: false })).status, 403);
			assert.equal((await anonymous('POST', '/utils/sort/realtime_channels', { item: rows[2]!.id, to: rows[0]!.id })).status, 403);
			for (const path of ['/revisions?fields=data,delta&limit=-1', '/activity?fields=*,revisions.*&limit=-1']) noScript(await anonymous('GET', path), `anonymous ${path}`);
			noScript(await anonymous('POST', '/graphql', { query: '{ realtime_channels { publisher } }' }), 'anonymous GraphQL');
		} finally {
			if (granted.length) await d.request('DELETE', '/permissions', granted);
		}
	});

	it('leaves administrators full access: read, reorder, revisions of their own choosing', async () => {
		const list = await stack.directus.request('GET', '/items/realtime_channels?filter[channel_name][_starts_with]=private-admin-only-');
		assert.equal(list.body.data.length, 3);
		assert.ok(list.text.includes(MARK));
		assert.equal((await stack.directus.request('POST', '/utils/sort/realtime_channels', { item: rows[2]!.id, to: rows[1]!.id })).status, 200);
		assert.equal((await stack.directus.request('POST', '/utils/sort/realtime_channels', { item: rows[1]!.id, to: rows[2]!.id })).status, 200);
		// Policies pages still list the mis-grant, so an admin can see and remove it.
		const grants = await stack.directus.request('GET', '/permissions?filter[collection][_eq]=realtime_channels&limit=-1');
		assert.equal(grants.body.data.length, 5);
	});

	it('keeps script text out of revisions even when an admin turns revisions back on', async () => {
		const d = stack.directus;
		assert.equal((await d.request('PATCH', '/collections/realtime_channels', { meta: { accountability: 'all' } })).status, 200);
		try {
			assert.equal((await d.request('PATCH', `/items/realtime_channels/${rows[1]!.id}`, { publisher: publisher(22), enabled: false })).status, 200);
			const revisions = await d.request('GET', `/revisions?filter[collection][_eq]=realtime_channels&filter[item][_eq]=${rows[1]!.id}&fields=data,delta`);
			assert.equal(revisions.body.data.length, 1, 'the admin\'s history is kept');
			assert.equal(revisions.body.data[0].delta.enabled, false);
			assert.equal(revisions.body.data[0].data.channel_name, 'private-admin-only-2');
			noScript(revisions, 'a revision (as admin)');
			for (const path of ['/revisions?fields=data,delta&limit=-1', '/activity?fields=*,revisions.*&limit=-1']) noScript(await as('GET', path), path);
		} finally {
			await d.request('PATCH', '/collections/realtime_channels', { meta: { accountability: 'activity' } });
		}
	});

	it('brings an install made before to the same protection: activity only, script text gone from stored revisions', async () => {
		const d = stack.directus;
		await d.halt();
		const db = connectDatabase(d.dbEnv);
		try {
			await db('directus_collections').where({ collection: 'realtime_channels' }).update({ accountability: 'all' });
			const [activity] = await db('directus_activity').insert({ action: 'update', collection: 'realtime_channels', item: rows[2]!.id, ip: '127.0.0.1' }).returning('id');
			const old = { id: rows[2]!.id, channel_name: 'private-admin-only-3', authorizer: authorizer(33), publisher: publisher(33) };
			await db('directus_revisions').insert({ activity: activity.id ?? activity, collection: 'realtime_channels', item: rows[2]!.id, data: JSON.stringify(old), delta: JSON.stringify({ publisher: publisher(33) }) });
		} finally {
			await db.destroy();
		}
		// The next start brings it up to date (as `migrate:latest` with the migration file would).
		await d.restart();
		const check = connectDatabase(d.dbEnv);
		try {
			assert.equal((await check('directus_collections').where({ collection: 'realtime_channels' }).first()).accountability, 'activity');
		} finally {
			await check.destroy();
		}
		const revisions = await d.request('GET', `/revisions?filter[collection][_eq]=realtime_channels&filter[item][_eq]=${rows[2]!.id}&fields=data`);
		assert.equal(revisions.body.data.length, 1, 'the revision stays');
		assert.equal(revisions.body.data[0].data.channel_name, 'private-admin-only-3');
		noScript(revisions, 'an upgraded revision');
	});
});
