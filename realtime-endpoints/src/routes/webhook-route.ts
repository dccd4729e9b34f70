/** POST /realtime/webhook: a batch the webhook gate verified (key and signature), emitted as Directus actions. */
import { emitWebhook, handedOver, RealtimeError, type Accountability } from '@directus-realtime/shared';
import { senderAccountability } from '../user-accountability.js';
import type { Handler, RouteDeps } from './handler.js';

export function webhookRoute({ runtime, database, emitter, logger }: RouteDeps): Handler {
	/**
	 * The sender's permissions, looked up at most once per user and second (see sender-cache.ts).
	 * Keyed by the user_id exactly as given: on SQLite the upper-case spelling of a user's id is no
	 * user's (any caller may join under it) and gets the public's permissions, so a key folded to
	 * lower case would hand it the user's cached permissions, or the user the public's. Each event
	 * gets a copy.
	 */
	const cachedSenderAccountability = async (userId: unknown): Promise<Accountability> => {
		if (typeof userId !== 'string' || userId === '') return senderAccountability(database, userId);
		const accountability = await runtime.clientEvents.senders.get(userId, () => senderAccountability(database, userId));
		return { ...accountability, roles: [...(accountability.roles ?? [])] };
	};

	return async (caller, req) => {
		// Only the webhook gate (realtime-hooks) hands a batch over, once key and signature held.
		const batch = handedOver(req, 'webhook')?.batch;
		if (!batch) throw new RealtimeError('UNAUTHENTICATED', 'a webhook must carry X-Pusher-Key and X-Pusher-Signature');
		return emitWebhook(batch, {
			snapshot: () => runtime.registry.snapshot(),
			bound: runtime.clientEvents.bound,
			activity: runtime.activity,
			counters: runtime.webhooks,
			cacheMisses: runtime.cacheMisses,
			senderAccountability: cachedSenderAccountability,
			emitter,
			context: async () => ({ database, schema: await caller.schema() }),
			log: logger,
		});
	};
}
