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

describe('start-up with an RT_* name the extension does not know', () => {
	it('starts, and warns about the name with the setting it most likely meant', async () => {
		const directus = await startDirectus({ env: { RT_APP_SCERET: 'typo', RT_SOMETHING_ELSE: '1' } });
		try {
			const warnings = directus.logs().filter((l) => /is not a setting of this extension/.test(String(l.msg))).map((l) => String(l.msg));
			assert.ok(warnings.some((m) => m.includes('RT_APP_SCERET') && m.includes('did you mean RT_APP_SECRET?')), warnings.join('\n'));
			assert.ok(warnings.some((m) => m.includes('RT_SOMETHING_ELSE')), warnings.join('\n'));
			assert.ok(warnings.every((m) => !m.includes('typo')), 'the value is never logged');
			assert.equal(warnings.length, 2);
		} finally {
			await directus.stop();
		}
	});
});
