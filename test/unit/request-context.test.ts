/**
 * The X-Socket-ID of a write goes with the request's accountability object, which Directus hands
 * unchanged to the events of the writes the request makes (realtime-hooks/src/request-context.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { socketIdMiddleware, socketIdOf } from '../../realtime-hooks/src/request-context.js';

function request(accountability: unknown, header?: string) {
	return { accountability, get: (name: string) => (name.toLowerCase() === 'x-socket-id' ? header : undefined) };
}

function pass(req: ReturnType<typeof request>): void {
	let called = 0;
	socketIdMiddleware(req, {}, (error?: unknown) => {
		assert.equal(error, undefined);
		called++;
	});
	assert.equal(called, 1, 'the middleware hands every request on, once');
}

describe('socket id of a request', () => {
	it("finds a valid X-Socket-ID through the request's own accountability object only", () => {
		const accountability = { user: 'u1', role: null };
		pass(request(accountability, '123.456'));
		assert.equal(socketIdOf(accountability), '123.456');
		// An equal object is another request's (or a Flow's) accountability.
		assert.equal(socketIdOf({ user: 'u1', role: null }), null);
	});

	it('keeps requests apart: each accountability gets its own header', () => {
		const a = { user: 'a' };
		const b = { user: 'b' };
		pass(request(a, '1.1'));
		pass(request(b, '2.2'));
		pass(request({ user: 'c' }));
		assert.equal(socketIdOf(a), '1.1');
		assert.equal(socketIdOf(b), '2.2');
	});

	it('lets no request inherit the socket id of an earlier request that shared its accountability object', () => {
		// Directus makes one per request; an `authenticate` filter of another extension might not.
		const shared = { user: null, role: null };
		pass(request(shared, '5.5'));
		assert.equal(socketIdOf(shared), '5.5');
		pass(request(shared));
		assert.equal(socketIdOf(shared), null);
		pass(request(shared, '6.6'));
		pass(request(shared, 'forged'));
		assert.equal(socketIdOf(shared), null);
	});

	it('ignores a header that is not a socket id, and a request without accountability', () => {
		for (const header of ['', 'abc', '1.2.3', '1.1; drop', '1'.repeat(500) + '.1', ' 1.1']) {
			const accountability = { user: null };
			pass(request(accountability, header));
			assert.equal(socketIdOf(accountability), null, `header ${JSON.stringify(header.slice(0, 20))}`);
		}
		pass(request(undefined, '1.1'));
		pass(request(null, '1.1'));
		for (const none of [null, undefined, 'u1', 1]) assert.equal(socketIdOf(none), null);
	});
});
