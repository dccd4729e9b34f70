/**
 * The sandbox's knobs, with safe defaults. The config module maps RT_SCRIPT_TIMEOUT,
 * RT_SCRIPT_MAX_MEMORY, RT_SCRIPT_SLICE, RT_SCRIPT_MAX_CALLS and RT_SCRIPT_MAX_CONCURRENT_CALLS
 * onto `timeoutMs`, `memoryMb`, `sliceMs`, `maxCalls` and `maxConcurrentCalls`; the rest rarely
 * need changing.
 */
import type { IsolatedVmModule } from './engine.js';

export interface SandboxLogger {
	warn(message: string): void;
}

export interface SandboxOptions {
	/** Wall-clock limit of one run, awaited host calls included. Default 1000 ms. */
	timeoutMs?: number;
	/** Heap limit of each isolate. Default 32 MB; isolated-vm's minimum is 8. */
	memoryMb?: number;
	/**
	 * How long a run may run synchronously on Directus' thread before it is moved off it (run.ts).
	 * Default 5 ms.
	 */
	sliceMs?: number;
	/** Host calls (functions and effects) one run may make; the next one throws in the script. Default 100. */
	maxCalls?: number;
	/** Host promises one run may have pending at once; further calls wait in the run's queue. Default 4. */
	maxConcurrentCalls?: number;
	/** Isolates kept for runs; a run holds one until it settles. Default 4. */
	poolSize?: number;
	/** Compiled scripts kept (per isolate, and of check results), least recently used dropped. Default 256. */
	cacheSize?: number;
	/** Runs allowed to wait for a free isolate before new ones fail with SANDBOX_BUSY. Default 10,000. */
	maxQueue?: number;
	logger?: SandboxLogger;
	/** The engine; by default found with `loadIsolatedVm()`. */
	engine?: IsolatedVmModule;
}

export interface ResolvedSandboxOptions {
	timeoutMs: number;
	memoryMb: number;
	sliceMs: number;
	maxCalls: number;
	maxConcurrentCalls: number;
	poolSize: number;
	cacheSize: number;
	maxQueue: number;
	logger: SandboxLogger;
}

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_MEMORY_MB = 32;
export const DEFAULT_SLICE_MS = 5;
export const DEFAULT_MAX_CALLS = 100;
export const DEFAULT_MAX_CONCURRENT_CALLS = 4;

const silent: SandboxLogger = { warn: () => undefined };

export function resolveSandboxOptions(options: SandboxOptions): ResolvedSandboxOptions {
	return {
		timeoutMs: whole('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1),
		memoryMb: whole('memoryMb', options.memoryMb ?? DEFAULT_MEMORY_MB, 8),
		sliceMs: whole('sliceMs', options.sliceMs ?? DEFAULT_SLICE_MS, 1),
		maxCalls: whole('maxCalls', options.maxCalls ?? DEFAULT_MAX_CALLS, 1),
		maxConcurrentCalls: whole('maxConcurrentCalls', options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS, 1),
		poolSize: whole('poolSize', options.poolSize ?? 4, 1),
		cacheSize: whole('cacheSize', options.cacheSize ?? 256, 1),
		maxQueue: whole('maxQueue', options.maxQueue ?? 10_000, 0),
		logger: options.logger ?? silent,
	};
}

function whole(name: string, value: number, min: number): number {
	if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`Sandbox option ${name} must be a whole number >= ${min}, got ${value}`);
	return value;
}
