import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ScriptSandbox } from '../../shared/src/sandbox/index.js';
import { testSandbox } from '../harness/sandbox.js';
import { sleep } from '../harness/time.js';

const sandbox = testSandbox({ timeoutMs: 300, memoryMb: 32, poolSize: 2 });
// A generous time limit, so that running out of memory is what stops the script.
const roomy = testSandbox({ timeoutMs: 20_000, memoryMb: 16, poolSize: 1 });

describe('script sandbox: limits', () => {
	it('ends an infinite loop with a timeout error, and the next run works', async () => {
		await assert.rejects(sandbox.run({ source: 'while (true) {}' }), { code: 'SCRIPT_TIMEOUT', message: 'The script did not finish within 300 ms' });
		assert.equal(await sandbox.run({ source: 'return "next"' }), 'next');
	});

	it('ends a memory bomb with a memory error, and the pool recovers', async () => {
		await assert.rejects(roomy.run({ source: 'const all = [];\nwhile (true) all.push({ n: Math.random(), s: "x" + Math.random() });' }), {
			code: 'SCRIPT_MEMORY',
		});
		assert.equal(await roomy.run({ source: 'return "recovered"' }), 'recovered');
		assert.equal(roomy.stats().isolates, 1);
	});

	it('ends runaway recursion with a runtime error', async () => {
		await assert.rejects(sandbox.run({ source: 'function down(n) { return down(n + 1) + 1 }\nreturn down(0);' }), {
			code: 'SCRIPT_RUNTIME',
			reason: 'RangeError: Maximum call stack size exceeded',
		});
	});

	it('ends a promise that never settles with a timeout error', async () => {
		await assert.rejects(sandbox.run({ source: 'await new Promise(() => {});' }), { code: 'SCRIPT_TIMEOUT' });
	});

	it('counts a slow host function against the time limit', async () => {
		await assert.rejects(sandbox.run({ source: 'return await query("rooms")', functions: { query: () => sleep(2000) } }), {
			code: 'SCRIPT_TIMEOUT',
		});
	});

	it('ends a loop that starts after an await with a timeout error', async () => {
		await assert.rejects(sandbox.run({ source: 'await ready();\nwhile (true) {}', functions: { ready: async () => true } }), {
			code: 'SCRIPT_TIMEOUT',
		});
		assert.equal(await sandbox.run({ source: 'return "next"' }), 'next');
	});

	it('does not block the host event loop while a script loops after an await', async () => {
		const events: string[] = [];
		const stuck = sandbox.run({ source: 'await ready();\nwhile (true) {}', functions: { ready: async () => true } });
		const hostTimer = sleep(30).then(() => events.push('host timer fired'));
		await assert.rejects(stuck, { code: 'SCRIPT_TIMEOUT' });
		events.push('script timed out');
		await hostTimer;
		assert.deepEqual(events, ['host timer fired', 'script timed out']);
	});

	it('ends an endless chain of microtasks, by time or by memory, whichever runs out first', async () => {
		await assert.rejects(sandbox.run({ source: 'const spin = () => Promise.resolve().then(spin);\nspin();\nreturn 1;' }), {
			code: /^SCRIPT_(TIMEOUT|MEMORY)$/,
		});
		assert.equal(await sandbox.run({ source: 'return "next"' }), 'next');
	});

	it('makes runs wait for a free isolate, and refuses them once the queue is full', async () => {
		const tiny = new ScriptSandbox({ timeoutMs: 200, poolSize: 1, maxQueue: 1 });
		const holding = tiny.run({ source: 'await new Promise(() => {})' });
		const waiting = tiny.run({ source: 'return "waited"' });
		await assert.rejects(tiny.run({ source: 'return "refused"' }), { code: 'SANDBOX_BUSY' });
		await assert.rejects(holding, { code: 'SCRIPT_TIMEOUT' });
		assert.equal(await waiting, 'waited');
		tiny.dispose();
	});
});
