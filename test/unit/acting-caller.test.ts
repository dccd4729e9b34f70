import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { RealtimeError } from '../../shared/src/errors.js';
import { actingCaller, loggedRoute } from '../../realtime-endpoints/src/acting-caller.js';

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
