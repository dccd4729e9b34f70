/** What the pipelines need from the sandbox: run a script with a context and host functions. */
import type { ScriptLogLine, ScriptRun } from './sandbox/index.js';
import type { Channel } from './channels/registry.js';

export interface ScriptRunner {
	run(run: ScriptRun): Promise<unknown>;
}

/** Names a script sees, per kind: the seed's context plus our helpers. */
export const SCRIPT_NAMES = {
	authorizer: ['socket_id', 'channel_name', 'params', 'auth', 'can', 'query'],
	publisher: ['collection', 'action', 'meta', 'trigger', 'broadcastTo', 'sendToUser'],
} as const;

export type ScriptKind = keyof typeof SCRIPT_NAMES;

/** What the runtime keeps of real runs: counters per row, and the scripts' console lines for the log. */
export interface RunObserver {
	/** The run's console lines (none is the common case). */
	logged(channel: Channel, lines: readonly ScriptLogLine[]): void;
	/** The run failed: a script error, a time-out, a refused answer's cause. */
	failed(channel: Channel, error: unknown): void;
	/** A send the checks refused. */
	refused(channel: Channel): void;
}
