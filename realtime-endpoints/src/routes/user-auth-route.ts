/** POST /realtime/user-auth: Pusher user authentication, with the configured fields of the user's row. */
import { authenticateUser, readBodyFields, readUserSafely, RealtimeError } from '@directus-realtime/shared';
import type { Handler, RouteDeps } from './handler.js';

export function userAuthRoute({ runtime, services }: RouteDeps): Handler {
	return async (caller, req) => {
		const body = await readBodyFields(req, ['socket_id']);
		const accountability = await caller.acting('/realtime/user-auth', () => new RealtimeError('FORBIDDEN', 'not allowed to sign in'));
		const schema = await caller.schema();
		return authenticateUser(body.socket_id, accountability.user, {
			pusher: runtime.pusher,
			userInfoFields: runtime.config.auth.userInfoFields,
			// RT_USER_INFO_FIELDS may name relations (role.*): no secret at any depth.
			readUser: (fields) => readUserSafely(services, schema, accountability.user!, ['id', ...fields]),
		});
	};
}
