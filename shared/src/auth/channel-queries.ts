/**
 * GET /realtime/channels/<name>/users and GET /realtime/channels: questions to the Pusher HTTP
 * API asked for a client. Members of a presence channel go to callers the channel's authorizers
 * admit (the decision of /realtime/auth, unsigned; a refusal is the same FORBIDDEN); the list of
 * occupied channels is for admins (the route checks that first). A failing Pusher server is a
 * 502 with its short reason; the signed URL is never in it.
 */
import { assertChannelName, channelType } from '../pusher/names.js';
import type { PusherApp } from '../pusher/app.js';
import { RealtimeError } from '../errors.js';
import { logInFirst } from './http-errors.js';
import { admitToChannel, type ChannelAuthDeps } from './channel-auth.js';

function upstream(error: unknown): RealtimeError {
	if (error instanceof RealtimeError) return error;
	return new RealtimeError('PUSHER_UNAVAILABLE', `the Pusher server failed: ${(error as Error).message}`.slice(0, 300));
}

/** `{ users: [{ id }] }` of a presence channel, for a caller its authorizers admit. */
export async function channelMembers(
	channel_name: unknown,
	userId: string | null,
	deps: Pick<ChannelAuthDeps, 'registry' | 'scripts' | 'caller' | 'readsUserAliases' | 'helpers' | 'directusUserNamed' | 'log' | 'permissions'> & { pusher: PusherApp },
): Promise<unknown> {
	assertChannelName(channel_name);
	if (!userId) throw logInFirst();
	if (channelType(channel_name) !== 'presence') throw new RealtimeError('INVALID_CHANNEL_NAME', 'members are listed for presence channels only');
	await admitToChannel(null, channel_name, userId, deps);
	try {
		return await deps.pusher.channelUsers(channel_name);
	} catch (error) {
		throw upstream(error);
	}
}

const INFO = new Set(['subscription_count', 'user_count']);

/** Pusher's `{ channels: { <name>: { subscription_count } } }`, optionally by name prefix. */
export async function occupiedChannels(query: Record<string, unknown>, deps: { pusher: PusherApp }): Promise<unknown> {
	const params: Record<string, string> = {};
	const prefix = query.filter_by_prefix;
	if (prefix !== undefined) {
		if (typeof prefix !== 'string') throw new RealtimeError('INVALID_PAYLOAD', 'filter_by_prefix must be one string');
		assertChannelName(prefix);
		params.filter_by_prefix = prefix;
	}
	const info = query.info ?? 'subscription_count';
	if (typeof info !== 'string' || !info.split(',').every((name) => INFO.has(name))) {
		throw new RealtimeError('INVALID_PAYLOAD', 'info must be subscription_count, user_count or both, comma-separated');
	}
	if (info.split(',').includes('user_count') && !(typeof prefix === 'string' && prefix.startsWith('presence-'))) {
		throw new RealtimeError('INVALID_PAYLOAD', 'info=user_count needs filter_by_prefix=presence-…');
	}
	params.info = info;
	try {
		return await deps.pusher.channels(params);
	} catch (error) {
		throw upstream(error);
	}
}
