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
 *   functions: { trigger: (params, event, payload, exclude) => queue.add(...), broadcastTo, sendToUser },
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
 * as plain functions (sync or async; their arguments and results cross as JSON copies, their
 * errors as `new Error(message)`), and standard JavaScript (no `process`, `require`, `import`,
 * timers, `fetch`, WebAssembly, SharedArrayBuffer). Its return value comes back as a JSON copy.
 * A script cannot keep or see state across runs: the realm is frozen (realm.ts).
 *
 * Limits: `timeoutMs` (RT_SCRIPT_TIMEOUT, default 1000) bounds a whole run, awaits included;
 * `memoryMb` (RT_SCRIPT_MAX_MEMORY, default 32) caps each isolate's heap. A run over either limit
 * fails; an isolate that was stopped mid-code is replaced; Directus' event loop is never held
 * longer than `timeoutMs`.
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
export type { HostEffect, HostFunction } from './run.js';
export {
	DEFAULT_MAX_CALLS,
	DEFAULT_MAX_CONCURRENT_CALLS,
	DEFAULT_MEMORY_MB,
	DEFAULT_SLICE_MS,
	DEFAULT_TIMEOUT_MS,
	 type SandboxLogger, type SandboxOptions } from './options.js';
export { loadIsolatedVm, defaultEngineLocations, type EngineLocations, type IsolatedVmModule } from './engine.js';
export {
	SandboxBusyError,
	SandboxError,
	SandboxUnavailableError,
	ScriptMemoryError,
	ScriptRuntimeError,
	ScriptSyntaxError,
	ScriptTimeoutError,
	type SandboxErrorCode,
	type ScriptDiagnostic,
} from './errors.js';
