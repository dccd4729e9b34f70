/**
 * POST /realtime/user-auth: Pusher user authentication (`pusher:signin`), so `sendToUser` from
 * publishers reaches every connection of that user. user_info holds the configured fields of
 * the user's row (RT_USER_INFO_FIELDS), never a secret.
 */
import type { PusherApp } from '../pusher/app.js';
import { assertSocketId } from '../pusher/names.js';
import { RealtimeError } from '../errors.js';
import { logInFirst } from './http-errors.js';
import { redactUser } from './redact.js';

export async function authenticateUser(
	socketId: string | undefined,
	userId: string | null,
	deps: { pusher: PusherApp; userInfoFields: string[]; readUser(fields: string[]): Promise<Record<string, unknown>> },
): Promise<{ auth: string; user_data: string }> {
	if (socketId === undefined) throw new RealtimeError('INVALID_PAYLOAD', 'socket_id is required');
	assertSocketId(socketId);
	if (!userId) throw logInFirst();
	const info = redactUser(await deps.readUser(deps.userInfoFields));
	delete (info as Record<string, unknown>).id;
	return deps.pusher.signUser(socketId, { id: userId, user_info: info });
}
