/**
 * One pooled isolate: its single hardened context (realm.ts), the scripts loaded into it (at most
 * `cacheSize`, least recently used unloaded), and the two host callbacks through which the run
 * that currently holds the isolate talks to Directus. A slot serves one run at a time.
 */
import type { Context, Isolate, Reference } from 'isolated-vm';
import type { CompiledScript } from './compile.js';
import type { IsolatedVmModule } from './engine.js';
import { LruMap } from './lru.js';
import { REALM_FILENAME, REALM_SOURCE, SCRIPT_FILENAME } from './realm.js';
import { RUN_ENDED } from './transfer.js';

/** The run holding a slot; receives the isolate's host calls and its final outcome. */
export interface SlotRun {
	onHostCall(token: number, name: string, argsJson: string): string | undefined;
	onReport(token: number, outcome: string): void;
	/** A console line of the script; false when no more are wanted this run. */
	onLog(token: number, level: string, text: string): boolean;
}

export class IsolateSlot {
	private context!: Context;
	private runFn!: Reference;
	private settleFn!: Reference;
	private registerFn!: Reference;
	private forgetFn!: Reference;
	private readonly loaded: LruMap<number, true>;
	private current: SlotRun | undefined;
	private tokens = 0;
	/**
	 * Set when this slot disposes its isolate. Kept in JS because isolate.isDisposed crosses into
	 * native code (~0.1 us) and the pool asks on every run; isolated-vm disposes an isolate by
	 * itself only while running it (memory limit), which throws, and run.ts then disposes the slot.
	 */
	private closed = false;

	/**
	 * A new isolate with its realm. The realm is built off Directus' thread (hardening it walks
	 * every intrinsic: tens of ms on a busy machine), so a pool that replaces an isolate does not
	 * hold Directus' event loop meanwhile.
	 */
	static async open(engine: IsolatedVmModule, memoryMb: number, cacheSize: number): Promise<IsolateSlot> {
		// No `onCatastrophicError`: with a handler set, isolated-vm 5.0.3 raises "Script failed to
		// terminate" while a timed-out script is still being stopped (run_with_timeout.h compares
		// the deadline the wrong way round) and the handler's scheduling then segfaults the process.
		// Without one, it keeps terminating until the script stops, which is what we want.
		const isolate = new engine.Isolate({ memoryLimit: memoryMb });
		const slot = new IsolateSlot(isolate, cacheSize);
		try {
			await slot.prepare(engine);
		} catch (error) {
			slot.dispose();
			throw error;
		}
		return slot;
	}

	private constructor(
		private readonly isolate: Isolate,
		cacheSize: number,
	) {
		this.loaded = new LruMap(cacheSize);
	}

	private async prepare(engine: IsolatedVmModule): Promise<void> {
		this.context = await this.isolate.createContext();
		const hostCall = new engine.Callback((token: number, name: string, argsJson: string) =>
			this.current === undefined || typeof name !== 'string' || typeof argsJson !== 'string'
				? RUN_ENDED
				: this.current.onHostCall(token, name, argsJson),
		);
		const report = new engine.Callback((token: number, outcome: string) => {
			if (typeof outcome === 'string') this.current?.onReport(token, outcome);
		});
		const log = new engine.Callback((token: number, level: string, text: string) =>
			this.current !== undefined && typeof level === 'string' && typeof text === 'string' ? this.current.onLog(token, level, text) : false,
		);
		const api = (await this.context.evalClosure(REALM_SOURCE, [hostCall, report, log], {
			result: { reference: true },
			filename: REALM_FILENAME,
		})) as Reference;
		try {
			[this.runFn, this.settleFn, this.registerFn, this.forgetFn] = await Promise.all([
				api.get('run', { reference: true }),
				api.get('settle', { reference: true }),
				api.get('register', { reference: true }),
				api.get('forget', { reference: true }),
			]);
		} finally {
			api.release();
		}
	}

	get disposed(): boolean {
		return this.closed;
	}

	get scriptCount(): number {
		return this.loaded.size;
	}

	/** Makes `run` the holder of this slot; returns the token its calls must carry. */
	attach(run: SlotRun): number {
		this.current = run;
		return ++this.tokens;
	}

	detach(run: SlotRun): void {
		if (this.current === run) this.current = undefined;
	}

	/** Compiles the script into this isolate unless it is there already. Call only while idle. */
	load(script: CompiledScript, timeoutMs: number): void {
		if (this.loaded.get(script.id) !== undefined) return;
		const compiled = this.isolate.compileScriptSync(script.code, { filename: SCRIPT_FILENAME, lineOffset: -1 });
		try {
			// Evaluating the wrapper only creates the function; the script itself does not run.
			const fn = compiled.runSync(this.context, { reference: true, timeout: timeoutMs }) as Reference;
			try {
				this.registerFn.applySync(undefined, [script.id, fn.derefInto(), script.namesJson, script.hostJson], { timeout: timeoutMs });
			} finally {
				fn.release();
			}
		} finally {
			compiled.release();
		}
		for (const [id] of this.loaded.set(script.id, true)) this.forgetFn.applySync(undefined, [id], { timeout: timeoutMs });
	}

	/**
	 * Runs a loaded script synchronously, up to its first pending await, on Directus' thread: give
	 * it a short timeout (run.ts's slice). isolated-vm stops a script that times out and leaves the
	 * isolate usable. Returns the encoded
	 * outcome when the script finished within this call (or undefined when it continues, or when
	 * it already reported through the report callback during its microtasks). Throws isolated-vm's
	 * errors (timeout, memory limit, disposal).
	 */
	start(scriptId: number, token: number, contextJson: string, timeoutMs: number): string | undefined {
		return this.runFn.applySync(undefined, [scriptId, token, contextJson], { timeout: timeoutMs }) as string | undefined;
	}

	/**
	 * Like start, but on one of isolated-vm's threads: Directus' event loop stays free while the
	 * script runs. Resolves with what start would have returned.
	 */
	startOffThread(scriptId: number, token: number, contextJson: string, timeoutMs: number): Promise<unknown> {
		return this.runFn.apply(undefined, [scriptId, token, contextJson], { timeout: timeoutMs });
	}

	/** Delivers a host promise's result to the waiting script; resolves when the isolate is idle again. */
	settle(callId: string, reply: string, timeoutMs: number): Promise<unknown> {
		return this.settleFn.apply(undefined, [callId, reply], { timeout: timeoutMs });
	}

	dispose(): void {
		this.closed = true;
		this.current = undefined;
		if (!this.isolate.isDisposed) this.isolate.dispose();
	}
}
