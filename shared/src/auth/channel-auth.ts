/**
 * POST /realtime/auth: parse -> who (accountability) -> which channel row (matcher) -> decision
 * (the row's sandboxed authorizer) -> Pusher's answer. Each refusal is a RealtimeError with a
 * code; `log` gets the row and the cause.
 */
import type { PusherApp } from '../pusher/app.js';
import type { ChannelAuthorization } from '../pusher/signatures.js';
import { assertChannelName, assertSocketId, channelType } from '../channels/names.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { RealtimeError } from '../errors.js';
import type { ScriptRunner } from '../scripts.js';
import type { AuthContext } from './caller.js';
import { decide } from './decision.js';

export interface ChannelAuthRequest {
	socket_id: string | undefined;
	channel_name: string | undefined;
}

export interface ChannelAuthDeps {
	registry: ChannelRegistry;
	scripts: ScriptRunner;
	pusher: PusherApp;
	encryption: boolean;
	/** The caller, read only once the request is known to be worth it. */
	caller(withPermissions: boolean): Promise<AuthContext>;
	helpers: { can: (...args: any[]) => Promise<boolean>; query: (...args: any[]) => Promise<unknown> };
	log: { info(message: string): void; warn(message: string): void };
}

export async function authorizeChannel(request: ChannelAuthRequest, userId: string | null, deps: ChannelAuthDeps): Promise<ChannelAuthorization> {
	const { socket_id, channel_name } = request;
	if (socket_id === undefined || channel_name === undefined) {
		throw new RealtimeError('INVALID_PAYLOAD', 'socket_id and channel_name are required');
	}
	assertSocketId(socket_id);
	assertChannelName(channel_name);
	if (!userId) throw new RealtimeError('UNAUTHENTICATED', 'log in first: send a Directus token (Authorization: Bearer, access_token or the session cookie)');

	const type = channelType(channel_name);
	if (type === 'public') throw new RealtimeError('PUBLIC_CHANNEL', `"${channel_name}" is a public channel: subscribe without authorization`);
	if (type === 'private-encrypted' && !deps.encryption) {
		throw new RealtimeError('ENCRYPTION_NOT_CONFIGURED', 'encrypted channels need RT_ENCRYPTION_MASTER_KEY on the server');
	}
	const match = await deps.registry.match(channel_name);
	if (!match) throw new RealtimeError('NO_MATCHING_CHANNEL', `no channel matches "${channel_name}"`);
	const { channel, params } = match;
	const authorizer = channel.row.authorizer;
	if (!authorizer?.trim()) {
		deps.log.info(`realtime: refused ${channel_name} for user ${userId}: ${channel.label} has no authorizer`);
		throw new RealtimeError('FORBIDDEN', 'not allowed to join this channel');
	}

	// Reading permissions costs two queries: only for scripts that look at them.
	const auth = await deps.caller(authorizer.includes('permissions'));
	let result: unknown;
	try {
		result = await deps.scripts.run({
			source: authorizer,
			context: { socket_id, channel_name, params, auth },
			functions: { can: deps.helpers.can, query: deps.helpers.query },
		});
	} catch (error) {
		deps.log.warn(`realtime: authorizer of ${channel.label} failed for ${channel_name} (user ${userId}): ${(error as Error).message}`);
		throw new RealtimeError('FORBIDDEN', 'not allowed to join this channel');
	}
	const decision = decide(type, result, userId);
	if (!decision.allowed) {
		deps.log.info(`realtime: refused ${channel_name} for user ${userId} by ${channel.label}: ${decision.reason}`);
		throw new RealtimeError('FORBIDDEN', 'not allowed to join this channel');
	}
	return deps.pusher.authorizeChannel(socket_id, channel_name, decision.member);
}
