/** What the channel's authorizers need to decide for a caller (the same for a join and a members query). */
import {
	callerHelpers,
	decidedByPermissions,
	directusReadAccess,
	isChannelName,
	notAllowedToJoin,
	readCaller,
	readUserSafely,
	type Accountability,
} from '@directus-realtime/shared';
import type { Caller, Schema } from '../request-caller.js';
import { directusUserNamed } from '../user-accountability.js';
import type { RouteDeps } from './handler.js';

/**
 * Whom a join (or a members query) of channel `name` acts for, checked now: with the user's row
 * (`auth.user`, the same one read) unless the row that decides `name` is in permission mode,
 * which reads no user row (only whether the user may act: their id, role and status). Which row
 * decides is taken from the rows at hand, without a query; `user` is undefined when the row was
 * not read, and is then read if an authorizer turns out to need it after all (the rows changed).
 */
export async function actingForChannel(
	deps: Pick<RouteDeps, 'runtime'>,
	caller: Caller,
	name: unknown,
	route: string,
): Promise<{ accountability: Accountability; user: Record<string, unknown> | null | undefined }> {
	const deciding = isChannelName(name) ? deps.runtime.registry.peek()?.match(name) : undefined;
	if (deciding && decidedByPermissions(deciding.channel.row)) return { accountability: await caller.acting(route, notAllowedToJoin), user: undefined };
	return caller.actingUser(route, notAllowedToJoin);
}

/**
 * `user`: the caller's row as read with the check that they may act (Caller.actingUser), handed
 * to the authorizers as it is; undefined when it was not read (read then on first need).
 */
export function authorizerDeps(deps: RouteDeps, accountability: Accountability, schema: Schema, user: Record<string, unknown> | null | undefined) {
	const { runtime, services, database, logger } = deps;
	return {
		registry: runtime.registry,
		scripts: runtime.scripts.authorizers,
		pusher: runtime.pusher,
		encryption: runtime.capabilities.encryption,
		caller: (withPermissions: boolean) => readCaller(accountability, services, schema, withPermissions, user === undefined ? undefined : { user }),
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
