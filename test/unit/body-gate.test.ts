import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authBodyGate } from '../../realtime-hooks/src/auth-gate.js';
import { carriesCredential, encodedBody } from '../../shared/src/http/early-http.js';

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

describe('authBodyGate: which requests it guards', () => {
	const gate = authBodyGate({ sessionCookieName: 'directus_session_token', publicUrl: 'https://example.com/cms/' });
	const run = (method: string, url: string, path?: string) => {
		const res = { headersSent: false, statusCode: 0, setHeader: () => undefined, end: () => undefined };
		let passed = false;
		gate({ ...request({}, url), method, ...(path === undefined ? {} : { path }) }, res, () => (passed = true));
		return passed ? 'next' : res.statusCode;
	};

	it('refuses an anonymous POST to the auth routes however the path is spelled', () => {
		for (const url of ['/realtime/auth', '/REALTIME//Auth/', '/realtime/user-auth?x=1', '/cms/realtime/auth', '/CMS//realtime//auth//']) {
			assert.equal(run('POST', url), 401, url);
		}
		assert.equal(run('POST', '/whatever', '/Realtime/Auth'), 401, 'req.path when Express set it');
	});

	it('lets every other request through untouched', () => {
		for (const [method, url] of [
			['GET', '/realtime/auth'],
			['POST', '/items/articles'],
			['POST', '/realtime/health'],
			['POST', '/realtime/authx'],
			['POST', '/server/ping'],
		] as const) {
			assert.equal(run(method, url), 'next', `${method} ${url}`);
		}
	});
});

describe('encodedBody: which content codings the gates refuse', () => {
	it('takes no coding and identity, in any case and spacing', () => {
		for (const coding of [undefined, '', 'identity', ' Identity ', 'identity, identity', ',']) {
			const headers: Record<string, string> = coding === undefined ? {} : { 'content-encoding': coding };
			assert.equal(encodedBody(request(headers)), null, String(coding));
		}
	});

	it('refuses every other coding, known or not, alone or in a list, with a short reason', () => {
		for (const coding of ['gzip', 'x-gzip', 'deflate', 'br', 'compress', 'zstd', 'GZIP', 'identity, gzip', 'gzip, identity', 'made-up', 'x'.repeat(5000)]) {
			const error = encodedBody(request({ 'content-encoding': coding }));
			assert.equal(error?.code, 'UNSUPPORTED_ENCODING', coding.slice(0, 40));
			assert.ok(error!.message.length < 200, 'the reason does not echo a long header');
		}
	});

	it('answers a coded POST with credential 415 and Accept-Encoding: identity, before any body is read', () => {
		const gate = authBodyGate({ sessionCookieName: 'directus_session_token' });
		const headers: Record<string, string> = {};
		const res = { headersSent: false, statusCode: 0, setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value), end: () => undefined };
		let passed = false;
		gate({ ...request({ authorization: 'Bearer abc', 'content-encoding': 'gzip', 'content-length': '10' }), method: 'POST' }, res, () => (passed = true));
		assert.equal(passed, false);
		assert.equal(res.statusCode, 415);
		assert.equal(headers['accept-encoding'], 'identity');
	});
});
