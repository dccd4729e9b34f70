/**
 * The sandbox's knobs, with safe defaults. The config module maps RT_SCRIPT_TIMEOUT and
 * RT_SCRIPT_MAX_MEMORY onto `timeoutMs` and `memoryMb`; the rest rarely need changing.
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
	poolSize: number;
	cacheSize: number;
	maxQueue: number;
	logger: SandboxLogger;
}

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_MEMORY_MB = 32;

const silent: SandboxLogger = { warn: () => undefined };

export function resolveSandboxOptions(options: SandboxOptions): ResolvedSandboxOptions {
	return {
		timeoutMs: whole('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1),
		memoryMb: whole('memoryMb', options.memoryMb ?? DEFAULT_MEMORY_MB, 8),
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
