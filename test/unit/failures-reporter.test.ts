/**
 * `npm test`'s second reporter (scripts/failures-reporter.mjs): at the end of a run it repeats
 * each failure that has a cause of its own, and only counts the tests cancelled by a failing
 * suite, so a `before` that threw is visible at the end of a long CI log. Runs node's test runner
 * on a small file written for the purpose.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPORTER = fileURLToPath(new URL('../../scripts/failures-reporter.mjs', import.meta.url));

function runWithReporter(source: string): { status: number | null; stderr: string; stdout: string } {
	const dir = mkdtempSync(join(tmpdir(), 'rt-reporter-'));
	try {
		const file = join(dir, 'sample.test.mjs');
		writeFileSync(file, source);
		const run = spawnSync(
			process.execPath,
			['--test', '--test-reporter', 'tap', '--test-reporter-destination', 'stdout', '--test-reporter', REPORTER, '--test-reporter-destination', 'stderr', file],
			// NODE_TEST_CONTEXT would make the child report to this runner instead of to its reporters.
			{ encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', NODE_TEST_CONTEXT: undefined } },
		);
		return { status: run.status, stderr: run.stderr, stdout: run.stdout };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe('the failures reporter', () => {
	it("ends the run with a failing before's cause and a failing test's assertion, and counts the cancelled tests", () => {
		const run = runWithReporter(`
			import { before, describe, it } from 'node:test';
			import assert from 'node:assert/strict';
			describe('a suite whose set-up breaks', () => {
				before(() => { throw new Error('Directus did not start: the cause'); });
				it('first', () => {});
				it('second', () => {});
			});
			it('a failing check', () => assert.equal(1, 2));
			it('a passing check', () => {});
		`);
		assert.equal(run.status, 1);
		assert.match(run.stderr, /2 failure\(s\) with a cause of their own, 2 test\(s\) cancelled by a failing parent/);
		assert.match(run.stderr, /-- a suite whose set-up breaks \[hookFailed\]\n.*sample\.test\.mjs.*\n\s+Error: Directus did not start: the cause/);
		assert.match(run.stderr, /-- a failing check \[testCodeFailure\]/);
		assert.match(run.stderr, /1 !== 2/);
		assert.doesNotMatch(run.stderr, /-- first|-- second|a passing check/);
		// The usual report still goes to standard output.
		assert.match(run.stdout, /not ok \d+ - a suite whose set-up breaks/);
	});

	it('prints nothing when everything passes', () => {
		const run = runWithReporter(`import { it } from 'node:test'; it('fine', () => {});`);
		assert.equal(run.status, 0);
		assert.equal(run.stderr, '');
	});

	it('cuts an oversized error to a few thousand characters', () => {
		const run = runWithReporter(`import { it } from 'node:test'; it('huge', () => { throw new Error('x'.repeat(50000)); });`);
		assert.equal(run.status, 1);
		assert.match(run.stderr, /more characters\)/);
		assert.ok(run.stderr.length < 6000, `stderr has ${run.stderr.length} characters`);
	});
});
