/**
 * The sandbox's front door: checks scripts at save time and runs them with a context and host
 * functions. It delegates: compile.ts compiles and caches, pool.ts lends isolates, run.ts runs.
 */
import { ScriptCompiler } from './compile.js';
import { loadIsolatedVm } from './engine.js';
import { type ScriptDiagnostic, SandboxUnavailableError } from './script-errors.js';
import { IsolateSlot } from './isolate-slot.js';
import { type ResolvedSandboxOptions, type SandboxOptions, resolveSandboxOptions } from './options.js';
import { IsolatePool } from './pool.js';
import { LruMap } from './lru.js';
import type { HostEffect } from './held-effects.js';
import type { HostFunction } from './host-call-queue.js';
import { type RunHost, type SlowScripts, executeScript } from './run.js';
import { encodeContext } from './transfer.js';
import type { ScriptLog } from './script-log.js';

export interface ScriptRun {
	/** The body of a function, as the admin wrote it; `await` allowed. */
	source: string;
	/** Plain data the script sees as variables of these names; copied in, never shared. */
	context?: Record<string, unknown>;
	/** Host functions the script may call by these names (e.g. can, query). */
	functions?: Record<string, HostFunction>;
	/**
	 * Host functions with an effect outside the run (e.g. trigger): each checks its arguments when
	 * called and returns the effect, applied once the call is known to count (held-effects.ts).
	 */
	effects?: Record<string, HostEffect>;
	/** Collects the run's `console.log` lines, bounded (script-log.ts); without it they are dropped. */
	log?: ScriptLog;
}

export interface SandboxStats {
	isolates: number;
	busy: number;
	queued: number;
	/** Distinct script texts in the compile cache. */
	compiledScripts: number;
	/** Script functions loaded, summed over the isolates. */
	loadedScripts: number;
}

export class ScriptSandbox {
	private readonly options: ResolvedSandboxOptions;
	private readonly compiler: ScriptCompiler;
	private readonly pool: IsolatePool;
	private readonly releaseSlot = (slot: IsolateSlot): void => this.pool.release(slot);
	/** Scripts that outlasted the slice once: their runs start off Directus' thread. */
	private readonly slowScripts: SlowScripts;
	private disposed = false;

	/** Throws SandboxUnavailableError when isolated-vm cannot be loaded: call it at start-up. */
	constructor(options: SandboxOptions = {}) {
		this.options = resolveSandboxOptions(options);
		const engine = options.engine ?? loadIsolatedVm();
		const { memoryMb, cacheSize, poolSize, maxQueue } = this.options;
		this.compiler = new ScriptCompiler(engine, cacheSize, memoryMb);
		this.pool = new IsolatePool(poolSize, maxQueue, () => IsolateSlot.open(engine, memoryMb, cacheSize));
		const slow = new LruMap<number, true>(cacheSize);
		this.slowScripts = { has: (id) => slow.get(id) !== undefined, add: (id) => void slow.set(id, true), delete: (id) => slow.delete(id) };
	}

	/**
	 * For save time: null when the script compiles with `names` (its context and function names)
	 * in scope, otherwise what is wrong and where, in the admin's own lines and columns. Does not
	 * run the script.
	 */
	check(source: string, names: readonly string[]): ScriptDiagnostic | null {
		this.assertOpen();
		return this.compiler.check(source, names);
	}

	/**
	 * Runs the script and resolves with its return value (a JSON copy). Rejects with a
	 * SandboxError: SCRIPT_SYNTAX, SCRIPT_RUNTIME, SCRIPT_TIMEOUT, SCRIPT_MEMORY, SANDBOX_BUSY or
	 * SANDBOX_UNAVAILABLE; with a TypeError when the call itself is wrong (a context name that is
	 * not an identifier, a context JSON cannot carry, a function that is not one).
	 */
	run(run: ScriptRun): Promise<unknown> {
		// Not an async function: the common case (an idle isolate, a script that does not wait)
		// settles here without the extra ticks an async function costs.
		try {
			this.assertOpen();
			const context = run.context ?? {};
			const host: RunHost = { functions: run.functions ?? {}, effects: run.effects ?? {}, log: run.log };
			const functionNames = [...Object.keys(host.functions), ...Object.keys(host.effects)];
			for (const name of functionNames) {
				const fn = Object.hasOwn(host.functions, name) ? host.functions[name] : host.effects[name];
				if (typeof fn !== 'function') throw new TypeError(`Script function "${name}" is not a function`);
			}
			const script = this.compiler.prepare(run.source, Object.keys(context), functionNames);
			const contextJson = encodeContext(context);
			const slot = this.pool.tryAcquire();
			if (slot === undefined) {
				return this.pool
					.acquire()
					.then((next) => executeScript(next, script, contextJson, host, this.options, this.slowScripts, this.releaseSlot));
			}
			return Promise.resolve(executeScript(slot, script, contextJson, host, this.options, this.slowScripts, this.releaseSlot));
		} catch (error) {
			return Promise.reject(error);
		}
	}

	stats(): SandboxStats {
		return {
			isolates: this.pool.isolates,
			busy: this.pool.busy,
			queued: this.pool.queued,
			compiledScripts: this.compiler.size,
			loadedScripts: this.pool.loadedScripts,
		};
	}

	/**
	 * Stops every isolate. Runs waiting for an isolate fail with SANDBOX_UNAVAILABLE; runs in
	 * progress end with an error (at the latest when their time limit passes).
	 */
	dispose(): void {
		this.disposed = true;
		this.pool.dispose();
		this.compiler.dispose();
	}

	private assertOpen(): void {
		if (this.disposed) throw new SandboxUnavailableError('The script sandbox has been disposed');
	}
}
