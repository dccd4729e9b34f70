/**
 * pusher-js' `channelAuthorization` and `userAuthentication` answered through Directus'
 * `/realtime/auth` and `/realtime/user-auth`, with the token asked for at every request (a Directus
 * SDK client's `getToken()`: its refresh is followed) and one refresh and retry after a 401.
 * pusher-js' own options take fixed headers or a synchronous provider, which cannot wait for the
 * SDK's refresh; its `customHandler` can.
 */
import { directusHeaders, directusUrl, type HeaderSource } from './history.js';
import { refreshAfter401, TokenSourceError, type TokenSource } from './token.js';

export interface AuthorizationOptions {
	/** The Directus URL; defaults to the `url` of a Directus SDK client given as `auth`. */
	baseUrl?: string;
	/** Instead of `<baseUrl>/realtime/auth` (or `/realtime/user-auth`): the URL to post to. */
	endpoint?: string;
	/** A bearer token, a function returning the current one, or a Directus SDK client. */
	auth?: TokenSource;
	/** Extra headers, or a function returning them. */
	headers?: HeaderSource;
	/** `fetch`'s credentials mode: `'include'` sends the Directus session cookie to another origin. */
	credentials?: 'omit' | 'same-origin' | 'include';
	fetch?: typeof fetch;
}

/** What pusher-js hands a channel authorization handler, and what it expects back. */
export interface ChannelAuthorizationParams {
	socketId: string;
	channelName: string;
}
export interface ChannelAuthorizationData {
	auth: string;
	channel_data?: string;
	shared_secret?: string;
}
export interface UserAuthenticationData {
	auth: string;
	user_data: string;
}

/** pusher-js' `channelAuthorization` option (`{ customHandler }`). */
export interface ChannelAuthorizationOption {
	customHandler(params: ChannelAuthorizationParams, callback: (error: Error | null, data: ChannelAuthorizationData | null) => void): void;
}
/** pusher-js' `userAuthentication` option (`{ customHandler }`). */
export interface UserAuthenticationOption {
	customHandler(params: { socketId: string }, callback: (error: Error | null, data: UserAuthenticationData | null) => void): void;
}

/** A refused or failed authorization; `status` is Directus' HTTP status (0: no answer or no token). */
export class AuthorizationError extends Error {
	readonly status: number;
	readonly code: string;
	constructor(message: string, status: number, code: string) {
		super(message);
		this.name = 'AuthorizationError';
		this.status = status;
		this.code = code;
	}
}

function endpointOf(options: AuthorizationOptions, path: string): string {
	if (options.endpoint) return options.endpoint;
	const base = directusUrl(options);
	if (base === undefined) throw new TypeError('the authorization needs baseUrl (the Directus URL), endpoint, or a Directus SDK client with a url as auth');
	return `${base}${path}`;
}

/** Posts `fields` form-encoded to `url`; a 401 refreshes (an SDK client) and tries once more. */
async function post(url: string, fields: Record<string, string>, options: AuthorizationOptions, what: string): Promise<Record<string, unknown>> {
	const doFetch = options.fetch ?? globalThis.fetch;
	for (let attempt = 1; ; attempt++) {
		let sent: { headers: Record<string, string>; token: string | null };
		try {
			sent = await directusHeaders(options, { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' });
		} catch (error) {
			if (!(error instanceof TokenSourceError)) throw error;
			throw new AuthorizationError(`${what}: ${error.message}`, 0, 'TOKEN_SOURCE');
		}
		let response: Response;
		try {
			response = await doFetch(url, {
				method: 'POST',
				headers: sent.headers,
				body: new URLSearchParams(fields).toString(),
				...(options.credentials ? { credentials: options.credentials } : {}),
			});
		} catch (error) {
			throw new AuthorizationError(`${what}: ${error instanceof Error ? error.message : String(error)}`, 0, 'NETWORK');
		}
		let body: unknown = null;
		try {
			body = await response.json();
		} catch {
			// Not JSON: the status says what happened.
		}
		if (response.status === 401 && attempt === 1 && (await refreshAfter401(options.auth, sent.token))) continue;
		if (!response.ok) {
			const first = (body as { errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }> } | null)?.errors?.[0];
			const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : `HTTP_${response.status}`;
			const message = typeof first?.message === 'string' ? first.message : response.statusText;
			throw new AuthorizationError(`${what}: ${response.status} ${message}`, response.status, code);
		}
		if (typeof body !== 'object' || body === null || typeof (body as { auth?: unknown }).auth !== 'string') {
			throw new AuthorizationError(`${what}: the answer is not an authorization`, response.status, 'INVALID_REPLY');
		}
		return body as Record<string, unknown>;
	}
}

/** Keeps the fields pusher-js reads, as strings. */
function pick<T>(body: Record<string, unknown>, keys: readonly string[]): T {
	const out: Record<string, string> = {};
	for (const key of keys) if (typeof body[key] === 'string') out[key] = body[key] as string;
	return out as T;
}

/**
 * pusher-js' `channelAuthorization`: `new Pusher(key, { channelAuthorization: channelAuthorization({ auth: directus }) })`.
 * Every private or presence subscription posts `socket_id` and `channel_name` to `/realtime/auth`
 * with the token asked for then.
 */
export function channelAuthorization(options: AuthorizationOptions): ChannelAuthorizationOption {
	const url = endpointOf(options, '/realtime/auth');
	return {
		customHandler({ socketId, channelName }, callback) {
			post(url, { socket_id: socketId, channel_name: channelName }, options, `authorization of ${channelName}`).then(
				(body) => callback(null, pick<ChannelAuthorizationData>(body, ['auth', 'channel_data', 'shared_secret'])),
				(error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
			);
		},
	};
}

/** pusher-js' `userAuthentication` (`pusher.signin()`), through `/realtime/user-auth`. */
export function userAuthentication(options: AuthorizationOptions): UserAuthenticationOption {
	const url = endpointOf(options, '/realtime/user-auth');
	return {
		customHandler({ socketId }, callback) {
			post(url, { socket_id: socketId }, options, 'user authentication').then(
				(body) => callback(null, pick<UserAuthenticationData>(body, ['auth', 'user_data'])),
				(error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
			);
		},
	};
}
