/** POST /realtime/auth: a channel join, decided by the channel's authorizers and signed. */
import { authorizeChannel, notAllowedToJoin, readBodyFields } from '@directus-realtime/shared';
import { authorizerDeps } from './authorizer-deps.js';
import type { Handler, RouteDeps } from './handler.js';

export function channelAuthRoute(deps: RouteDeps): Handler {
	return async (caller, req) => {
		const body = await readBodyFields(req, ['socket_id', 'channel_name']);
		// The user's row, read once: whether they may act now, and `auth.user` for the authorizers.
		const { accountability, user } = await caller.actingUser(`/realtime/auth of ${String(body.channel_name).slice(0, 200)}`, notAllowedToJoin);
		const schema = await caller.schema();
		return authorizeChannel({ socket_id: body.socket_id, channel_name: body.channel_name }, accountability.user, authorizerDeps(deps, accountability, schema, user));
	};
}
