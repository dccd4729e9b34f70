/** GET /realtime/tail?after=<seq>: the outgoing events after a sequence number, for administrators. */
import { RealtimeError } from '@directus-realtime/shared';
import type { Handler, RouteDeps } from './handler.js';

const SEQ = /^\d{1,15}$/;

export function tailRoute({ runtime }: RouteDeps): Handler {
	return async (caller, req) => {
		await caller.admin('/realtime/tail');
		const after = req.query.after;
		if (after !== undefined && (typeof after !== 'string' || !SEQ.test(after))) {
			throw new RealtimeError('INVALID_PAYLOAD', 'after must be a sequence number from an earlier answer (a whole number)');
		}
		return runtime.activity.since(after === undefined ? 0 : Number(after));
	};
}
