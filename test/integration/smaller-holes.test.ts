/**
 * Three smaller holes, each on the real stack:
 * - a field with Directus 12's special `encrypt` (Directus decrypts it for reads made without
 *   accountability, as publishers' are) never reaches a publisher's payload or a query();
 * - content versions of realtime_channels are refused (create, save, move), admins included, so
 *   no script text reaches directus_versions or revisions through them;
 * - bodies in a content coding (gzip, deflate, br, unknown) on /realtime/auth, user-auth, dry-run
 *   and webhook are refused (415) before anything inflates them, so the documented limits hold.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { connectDatabase } from '../harness/databases.js';
import { ADMIN_TOKEN } from '../harness/directus.js';
import { createChannel, createCollection, createItem, createUser, type TestUser } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import { DIRECTUS_HOST } from '../harness/paths.js';
import { startStack, type Stack } from '../harness/stack.js';
import { keysOf } from '../harness/json.js';

const API_KEY = 'sk-live-encrypt-field-4f1c9a';
const API_KEY_2 = 'sk-live-encrypt-rotated-77d0';


interface Answer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	text: string;
	json: any;
}

/** A POST with a binary body: at once with its Content-Length, or chunked (no Content-Length). */
function post(url: string, path: string, headers: Record<string, string>, body: Buffer, chunked = false): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const { hostname, port } = new URL(url);
		const req = httpRequest({ host: hostname, port, path, method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: any;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
			});
		});
		req.on('error', reject);
		if (chunked) {
			// Several chunks, so the body really streams.
			for (let at = 0; at < body.length; at += 1024) req.write(body.subarray(at, at + 1024));
			req.end();
		} else req.end(body);
	});
}

describe('smaller holes', () => {
	let stack: Stack;
	let rowId: string;
	const clients: PusherClient[] = [];
	const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

	before(async () => {
		stack = await startStack({ directus: { env: { RT_MAX_PAYLOAD_KB: '100' } } });
		const d = stack.directus;
		// A field an administrator made with the special `encrypt`, as Directus 12's own keys have.
		await createCollection(d, 'vault', [
			{ field: 'label', type: 'string' },
			{ field: 'api_key', type: 'text', meta: { special: ['encrypt'], interface: 'input', options: { masked: true } } },
		]);
		await createCollection(d, 'notes', [{ field: 'text', type: 'string' }]);
		const row = await createChannel(d, {
			channel_name: 'vault-all',
			collection: 'vault',
			fields: ['*'],
			publisher: 'trigger({}, action, meta);',
			trigger_on_create: true,
			trigger_on_update: true,
			trigger_on_delete: false,
		});
		rowId = row.id;
		const quiet = { collection: 'vault', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };
		await createPresenceChannel(d, {
			collection: 'vault',
			channel_name: 'presence-vault-:n',
			authorizer: "const rows = await query('vault', { fields: ['*'] }); return { user_id: 'reader', user_info: { rows } };",
		});
		await createPresenceChannel(d, {
			collection: 'vault',
			channel_name: 'presence-vaultf-:n',
			authorizer: "const rows = await query('vault', { filter: { api_key: { _starts_with: 'sk-' } } }); return { user_id: 'reader', user_info: { n: rows.length } };",
		});
		await createChannel(d, { ...quiet, channel_name: 'private-gz-:n', authorizer: 'return true;' });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	describe('fields with the special encrypt', () => {
		it('Directus keeps the field encrypted (Directus 12), and a publisher\'s payload never carries it, created or changed', async () => {
			const client = await connectClient(stack.soketi);
			clients.push(client);
			const log = new EventLog(await subscribe(client, 'vault-all'), 'create');
			const updates = new EventLog(client.channel('vault-all'), 'update');
			const item = await createItem<{ id: number }>(stack.directus, 'vault', { label: 'openai', api_key: API_KEY });
			if (DIRECTUS_HOST.major >= 12) {
				const db = connectDatabase(stack.directus.dbEnv);
				try {
					const stored = (await db('vault').where({ id: item.id }).first('api_key')).api_key as string;
					assert.ok(stored && !stored.includes(API_KEY), 'Directus 12 stores the field encrypted: it is a real encrypt field');
				} finally {
					await db.destroy();
				}
			}
			const [created] = await log.waitFor(1);
			assert.equal(created.payload.label, 'openai', 'the rest of the item is sent');
			assert.ok(!keysOf(created).has('api_key'), `the event carries api_key: ${JSON.stringify(created)}`);
			assert.ok(!JSON.stringify(created).includes(API_KEY));

			const res = await stack.directus.request('PATCH', `/items/vault/${item.id}`, { api_key: API_KEY_2, label: 'rotated' });
			assert.equal(res.status, 200, res.text);
			const [updated] = await updates.waitFor(1);
			assert.equal(updated.payload.label, 'rotated');
			assert.ok(!keysOf(updated).has('api_key'), `the update carries api_key: ${JSON.stringify(updated)}`);
			for (const secret of [API_KEY, API_KEY_2]) assert.ok(!JSON.stringify(updated).includes(secret));
		});

		it('query() answers without the field, and refuses a filter on it', async () => {
			const auth = await stack.directus.request('POST', '/realtime/auth', { socket_id: '123.456', channel_name: 'presence-vault-1' });
			assert.equal(auth.status, 200, auth.text);
			const info = JSON.parse(auth.body.channel_data).user_info;
			assert.ok(info.rows.length >= 1 && info.rows.every((r: any) => typeof r.label === 'string'), JSON.stringify(info));
			assert.ok(!keysOf(info).has('api_key'), `query() carries api_key: ${JSON.stringify(info)}`);
			assert.ok(!auth.text.includes(API_KEY) && !auth.text.includes(API_KEY_2));

			const oracle = await stack.directus.request('POST', '/realtime/auth', { socket_id: '123.456', channel_name: 'presence-vaultf-1' });
			assert.equal(oracle.status, 403, oracle.text);
		});

		it('the log never carries the value either', () => {
			const text = JSON.stringify(stack.directus.logs());
			for (const secret of [API_KEY, API_KEY_2]) assert.ok(!text.includes(secret));
		});
	});

	describe('content versions of realtime_channels', () => {
		let notesVersion: string;

		before(async () => {
			// Versioning on, as an administrator might turn it on in the Data Model.
			for (const collection of ['realtime_channels', 'notes']) {
				const res = await stack.directus.request('PATCH', `/collections/${collection}`, { meta: { versioning: true } });
				assert.equal(res.status, 200, res.text);
			}
			const note = await createItem<{ id: number }>(stack.directus, 'notes', { text: 'n' });
			const version = await stack.directus.request('POST', '/versions', { key: 'draft-n', name: 'Draft', collection: 'notes', item: String(note.id) });
			assert.equal(version.status, 200, `versions of other collections still work: ${version.text}`);
			notesVersion = version.body.data.id;
		});

		const refused = (res: { status: number; text: string; body: any }) => {
			assert.equal(res.status, 403, res.text);
			assert.match(res.body.errors[0].extensions.reason ?? res.body.errors[0].message, /Content versions of realtime_channels are not allowed/);
		};

		it('creating one is refused with a reason, for administrators too, one or many', async () => {
			refused(await stack.directus.request('POST', '/versions', { key: 'draft-1', name: 'Draft', collection: 'realtime_channels', item: rowId }));
			refused(await stack.directus.request('POST', '/versions', [{ key: 'draft-2', name: 'Draft', collection: 'realtime_channels', item: rowId }]));
			const versions = await stack.directus.request('GET', '/versions?filter[collection][_eq]=realtime_channels');
			assert.deepEqual(versions.body.data, []);
		});

		it('moving a version of another collection onto a channel row is refused', async () => {
			// Directus 12 refuses a changed collection itself (400); the bundle's check stands behind it.
			const moved = await stack.directus.request('PATCH', `/versions/${notesVersion}`, { collection: 'realtime_channels', item: rowId });
			assert.ok(moved.status === 400 || moved.status === 403, moved.text);
			const version = await stack.directus.request('GET', `/versions/${notesVersion}`);
			assert.equal(version.body.data.collection, 'notes');
		});

		it('saving into a version made before (or in the database) is refused before anything is written', async () => {
			const id = randomUUID();
			const db = connectDatabase(stack.directus.dbEnv);
			try {
				await db('directus_versions').insert({ id, key: 'old', name: 'Old', collection: 'realtime_channels', item: rowId, hash: 'x' });
				const script = "trigger({}, 'leak', 'SCRIPT-TEXT-IN-A-VERSION');";
				for (const accountability of ['activity', 'all']) {
					await db('directus_collections').where({ collection: 'realtime_channels' }).update({ accountability });
					await stack.directus.request('POST', '/utils/cache/clear');
					refused(await stack.directus.request('POST', `/versions/${id}/save`, { publisher: script }));
					refused(await stack.directus.request('PATCH', `/versions/${id}`, { name: 'Renamed' }));
				}
				const stored = await db('directus_versions').where({ id }).first();
				assert.ok(!JSON.stringify(stored).includes('SCRIPT-TEXT-IN-A-VERSION'), 'the version keeps no script');
				assert.equal(stored.name, 'Old');
				const revisions = await db('directus_revisions').where({ collection: 'realtime_channels' }).select('data', 'delta');
				assert.ok(!JSON.stringify(revisions).includes('SCRIPT-TEXT-IN-A-VERSION'), 'no revision keeps the script');
				const saves = await db('directus_activity').where({ collection: 'realtime_channels', action: 'version_save' });
				assert.equal(saves.length, 0, 'no version save was recorded');
			} finally {
				await db('directus_collections').where({ collection: 'realtime_channels' }).update({ accountability: 'activity' });
				await db('directus_versions').where({ id }).delete();
				await db.destroy();
				await stack.directus.request('POST', '/utils/cache/clear');
			}
		});

		it('GraphQL creates none either', async () => {
			const res = await stack.directus.request('POST', '/graphql/system', {
				query: `mutation { create_versions_item(data: { key: "gql", name: "G", collection: "realtime_channels", item: "${rowId}" }) { id } }`,
			});
			assert.ok(res.body.errors?.length > 0, res.text);
			assert.match(JSON.stringify(res.body.errors), /Content versions of realtime_channels are not allowed|FORBIDDEN/);
			const versions = await stack.directus.request('GET', '/versions?filter[collection][_eq]=realtime_channels');
			assert.deepEqual(versions.body.data, []);
		});
	});

	describe('bodies in a content coding', () => {
		let user: TestUser;
		const form = (extra = '') => Buffer.from(`socket_id=123.456&channel_name=private-gz-1${extra}`);
		// Tiny compressed, large inflated: below Directus' MAX_PAYLOAD_SIZE (1 MB), far above the
		// documented limits (8 KB for the auth routes, 64 KB for dry-run, 256 KB for webhooks).
		const inflated = (n: number) => Buffer.from(JSON.stringify({ socket_id: '123.456', channel_name: 'private-gz-1', pad: 'a'.repeat(n) }));
		const bomb = gzipSync(inflated(600 * 1024), { level: 9 });
		const json = { 'content-type': 'application/json' };

		before(async () => {
			user = await createUser(stack.directus);
			assert.ok(bomb.length < 8 * 1024, `the bomb is ${bomb.length} bytes compressed`);
		});

		const expect415 = (res: Answer, what: string) => {
			assert.equal(res.status, 415, `${what}: ${res.status} ${res.text}`);
			assert.equal(res.json?.errors?.[0]?.extensions?.code, 'UNSUPPORTED_ENCODING', `${what}: ${res.text}`);
			assert.match(res.json.errors[0].extensions.reason, /send the body uncompressed/);
			assert.equal(res.headers['accept-encoding'], 'identity');
		};
		const expectAlive = async () => {
			assert.equal((await fetch(`${stack.directus.url}/server/ping`)).status, 200);
			assert.equal(stack.directus.process.isRunning(), true);
		};

		it('a gzip bomb to /realtime/auth, /realtime/user-auth and /realtime/dry-run is refused, with and without Content-Length', async () => {
			const bearer = { authorization: `Bearer ${user.token}` };
			for (const [path, auth] of [
				['/realtime/auth', bearer],
				['/realtime/user-auth', bearer],
				['/realtime/dry-run', admin],
			] as const) {
				for (const chunked of [false, true]) {
					const res = await post(stack.directus.url, path, { ...json, ...auth, 'content-encoding': 'gzip' }, bomb, chunked);
					expect415(res, `${path}${chunked ? ' chunked' : ''}`);
				}
			}
			await expectAlive();
		});

		it('every coding is refused, known or not, in any case or list; a plain or identity body is answered as before', async () => {
			const bearer = { authorization: `Bearer ${user.token}` };
			const body = form();
			const cases: Array<[string, Buffer]> = [
				['gzip', gzipSync(body)],
				['x-gzip', gzipSync(body)],
				['deflate', deflateSync(body)],
				['br', brotliCompressSync(body)],
				['GZIP', gzipSync(body)],
				['identity, gzip', gzipSync(body)],
				['zstd', body],
				['made-up', body],
			];
			for (const [coding, bytes] of cases) {
				for (const chunked of [false, true]) {
					const res = await post(stack.directus.url, '/realtime/auth', { 'content-type': 'application/x-www-form-urlencoded', ...bearer, 'content-encoding': coding }, bytes, chunked);
					expect415(res, `${coding}${chunked ? ' chunked' : ''}`);
				}
			}
			for (const coding of ['identity', 'Identity', '']) {
				const res = await post(stack.directus.url, '/realtime/auth', { 'content-type': 'application/x-www-form-urlencoded', ...bearer, 'content-encoding': coding }, body);
				assert.equal(res.status, 200, `${coding}: ${res.text}`);
				assert.ok(res.json.auth, res.text);
			}
			await expectAlive();
		});

		it('a body in a transfer coding other than chunked is never inflated into the route', async () => {
			const bearer = { authorization: `Bearer ${user.token}` };
			for (const te of ['gzip, chunked', 'deflate, chunked']) {
				const res = await post(stack.directus.url, '/realtime/auth', { ...json, ...bearer, 'transfer-encoding': te }, bomb, true).catch((error: Error) => ({ status: 0, text: error.message }) as Answer);
				assert.ok(res.status === 0 || (res.status >= 400 && res.status < 500), `${te}: ${res.status} ${res.text}`);
			}
			await expectAlive();
		});

		it('an anonymous coded body still gets the 401, unread', async () => {
			const res = await post(stack.directus.url, '/realtime/auth', { ...json, 'content-encoding': 'gzip' }, bomb);
			assert.equal(res.status, 401, res.text);
		});

		it('a webhook in a content coding is refused, even signed over the bytes sent; its signed plain twin is taken', async () => {
			const { key, secret } = stack.soketi.app;
			const events = Buffer.from(JSON.stringify({ time_ms: Date.now(), events: [{ name: 'channel_occupied', channel: 'news' }], pad: 'a'.repeat(300 * 1024) }));
			const coded = gzipSync(events, { level: 9 });
			assert.ok(coded.length < 256 * 1024);
			const sign = (bytes: Buffer) => createHmac('sha256', secret).update(bytes).digest('hex');
			for (const chunked of [false, true]) {
				for (const [coding, signedOver] of [
					['gzip', coded],
					['gzip', events],
				] as const) {
					const res = await post(stack.directus.url, '/realtime/webhook', { ...json, 'x-pusher-key': key, 'x-pusher-signature': sign(signedOver), 'content-encoding': coding }, coded, chunked);
					expect415(res, `webhook${chunked ? ' chunked' : ''}`);
				}
				const unknown = await post(stack.directus.url, '/realtime/webhook', { ...json, 'x-pusher-key': key, 'x-pusher-signature': sign(events), 'content-encoding': 'snappy' }, events.subarray(0, 1000), chunked);
				expect415(unknown, 'webhook, unknown coding');
			}
			const plain = Buffer.from(JSON.stringify({ time_ms: Date.now(), events: [{ name: 'channel_occupied', channel: 'news' }] }));
			const ok = await post(stack.directus.url, '/realtime/webhook', { ...json, 'x-pusher-key': key, 'x-pusher-signature': sign(plain) }, plain);
			assert.equal(ok.status, 200, ok.text);
			await expectAlive();
		});
	});
});
