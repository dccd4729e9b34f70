import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDirectus } from '../harness/directus.js';

describe('start-up with a malformed RT_* value', () => {
	it('stops the server start with a message naming the variable', async () => {
		await assert.rejects(startDirectus({ env: { RT_APP_PORT: 'http' } }), /realtime-hooks: cannot start: RT_APP_PORT: expected a whole number/);
	});

	it('stops the server start when RT_APP_SECRET is unset or empty, naming it', async () => {
		await assert.rejects(startDirectus({ env: { RT_APP_SECRET: undefined } }), /realtime-hooks: cannot start: RT_APP_SECRET: must be set/);
		await assert.rejects(startDirectus({ env: { RT_APP_SECRET: '' } }), /realtime-hooks: cannot start: RT_APP_SECRET: must be set/);
	});

	it('refuses an encryption key that is not 32 bytes of base64', async () => {
		await assert.rejects(startDirectus({ env: { RT_ENCRYPTION_MASTER_KEY: 'c2hvcnQ=' } }), /RT_ENCRYPTION_MASTER_KEY: expected 32 random bytes in base64/);
	});
});
