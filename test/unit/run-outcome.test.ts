/**
 * What a sandbox run comes to (shared/src/sandbox/run-outcome.ts): the realm's report decoded
 * into a value or the script's error, and isolated-vm's failures as the errors admins read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeOutcome, engineFailure, isTimeout } from '../../shared/src/sandbox/run-outcome.js';
import { ScriptMemoryError, ScriptRuntimeError, ScriptTimeoutError } from '../../shared/src/sandbox/script-errors.js';

const limits = (warnings: string[] = []) => ({ timeoutMs: 1000, memoryMb: 32, logger: { warn: (message: string) => warnings.push(message) } });

describe('a run\'s outcome', () => {
	it('is undefined when the script returned nothing (or reported nothing)', () => {
		assert.equal(decodeOutcome(undefined), undefined);
		assert.equal(decodeOutcome('u'), undefined);
	});

	it('is a copy of the returned value, without __proto__ keys', () => {
		assert.deepEqual(decodeOutcome('v{"id":1,"tags":["a"]}'), { id: 1, tags: ['a'] });
		const value = decodeOutcome('v{"__proto__":{"admin":true},"ok":1}') as Record<string, unknown>;
		assert.deepEqual(Object.keys(value), ['ok']);
		assert.equal(Object.getPrototypeOf(value), Object.prototype);
	});

	it('throws what the script threw as a ScriptRuntimeError with its name, message, line and column', () => {
		assert.throws(
			() => decodeOutcome(`e${JSON.stringify({ name: 'TypeError', message: 'x is null', line: 3, column: 5 })}`),
			(error: unknown) => error instanceof ScriptRuntimeError && error.reason === 'TypeError: x is null' && error.line === 3 && error.column === 5,
		);
		assert.throws(
			() => decodeOutcome(`e${JSON.stringify({ message: 42, line: 0, column: -1 })}`),
			(error: unknown) => error instanceof ScriptRuntimeError && error.reason === 'The script failed' && error.line === null && error.column === null,
		);
	});
});

describe('an engine failure', () => {
	it('is a time-out when isolated-vm stopped the script at its timeout', () => {
		assert.equal(isTimeout(new Error('Script execution timed out.')), true);
		assert.equal(isTimeout(new Error('Isolate was disposed')), false);
		assert.ok(engineFailure(new Error('Script execution timed out.'), limits()) instanceof ScriptTimeoutError);
	});

	it('is a memory error when the isolate hit its heap cap', () => {
		const error = engineFailure(new Error('Isolate was disposed during execution due to memory limit'), limits());
		assert.ok(error instanceof ScriptMemoryError);
		assert.equal(error.memoryMb, 32);
	});

	it('is otherwise "stopped unexpectedly" for the admin, with the engine\'s message in the log only', () => {
		const warnings: string[] = [];
		const error = engineFailure(new Error('Isolate is disposed'), limits(warnings));
		assert.ok(error instanceof ScriptRuntimeError);
		assert.equal(error.message, 'The script stopped unexpectedly');
		assert.deepEqual(warnings, ['A script isolate failed: Isolate is disposed']);
	});
});
