/**
 * One run of a script on the isolate it holds, from call to outcome.
 *
 * Directus' event loop is held for at most a short slice per run (`sliceMs`, a few ms), never for
 * the run's whole time limit:
 * - Fast path: the script runs synchronously on Directus' thread (applySync), up to its first
 *   pending await, with isolated-vm's timeout set to the slice. A script that never waits on the
 *   host (publishers, typically) is done when that call returns, ~12-16 us for a two-line
 *   publisher; there is no thread hop.
 * - Slow scripts: a synchronous attempt still running when the slice ends is stopped by
 *   isolated-vm (the isolate stays usable) and abandoned; the run starts again from scratch off
 *   Directus' thread (apply) with the rest of its time. The script is remembered as slow (by its
 *   compiled id, in `SlowScripts`), so its later runs start off-thread straight away: a looping
 *   script costs Directus one slice once, not one per run. An off-thread run whose synchronous
 *   part fits in the slice again takes the script back to the fast path (a pause of a busy
 *   machine must not cost a fast script its fast path for good).
 * - Async path: when the script awaits an async host function, the synchronous call returns
 *   early. The host promise's result is later delivered into the isolate off Directus' thread
 *   (apply), under the remaining time, and the script reports its outcome through a callback.
 *
 * An abandoned attempt leaves no trace: host effects (`effects`, e.g. publishing an event) are
 * checked when called but applied only once the attempt that counts is known (right away in an
 * attempt that cannot be abandoned, at the end of the synchronous call otherwise), so each takes
 * effect once per run; host calls carry the attempt's token, so an abandoned attempt's leftover
 * code cannot call the host, and results of host calls it started are dropped, not delivered to
 * the new attempt.
 *
 * Host calls are bounded per run: at most `maxCalls` per attempt (the next one throws in the
 * script), and at most `maxConcurrentCalls` host promises pending at once; a call beyond that
 * waits in the run's queue (the script gets a promise) and starts when one settles. Calls still
 * queued when the run ends, by its outcome or its deadline, are dropped without being started.
 *
 * A host timer bounds the whole run (waiting included) at `timeoutMs` after it started: a run
 * still waiting or running then fails with SCRIPT_TIMEOUT (its late host results are dropped,
 * its pending promises never resume); an isolate still running code is left to isolated-vm's
 * own timeout for a while, then disposed, which stops it, and replaced by the pool. An isolate is handed back only once it is idle, so the next synchronous
 * call into it can never block on leftover work.
 */
import type { CompiledScript } from './compile.js';
import { ScriptMemoryError, ScriptRuntimeError, ScriptTimeoutError } from './script-errors.js';
import type { IsolateSlot, SlotRun } from './isolate-slot.js';
import type { SandboxLogger } from './options.js';
import type { ScriptLog } from './script-log.js';
import { decodeFromScript, encodeError, encodeReply, encodeSettlement, messageOf } from './transfer.js';

/**
 * A function a script may call, sync or async. Its arguments are JSON copies of whatever the
 * script passed (hence `any`): validating them is the function's job.
 */
export type HostFunction = (...args: any[]) => unknown;

/**
 * A host function with an effect outside the run (publishing an event): it checks its arguments
 * when the script calls it (what it throws, the script gets) and returns the effect, which the
 * sandbox applies once the call is known to count (see above). It returns nothing to the script.
 * An effect that throws is logged; it cannot reach the script any more.
 */
export type HostEffect = (...args: any[]) => (() => void) | void;

export interface RunHost {
	functions: Readonly<Record<string, HostFunction>>;
	effects: Readonly<Record<string, HostEffect>>;
	/** Where the run's console lines go (bounded there); without one, they are dropped. */
	log?: ScriptLog | undefined;
}

export interface RunLimits {
	timeoutMs: number;
	memoryMb: number;
	/** The longest a run holds Directus' thread before it is moved off it. */
	sliceMs: number;
	/** Host calls (functions and effects) one attempt may make. */
	maxCalls: number;
	/** Host promises a run may have pending at once; further calls queue. */
	maxConcurrentCalls: number;
	logger: SandboxLogger;
}

/** Compiled scripts seen to outlast the slice: their runs start off Directus' thread. */
export interface SlowScripts {
	has(id: number): boolean;
	add(id: number): void;
	delete(id: number): void;
}

const RUN_ENDED = encodeError('The script run this call belongs to has ended');

/**
 * The host timer fires this long after the deadline, so that code running in the isolate is
 * stopped by isolated-vm's own timeout (which ends the call it was given) rather than by
 * disposing the isolate under it at the same instant; disposal is the last resort.
 */
const DEADLINE_GRACE_MS = 25;

/**
 * How long after the deadline isolated-vm's own timeout may still take to stop an isolate (on a
 * busy machine its timer thread can be late by tens of ms) before the isolate is disposed. The
 * run has failed by then already; waiting only keeps the isolate, whose replacement would cost
 * Directus' thread tens of ms.
 */
const STOP_GRACE_MS = 1000;

/**
 * Runs `script` on `slot` and calls `release(slot)` once the isolate is idle (or disposed).
 * Returns the script's result when it finished synchronously, a promise of it otherwise; throws
 * (or rejects with) a SandboxError.
 */
export function executeScript(
	slot: IsolateSlot,
	script: CompiledScript,
	contextJson: string,
	host: RunHost,
	limits: RunLimits,
	slow: SlowScripts,
	release: (slot: IsolateSlot) => void,
): unknown {
	return new ScriptExecution(slot, host, limits, release).start(script, contextJson, slow);
}

interface QueuedCall {
	token: number;
	callId: string;
	fn: HostFunction;
	args: unknown[];
}

class ScriptExecution implements SlotRun {
	/** The current attempt's token; calls carrying another one are refused. */
	private token: number;
	private readonly deadline: number;
	private outcome: string | undefined;
	private failure: Error | undefined;
	private finished = false;
	private waiter: { resolve(value: unknown): void; reject(error: unknown): void } | undefined;
	private timer: ReturnType<typeof setTimeout> | undefined;
	/** Calls into the isolate in progress off-thread (start, settlements); it is busy until they return. */
	private isolateCalls = 0;
	private nextCallId = 0;
	/** Host calls made by the current attempt. */
	private attemptCalls = 0;
	/** Host promises not yet settled, of any attempt (an abandoned attempt's still load the host). */
	private pendingHostCalls = 0;
	private readonly queue: QueuedCall[] = [];
	/** Effects of an attempt that may still be abandoned; undefined once the attempt counts. */
	private heldEffects: Array<() => void> | undefined;
	private released = false;

	constructor(
		private readonly slot: IsolateSlot,
		private readonly host: RunHost,
		private readonly limits: RunLimits,
		private readonly release: (slot: IsolateSlot) => void,
	) {
		this.token = slot.attach(this);
		this.deadline = performance.now() + limits.timeoutMs;
	}

	start(script: CompiledScript, contextJson: string, slow: SlowScripts): unknown {
		try {
			this.slot.load(script, this.limits.timeoutMs);
			if (slow.has(script.id)) return this.startOffThread(script, contextJson, slow);
			const remaining = Math.max(1, this.remaining());
			const slice = Math.min(this.limits.sliceMs, remaining);
			const abandonable = slice < remaining;
			if (abandonable) this.heldEffects = [];
			try {
				const returned = this.slot.start(script.id, this.token, contextJson, slice);
				if (returned !== undefined) this.outcome = returned;
			} catch (error) {
				if (!abandonable || !isTimeout(error)) throw error;
				// Still running at the end of the slice: start again, off Directus' thread.
				slow.add(script.id);
				return this.startOffThread(script, contextJson, slow);
			}
		} catch (error) {
			this.failure = this.engineFailure(error);
			this.replaceUnlessTimedOut(error);
		}
		this.applyHeldEffects();
		if (this.failure === undefined && this.outcome === undefined) return this.continueAsync();
		this.finished = true;
		this.queue.length = 0;
		this.free();
		return this.result();
	}

	onHostCall(token: number, name: string, argsJson: string): string | undefined {
		if (token !== this.token || this.finished) return RUN_ENDED;
		const effect = Object.hasOwn(this.host.effects, name) ? this.host.effects[name] : undefined;
		const fn = Object.hasOwn(this.host.functions, name) ? this.host.functions[name] : undefined;
		if (typeof fn !== 'function' && typeof effect !== 'function') return encodeError(`${name} is not a function`);
		if (++this.attemptCalls > this.limits.maxCalls) {
			return encodeError(`${name}: a script run may call the host at most ${this.limits.maxCalls} times`);
		}
		let args: unknown;
		try {
			args = decodeFromScript(argsJson);
		} catch {
			return encodeError(`The arguments of ${name} cannot be read`);
		}
		if (!Array.isArray(args)) return encodeError(`The arguments of ${name} cannot be read`);
		if (typeof effect === 'function') return this.callEffect(effect, args);
		if (this.pendingHostCalls >= this.limits.maxConcurrentCalls) {
			const callId = String(++this.nextCallId);
			this.queue.push({ token, callId, fn: fn as HostFunction, args });
			return `p${callId}`;
		}
		return this.callFunction(fn as HostFunction, args, undefined);
	}

	onLog(token: number, level: string, text: string): boolean {
		if (token !== this.token || this.finished || this.host.log === undefined) return false;
		return this.host.log.write(level, text);
	}

	onReport(token: number, outcome: string): void {
		if (token !== this.token || this.finished || this.outcome !== undefined) return;
		this.outcome = outcome;
		// During the synchronous call start() picks the outcome up itself.
		if (this.waiter !== undefined) this.finish();
	}

	/**
	 * A new attempt, from scratch, off Directus' thread; whatever the last attempt left is dropped.
	 * A script whose synchronous part now fits in the slice (it was slow once because of a pause
	 * of the machine, or of its data) is forgiven: its next run starts on the fast path again.
	 */
	private startOffThread(script: CompiledScript, contextJson: string, slow: SlowScripts): Promise<unknown> {
		this.token = this.slot.attach(this);
		this.attemptCalls = 0;
		this.queue.length = 0;
		this.heldEffects = undefined;
		this.outcome = undefined;
		// The abandoned attempt's lines are written again by this one.
		this.host.log?.reset();
		const done = this.continueAsync();
		this.isolateCalls++;
		const started = performance.now();
		this.slot.startOffThread(script.id, this.token, contextJson, Math.max(1, this.remaining())).then(
			(returned) => {
				this.isolateCalls--;
				if (performance.now() - started < this.limits.sliceMs) slow.delete(script.id);
				if (typeof returned === 'string' && this.outcome === undefined) this.outcome = returned;
				if (this.outcome !== undefined) this.finish();
				this.freeWhenIdle();
			},
			(error: unknown) => this.onIsolateFailure(error),
		);
		return done;
	}

	private callEffect(effect: HostEffect, args: unknown[]): string | undefined {
		let apply: unknown;
		try {
			apply = Reflect.apply(effect, undefined, args);
		} catch (error) {
			return encodeError(messageOf(error));
		}
		if (typeof apply !== 'function') return undefined;
		if (this.heldEffects !== undefined) this.heldEffects.push(apply as () => void);
		else this.applyEffect(apply as () => void);
		return undefined;
	}

	/** The synchronous attempt counts: its effects take place, in the order the script made them. */
	private applyHeldEffects(): void {
		const held = this.heldEffects;
		this.heldEffects = undefined;
		if (held !== undefined) for (const apply of held) this.applyEffect(apply);
	}

	private applyEffect(apply: () => void): void {
		try {
			apply();
		} catch (error) {
			this.limits.logger.warn(`A script's host call failed after the script made it: ${messageOf(error)}`);
		}
	}

	/**
	 * Calls a host function. Called by the script directly, the reply is returned (`p<id>` for a
	 * promise); started from the queue (`queuedId`), the script already holds a promise, which
	 * the result settles.
	 */
	private callFunction(fn: HostFunction, args: unknown[], queuedId: string | undefined): string | undefined {
		let result: unknown;
		try {
			result = Reflect.apply(fn, undefined, args);
		} catch (error) {
			// The message only: the host's stack (paths, frames) stays on the host.
			if (queuedId === undefined) return encodeError(messageOf(error));
			this.deliver(queuedId, encodeError(messageOf(error)));
			return undefined;
		}
		if (!isThenable(result)) {
			if (queuedId === undefined) return encodeReply(result);
			this.deliver(queuedId, encodeSettlement(result));
			return undefined;
		}
		const callId = queuedId ?? String(++this.nextCallId);
		const token = this.token;
		this.pendingHostCalls++;
		Promise.resolve(result).then(
			(value) => this.onHostCallSettled(token, callId, encodeSettlement(value)),
			(error: unknown) => this.onHostCallSettled(token, callId, encodeError(messageOf(error))),
		);
		return `p${callId}`;
	}

	private onHostCallSettled(token: number, callId: string, reply: string): void {
		this.pendingHostCalls--;
		// An abandoned attempt's result has nobody to go to.
		if (token === this.token) this.deliver(callId, reply);
		while (!this.finished && this.pendingHostCalls < this.limits.maxConcurrentCalls && this.queue.length > 0) {
			const next = this.queue.shift() as QueuedCall;
			if (next.token === this.token) this.callFunction(next.fn, next.args, next.callId);
		}
	}

	private continueAsync(): Promise<unknown> {
		return new Promise((resolve, reject) => {
			this.waiter = { resolve, reject };
			this.timer ??= setTimeout(() => this.onDeadline(), Math.max(0, this.remaining()) + DEADLINE_GRACE_MS);
		});
	}

	/** Hands a host promise's result to the script waiting for it. */
	private deliver(callId: string, reply: string): void {
		if (this.finished || this.slot.disposed) return;
		const remaining = this.remaining();
		if (remaining <= 0) return; // the deadline timer ends the run
		this.isolateCalls++;
		this.slot.settle(callId, reply, remaining).then(
			() => {
				this.isolateCalls--;
				this.freeWhenIdle();
			},
			(error: unknown) => this.onIsolateFailure(error),
		);
	}

	private onIsolateFailure(error: unknown): void {
		this.isolateCalls--;
		// Also when the run has already failed (its deadline passed while its code still ran, then
		// it ran out of memory): isolated-vm may have disposed the isolate, and handing the slot
		// back would fail the next run, of any script, with "Isolate is disposed".
		this.replaceUnlessTimedOut(error);
		if (!this.finished) {
			this.failure = this.engineFailure(error);
			this.finish();
		}
		this.freeWhenIdle();
	}

	/**
	 * After isolated-vm's timeout the isolate is idle and usable: it stopped the script and
	 * cancelled the termination, and whatever the script left (its pending promises) belongs to
	 * a token no later run carries. It is kept, because making a new one costs Directus' thread
	 * tens of ms. Out of memory or broken, it may have stopped anywhere: it is replaced.
	 */
	private replaceUnlessTimedOut(error: unknown): void {
		if (!isTimeout(error)) this.slot.dispose();
	}

	private onDeadline(): void {
		this.timer = undefined;
		if (!this.finished) {
			// Waiting on a promise that did not settle in time, or still running: the run fails now.
			this.failure = new ScriptTimeoutError(this.limits.timeoutMs);
			this.finish();
		}
		if (this.isolateCalls > 0 && !this.released) this.timer = setTimeout(() => this.onStuck(), STOP_GRACE_MS);
		else this.free();
	}

	private onStuck(): void {
		this.timer = undefined;
		if (this.isolateCalls > 0) {
			// Code is still running in the isolate although isolated-vm's own timeout has passed.
			this.limits.logger.warn('A script kept its isolate busy past its time limit; the isolate was replaced');
			this.slot.dispose();
		}
		this.free();
	}

	private finish(): void {
		if (this.finished) return;
		this.finished = true;
		// Queued host calls never start: their results could no longer be used.
		this.queue.length = 0;
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
		if (this.finished && this.isolateCalls === 0) this.free();
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
		if (isTimeout(error)) return new ScriptTimeoutError(this.limits.timeoutMs);
		if (/memory limit/i.test(message)) return new ScriptMemoryError(this.limits.memoryMb);
		this.limits.logger.warn(`A script isolate failed: ${message}`);
		return new ScriptRuntimeError('The script stopped unexpectedly');
	}
}

function isTimeout(error: unknown): boolean {
	return /timed out/i.test(messageOf(error));
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
