import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../shared/src/auth/decision.js';

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
