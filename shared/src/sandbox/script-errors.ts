/**
 * What can go wrong when a script is checked or run, as errors with a `code`. Messages are written
 * for the admin who wrote the script: they name the line in the admin's own code, and never carry
 * host file paths or host stack traces (the `stack` of these errors is the sandbox's, not the
 * script's; log `message`, not `stack`).
 */
import type { ScriptDiagnostic } from '../errors.js';

export type { ScriptDiagnostic };

export type SandboxErrorCode =
	| 'SCRIPT_SYNTAX'
	| 'SCRIPT_RUNTIME'
	| 'SCRIPT_TIMEOUT'
	| 'SCRIPT_MEMORY'
	| 'SANDBOX_BUSY'
	| 'SANDBOX_UNAVAILABLE';

export class SandboxError extends Error {
	readonly code: SandboxErrorCode;

	constructor(code: SandboxErrorCode, message: string) {
		super(message);
		this.name = 'SandboxError';
		this.code = code;
	}
}

/** The script does not compile. Found at save time by `check`, or when a run first meets it. */
export class ScriptSyntaxError extends SandboxError {
	readonly line: number;
	readonly column: number;
	/** The parser's message without the position, e.g. `Unexpected token ')'`. */
	readonly reason: string;

	constructor(diagnostic: ScriptDiagnostic) {
		super('SCRIPT_SYNTAX', `${diagnostic.message} (line ${diagnostic.line}, column ${diagnostic.column})`);
		this.name = 'ScriptSyntaxError';
		this.reason = diagnostic.message;
		this.line = diagnostic.line;
		this.column = diagnostic.column;
	}

	toDiagnostic(): ScriptDiagnostic {
		return { message: this.reason, line: this.line, column: this.column };
	}
}

/** The script threw, or returned something that cannot be copied out. */
export class ScriptRuntimeError extends SandboxError {
	/** Line in the admin's script where it threw; null when the thrown value carries no trace. */
	readonly line: number | null;
	readonly column: number | null;
	/** What the script threw, e.g. `TypeError: Cannot read properties of null (reading 'id')`. */
	readonly reason: string;

	constructor(reason: string, line: number | null = null, column: number | null = null) {
		super('SCRIPT_RUNTIME', line === null ? reason : `${reason} (line ${line})`);
		this.name = 'ScriptRuntimeError';
		this.reason = reason;
		this.line = line;
		this.column = column;
	}
}

export class ScriptTimeoutError extends SandboxError {
	readonly timeoutMs: number;

	constructor(timeoutMs: number) {
		super('SCRIPT_TIMEOUT', `The script did not finish within ${timeoutMs} ms`);
		this.name = 'ScriptTimeoutError';
		this.timeoutMs = timeoutMs;
	}
}

export class ScriptMemoryError extends SandboxError {
	readonly memoryMb: number;

	constructor(memoryMb: number) {
		super('SCRIPT_MEMORY', `The script used more than its memory limit of ${memoryMb} MB`);
		this.name = 'ScriptMemoryError';
		this.memoryMb = memoryMb;
	}
}

/** Every isolate is busy and the queue of waiting runs is full. */
export class SandboxBusyError extends SandboxError {
	constructor(queued: number) {
		super('SANDBOX_BUSY', `The script sandbox is busy: ${queued} runs are already waiting`);
		this.name = 'SandboxBusyError';
	}
}

/**
 * The sandbox cannot run anything: isolated-vm did not load (a start-up error, so it names the
 * places tried and why each failed), an isolate could not be created, or the sandbox was disposed.
 */
export class SandboxUnavailableError extends SandboxError {
	constructor(message: string) {
		super('SANDBOX_UNAVAILABLE', message);
		this.name = 'SandboxUnavailableError';
	}
}

/** What went wrong in a run, for an admin: the message and, when known, the line and column. */
export function runFailure(error: unknown): { message: string; line: number | null; column: number | null } {
	if (error instanceof ScriptSyntaxError) return error.toDiagnostic();
	if (error instanceof ScriptRuntimeError) return { message: error.reason, line: error.line, column: error.column };
	return { message: error instanceof Error ? error.message : String(error), line: null, column: null };
}
