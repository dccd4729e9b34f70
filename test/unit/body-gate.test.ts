import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { carriesCredential } from '../../realtime-hooks/src/auth-gate.js';

const request = (headers: Record<string, string>, url = '/realtime/auth') => ({ url, headers, on: () => {}, off: () => {}, resume: () => {} });

describe('carriesCredential: what the auth body gate counts as a credential', () => {
	it('counts a token where Directus looks for one', () => {
		assert.equal(carriesCredential(request({ authorization: 'Bearer abc' }), 'directus_session_token'), true);
		assert.equal(carriesCredential(request({}, '/realtime/auth?access_token=abc'), 'directus_session_token'), true);
		assert.equal(carriesCredential(request({ cookie: 'a=1; directus_session_token=abc' }), 'directus_session_token'), true);
		assert.equal(carriesCredential(request({ cookie: 'directus_session_token="abc"' }), 'directus_session_token'), true);
	});

	it('counts an empty one as none, as Directus does (no early 401 would be skipped)', () => {
		for (const headers of <Array<Record<string, string>>>[
			{ cookie: 'directus_session_token=' },
			{ cookie: 'directus_session_token=  ; other=1' },
			{ cookie: 'directus_session_token=""' },
			{ cookie: 'other_directus_session_token=abc' },
			{ authorization: 'Bearer' },
			{ authorization: 'Basic abc' },
		]) {
			assert.equal(carriesCredential(request(headers), 'directus_session_token'), false, JSON.stringify(headers));
		}
		assert.equal(carriesCredential(request({}, '/realtime/auth?access_token='), 'directus_session_token'), false);
	});
});
