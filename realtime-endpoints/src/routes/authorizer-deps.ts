/** What the channel's authorizers need to decide for a caller (the same for a join and a members query). */
import {
	callerHelpers,
	decidedByPermissions,
	directusReadAccess,
	isChannelName,
	notAllowedToJoin,
	readCaller,
	readsUserAliases,
	readUserSafely,
	withoutUserAliases,
	type Accountability,
} from '@directus-realtime/shared';
import type { Caller, Schema } from '../request-caller.js';
import { directusUserNamed } from '../user-accountability.js';
import type { RouteDeps } from './handler.js';

/** Whom a channel's authorizers decide for, and the user's row as read with that check. */
export interface ChannelCaller {
	accountability: Accountability;
	/** `auth.user`; undefined when it was not read (permission mode reads no user row). */
	user: Record<string, unknown> | null | undefined;
	/** Whether `user` holds the relational aliases (`policies`). */
	withAliases: boolean;
}

/**
 * Whom a join (or a members or history query) of channel `name` acts for, checked now, with what
 * of the user's row the row likely to decide needs, read in the same one query: nothing of it
 * when that row is in permission mode (only whether the user may act: id, role, status), the
 * fields stored in the row when its authorizer mentions no relational alias (`policies`), every
 * field otherwise. That row is the first match among the rows last loaded, found without a
 * query; when another row decides after all (the rows changed, or the first returned null),
 * what it needs beyond what was read is read then (authorizerDeps).
 */
export async function actingForChannel(deps: Pick<RouteDeps, 'runtime'>, caller: Caller, name: unknown, route: string): Promise<ChannelCaller> {
	const first = isChannelName(name) ? deps.runtime.registry.latest()?.match(name) : undefined;
	if (first && decidedByPermissions(first.channel.row)) return { accountability: await caller.acting(route, notAllowedToJoin), user: undefined, withAliases: false };
	const withAliases = first === undefined || (first !== null && readsUserAliases(first.channel.row.authorizer ?? '', await caller.schema()));
	return caller.actingUser(route, notAllowedToJoin, withAliases);
}

/**
 * `user`: the caller's row as read with the check that they may act (actingForChannel), handed
 * to the authorizers as it is when it holds what their scripts read; read again (every field)
 * for a script that mentions a relational alias it lacks, and when it was not read.
 */
export function authorizerDeps(deps: RouteDeps, accountability: Accountability, schema: Schema, known: Pick<ChannelCaller, 'user' | 'withAliases'>) {
	const { runtime, services, database, logger } = deps;
	return {
		registry: runtime.registry,
		scripts: runtime.scripts.authorizers,
		pusher: runtime.pusher,
		encryption: runtime.capabilities.encryption,
		caller: async (withPermissions: boolean, withUserAliases: boolean) => {
			const auth = await readCaller(accountability, services, schema, withPermissions, known.user !== undefined && (known.withAliases || !withUserAliases) ? { user: known.user } : undefined);
			// One shape per script, whichever read this request made (the row choice is a hint).
			return withUserAliases || !auth.user ? auth : { ...auth, user: withoutUserAliases(auth.user, schema) };
		},
		readsUserAliases: (source: string) => readsUserAliases(source, schema),
		helpers: callerHelpers(accountability, services, schema, database),
		directusUserNamed: (id: string) => directusUserNamed(database, id),
		log: logger,
		observer: runtime.observer,
		permissions: {
			access: directusReadAccess(accountability, schema, database),
			schema,
			userInfo: (fields: readonly string[]) => readUserSafely(services, schema, accountability.user!, fields),
		},
	};
}
