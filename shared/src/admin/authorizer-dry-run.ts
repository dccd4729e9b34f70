/**
 * An authorizer dry-run: the row's authorizer (or unsaved text) for one channel name, as a
 * given user (their `auth`, and `can()`/`query()` with their permissions), with the same
 * sandbox and limits as a real join. Signs nothing. Answers the decision, the script's console
 * lines, and which row would decide for that name (match order), so the admin sees it at work.
 */
import type { ChannelRegistry } from '../channels/registry.js';
import { RealtimeError } from '../errors.js';
import { bindMember, decide } from '../auth/decision.js';
import { channelKind } from '../pusher/names.js';
import type { AuthContext } from '../auth/caller.js';
import { runFailure, ScriptLog } from '../sandbox/index.js';
import type { ScriptRunner } from '../scripts.js';
import { dryRunChannel, type RowLoader } from './dry-run-channel.js';
import type { AuthorizerDryRun } from './dry-run-request.js';
import type { AuthorizerDryRunAnswer } from '../wire.js';
import type { ChannelRow } from '../channels/row.js';
import { decidedByPermissions } from '../auth/permission-join.js';
import type { PermissionDecision } from '../auth/permission-decision.js';

export interface AuthorizerDryRunDeps {
	registry: ChannelRegistry;
	scripts: ScriptRunner;
	loadRow: RowLoader;
	/** The user's `auth`; null when there is no such user. */
	caller(user: string, withPermissions: boolean): Promise<AuthContext | null>;
	/** Why a real join of this user is refused before any authorizer runs (not active); null otherwise, a missing user included. */
	refusedBefore(user: string): Promise<string | null>;
	/** The id of the Directus user a presence member's user_id names, or null (the binding rule). */
	directusUserNamed(id: string): Promise<string | null>;
	/** can() and query() with the user's permissions. */
	helpers(user: string): Promise<{ can: (...args: any[]) => Promise<boolean>; query: (...args: any[]) => Promise<unknown> }>;
	/** Permission mode: the decision for the user (with the refused field when there is one), and their presence user_info. */
	permissionDecision(user: string, row: ChannelRow, params: Record<string, string>): Promise<PermissionDecision>;
	userInfo(user: string, fields: readonly string[]): Promise<Record<string, unknown>>;
}

export async function dryRunAuthorizer(request: AuthorizerDryRun, deps: AuthorizerDryRunDeps): Promise<AuthorizerDryRunAnswer> {
	const channel = await dryRunChannel(request.source, 'authorizer', deps.loadRow);
	if (channel.type === 'public') throw new RealtimeError('INVALID_PAYLOAD', `"${channel.row.channel_name}" is a public channel pattern: public channels need no authorizer`);
	const params = channel.kind === channelKind(request.channel_name) ? channel.pattern.match(request.channel_name) : null;
	if (params === null) throw new RealtimeError('INVALID_PAYLOAD', `"${request.channel_name}" does not match the pattern "${channel.row.channel_name}"`);
	const snapshot = await deps.registry.snapshot();
	const matched_row = snapshot.match(request.channel_name)?.channel.row.id ?? null;
	const refused = await deps.refusedBefore(request.user);
	if (refused !== null) {
		return { granted: false, matched_row, logs: [], error: { message: `a real join is refused before any authorizer runs: ${refused}`, line: null, column: null } };
	}
	if (decidedByPermissions(channel.row)) {
		if (!(await deps.caller(request.user, false))) throw new RealtimeError('NOT_FOUND', `no user ${request.user}`);
		const decision = await deps.permissionDecision(request.user, channel.row, params);
		const fields = channel.row.presence_user_fields;
		const member = decision.granted && channel.type === 'presence' ? { user_id: request.user, ...(fields.length > 0 ? { user_info: await deps.userInfo(request.user, fields) } : {}) } : undefined;
		return { granted: decision.granted, ...(member ? { channel_data: member } : {}), matched_row, logs: [], error: null, permission_decision: decision };
	}
	const source = channel.row.authorizer!;
	const auth = await deps.caller(request.user, source.includes('permissions'));
	if (auth === null) throw new RealtimeError('NOT_FOUND', `no user ${request.user}`);
	const helpers = await deps.helpers(request.user);
	const log = new ScriptLog();
	let result: unknown;
	try {
		result = await deps.scripts.run({
			source,
			context: { socket_id: request.socket_id, channel_name: request.channel_name, params, auth },
			functions: { can: helpers.can, query: helpers.query },
			log,
		});
	} catch (error) {
		return { granted: false, matched_row, logs: log.lines, error: runFailure(error) };
	}
	const decision = await bindMember(decide(channel.type, result, request.user), request.user, deps.directusUserNamed);
	if (!decision.allowed && 'misbound' in decision) {
		return { granted: false, matched_row, logs: log.lines, error: { message: decision.reason, line: null, column: null } };
	}
	return {
		granted: decision.allowed,
		...(decision.allowed && decision.member ? { channel_data: decision.member } : {}),
		matched_row,
		logs: log.lines,
		error: null,
	};
}
