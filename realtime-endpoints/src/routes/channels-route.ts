/** GET /realtime/channels (admins only) and GET /realtime/channels/<name>/users (callers a presence channel's authorizers admit). */
import { channelMembers, occupiedChannels, RealtimeError } from '@directus-realtime/shared';
import { actingForChannel, authorizerDeps } from './authorizer-deps.js';
import type { Handler, RouteDeps } from './handler.js';

export function occupiedChannelsRoute({ runtime }: RouteDeps): Handler {
	return async (caller, req) => {
		// Admins only, checked before anything else; everyone else gets the same 403.
		await caller.admin('/realtime/channels', () => new RealtimeError('FORBIDDEN', 'not allowed to list channels'));
		return occupiedChannels(req.query as Record<string, unknown>, { pusher: runtime.pusher });
	};
}

export function channelMembersRoute(deps: RouteDeps): Handler {
	return async (caller, req) => {
		const name = req.params.name;
		const acting = await actingForChannel(deps, caller, name, `the members of ${String(name).slice(0, 200)}`);
		return channelMembers(name, acting.accountability.user, authorizerDeps(deps, acting.accountability, await caller.schema(), acting));
	};
}
