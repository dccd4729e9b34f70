import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindMember, decide } from '../../shared/src/auth/decision.js';

describe('what an authorizer answer means', () => {
	it('lets a private or encrypted channel in on exactly true', () => {
		assert.deepEqual(decide('private', true, 'u1'), { allowed: true });
		assert.deepEqual(decide('private-encrypted', true, 'u1'), { allowed: true });
	});

	it('refuses a private channel on anything but true', () => {
		for (const answer of [false, 1, 'true', {}, undefined, null]) assert.equal(decide('private', answer, 'u1').allowed, false, String(answer));
	});

	it('makes a presence member of an object, user_id defaulting to the caller', () => {
		assert.deepEqual(decide('presence', { user_info: { name: 'Ada' } }, 'u1'), { allowed: true, member: { user_id: 'u1', user_info: { name: 'Ada' } } });
		assert.deepEqual(decide('presence', { user_id: 7 }, 'u1'), { allowed: true, member: { user_id: '7' } });
	});

	it('refuses a presence channel without an object', () => {
		for (const answer of [true, false, null, [], 'x']) assert.equal(decide('presence', answer, 'u1').allowed, false, JSON.stringify(answer));
	});

	it('refuses malformed presence members', () => {
		assert.equal(decide('presence', { user_id: { x: 1 } }, 'u1').allowed, false);
		assert.equal(decide('presence', { user_info: 'Ada' }, 'u1').allowed, false);
		assert.equal(decide('presence', { user_info: { blob: 'x'.repeat(2000) } }, 'u1').allowed, false);
	});

	it('lets the next matching row decide only on an explicit null', () => {
		assert.equal('pass' in decide('private', null, 'u1'), true);
		assert.equal('pass' in decide('presence', null, 'u1'), true);
		for (const answer of [undefined, false, 0, '', 'null', {}]) assert.equal('pass' in decide('private', answer, 'u1'), false, String(answer));
	});
});

describe('the binding rule of presence members', () => {
	const USERS: Record<string, string> = { u1: 'u1', u2: 'u2', U2: 'u2', U1: 'u1' };
	const lookups: string[] = [];
	const named = async (id: string) => {
		lookups.push(id);
		return USERS[id] ?? null;
	};
	const bind = (result: unknown) => bindMember(decide('presence', result, 'u1'), 'u1', named);

	it('refuses a member whose user_id names another Directus user, in any spelling the database takes', async () => {
		for (const user_id of ['u2', 'U2']) {
			const decision = await bind({ user_id });
			assert.equal(decision.allowed, false, user_id);
			assert.equal('misbound' in decision, true);
			assert.match((decision as { reason: string }).reason, /another Directus user's id \(u2\)/);
		}
	});

	it('admits the caller\'s own id without a lookup, another spelling of it, and ids that are no user\'s', async () => {
		lookups.length = 0;
		assert.deepEqual(await bind({ user_info: { a: 1 } }), { allowed: true, member: { user_id: 'u1', user_info: { a: 1 } } });
		assert.deepEqual(await bind({ user_id: 'u1' }), { allowed: true, member: { user_id: 'u1' } });
		assert.deepEqual(lookups, []);
		assert.deepEqual(await bind({ user_id: 'U1', user_info: { a: 1 } }), { allowed: true, member: { user_id: 'u1', user_info: { a: 1 } } }, 'joins under the id as the database holds it');
		assert.deepEqual(await bind({ user_id: 'guest-5' }), { allowed: true, member: { user_id: 'guest-5' } });
		assert.deepEqual(await bind({ user_id: 5 }), { allowed: true, member: { user_id: '5' } });
	});

	it('leaves refusals, passes and private channels as they are, without a lookup', async () => {
		lookups.length = 0;
		assert.equal('pass' in (await bindMember(decide('presence', null, 'u1'), 'u1', named)), true);
		assert.equal((await bindMember(decide('presence', false, 'u1'), 'u1', named)).allowed, false);
		assert.deepEqual(await bindMember(decide('private', true, 'u1'), 'u1', named), { allowed: true });
		assert.deepEqual(lookups, []);
	});
});
