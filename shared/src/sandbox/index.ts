/**
 * # Script sandbox
 *
 * Runs the admins' channel scripts (authorizers and publishers) in isolated-vm: separate V8
 * isolates with a heap cap and a time limit, loaded from the Directus installation (engine.ts).
 *
 * ```ts
 * const sandbox = new ScriptSandbox({ timeoutMs: config.script.timeoutMs, memoryMb: config.script.maxMemoryMb, logger });
 *
 * // Save time: refuse a broken script, with the position in the admin's own code.
 * sandbox.check(row.publisher, ['collection', 'action', 'meta', 'trigger', 'broadcastTo', 'sendToUser']);
 * // -> null, or { message: "Unexpected token ')'", line: 2, column: 14 }
 *
 * // Run time: the script is the body of a function; its context names are its variables.
 * await sandbox.run({
 *   source: "trigger({ userId: meta.payload.recipient }, 'message', meta.payload);",
 *   context: { collection: 'chat', action: 'create', meta },
 *   // Effects: check now (errors reach the script), return what to do once the call counts.
 *   effects: { trigger: (params, event, payload) => { const e = outgoing(params, event, payload); return () => queue.add(e); } },
 * });
 * const decision = await sandbox.run({
 *   source: "return await can('read', 'rooms', params.roomId);",
 *   context: { socket_id, channel_name, params, auth },
 *   functions: { can: (action, collection, id) => permissions.allows(...) },   // may be async
 * });
 *
 * sandbox.dispose(); // on shutdown
 * ```
 *
 * What a script gets: its context as variables (JSON copies made per run), the host functions
 * and effects as plain functions (functions sync or async; arguments and results cross as JSON
 * copies, errors as `new Error(message)`; an effect returns undefined), and standard JavaScript (no `process`, `require`, `import`,
 * timers, `fetch`, WebAssembly, SharedArrayBuffer). Its return value comes back as a JSON copy.
 * A script cannot keep or see state across runs: the realm is frozen (realm.ts).
 *
 * Limits: `timeoutMs` (RT_SCRIPT_TIMEOUT, default 1000) bounds a whole run, awaits included;
 * `memoryMb` (RT_SCRIPT_MAX_MEMORY, default 32) caps each isolate's heap. A run over either limit
 * fails; an isolate that ran out of memory, or was still running past the deadline, is replaced.
 * Host calls per run: at most `maxCalls` (RT_SCRIPT_MAX_CALLS, 100; the next one throws in the
 * script) and `maxConcurrentCalls` host promises pending at once (RT_SCRIPT_MAX_CONCURRENT_CALLS,
 * 4; later calls queue, and queued calls are dropped, never started, when the run ends).
 *
 * Directus' event loop is held by a run for at most `sliceMs` (RT_SCRIPT_SLICE, 5 ms), never
 * for its time limit (run.ts): a run still going at the end of the slice is stopped and run
 * again from scratch off Directus' thread with the rest of its time, and its script starts off
 * the thread from then on (until a run shows it fits in the slice again). Effects of the
 * abandoned attempt never happen; results of its async host calls are dropped. Isolates are
 * made off the thread too (pool.ts). Eight concurrent looping runs: the loop's longest stall
 * ~40 ms, the busy test machine's idle noise, against 8 s before (bench/event-loop.bench.ts).
 *
 * Errors are SandboxErrors with a `code`: SCRIPT_SYNTAX (line, column), SCRIPT_RUNTIME (line),
 * SCRIPT_TIMEOUT, SCRIPT_MEMORY, SANDBOX_BUSY, SANDBOX_UNAVAILABLE. Messages are for admins and
 * carry no host paths or stacks.
 *
 * Cost: a run of a two-line publisher costs ~1.6x a bare isolated-vm call doing the same JSON
 * copies (12-16 us vs 9-10 us on the shared 2-core test machine; an unsandboxed `new Function`:
 * 0.1 us). A run that awaits an async host function continues off-thread: ~80-130 us. Scripts
 * compile once per content; isolates and their context are reused. See bench/sandbox.bench.ts.
 */
export { ScriptSandbox, type ScriptRun, type SandboxStats } from './sandbox.js';
export type { HostEffect } from './held-effects.js';
export type { HostFunction } from './host-call-queue.js';
export { ConsoleBudget, ScriptLog, SCRIPT_LOG_CUT, SCRIPT_LOG_LIMITS, type ScriptLogLevel, type ScriptLogLine } from './script-log.js';
export {
	DEFAULT_MAX_CALLS,
	DEFAULT_MAX_CONCURRENT_CALLS,
	DEFAULT_MEMORY_MB,
	DEFAULT_SLICE_MS,
	DEFAULT_TIMEOUT_MS,
	type SandboxLogger,
	type SandboxOptions,
} from './options.js';
export { loadIsolatedVm, defaultEngineLocations, type EngineLocations, type IsolatedVmModule } from './engine.js';
export {
	SandboxBusyError,
	SandboxError,
	SandboxUnavailableError,
	ScriptMemoryError,
	ScriptRuntimeError,
	ScriptSyntaxError,
	ScriptTimeoutError,
	runFailure,
	type SandboxErrorCode,
	type ScriptDiagnostic,
} from './script-errors.js';
