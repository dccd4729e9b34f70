import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { RealtimeError } from '../../shared/src/errors.js';
import { actingCaller, loggedRoute } from '../../realtime-endpoints/src/acting-caller.js';
import { readUserRow } from '../../shared/src/auth/safe-read.js';

/** A database that knows one user, suspended. */
function suspendedUserDatabase(): Knex {
	const query = { select: () => query, where: () => query, first: async () => ({ id: 'u1', role: null, status: 'suspended' }) };
	const database = Object.assign(() => query, { client: { config: { client: 'sqlite3' } } });
	return database as unknown as Knex;
}

describe('the acting caller\'s log line', () => {
	it('keeps a channel name from the request on one line', async () => {
		const lines: string[] = [];
		const acting = actingCaller(suspendedUserDatabase(), { info: (m) => lines.push(m) });
		const forged = 'private-x\n[10:00:00.000] INFO: realtime: admin logged in\r\u2028';
		await assert.rejects(acting({ user: 'u1', role: null, roles: [], admin: false, app: false, ip: null }, `/realtime/auth of ${forged}`, () => new RealtimeError('FORBIDDEN', 'refused')), /refused/);
		assert.equal(lines.length, 1);
		assert.doesNotMatch(lines[0]!, /[\n\r\u2028]/);
		assert.match(lines[0]!, /^realtime: refused \/realtime\/auth of private-x\?\[10:00:00\.000\] INFO: realtime: admin logged in\?\? for user u1: the user's status is suspended/);
		assert.equal(loggedRoute('/realtime/auth of private-chat-1'), '/realtime/auth of private-chat-1');
	});
});

/** A database that fails the test when asked anything: the user's row comes from readRow. */
function untouchedDatabase(): Knex {
	const database = Object.assign(
		() => {
			throw new Error('the database was queried');
		},
		{ client: { config: { client: 'sqlite3' } } },
	);
	return database as unknown as Knex;
}

const token = { user: 'u1', role: 'r1', roles: ['r1'], admin: false, app: false, ip: '127.0.0.1' };
const refused = () => new RealtimeError('FORBIDDEN', 'refused');

describe('the acting caller with the user\'s row', () => {
	it('reads the row once: it decides whether the user may act and is handed on', async () => {
		const reads: string[] = [];
		const row = { id: 'u1', role: 'r1', status: 'active', first_name: 'Ada' };
		const acting = actingCaller(untouchedDatabase(), { info: () => undefined });
		const now = await acting(token, '/realtime/auth of private-x', refused, async (id) => {
			reads.push(id);
			return row;
		});
		assert.deepEqual(reads, ['u1']);
		assert.equal(now.user, row);
		assert.equal(now.accountability.user, 'u1');
		assert.deepEqual(now.accountability.roles, ['r1']);
	});

	it('refuses a user whose row says suspended, or who has no row, with the route\'s refusal', async () => {
		const lines: string[] = [];
		const acting = actingCaller(untouchedDatabase(), { info: (m) => lines.push(m) });
		await assert.rejects(acting(token, '/realtime/auth of private-x', refused, async () => ({ id: 'u1', role: 'r1', status: 'suspended' })), /refused/);
		await assert.rejects(acting(token, '/realtime/auth of private-x', refused, async () => null), /refused/);
		assert.match(lines[0]!, /the user's status is suspended/);
		assert.match(lines[1]!, /the user no longer exists/);
	});

	it('reads nothing for a request without a user', async () => {
		const acting = actingCaller(untouchedDatabase(), { info: () => undefined });
		const now = await acting(undefined, '/realtime/auth', refused, async () => assert.fail('read'));
		assert.equal(now.user, null);
		assert.equal(now.accountability.user, null);
	});
});

describe('reading the caller\'s row', () => {
	const services = (readOne: (key: string, query?: any) => Promise<Record<string, unknown>>) => ({
		UsersService: class {
			readOne = readOne;
		},
	});
	const schema = { collections: { directus_users: { fields: { id: { type: 'uuid' }, status: { type: 'string' }, token: { type: 'string', special: ['conceal'] } } } } };

	it('reads every field and removes the secrets', async () => {
		const row = await readUserRow(services(async (_key, query) => ({ id: 'u1', status: 'active', token: 'static-token', auth_data: 'sso', fields: query.fields })), schema, 'u1');
		assert.deepEqual(row, { id: 'u1', status: 'active', fields: ['*'] });
	});

	it('reads the fields stored in the row alone, no secret among them, when the aliases are not wanted', async () => {
		const withAliases = { collections: { directus_users: { fields: { ...schema.collections.directus_users.fields, policies: { type: 'alias', special: ['m2m'] } } } } };
		const read = (query: any) => ({ id: 'u1', status: 'active', fields: query.fields });
		assert.deepEqual(await readUserRow(services(async (_key, query) => read(query)), withAliases, 'u1', false), { id: 'u1', status: 'active', fields: ['id', 'status'] });
		assert.deepEqual(await readUserRow(services(async (_key, query) => read(query)), withAliases, 'u1', true), { id: 'u1', status: 'active', fields: ['*'] });
		// A schema that does not know the collection: every field, as before.
		assert.deepEqual(await readUserRow(services(async (_key, query) => read(query)), { collections: {} }, 'u1', false), { id: 'u1', status: 'active', fields: ['*'] });
	});

	it('answers null for a user Directus does not find (FORBIDDEN) and passes any other failure on', async () => {
		const forbidden = Object.assign(new Error('You don\'t have permission to access this.'), { code: 'FORBIDDEN' });
		assert.equal(await readUserRow(services(async () => Promise.reject(forbidden)), schema, 'u1'), null);
		await assert.rejects(readUserRow(services(async () => Promise.reject(new Error('SQLITE_BUSY'))), schema, 'u1'), /SQLITE_BUSY/);
	});
});
