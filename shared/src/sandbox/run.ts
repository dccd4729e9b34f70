/**
 * One run of a script on the isolate it holds, from call to outcome. The run coordinates; each
 * job is its own module: the host-call queue (host-call-queue.ts), held effects
 * (held-effects.ts), the isolate until it is idle and past the deadline (isolate-lease.ts), and
 * decoding the outcome (run-outcome.ts).
 *
 * Directus' event loop is held for at most a short slice per run (`sliceMs`, a few ms), never for
 * the run's whole time limit:
 * - Fast path: the script runs synchronously on Directus' thread (applySync), up to its first
 *   pending await, with isolated-vm's timeout set to the slice. A script that never waits on the
 *   host (publishers, typically) is done when that call returns; there is no thread hop.
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
 * An abandoned attempt leaves no trace: its effects are held and dropped, host calls carry the
 * attempt's token, so an abandoned attempt's leftover code cannot call the host, and results of
 * host calls it started are dropped, not delivered to the new attempt.
 *
 * Host calls are bounded per run: at most `maxCalls` per attempt (the next one throws in the
 * script), and at most `maxConcurrentCalls` host promises pending at once (the queue).
 *
 * A host timer bounds the whole run (waiting included) at `timeoutMs` after it started: a run
 * still waiting or running then fails with SCRIPT_TIMEOUT (its late host results are dropped,
 * its pending promises never resume).
 */
import type { CompiledScript } from './compile.js';
import { HeldEffects, type HostEffect } from './held-effects.js';
import { HostCallQueue, type HostFunction } from './host-call-queue.js';
import type { IsolateSlot, SlotRun } from './isolate-slot.js';
import { IsolateLease } from './isolate-lease.js';
import type { SandboxLogger } from './options.js';
import { decodeOutcome, engineFailure, isTimeout } from './run-outcome.js';
import { ScriptTimeoutError } from './script-errors.js';
import type { ScriptLog } from './script-log.js';
import { decodeFromScript, encodeError, RUN_ENDED } from './transfer.js';

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

class ScriptExecution implements SlotRun {
	/** The current attempt's token; calls carrying another one are refused. */
	private token: number;
	private readonly deadline: number;
	private outcome: string | undefined;
	private failure: Error | undefined;
	private finished = false;
	private waiter: { resolve(value: unknown): void; reject(error: unknown): void } | undefined;
	/** Host calls made by the current attempt. */
	private attemptCalls = 0;
	private readonly calls: HostCallQueue;
	private readonly effects: HeldEffects;
	private readonly lease: IsolateLease;

	constructor(
		private readonly slot: IsolateSlot,
		private readonly host: RunHost,
		private readonly limits: RunLimits,
		release: (slot: IsolateSlot) => void,
	) {
		this.token = slot.attach(this);
		this.deadline = performance.now() + limits.timeoutMs;
		// An abandoned attempt's result has nobody to go to.
		this.calls = new HostCallQueue(limits.maxConcurrentCalls, (token, callId, reply) => {
			if (token === this.token) this.deliver(callId, reply);
		});
		this.effects = new HeldEffects(limits.logger);
		this.lease = new IsolateLease(slot, this, release, limits.logger);
	}

	start(script: CompiledScript, contextJson: string, slow: SlowScripts): unknown {
		try {
			this.slot.load(script, this.limits.timeoutMs);
			if (slow.has(script.id)) return this.startOffThread(script, contextJson, slow);
			const remaining = Math.max(1, this.remaining());
			const slice = Math.min(this.limits.sliceMs, remaining);
			const abandonable = slice < remaining;
			if (abandonable) this.effects.hold();
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
			this.failure = engineFailure(error, this.limits);
			this.replaceUnlessTimedOut(error);
		}
		this.effects.release();
		if (this.failure === undefined && this.outcome === undefined) return this.continueAsync();
		this.finished = true;
		this.calls.clear();
		this.lease.free();
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
		if (typeof effect === 'function') return this.effects.call(effect, args);
		return this.calls.call(token, fn as HostFunction, args);
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
		this.calls.clear();
		this.effects.drop();
		this.outcome = undefined;
		// The abandoned attempt's lines are written again by this one.
		this.host.log?.reset();
		const done = this.continueAsync();
		this.lease.enter();
		const started = performance.now();
		this.slot.startOffThread(script.id, this.token, contextJson, Math.max(1, this.remaining())).then(
			(returned) => {
				this.lease.leave();
				if (performance.now() - started < this.limits.sliceMs) slow.delete(script.id);
				if (typeof returned === 'string' && this.outcome === undefined) this.outcome = returned;
				if (this.outcome !== undefined) this.finish();
				this.freeWhenIdle();
			},
			(error: unknown) => this.onIsolateFailure(error),
		);
		return done;
	}

	private continueAsync(): Promise<unknown> {
		return new Promise((resolve, reject) => {
			this.waiter = { resolve, reject };
			this.lease.watchDeadline(this.remaining(), () => this.onDeadline());
		});
	}

	/** Hands a host promise's result to the script waiting for it. */
	private deliver(callId: string, reply: string): void {
		if (this.finished || this.slot.disposed) return;
		const remaining = this.remaining();
		if (remaining <= 0) return; // the deadline timer ends the run
		this.lease.enter();
		this.slot.settle(callId, reply, remaining).then(
			() => {
				this.lease.leave();
				this.freeWhenIdle();
			},
			(error: unknown) => this.onIsolateFailure(error),
		);
	}

	private onIsolateFailure(error: unknown): void {
		this.lease.leave();
		// Also when the run has already failed (its deadline passed while its code still ran, then
		// it ran out of memory): isolated-vm may have disposed the isolate, and handing the slot
		// back would fail the next run, of any script, with "Isolate is disposed".
		this.replaceUnlessTimedOut(error);
		if (!this.finished) {
			this.failure = engineFailure(error, this.limits);
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

	/** Waiting on a promise that did not settle in time, or still running: the run fails now. */
	private onDeadline(): void {
		if (this.finished) return;
		this.failure = new ScriptTimeoutError(this.limits.timeoutMs);
		this.finish();
	}

	private finish(): void {
		if (this.finished) return;
		this.finished = true;
		// Queued host calls never start: their results could no longer be used.
		this.calls.clear();
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
		if (this.finished && this.lease.idle) this.lease.free();
	}

	private result(): unknown {
		if (this.failure !== undefined) throw this.failure;
		return decodeOutcome(this.outcome);
	}

	private remaining(): number {
		return Math.ceil(this.deadline - performance.now());
	}
}
