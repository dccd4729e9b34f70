import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConsoleBudget, ScriptLog, ScriptSandbox, SCRIPT_LOG_CUT, SCRIPT_LOG_LIMITS } from '../../shared/src/sandbox/index.js';
import { testSandbox } from '../harness/sandbox.js';

const sandbox = testSandbox({ timeoutMs: 5000, maxCalls: 5, sliceMs: 5 });

describe('script sandbox: console', () => {
	it('collects console.log/info/warn/error/debug lines with their level, values printed as JSON', async () => {
		const log = new ScriptLog();
		const result = await sandbox.run({
			source: "console.log('a', 1, { b: [2] }); console.info('i'); console.warn(null, undefined); console.error(new TypeError('bad')); console.debug(true); return 7;",
			log,
		});
		assert.equal(result, 7);
		assert.deepEqual(log.lines, [
			{ level: 'log', message: 'a 1 {"b":[2]}' },
			{ level: 'info', message: 'i' },
			{ level: 'warn', message: 'null undefined' },
			{ level: 'error', message: 'TypeError: bad' },
			{ level: 'debug', message: 'true' },
		]);
	});

	it('does not count log lines as host calls, and logs in a loop stop at the line bound with one marker', async () => {
		const log = new ScriptLog();
		const result = await sandbox.run({ source: "for (let i = 0; i < 100000; i++) console.log('line', i); return 'done';", log });
		assert.equal(result, 'done');
		assert.equal(log.lines.length, SCRIPT_LOG_LIMITS.lines + 1);
		assert.deepEqual(log.lines.at(-1), { level: 'warn', message: SCRIPT_LOG_CUT });
	});

	it('cuts a huge line to 1 KB and the run to 16 KB in all', async () => {
		const log = new ScriptLog();
		await sandbox.run({ source: "const big = 'x'.repeat(5_000_000); for (let i = 0; i < 50; i++) console.log(big, { big });", log });
		for (const line of log.lines) assert.ok(Buffer.byteLength(line.message) <= SCRIPT_LOG_LIMITS.lineBytes, `${Buffer.byteLength(line.message)} bytes`);
		const total = log.lines.slice(0, -1).reduce((n, l) => n + Buffer.byteLength(l.message), 0);
		assert.ok(total <= SCRIPT_LOG_LIMITS.totalBytes);
		assert.equal(log.lines.at(-1)!.message, SCRIPT_LOG_CUT);
		assert.ok(log.lines.length < 20);
	});

	it('survives values that cannot be printed (cycles, throwing getters, symbols) and keeps the lines before a throw', async () => {
		const log = new ScriptLog();
		await assert.rejects(
			sandbox.run({
				source: "const a = {}; a.a = a; console.log(a); console.log({ get x() { throw new Error('no'); } }); console.log(Symbol('s'), 10n);\nthrow new Error('after');",
				log,
			}),
			{ code: 'SCRIPT_RUNTIME', line: 2 },
		);
		assert.deepEqual(
			log.lines.map((l) => l.message),
			['[value that cannot be printed]', '[value that cannot be printed]', 'Symbol(s) 10'],
		);
	});

	it('a slow script run again off the thread logs its lines once, not once per attempt', async () => {
		const log = new ScriptLog();
		await sandbox.run({ source: "console.log('start'); const end = Date.now() + 30; while (Date.now() < end) {} console.log('end');", log });
		assert.deepEqual(log.lines.map((l) => l.message), ['start', 'end']);
	});

	it('a script cannot replace the console of the next run, and runs without a log drop their lines', async () => {
		await sandbox.run({ source: "try { console.log = () => 1; } catch {} console.log('dropped');" });
		const log = new ScriptLog();
		await sandbox.run({ source: "console.log('kept');", log });
		assert.deepEqual(log.lines, [{ level: 'log', message: 'kept' }]);
	});

	it('refuses console as a context name (it is every script\'s own)', async () => {
		await assert.rejects(sandbox.run({ source: 'return 1;', context: { console: 1 } }), TypeError);
	});
});

describe('what a run counts besides its effects', () => {
	it('forgets the counts of an attempt abandoned at the end of its slice, so a restarted run counts once', async () => {
		const log = new ScriptLog();
		let calls = 0;
		const source = `try { refuse(); } catch {}\n{ const end = Date.now() + 40; while (Date.now() < end) {} }\nreturn 'done';`;
		const refuse = () => {
			calls++;
			log.count('refused');
			throw new Error('refused');
		};
		const slow = new ScriptSandbox({ timeoutMs: 5000, sliceMs: 5 });
		try {
			assert.equal(await slow.run({ source, effects: { refuse }, log }), 'done');
		} finally {
			slow.dispose();
		}
		assert.equal(calls, 2, 'the first attempt outlasted the slice and the run started again');
		assert.equal(log.counted('refused'), 1);
	});
});

describe('console lines of real runs in the Directus log', () => {
	const lines = (n: number, tag = 'l') => Array.from({ length: n }, (_, i) => ({ level: 'log' as const, message: `${tag}${i}` }));

	it('writes at most the budget per row and minute, then says how many were not written', () => {
		let now = 0;
		const budget = new ConsoleBudget(5, () => now);
		assert.equal(budget.take('row-a', lines(3)).length, 3);
		assert.deepEqual(budget.take('row-a', lines(4, 'm')).map((l) => l.message), ['m0', 'm1']);
		assert.deepEqual(budget.take('row-a', lines(2)), [], 'the budget is spent');
		assert.equal(budget.take('row-b', lines(5)).length, 5, 'rows have budgets of their own');
		now = 60_000;
		const next = budget.take('row-a', lines(1, 'n'));
		assert.match(next[0]!.message, /^4 console line\(s\) not written in the last minute/);
		assert.equal(next[1]!.message, 'n0');
	});
});
