/** POST /realtime/auth: a channel join, decided by the channel's authorizers and signed. */
import { authorizeChannel, readBodyFields } from '@directus-realtime/shared';
import { actingForChannel, authorizerDeps } from './authorizer-deps.js';
import type { Handler, RouteDeps } from './handler.js';

export function channelAuthRoute(deps: RouteDeps): Handler {
	return async (caller, req) => {
		const body = await readBodyFields(req, ['socket_id', 'channel_name']);
		// Whether the user may act now, read once; with their row when an authorizer will see it (`auth.user`).
		const acting = await actingForChannel(deps, caller, body.channel_name, `/realtime/auth of ${String(body.channel_name).slice(0, 200)}`);
		const schema = await caller.schema();
		return authorizeChannel({ socket_id: body.socket_id, channel_name: body.channel_name }, acting.accountability.user, authorizerDeps(deps, acting.accountability, schema, acting));
	};
}
