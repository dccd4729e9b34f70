/** GET /realtime/channels/<name>/history: the channel's numbered events, for callers /realtime/auth would admit now. */
import { channelHistory } from '@directus-realtime/shared';
import { actingForChannel, authorizerDeps } from './authorizer-deps.js';
import type { Handler, RouteDeps } from './handler.js';

export function channelHistoryRoute(deps: RouteDeps): Handler {
	const { runtime } = deps;
	const seal = (channel: string, text: string) => {
		if (!runtime.pusher.encryption) throw new Error('RT_ENCRYPTION_MASTER_KEY is not set');
		return runtime.pusher.encryption.encrypt(channel, text);
	};
	return async (caller, req) => {
		const name = req.params.name;
		const acting = await actingForChannel(deps, caller, name, `the history of ${String(name).slice(0, 200)}`);
		return channelHistory(name, req.query, acting.accountability.user, {
			...authorizerDeps(deps, acting.accountability, await caller.schema(), acting),
			history: runtime.history,
			seal,
			maxResponseBytes: runtime.config.delivery.maxHistoryResponseBytes,
		});
	};
}
