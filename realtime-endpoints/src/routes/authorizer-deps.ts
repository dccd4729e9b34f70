/** What the channel's authorizers need to decide for a caller (the same for a join and a members query). */
import { callerHelpers, directusReadAccess, readCaller, readUserSafely, type Accountability } from '@directus-realtime/shared';
import type { Schema } from '../request-caller.js';
import { directusUserNamed } from '../user-accountability.js';
import type { RouteDeps } from './handler.js';

export function authorizerDeps(deps: RouteDeps, accountability: Accountability, schema: Schema) {
	const { runtime, services, database, logger } = deps;
	return {
		registry: runtime.registry,
		scripts: runtime.scripts.authorizers,
		pusher: runtime.pusher,
		encryption: runtime.capabilities.encryption,
		caller: (withPermissions: boolean) => readCaller(accountability, services, schema, withPermissions),
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
