/** GET /realtime/health: that it is up for anyone; queue depth, failures and rows for administrators. */
import { adminsOnly, channelRowsOverview, RealtimeError, runtimeStats, type HealthReply } from '@directus-realtime/shared';
import type { Handler, RouteDeps } from './handler.js';

export function healthRoute({ runtime, database }: RouteDeps): Handler {
	return async (caller) => {
		const admin = await caller.admin('/realtime/health details', adminsOnly).catch((error: unknown) => {
			if (error instanceof RealtimeError && error.code === 'FORBIDDEN') return null;
			throw error;
		});
		if (!admin) return { status: 'ok' } satisfies HealthReply;
		const [rows, pusher] = await Promise.all([channelRowsOverview(database, runtime.activity), runtime.probePusher()]);
		return { status: 'ok', ...runtimeStats(runtime), pusher, rows } satisfies HealthReply;
	};
}
