/** What the channel's authorizers need to decide for a caller (the same for a join and a members query). */
import { callerHelpers, directusReadAccess, readCaller, readUserSafely, type Accountability } from '@directus-realtime/shared';
import type { Schema } from '../request-caller.js';
import { directusUserNamed } from '../user-accountability.js';
import type { RouteDeps } from './handler.js';

/** `user`: the caller's row as read with the check that they may act (Caller.actingUser), handed to the authorizers as it is. */
export function authorizerDeps(deps: RouteDeps, accountability: Accountability, schema: Schema, user: Record<string, unknown> | null) {
	const { runtime, services, database, logger } = deps;
	return {
		registry: runtime.registry,
		scripts: runtime.scripts.authorizers,
		pusher: runtime.pusher,
		encryption: runtime.capabilities.encryption,
		caller: (withPermissions: boolean) => readCaller(accountability, services, schema, withPermissions, { user }),
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
