/**
 * A run's host-call queue (shared/src/sandbox/host-call-queue.ts): replies at once or as a
 * promise id, settlements handed on with the attempt's token, at most `maxConcurrent` host
 * promises pending, waiting calls started in order or dropped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostCallQueue } from '../../shared/src/sandbox/host-call-queue.js';

function queue(maxConcurrent: number) {
	const delivered: Array<[number, string, string]> = [];
	const calls = new HostCallQueue(maxConcurrent, (token, callId, reply) => delivered.push([token, callId, reply]));
	return { calls, delivered };
}

/** A host promise the test settles. */
function deferred() {
	let resolve!: (value: unknown) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the host-call queue', () => {
	it('answers a sync function at once: its value, undefined as nothing, what it throws as an error message without the stack', () => {
		const { calls, delivered } = queue(4);
		assert.equal(calls.call(1, (a: number, b: number) => ({ sum: a + b }), [2, 3]), 'v{"sum":5}');
		assert.equal(calls.call(1, () => undefined, []), undefined);
		assert.equal(
			calls.call(1, () => {
				throw new Error('no such room');
			}, []),
			'eno such room',
		);
		assert.deepEqual(delivered, []);
	});

	it('answers an async function with a promise id, and hands its settlement on with the token of the attempt that called', async () => {
		const { calls, delivered } = queue(4);
		const ok = deferred();
		const failing = deferred();
		assert.equal(calls.call(7, () => ok.promise, []), 'p1');
		assert.equal(calls.call(7, () => failing.promise, []), 'p2');
		assert.deepEqual(calls.load, { pending: 2, waiting: 0 });
		ok.resolve([1, 2]);
		failing.reject(new Error('denied'));
		await tick();
		assert.deepEqual(delivered, [
			[7, '1', 'v[1,2]'],
			[7, '2', 'edenied'],
		]);
		assert.deepEqual(calls.load, { pending: 0, waiting: 0 });
	});

	it('keeps at most maxConcurrent promises pending: a further call waits, unstarted, and starts when one settles', async () => {
		const { calls, delivered } = queue(1);
		const first = deferred();
		const started: string[] = [];
		assert.equal(calls.call(1, () => (started.push('first'), first.promise), []), 'p1');
		assert.equal(calls.call(1, (n: number) => (started.push(`second ${n}`), n * 2), [21]), 'p2');
		assert.equal(calls.call(1, () => (started.push('third'), undefined), []), 'p3');
		assert.deepEqual(started, ['first']);
		assert.deepEqual(calls.load, { pending: 1, waiting: 2 });
		first.resolve('done');
		await tick();
		assert.deepEqual(started, ['first', 'second 21', 'third']);
		assert.deepEqual(delivered, [
			[1, '1', 'v"done"'],
			[1, '2', 'v42'],
			[1, '3', 'u'],
		]);
	});

	it('drops waiting calls on clear: they never start', async () => {
		const { calls, delivered } = queue(1);
		const first = deferred();
		let started = false;
		calls.call(1, () => first.promise, []);
		calls.call(1, () => (started = true), []);
		calls.clear();
		first.resolve(1);
		await tick();
		assert.equal(started, false);
		assert.deepEqual(delivered, [[1, '1', 'v1']]);
		assert.deepEqual(calls.load, { pending: 0, waiting: 0 });
	});
});
