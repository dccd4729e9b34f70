import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ScriptSandbox } from '../../shared/src/sandbox/index.js';
import { useHostIsolatedVm } from '../harness/sandbox.js';
import { nextTurn } from '../harness/time.js';

useHostIsolatedVm();

const sandboxes: ScriptSandbox[] = [];
const open = (options: ConstructorParameters<typeof ScriptSandbox>[0]) => {
	const sandbox = new ScriptSandbox(options);
	sandboxes.push(sandbox);
	return sandbox;
};
after(() => {
	for (const sandbox of sandboxes) sandbox.dispose();
});

/** Script text: keeps the isolate busy for `ms` (more than the slice, less than the time limit). */
const busy = (ms: number) => `{ const end = Date.now() + ${ms}; while (Date.now() < end) {} }`;

/** Whether `promise` is still pending once the event loop has had a turn. */
async function pendingAfterATurn(promise: Promise<unknown>): Promise<boolean> {
	let settled = false;
	promise.then(
		() => (settled = true),
		() => (settled = true),
	);
	await nextTurn();
	return !settled;
}

describe('script sandbox: the event loop stays free', () => {
	it('lets the event loop turn while a script loops forever, then ends it with a timeout', async () => {
		const sandbox = open({ timeoutMs: 300 });
		const looping = sandbox.run({ source: 'while (true) {}' });
		// Today's sync path returned only after the 300 ms: the run was already over here.
		assert.equal(await pendingAfterATurn(looping), true);
		await assert.rejects(looping, { code: 'SCRIPT_TIMEOUT', message: 'The script did not finish within 300 ms' });
		assert.equal(await sandbox.run({ source: 'return "next"' }), 'next');
	});

	it('keeps the event loop free for eight looping runs at once, and for later runs of the same script', async () => {
		const sandbox = open({ timeoutMs: 300 });
		const runs = Array.from({ length: 8 }, () => sandbox.run({ source: 'while (true) {}' }));
		let turns = 0;
		let done = false;
		const all = Promise.allSettled(runs).then((results) => {
			done = true;
			return results;
		});
		while (!done) {
			await nextTurn();
			turns++;
		}
		// Eight runs of 300 ms, four isolates: two rounds. The loop turned all along.
		assert.ok(turns > 8, `the event loop turned ${turns} times`);
		for (const result of await all) assert.equal(result.status === 'rejected' && (result.reason as { code: string }).code, 'SCRIPT_TIMEOUT');
	});

	it('re-runs a script that outlasts the slice from scratch off the thread, and starts its later runs there', async () => {
		const sandbox = open({ timeoutMs: 1000, sliceMs: 5 });
		let starts = 0;
		const source = `started();\n${busy(40)}\nreturn 'done';`;
		assert.equal(await sandbox.run({ source, functions: { started: () => void starts++ } }), 'done');
		assert.equal(starts, 2, 'the first attempt was abandoned at the end of its slice and the run started again');
		starts = 0;
		const second = sandbox.run({ source, functions: { started: () => void starts++ } });
		assert.equal(await pendingAfterATurn(second), true);
		assert.equal(await second, 'done');
		assert.equal(starts, 1, 'a script known to be slow starts off the thread straight away');
	});

	it('takes a script back to the fast path once its off-thread run fits in the slice again', async () => {
		const sandbox = open({ timeoutMs: 2000, sliceMs: 100 });
		// Slow: well past the slice. Not slow: well within it, yet long enough that an off-thread
		// run cannot be back before the event loop's next turn on a busy machine.
		const source = `${busy(20)}\nif (slow) ${busy(300)}\nreturn 'done';`;
		assert.equal(await sandbox.run({ source, context: { slow: true } }), 'done');
		const offThread = sandbox.run({ source, context: { slow: false } });
		assert.equal(await pendingAfterATurn(offThread), true, 'known to be slow: starts off the thread');
		assert.equal(await offThread, 'done');
		let turned = false;
		setImmediate(() => (turned = true));
		assert.equal(await sandbox.run({ source, context: { slow: false } }), 'done');
		assert.equal(turned, false, 'fast again: back on the synchronous path');
	});

	it('keeps the fast path synchronous: a short script is done without a turn of the event loop', async () => {
		// A slice the busy test machine cannot overrun by accident.
		const sandbox = open({ timeoutMs: 1000, sliceMs: 200 });
		// The first run waits for its isolate to be made (off the thread); later ones reuse it.
		assert.equal(await sandbox.run({ source: 'return 0' }), 0);
		let turned = false;
		setImmediate(() => (turned = true));
		assert.equal(await sandbox.run({ source: 'return 1 + 1' }), 2);
		assert.equal(turned, false);
	});

	it('applies the effects of a run once, in order, even when its first attempt was abandoned', async () => {
		const sandbox = open({ timeoutMs: 1000, sliceMs: 5 });
		const sent: string[] = [];
		const effects = {
			publish: (name: unknown) => {
				if (typeof name !== 'string') throw new TypeError('publish: the name must be a string');
				return () => void sent.push(name);
			},
		};
		const source = `publish('before');\n${busy(40)}\npublish('after');\ntry { publish(42); } catch (error) { return error.message; }`;
		assert.equal(await sandbox.run({ source, effects }), 'publish: the name must be a string');
		assert.deepEqual(sent, ['before', 'after']);
		sent.length = 0;
		assert.equal(await sandbox.run({ source: "publish('fast'); publish('path'); return 1;", effects }), 1);
		assert.deepEqual(sent, ['fast', 'path']);
	});

	it('applies the effects a failing run made before it failed, as before (once)', async () => {
		const sandbox = open({ timeoutMs: 200, sliceMs: 5 });
		const sent: string[] = [];
		const effects = { publish: (name: string) => () => void sent.push(name) };
		await assert.rejects(sandbox.run({ source: "publish('a');\nthrow new Error('boom');", effects }), { code: 'SCRIPT_RUNTIME' });
		await assert.rejects(sandbox.run({ source: "publish('b');\nwhile (true) {}", effects }), { code: 'SCRIPT_TIMEOUT' });
		assert.deepEqual(sent, ['a', 'b']);
	});

	it('does not deliver a host result of an abandoned attempt into the new attempt', async () => {
		// Times are wide enough that a busy machine cannot stall the first attempt past its slice
		// before it calls lookup(): the first attempt must call it to be the one abandoned.
		const sandbox = open({ timeoutMs: 2000, sliceMs: 25 });
		let calls = 0;
		const lookup = () => {
			calls++;
			const answer = calls === 1 ? 'from the abandoned attempt' : 'from the attempt that counts';
			// The abandoned attempt's answer comes first, while the new attempt still waits for its own.
			return new Promise((resolve) => setTimeout(() => resolve(answer), calls === 1 ? 50 : 400));
		};
		const source = `const answer = lookup();\n${busy(200)}\nreturn await answer;`;
		assert.equal(await sandbox.run({ source, functions: { lookup } }), 'from the attempt that counts');
		assert.equal(calls, 2);
	});
});
