/**
 * What a run comes to: the script's reported outcome decoded into its value or the error it
 * threw, and a failure of the engine (isolated-vm's timeout, the heap cap, anything else) turned
 * into the SandboxError an admin reads.
 */
import type { SandboxLogger } from './options.js';
import { ScriptMemoryError, ScriptRuntimeError, ScriptTimeoutError } from './script-errors.js';
import { decodeFromScript, messageOf } from './transfer.js';

/**
 * The realm's report of a finished script: `u` (or none) undefined, `v<json>` the value it
 * returned, `e<json>` a description of what it threw, which is thrown as a ScriptRuntimeError.
 */
export function decodeOutcome(outcome: string | undefined): unknown {
	if (outcome === undefined || outcome === 'u') return undefined;
	if (outcome[0] === 'v') return decodeFromScript(outcome.slice(1));
	throw thrownByScript(outcome.slice(1));
}

/** isolated-vm's own timeout stopped the script (the isolate stays usable). */
export function isTimeout(error: unknown): boolean {
	return /timed out/i.test(messageOf(error));
}

/** An isolated-vm failure as the run's error; an unexpected one is logged with its message. */
export function engineFailure(error: unknown, limits: { timeoutMs: number; memoryMb: number; logger: SandboxLogger }): Error {
	const message = messageOf(error);
	if (isTimeout(error)) return new ScriptTimeoutError(limits.timeoutMs);
	if (/memory limit/i.test(message)) return new ScriptMemoryError(limits.memoryMb);
	limits.logger.warn(`A script isolate failed: ${message}`);
	return new ScriptRuntimeError('The script stopped unexpectedly');
}

/** The realm's description of what a script threw: `{ name, message, line, column }`. */
function thrownByScript(json: string): ScriptRuntimeError {
	const thrown = JSON.parse(json) as { name?: unknown; message?: unknown; line?: unknown; column?: unknown };
	const message = typeof thrown.message === 'string' ? thrown.message : 'The script failed';
	const reason = typeof thrown.name === 'string' && thrown.name !== '' ? `${thrown.name}: ${message}` : message;
	return new ScriptRuntimeError(reason, positive(thrown.line), positive(thrown.column));
}

function positive(value: unknown): number | null {
	return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}
