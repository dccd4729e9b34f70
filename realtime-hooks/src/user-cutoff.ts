/**
 * Cuts removed users off: when a user is suspended or archived (any status but active), gets
 * another role, or is deleted, their Pusher connections end (Pusher's terminate_connections, for
 * connections signed in through /realtime/user-auth), and with them their presence memberships.
 * Runs after the change is committed (an action), never delays or fails the request.
 *
 * A sign-in already under way when the user changed (its /realtime/user-auth answered just before)
 * may reach the Pusher server after the first call: a second call, AGAIN_AFTER_MS later, ends it.
 */
import { cutOffReason, cutOffUsers, type ActionRegistrar, type PusherApp } from '@directus-realtime/shared';

export const AGAIN_AFTER_MS = 5000;

export function registerUserCutOffHooks(
	{ action }: ActionRegistrar,
	deps: { pusher: PusherApp; log: { info(m: string): void; warn(m: string): void }; againAfterMs?: number },
): void {
	const terminate = (userId: string) => deps.pusher.terminateUserConnections(userId);
	const quiet = { info: () => {}, warn: (m: string) => deps.log.warn(m) };
	const cutOff = (keys: readonly unknown[], why: string) => {
		if (keys.length === 0) return;
		void cutOffUsers(keys, why, { terminate, log: deps.log });
		setTimeout(() => void cutOffUsers(keys, `${why}, again for sign-ins under way`, { terminate, log: quiet }), deps.againAfterMs ?? AGAIN_AFTER_MS).unref();
	};
	action('users.update', (meta) => {
		const why = cutOffReason(meta.payload);
		if (why && Array.isArray(meta.keys)) cutOff(meta.keys, why);
	});
	action('users.delete', (meta) => {
		cutOff(Array.isArray(meta.keys) ? meta.keys : Array.isArray(meta.payload) ? meta.payload : [], 'deleted');
	});
}
