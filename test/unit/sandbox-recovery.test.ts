import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { testSandbox } from '../harness/sandbox.js';

// One isolate, and a time limit a memory bomb often outlasts: its run fails with a time-out
// first and the isolate then runs out of memory (isolated-vm disposes it) before it stops.
const sandbox = testSandbox({ timeoutMs: 150, memoryMb: 32, poolSize: 1 });

describe('script sandbox: an isolate lost after its run failed', () => {
	it('is replaced, so the next run of another script does not fail with "Isolate is disposed"', async () => {
		const bomb = 'const hoard = [];\nwhile (true) hoard.push(new Array(1e6).fill(hoard.length));';
		const failures: string[] = [];
		const started = Date.now();
		for (let i = 0; i < 20 && Date.now() - started < 15_000; i++) {
			await assert.rejects(sandbox.run({ source: bomb }), (e: any) => e.code === 'SCRIPT_TIMEOUT' || e.code === 'SCRIPT_MEMORY');
			await sandbox.run({ source: 'return 1' }).catch((e: Error) => failures.push(e.message));
		}
		assert.deepEqual(failures, []);
	});
});
