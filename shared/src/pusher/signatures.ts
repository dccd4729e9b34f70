/**
 * Pusher's signatures, pure: the HTTP API's signed query (auth version 1.0), and the answers to
 * pusher-js' channel authorization and user authentication. Nothing here does I/O or reads a
 * clock; the caller passes the time.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AppCredentials {
	key: string;
	secret: string;
}

export type ChannelAuthorization = { auth: string; channel_data?: string; shared_secret?: string };
export type UserAuthentication = { auth: string; user_data: string };

export function hmacSha256Hex(secret: string, text: string): string {
	return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/**
 * The query string that authenticates one HTTP API request: auth_key, auth_timestamp,
 * auth_version and (with a body) body_md5, in key order, then auth_signature over
 * "METHOD\nPATH\nQUERY". The values need no escaping: key, hex digests, and extra parameters the
 * caller checked (channel-name characters only).
 */
export function signedQuery(app: AppCredentials, method: string, path: string, body: string | undefined, nowSeconds: number, extra: Record<string, string> = {}): string {
	const params: Array<[string, string]> = [
		['auth_key', app.key],
		['auth_timestamp', String(Math.floor(nowSeconds))],
		['auth_version', '1.0'],
		// A GET's own parameters (filter_by_prefix, info): signed with the rest, in key order.
		...Object.entries(extra).map(([k, v]): [string, string] => [k.toLowerCase(), v]),
	];
	if (body !== undefined) params.push(['body_md5', createHash('md5').update(body, 'utf8').digest('hex')]);
	params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	const query = params.map(([k, v]) => `${k}=${v}`).join('&');
	return `${query}&auth_signature=${hmacSha256Hex(app.secret, `${method}\n${path}\n${query}`)}`;
}

/**
 * The answer to a channel authorization: "key:HMAC(socket_id:channel[:channel_data])", the
 * presence member as channel_data, and for private-encrypted channels the channel's shared secret.
 */
export function signChannelAuthorization(
	app: AppCredentials,
	socketId: string,
	channel: string,
	member?: { user_id: string; user_info?: unknown },
	sharedSecret?: Buffer,
): ChannelAuthorization {
	const channelData = member === undefined ? undefined : JSON.stringify(member);
	const signed = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
	return {
		auth: `${app.key}:${hmacSha256Hex(app.secret, signed)}`,
		...(channelData !== undefined ? { channel_data: channelData } : {}),
		...(sharedSecret !== undefined ? { shared_secret: sharedSecret.toString('base64') } : {}),
	};
}

/** The answer to pusher-js' user authentication (`pusher:signin`). */
export function signUserAuthentication(app: AppCredentials, socketId: string, user: { id: string; user_info?: unknown }): UserAuthentication {
	const userData = JSON.stringify(user);
	return { auth: `${app.key}:${hmacSha256Hex(app.secret, `${socketId}::user::${userData}`)}`, user_data: userData };
}
