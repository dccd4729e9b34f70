/**
 * Attacker pass over the admins-only tools and system sources: no secret reaches a dry-run's
 * answer through query() aliases or json() field functions; over-granted roles get the 403.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { connectDatabase } from '../harness/databases.js';
import { createChannel, type TestUser } from '../harness/fixtures.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';

const TFA_SECRET = 'JBSWY3DPEHPK3PXPATTACKTWELVE';
const AUTH_DATA = 'sso-refresh-token-attack-twelve';

describe('attacker pass on dry-run, tail and system sources', () => {
	let stack: Stack;
	let boss: TestUser;
	let greedy: TestUser;
	let secrets: string[];
	const clients: PusherClient[] = [];
	const dryRun = (body: unknown, token?: string | null) => stack.directus.request('POST', '/realtime/dry-run', body, token === undefined ? {} : { token });

	before(async () => {
		({
			stack,
			users: { boss, greedy },
		} = await startStackWithUsers({
			users: {
				boss: { first_name: 'Boss', admin: true },
				greedy: {
					first_name: 'Greedy',
					grants: (['create', 'read', 'update', 'delete'] as const).flatMap((action) => [
						{ collection: 'realtime_channels', action },
						{ collection: 'directus_users', action },
					]),
				},
			},
		}));
		const d = stack.directus;
		const db = connectDatabase(d.dbEnv);
		try {
			await db('directus_users').where({ id: boss.id }).update({ auth_data: JSON.stringify({ refresh_token: AUTH_DATA }), tfa_secret: TFA_SECRET });
			const hashes = (await db('directus_users').select('password')).map((r: { password: string | null }) => r.password).filter(Boolean) as string[];
			secrets = [boss.token, boss.password, TFA_SECRET, AUTH_DATA, ...hashes];
		} finally {
			await db.destroy();
		}
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	const assertClean = (text: string, what: string) => {
		for (const secret of secrets) assert.ok(!text.includes(secret), `${what} carries a secret value: ${text.slice(0, 600)}`);
	};

	it('an authorizer run as an admin user reads no secret through query() aliases or json()', async () => {
		const source = [
			"const q = (qq) => query('directus_users', qq).then((r) => JSON.stringify(r), (e) => 'refused: ' + e.message);",
			"console.log(await q({ filter: { id: { _eq: auth.user.id } }, alias: { a: 'auth_data', t: 'token', p: 'password', s: 'tfa_secret' }, fields: ['a', 't', 'p', 's'] }));",
			"console.log(await q({ filter: { id: { _eq: auth.user.id } }, fields: ['json(auth_data, refresh_token)'] }));",
			"console.log(await q({ filter: { id: { _eq: auth.user.id } }, alias: { j: 'json(auth_data, refresh_token)' }, fields: ['j'] }));",
			"console.log(await q({ filter: { id: { _eq: auth.user.id } }, deep: {}, fields: ['*'], aggregate: { max: ['auth_data', 'token'] } }));",
			"console.log(await q({ filter: { id: { _eq: auth.user.id } }, groupBy: ['auth_data', 'token'], aggregate: { count: ['*'] } }));",
			'return true;',
		].join('\n');
		const res = await dryRun({ authorizer: source, channel_name_pattern: 'private-x', channel_name: 'private-x', user: boss.id });
		assert.equal(res.status, 200, res.text);
		assertClean(res.text, 'the dry-run answer');
		const refused = res.body.data.logs.filter((line: { message: string }) => line.message.startsWith('refused: ') && line.message.includes('reads a secret field'));
		assert.equal(refused.length, 4, res.text);
	});

	it('a publisher on directus_users reads no secret through json() fields', async () => {
		const res = await dryRun({
			publisher: 'console.log(JSON.stringify(meta.payload)); trigger({}, "x", meta.payload);',
			collection: 'directus_users',
			fields: ['id', 'json(auth_data, refresh_token)'],
			channel_name: 'users',
			action: 'update',
			key: boss.id,
		});
		assertClean(res.text, 'the dry-run answer');
	});

	it('a real publish on directus_users carries no secret read through json() fields', async () => {
		await createChannel(stack.directus, {
			channel_name: 'users-json',
			collection: 'directus_users',
			fields: ['id', 'first_name', 'json(auth_data, refresh_token)'],
			publisher: 'trigger({}, action, meta.payload);',
			trigger_on_update: true,
		});
		const client = await connectClient(stack.soketi);
		clients.push(client);
		const updates = new EventLog(await subscribe(client, 'users-json'), 'update');
		assert.equal((await stack.directus.request('PATCH', `/users/${boss.id}`, { first_name: 'Bossy' })).status, 200);
		await updates.waitFor(1);
		assert.equal((updates.events[0] as { first_name: string }).first_name, 'Bossy');
		assertClean(JSON.stringify(updates.events), 'the published event');
	});

	it('an authorizer cannot filter or sort on a secret (Directus refuses some operators on concealed fields, not _nnull or sort)', async () => {
		const source = [
			"const q = (qq) => query('directus_users', qq).then((r) => r.length, (e) => 'refused: ' + e.message);",
			"console.log(await q({ filter: { 'json(auth_data, refresh_token)': { _starts_with: 'sso-refresh' } } }));",
			"console.log(await q({ filter: { _and: [{ id: { _eq: auth.user.id } }, { token: { _eq: TOKEN } }] } }));",
			"console.log(await q({ filter: { role: { users: { tfa_secret: { _nnull: true } } } } }));",
			"console.log(await q({ sort: ['-auth_data'] }));",
			'return true;',
		]
			.join('\n')
			.replace('TOKEN', JSON.stringify(boss.token));
		const res = await dryRun({ authorizer: source, channel_name_pattern: 'private-x', channel_name: 'private-x', user: boss.id });
		assert.equal(res.status, 200, res.text);
		const refused = res.body.data.logs.filter((line: { message: string }) => line.message.startsWith('refused: ') && line.message.includes('reads a secret field'));
		assert.equal(refused.length, 4, res.text);
	});

	it('survives console bombs in a dry-run: a huge string, throwing getters, cycles, symbols, BigInt', async () => {
		const source = [
			"console.log('x'.repeat(50 * 1024 * 1024));",
			"const o = {}; Object.defineProperty(o, 'a', { enumerable: true, get() { throw new Error('boom'); } }); console.log(o);",
			"const c = {}; c.c = c; console.log(c, Symbol('s'), 10n, undefined, null);",
			"console.log({ toJSON() { throw new Error('nope'); } });",
			"for (let i = 0; i < 1000000; i++) console.log(i);",
			'return true;',
		].join('\n');
		const res = await dryRun({ authorizer: source, channel_name_pattern: 'private-x', channel_name: 'private-x', user: boss.id });
		assert.equal(res.status, 200, res.text.slice(0, 500));
		assert.ok(res.body.data.logs.length <= 101, String(res.body.data.logs.length));
		assert.ok(res.text.length < 40_000, String(res.text.length));
		const missing = await dryRun({ authorizer: 'return auth.admin;', channel_name_pattern: 'private-x', channel_name: 'private-x', user: '00000000-0000-4000-8000-000000000000' });
		assert.equal(missing.status, 404, missing.text);
		const asAdmin = await dryRun({ authorizer: 'console.log(String(auth.admin), typeof process, typeof require, typeof globalThis.process); return true;', channel_name_pattern: 'private-x', channel_name: 'private-x', user: boss.id });
		assert.deepEqual(asAdmin.body.data.logs, [{ level: 'log', message: 'true undefined undefined undefined' }], asAdmin.text);
	});

	it('answers a deeply nested or prototype-laden `changed` without failing the server', async () => {
		const depth = 20_000;
		const raw = `{"publisher":"console.log(typeof meta.changed, Object.keys(meta.changed).join());","collection":"directus_users","channel_name":"u","action":"update","key":"${boss.id}","changed":{"__proto__":{"admin":true},"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
		const res = await stack.directus.request('POST', '/realtime/dry-run', undefined, { raw, headers: { 'content-type': 'application/json' } });
		assert.equal(res.status, 200, res.text.slice(0, 300));
		assert.match(res.body.data.error.message, /cannot be copied into the sandbox/);
		const proto = `{"publisher":"console.log(Object.keys(meta.changed).join(), String(meta.changed.admin), String(({}).admin));","collection":"directus_users","channel_name":"u","action":"update","key":"${boss.id}","changed":{"__proto__":{"admin":true},"a":1}}`;
		const own = await stack.directus.request('POST', '/realtime/dry-run', undefined, { raw: proto, headers: { 'content-type': 'application/json' } });
		assert.equal(own.status, 200, own.text);
		assert.equal(own.body.data.error, null, own.text);
		assert.equal(own.body.data.logs[0].message.split(' ')[2], 'undefined', own.text);
	});

	it('refuses a non-admin with full access to realtime_channels and directus_users, on every admins-only route', async () => {
		const body = { publisher: "console.log('ran');", collection: 'directus_users', channel_name: 'a', action: 'create', key: boss.id };
		const dry = await dryRun(body, greedy.token);
		assert.equal(dry.status, 403, dry.text);
		const tail = await stack.directus.request('GET', '/realtime/tail', undefined, { token: greedy.token });
		assert.equal(tail.status, 403, tail.text);
		assert.deepEqual(tail.body, dry.body);
		const channels = await stack.directus.request('GET', '/realtime/channels', undefined, { token: greedy.token });
		assert.equal(channels.status, 403, channels.text);
		const health = await stack.directus.request('GET', '/realtime/health', undefined, { token: greedy.token });
		assert.deepEqual(health.body, { status: 'ok' });
	});

	it('answers 400 to tail cursors that are not whole numbers', async () => {
		for (const q of ['after=-1', 'after=abc', 'after[]=1', 'after=1e3', 'after=99999999999999999999', 'after=', 'after[a]=1']) {
			const res = await stack.directus.request('GET', `/realtime/tail?${q}`);
			assert.ok(res.status === 400 || res.status === 200, `${q}: ${res.status} ${res.text}`);
			if (res.status === 200) assert.ok(Array.isArray(res.body.data ?? res.body.events ?? res.body), `${q}: ${res.text}`);
		}
		const huge = await stack.directus.request('GET', '/realtime/tail?after=999999999999999');
		assert.equal(huge.status, 200, huge.text);
	});
});
