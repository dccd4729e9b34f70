/**
 * Cuts removed users off: when a user is suspended or archived (any status but active), gets
 * another role, or is deleted, their Pusher connections end (Pusher's terminate_connections, for
 * connections signed in through /realtime/user-auth), and with them their presence memberships.
 * Runs after the change is committed (an action), never delays or fails the request.
 */
import { cutOffReason, cutOffUsers, type PusherApp } from '@directus-realtime/shared';

interface Registrar {
	action(event: string, handler: (meta: Record<string, any>, context: any) => void): void;
}

export function registerUserCutOffHooks({ action }: Registrar, deps: { pusher: PusherApp; log: { info(m: string): void; warn(m: string): void } }): void {
	const terminate = (userId: string) => deps.pusher.terminateUserConnections(userId);
	action('users.update', (meta) => {
		const why = cutOffReason(meta.payload);
		if (why && Array.isArray(meta.keys)) void cutOffUsers(meta.keys, why, { terminate, log: deps.log });
	});
	action('users.delete', (meta) => {
		const keys = Array.isArray(meta.keys) ? meta.keys : Array.isArray(meta.payload) ? meta.payload : [];
		void cutOffUsers(keys, 'deleted', { terminate, log: deps.log });
	});
}
