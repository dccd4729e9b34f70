/**
 * POST /realtime/auth: parse -> who (accountability) -> which channel rows (matcher, in match
 * order) -> decision (each row's sandboxed authorizer, until one that does not return null) ->
 * Pusher's answer. "No row matches" and "refused by a row" are the same FORBIDDEN answer; `log`
 * gets which, with the row and the cause.
 */
import type { PusherApp } from '../pusher/app.js';
import type { ChannelAuthorization } from '../pusher/signatures.js';
import { assertChannelName, assertSocketId, channelType } from '../pusher/names.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { RealtimeError } from '../errors.js';
import { logInFirst } from './http-errors.js';
import type { RunObserver, ScriptRunner } from '../scripts.js';
import { ScriptLog } from '../sandbox/index.js';
import type { AuthContext } from './caller.js';
import { bindMember, decide, MAX_PRESENCE_DATA_BYTES } from './decision.js';
import { decidedByPermissions, decidePermissionJoin } from './permission-join.js';
import type { PermissionSchema } from './permission-decision.js';
import type { ReadAccess } from './read-access.js';

/** What permission mode needs: Directus' read answers for the caller, the schema, the caller's own user fields. */
export interface PermissionModeDeps {
	access: ReadAccess;
	schema: PermissionSchema;
	/** The caller's user row with these fields, secrets left out (presence user_info). */
	userInfo(fields: readonly string[]): Promise<Record<string, unknown>>;
}

export interface ChannelAuthRequest {
	socket_id: string | undefined;
	channel_name: string | undefined;
}

export interface ChannelAuthDeps {
	registry: ChannelRegistry;
	scripts: ScriptRunner;
	pusher: PusherApp;
	encryption: boolean;
	/**
	 * The caller, read only once the request is known to be worth it: with `auth.permissions`, and
	 * with the relational aliases of `auth.user` (`policies`), only when asked for.
	 */
	caller(withPermissions: boolean, withUserAliases: boolean): Promise<AuthContext>;
	/** Whether an authorizer's source reads a relational alias of `auth.user` (readsUserAliases); without it, none does. */
	readsUserAliases?(source: string): boolean;
	helpers: { can: (...args: any[]) => Promise<boolean>; query: (...args: any[]) => Promise<unknown> };
	/** The id of the Directus user a presence member's user_id names, or null (the binding rule). */
	directusUserNamed(id: string): Promise<string | null>;
	log: { info(message: string): void; warn(message: string): void };
	/** Counters per row and the scripts' console lines. */
	observer?: RunObserver;
	/** Rows in permission mode; without it such rows refuse. */
	permissions?: PermissionModeDeps;
}

/** The one refusal of a join (and of a members query): no row, a refusing row, a caller not active. */
export function notAllowedToJoin(): RealtimeError {
	return new RealtimeError('FORBIDDEN', 'not allowed to join this channel');
}

export async function authorizeChannel(request: ChannelAuthRequest, userId: string | null, deps: ChannelAuthDeps): Promise<ChannelAuthorization> {
	const { socket_id, channel_name } = request;
	if (socket_id === undefined || channel_name === undefined) {
		throw new RealtimeError('INVALID_PAYLOAD', 'socket_id and channel_name are required');
	}
	assertSocketId(socket_id);
	assertChannelName(channel_name);
	if (!userId) throw logInFirst();

	const type = channelType(channel_name);
	if (type === 'public') throw new RealtimeError('PUBLIC_CHANNEL', `"${channel_name}" is a public channel: subscribe without authorization`);
	if (type === 'private-encrypted' && !deps.encryption) {
		throw new RealtimeError('ENCRYPTION_NOT_CONFIGURED', 'encrypted channels need RT_ENCRYPTION_MASTER_KEY on the server');
	}
	const member = await admitToChannel(socket_id, channel_name, userId, deps);
	return deps.pusher.signChannel(socket_id, channel_name, member);
}

/**
 * The decision of /realtime/auth without the signature: runs the matching rows' authorizers in
 * match order and resolves with the presence member (undefined for a private channel), or
 * throws the one FORBIDDEN refusal. `socket_id` is null for a query made outside a join
 * (GET /realtime/channels/<name>/users). The name and the caller are checked already.
 */
export async function admitToChannel(
	socket_id: string | null,
	channel_name: string,
	userId: string,
	deps: Pick<ChannelAuthDeps, 'registry' | 'scripts' | 'caller' | 'readsUserAliases' | 'helpers' | 'directusUserNamed' | 'log' | 'observer' | 'permissions'>,
): Promise<{ user_id: string; user_info?: unknown } | undefined> {
	const type = channelType(channel_name);
	// Every refusal answers the same, so a caller cannot probe which channels have rows.
	const refuse = (why: string, level: 'info' | 'warn' = 'info') => {
		deps.log[level](`realtime: refused ${channel_name} for user ${userId}: ${why}`);
		return notAllowedToJoin();
	};
	// Reading permissions costs two queries, the user's relational aliases one: only for scripts
	// that look at them. A context read for one row serves the next when it holds what that needs.
	const callers: Array<{ permissions: boolean; aliases: boolean; reading: Promise<AuthContext> }> = [];
	const callerFor = (withPermissions: boolean, withUserAliases: boolean) => {
		const known = callers.find((c) => (c.permissions || !withPermissions) && (c.aliases || !withUserAliases));
		if (known) return known.reading;
		const reading = deps.caller(withPermissions, withUserAliases);
		callers.push({ permissions: withPermissions, aliases: withUserAliases, reading });
		return reading;
	};

	const snapshot = await deps.registry.snapshot();
	const passed: string[] = [];
	for (const { channel, params } of snapshot.matches(channel_name)) {
		const authorizer = channel.row.authorizer;
		if (decidedByPermissions(channel.row)) {
			if (!deps.permissions) throw refuse(`${channel.label} is in permission mode, which this route does not offer`);
			let decision;
			try {
				decision = await decidePermissionJoin(channel.row, params, deps.permissions.access, deps.permissions.schema);
			} catch (error) {
				throw refuse(`the permission check of ${channel.label} failed: ${(error as Error).message}`, 'warn');
			}
			if (!decision.granted) throw refuse(`by the permissions of ${channel.label}: ${decision.reason}`);
			if (type !== 'presence') return undefined;
			return presenceMember(userId, channel.row.presence_user_fields, deps.permissions, (why) => refuse(`${channel.label}: ${why}`, 'warn'));
		}
		if (!authorizer?.trim()) throw refuse(`${channel.label} has no authorizer`);
		const auth = await callerFor(authorizer.includes('permissions'), deps.readsUserAliases?.(authorizer) ?? false);
		let result: unknown;
		const log = new ScriptLog();
		try {
			result = await deps.scripts.run({
				source: authorizer,
				context: { socket_id, channel_name, params, auth },
				functions: { can: deps.helpers.can, query: deps.helpers.query },
				log,
			});
		} catch (error) {
			deps.observer?.logged(channel, log.lines);
			deps.observer?.failed(channel, error);
			throw refuse(`the authorizer of ${channel.label} failed: ${(error as Error).message}`, 'warn');
		}
		deps.observer?.logged(channel, log.lines);
		const decision = await bindMember(decide(type, result, userId), userId, deps.directusUserNamed);
		if (decision.allowed) return decision.member;
		if ('pass' in decision) {
			passed.push(channel.label);
			continue;
		}
		throw refuse(`by ${channel.label}: ${decision.reason}`, 'misbound' in decision ? 'warn' : 'info');
	}
	throw refuse(passed.length > 0 ? `every matching row returned null (${passed.join(', ')})` : 'no channel row matches');
}

/** A permission-mode presence member: the caller, with the row's chosen fields of their user row. */
async function presenceMember(userId: string, fields: readonly string[], deps: PermissionModeDeps, refuse: (why: string) => Error): Promise<{ user_id: string; user_info?: Record<string, unknown> }> {
	if (fields.length === 0) return { user_id: userId };
	const user_info = await deps.userInfo(fields);
	const member = { user_id: userId, user_info };
	if (Buffer.byteLength(JSON.stringify(member)) > MAX_PRESENCE_DATA_BYTES) throw refuse(`presence member data is larger than ${MAX_PRESENCE_DATA_BYTES} bytes`);
	return member;
}
