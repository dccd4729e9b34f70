/** What the pipelines need from the sandbox: run a script with a context and host functions. */
import type { ScriptRun } from './sandbox/index.js';

export interface ScriptRunner {
	run(run: ScriptRun): Promise<unknown>;
}

/** Names a script sees, per kind: the seed's context plus our helpers. */
export const SCRIPT_NAMES = {
	authorizer: ['socket_id', 'channel_name', 'params', 'auth', 'can', 'query'],
	publisher: ['collection', 'action', 'meta', 'trigger', 'broadcastTo', 'sendToUser'],
} as const;

export type ScriptKind = keyof typeof SCRIPT_NAMES;
