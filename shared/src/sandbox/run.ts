/**
 * One run of a script on the isolate it holds, from call to outcome.
 *
 * Fast path: the script runs synchronously on Directus' thread (applySync), up to its first
 * pending await, with isolated-vm's timeout; a script that never waits on the host (publishers,
 * typically) is done when that call returns, ~12-16 us for a two-line publisher.
 * Async path: when the script awaits an async host function, the call returns early. The host
 * promise's result is later delivered into the isolate off Directus' thread (apply), again under
 * the remaining time, and the script reports its outcome through a callback. A host timer bounds
 * the whole run (waiting included) at `timeoutMs` after it started: a run still waiting then fails
 * with SCRIPT_TIMEOUT (its late host results are dropped, its pending promises never resume), and
 * an isolate still running code is disposed, which stops it, and replaced by the pool. An isolate
 * is handed back only once it is idle, so the next synchronous call into it can never block on
 * leftover work.
 */
import type { CompiledScript } from './compile.js';
import { ScriptMemoryError, ScriptRuntimeError, ScriptTimeoutError } from './errors.js';
import type { IsolateSlot, SlotRun } from './isolate-slot.js';
import type { SandboxLogger } from './options.js';
import { decodeFromScript, encodeError, encodeReply, encodeSettlement, messageOf } from './transfer.js';

/**
 * A function a script may call, sync or async. Its arguments are JSON copies of whatever the
 * script passed (hence `any`): validating them is the function's job.
 */
export type HostFunction = (...args: any[]) => unknown;

export interface RunLimits {
	timeoutMs: number;
	memoryMb: number;
	logger: SandboxLogger;
}

const RUN_ENDED = encodeError('The script run this call belongs to has ended');

/**
 * The host timer fires this long after the deadline, so that code running in the isolate is
 * stopped by isolated-vm's own timeout (which ends the call it was given) rather than by
 * disposing the isolate under it at the same instant; disposal is the last resort.
 */
const DEADLINE_GRACE_MS = 25;

/**
 * Runs `script` on `slot` and calls `release(slot)` once the isolate is idle (or disposed).
 * Returns the script's result when it finished synchronously, a promise of it otherwise; throws
 * (or rejects with) a SandboxError.
 */
export function executeScript(
	slot: IsolateSlot,
	script: CompiledScript,
	contextJson: string,
	functions: Readonly<Record<string, HostFunction>>,
	limits: RunLimits,
	release: (slot: IsolateSlot) => void,
): unknown {
	return new ScriptExecution(slot, functions, limits, release).start(script, contextJson);
}

class ScriptExecution implements SlotRun {
	private readonly token: number;
	private readonly deadline: number;
	private outcome: string | undefined;
	private failure: Error | undefined;
	private finished = false;
	private waiter: { resolve(value: unknown): void; reject(error: unknown): void } | undefined;
	private timer: ReturnType<typeof setTimeout> | undefined;
	/** Host promise results being delivered into the isolate; the isolate is busy until they return. */
	private inflight = 0;
	private calls = 0;
	private released = false;

	constructor(
		private readonly slot: IsolateSlot,
		private readonly functions: Readonly<Record<string, HostFunction>>,
		private readonly limits: RunLimits,
		private readonly release: (slot: IsolateSlot) => void,
	) {
		this.token = slot.attach(this);
		this.deadline = performance.now() + limits.timeoutMs;
	}

	start(script: CompiledScript, contextJson: string): unknown {
		try {
			this.slot.load(script, this.limits.timeoutMs);
			const returned = this.slot.start(script.id, this.token, contextJson, Math.max(1, this.remaining()));
			if (returned !== undefined) this.outcome = returned;
		} catch (error) {
			// Timed out, out of memory or broken: the isolate may have stopped anywhere, replace it.
			this.failure = this.engineFailure(error);
			this.slot.dispose();
		}
		if (this.failure === undefined && this.outcome === undefined) return this.continueAsync();
		this.finished = true;
		this.free();
		return this.result();
	}

	onHostCall(token: number, name: string, argsJson: string): string | undefined {
		if (token !== this.token || this.finished) return RUN_ENDED;
		const fn = Object.hasOwn(this.functions, name) ? this.functions[name] : undefined;
		if (typeof fn !== 'function') return encodeError(`${name} is not a function`);
		let args: unknown;
		try {
			args = decodeFromScript(argsJson);
		} catch {
			return encodeError(`The arguments of ${name} cannot be read`);
		}
		if (!Array.isArray(args)) return encodeError(`The arguments of ${name} cannot be read`);
		let result: unknown;
		try {
			result = Reflect.apply(fn, undefined, args);
		} catch (error) {
			// The message only: the host's stack (paths, frames) stays on the host.
			return encodeError(messageOf(error));
		}
		if (!isThenable(result)) return encodeReply(result);
		const callId = String(++this.calls);
		Promise.resolve(result).then(
			(value) => this.deliver(callId, encodeSettlement(value)),
			(error: unknown) => this.deliver(callId, encodeError(messageOf(error))),
		);
		return `p${callId}`;
	}

	onReport(token: number, outcome: string): void {
		if (token !== this.token || this.finished || this.outcome !== undefined) return;
		this.outcome = outcome;
		// During the synchronous call start() picks the outcome up itself.
		if (this.waiter !== undefined) this.finish();
	}

	private continueAsync(): Promise<unknown> {
		return new Promise((resolve, reject) => {
			this.waiter = { resolve, reject };
			this.timer = setTimeout(() => this.onDeadline(), Math.max(0, this.remaining()) + DEADLINE_GRACE_MS);
		});
	}

	/** Hands a host promise's result to the script waiting for it. */
	private deliver(callId: string, reply: string): void {
		if (this.finished || this.slot.disposed) return;
		const remaining = this.remaining();
		if (remaining <= 0) return; // the deadline timer ends the run
		this.inflight++;
		this.slot.settle(callId, reply, remaining).then(
			() => {
				this.inflight--;
				this.freeWhenIdle();
			},
			(error: unknown) => {
				this.inflight--;
				if (!this.finished) {
					this.failure = this.engineFailure(error);
					this.slot.dispose();
					this.finish();
				}
				this.freeWhenIdle();
			},
		);
	}

	private onDeadline(): void {
		this.timer = undefined;
		if (!this.finished) {
			// Waiting on a promise that did not settle in time: the isolate itself is idle and kept.
			this.failure = new ScriptTimeoutError(this.limits.timeoutMs);
			this.finish();
		}
		if (this.inflight > 0) {
			// Code is still running in the isolate although isolated-vm's own timeout has passed.
			this.limits.logger.warn('A script kept its isolate busy past its time limit; the isolate was replaced');
			this.slot.dispose();
		}
		this.free();
	}

	private finish(): void {
		if (this.finished) return;
		this.finished = true;
		const waiter = this.waiter;
		if (waiter !== undefined) {
			try {
				waiter.resolve(this.result());
			} catch (error) {
				waiter.reject(error);
			}
		}
		this.freeWhenIdle();
	}

	private freeWhenIdle(): void {
		if (this.finished && this.inflight === 0) this.free();
	}

	private free(): void {
		if (this.released) return;
		this.released = true;
		if (this.timer !== undefined) clearTimeout(this.timer);
		this.slot.detach(this);
		this.release(this.slot);
	}

	private result(): unknown {
		if (this.failure !== undefined) throw this.failure;
		const outcome = this.outcome ?? 'u';
		if (outcome === 'u') return undefined;
		if (outcome[0] === 'v') return decodeFromScript(outcome.slice(1));
		throw thrownByScript(outcome.slice(1));
	}

	private remaining(): number {
		return Math.ceil(this.deadline - performance.now());
	}

	private engineFailure(error: unknown): Error {
		const message = messageOf(error);
		if (/timed out/i.test(message)) return new ScriptTimeoutError(this.limits.timeoutMs);
		if (/memory limit/i.test(message)) return new ScriptMemoryError(this.limits.memoryMb);
		this.limits.logger.warn(`A script isolate failed: ${message}`);
		return new ScriptRuntimeError('The script stopped unexpectedly');
	}
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return (
		value !== null &&
		(typeof value === 'object' || typeof value === 'function') &&
		typeof (value as { then?: unknown }).then === 'function'
	);
}
