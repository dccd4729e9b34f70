/**
 * Where the bearer token comes from: a fixed token, a function, or a Directus SDK client
 * (`createDirectus(url).with(authentication())`), asked anew for every request so that the SDK's
 * refresh is followed. A source that does not answer within TOKEN_SOURCE_TIMEOUT_MS fails the request. After a 401 the SDK is asked to refresh, once per token (several requests
 * refused with the same token share one refresh), and the request is tried once more.
 */

/**
 * The parts of a Directus SDK client (`@directus/sdk`, with `authentication()`) the helper uses.
 * Structural: the helper never imports the SDK.
 */
export interface DirectusAuthLike {
	getToken(): Promise<string | null | undefined> | string | null | undefined;
	/** The SDK's `refresh()`; without it a 401 is only tried again with the token asked for anew. */
	refresh?(): Promise<unknown>;
	/** The SDK client's `url`: the Directus URL when `baseUrl` is not given. */
	url?: URL | string;
}

/** A bearer token, a function returning the current one (sync or async), or a Directus SDK client. */
export type TokenSource =
	| string
	| null
	| undefined
	| (() => string | null | undefined | Promise<string | null | undefined>)
	| DirectusAuthLike;

/** The token source failed (threw, or answered something that is not a token). */
export class TokenSourceError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'TokenSourceError';
	}
}

/**
 * How long a token source, a header function or an SDK refresh may take before the request is
 * given up with TokenSourceError, ms: a source that never settles (an SDK waiting on a network
 * that is gone) fails the one request instead of holding the channel's recovery forever.
 */
export const TOKEN_SOURCE_TIMEOUT_MS = 10_000;

/** `work`, or a rejection with TokenSourceError once `ms` passed without it settling. */
export function settleWithin<T>(work: Promise<T>, what: string, ms = TOKEN_SOURCE_TIMEOUT_MS): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new TokenSourceError(`${what} did not answer within ${ms} ms`)), ms);
	});
	return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Longest token accepted from a source: a JWT is well under it; anything longer is not a token. */
const MAX_TOKEN_LENGTH = 16_384;
/**
 * What is sent as a bearer token: visible ASCII only (JWTs, Directus' generated and hand-set
 * static tokens); whitespace, control characters (a header injected through a CR LF) and
 * anything else are refused.
 */
const TOKEN = /^[\x21-\x7e]+$/;

export function isDirectusAuth(source: unknown): source is DirectusAuthLike {
	return typeof source === 'object' && source !== null && typeof (source as DirectusAuthLike).getToken === 'function';
}

/** The Directus URL of an SDK client given as the token source, if it is one and has one. */
export function sourceUrl(source: TokenSource): string | undefined {
	if (!isDirectusAuth(source) || source.url === undefined || source.url === null) return undefined;
	return String(source.url);
}

/** The current token (null: none, the request goes without `Authorization`). Throws TokenSourceError. */
export async function currentToken(source: TokenSource): Promise<string | null> {
	let token: unknown;
	try {
		if (typeof source === 'function') token = await settleWithin(Promise.resolve(source()), 'the token source');
		else if (isDirectusAuth(source)) token = await settleWithin(Promise.resolve(source.getToken()), 'the token source');
		else token = source;
	} catch (error) {
		if (error instanceof TokenSourceError) throw error;
		throw new TokenSourceError(`the token source failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
	}
	if (token === null || token === undefined || token === '') return null;
	if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN.test(token)) {
		throw new TokenSourceError('the token source answered something that is not a bearer token');
	}
	return token;
}

/** Refreshes in flight, per SDK client: concurrent 401s share one. */
const refreshing = new WeakMap<object, { from: string | null; done: Promise<void> }>();

/**
 * After a request made with `used` was refused with 401: whether to try once more. With an SDK
 * client, it refreshes, unless its token already changed since `used` (another request's
 * refresh, or the SDK's own timer) or a refresh from `used` is under way (then it waits for it).
 * A refresh that fails means no retry. A plain token or a function: always one retry with the
 * token asked for anew (the function may have a new one).
 */
export async function refreshAfter401(source: TokenSource, used: string | null): Promise<boolean> {
	if (!isDirectusAuth(source) || typeof source.refresh !== 'function') return true;
	const settled = async (done: Promise<void>): Promise<boolean> => {
		try {
			await done;
			return true;
		} catch {
			return false;
		}
	};
	const joined = refreshing.get(source);
	if (joined && joined.from === used) return settled(joined.done);
	let now: string | null;
	try {
		now = await currentToken(source);
	} catch {
		return false;
	}
	if (now !== used) return true;
	// Another request may have started the refresh while the token was asked for (checked and set
	// with no await between, so two requests never both start one).
	const late = refreshing.get(source);
	if (late && late.from === used) return settled(late.done);
	const refresh = source.refresh.bind(source);
	// A refresh that never settles counts as failed (no retry) once TOKEN_SOURCE_TIMEOUT_MS passed.
	const done = settleWithin(Promise.resolve().then(() => refresh()), 'the refresh').then(() => undefined);
	const entry = { from: used, done };
	refreshing.set(source, entry);
	const ok = await settled(done);
	if (refreshing.get(source) === entry) refreshing.delete(source);
	return ok;
}
