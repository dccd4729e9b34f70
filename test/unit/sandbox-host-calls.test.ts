import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testSandbox } from '../harness/sandbox.js';
import { sleep } from '../harness/time.js';

// A roomy time limit (the machine may be busy), and a short one for the deadline. The roomy one's
// synchronous part is never moved off the thread (slice = time limit): on a busy machine a
// restarted attempt would run `note` again, and these tests count the calls of one attempt.
const sandbox = testSandbox({ timeoutMs: 5000, sliceMs: 5000, maxCalls: 5, maxConcurrentCalls: 2 });
const short = testSandbox({ timeoutMs: 300, maxCalls: 5, maxConcurrentCalls: 2 });

describe('script sandbox: host calls per run', () => {
	it('throws in the script past the most calls a run may make, with a clear message', async () => {
		let made = 0;
		const note = () => void made++;
		const result = await sandbox.run({
			source: 'try {\n  for (let i = 0; i < 10; i++) note(i);\n} catch (error) {\n  return error.message;\n}',
			functions: { note },
		});
		assert.equal(result, 'note: a script run may call the host at most 5 times');
		assert.equal(made, 5);
	});

	it('counts effects too, and an uncaught excess call fails the run', async () => {
		const sent: number[] = [];
		await assert.rejects(
			sandbox.run({ source: 'for (let i = 0; i < 6; i++) trigger(i);', effects: { trigger: (i: number) => () => void sent.push(i) } }),
			{ code: 'SCRIPT_RUNTIME', reason: 'Error: trigger: a script run may call the host at most 5 times' },
		);
		assert.deepEqual(sent, [0, 1, 2, 3, 4]);
	});

	it('runs at most the in-flight bound of async calls at once; the others wait their turn and all answer', async () => {
		let running = 0;
		let most = 0;
		const work = async (n: number) => {
			running++;
			most = Math.max(most, running);
			await sleep(5);
			running--;
			return n * 10;
		};
		const result = await sandbox.run({ source: 'return await Promise.all([1, 2, 3, 4, 5].map((n) => work(n)));', functions: { work } });
		assert.deepEqual(result, [10, 20, 30, 40, 50]);
		assert.equal(most, 2);
	});

	it('a queued call whose function throws or answers at once settles the script promise', async () => {
		const slow = () => sleep(5).then(() => 'slow');
		const fails = () => {
			throw new Error('no such room');
		};
		const now = () => 'now';
		const source = [
			'const a = slow(); const b = slow();',
			'const c = fails().catch((error) => error.message);',
			'const d = now();',
			'return await Promise.all([a, b, c, d]);',
		].join('\n');
		assert.deepEqual(await sandbox.run({ source, functions: { slow, fails, now } }), ['slow', 'slow', 'no such room', 'now']);
	});

	it('drops queued calls at the deadline: they never start', async () => {
		const started: number[] = [];
		const hang = (n: number) => {
			started.push(n);
			return new Promise(() => {});
		};
		await assert.rejects(short.run({ source: 'return await Promise.all([hang(1), hang(2), hang(3), hang(4)]);', functions: { hang } }), {
			code: 'SCRIPT_TIMEOUT',
		});
		await sleep(50);
		assert.deepEqual(started, [1, 2]);
	});

	it('drops queued calls when the run ends first', async () => {
		const started: number[] = [];
		const work = (n: number) => {
			started.push(n);
			return sleep(10).then(() => n);
		};
		assert.equal(await sandbox.run({ source: 'work(1); work(2); work(3); work(4);\nreturn "done";', functions: { work } }), 'done');
		await sleep(50);
		assert.deepEqual(started, [1, 2]);
	});
});
