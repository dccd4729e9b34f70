/**
 * `GET /realtime/channels/<name>/history` from the browser: the request (URL, credentials), the
 * answer checked against docs/delivery.md before anything reads it, and retries with backoff
 * for the failures that pass (network, 429, 5xx).
 */
import type { HistoryRequest } from './ledger.js';
import { currentToken, refreshAfter401, settleWithin, sourceUrl, TokenSourceError, type TokenSource } from './token.js';

export type HeaderSource = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

export interface RetryOptions {
	/** Attempts per request before giving up (default 8). */
	attempts?: number;
	/** First wait in ms, doubled after each failure (default 250). */
	delay?: number;
	/** Longest wait in ms (default 10000). */
	maxDelay?: number;
}

export interface HistoryOptions {
	/**
	 * The Directus URL: history is asked at `<baseUrl>/realtime/channels/<name>/history`. Defaults
	 * to the `url` of a Directus SDK client given as `auth`.
	 */
	baseUrl?: string;
	/** Or the history URL of a channel, for a proxy with its own paths. */
	historyUrl?: (channel: string) => string;
	/**
	 * A bearer token, a function returning the current one, or a Directus SDK client
	 * (`createDirectus(url).with(authentication())`): its `getToken()` is asked for every request,
	 * and a 401 makes it `refresh()` once before the request is tried again.
	 */
	auth?: TokenSource;
	headers?: HeaderSource;
	/** `fetch`'s credentials mode; `'include'` sends the Directus session cookie to another origin. */
	credentials?: 'omit' | 'same-origin' | 'include';
	fetch?: typeof fetch;
	/** Events per history page (`limit`, 1-1000; default 100). */
	pageSize?: number;
	retry?: RetryOptions;
}

/** One history item: `data` is what a pusher-js handler receives live (an envelope, or sealed on an encrypted channel). */
export interface HistoryItem {
	id: string;
	seq: number;
	event: string;
	data: unknown;
}

export interface HistoryReply {
	channel: string;
	epoch: string;
	recovered: boolean;
	latest: number;
	items: HistoryItem[];
	more: boolean;
}

/** A history request that failed; `status` is the HTTP status (0: no answer), `code` Directus' error code when it sent one. */
export class HistoryError extends Error {
	readonly status: number;
	readonly code: string;
	constructor(message: string, status: number, code: string) {
		super(message);
		this.name = 'HistoryError';
		this.status = status;
		this.code = code;
	}

	/** Worth trying again: no answer, too many requests, or the server failing (not a failing token source). */
	get retryable(): boolean {
		if (this.code === 'TOKEN_SOURCE') return false;
		return this.status === 0 || this.status === 429 || this.status >= 500;
	}
}

export function historyAddress(channel: string, request: HistoryRequest, options: HistoryOptions): string {
	let base: string;
	const baseUrl = directusUrl(options);
	if (options.historyUrl) base = options.historyUrl(channel);
	else if (baseUrl !== undefined) base = `${baseUrl}/realtime/channels/${encodeURIComponent(channel)}/history`;
	else throw new TypeError('createRecoveringClient needs baseUrl (the Directus URL) or historyUrl');
	const query = new URLSearchParams();
	if (request.since !== null) {
		query.set('since', String(request.since));
		query.set('epoch', request.epoch);
		query.set('limit', String(pageSize(options)));
	} else {
		// Only where the channel stands: `latest` and `epoch`.
		query.set('limit', '1');
	}
	return `${base}${base.includes('?') ? '&' : '?'}${query}`;
}

/** `baseUrl` (or the SDK client's `url`) without trailing slashes; undefined when neither is given. */
export function directusUrl(options: { baseUrl?: string; auth?: TokenSource }): string | undefined {
	const url = options.baseUrl ?? sourceUrl(options.auth);
	return url === undefined ? undefined : url.replace(/\/+$/, '');
}

function pageSize(options: HistoryOptions): number {
	const size = Math.trunc(options.pageSize ?? 100);
	return Math.min(1000, Math.max(1, Number.isFinite(size) ? size : 100));
}

/** Checks a reply's shape; anything else is a `HistoryError` with code `INVALID_REPLY`. */
export function parseHistoryReply(body: unknown, channel: string): HistoryReply {
	const invalid = (why: string) => new HistoryError(`history of ${channel}: the answer is not a history reply (${why})`, 200, 'INVALID_REPLY');
	if (typeof body !== 'object' || body === null) throw invalid('not an object');
	const b = body as Record<string, unknown>;
	if (typeof b.epoch !== 'string') throw invalid('epoch');
	if (typeof b.recovered !== 'boolean') throw invalid('recovered');
	if (!Number.isSafeInteger(b.latest) || (b.latest as number) < 0) throw invalid('latest');
	if (!Array.isArray(b.items)) throw invalid('items');
	const items: HistoryItem[] = b.items.map((raw, i) => {
		const item = raw as Record<string, unknown> | null;
		if (typeof item !== 'object' || item === null) throw invalid(`items[${i}]`);
		if (typeof item.id !== 'string' || !Number.isSafeInteger(item.seq) || (item.seq as number) < 1 || typeof item.event !== 'string' || !('data' in item)) {
			throw invalid(`items[${i}]`);
		}
		return { id: item.id, seq: item.seq as number, event: item.event, data: item.data };
	});
	return {
		channel: typeof b.channel === 'string' ? b.channel : channel,
		epoch: b.epoch,
		recovered: b.recovered,
		latest: b.latest as number,
		items,
		more: b.more === true,
	};
}

/**
 * The headers of a request to Directus: `headers`, then `Authorization` with the token asked for
 * now; `token` is the one used (to tell a refreshed token after a 401). A failing token source or
 * header function throws TokenSourceError.
 */
export async function directusHeaders(options: { auth?: TokenSource; headers?: HeaderSource }, base: Record<string, string>): Promise<{ headers: Record<string, string>; token: string | null }> {
	const headers: Record<string, string> = { ...base };
	let extra: Record<string, string> | undefined;
	try {
		extra = typeof options.headers === 'function' ? await settleWithin(Promise.resolve(options.headers()), 'the headers function') : options.headers;
	} catch (error) {
		if (error instanceof TokenSourceError) throw error;
		throw new TokenSourceError(`the headers function failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
	}
	if (extra !== undefined && extra !== null) {
		if (typeof extra !== 'object' || Array.isArray(extra)) throw new TokenSourceError('the headers option gave something that is not a set of headers');
		for (const [name, value] of Object.entries(extra) as Array<[string, unknown]>) {
			// What fetch would refuse with the same TypeError as a network failure: refused here, not retried.
			const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
			if (!HEADER_NAME.test(name) || typeof text !== 'string' || !HEADER_VALUE.test(text)) {
				throw new TokenSourceError(`the headers option gave a header no request can carry (${JSON.stringify(name.slice(0, 40))})`);
			}
			headers[name] = text;
		}
	}
	const token = await currentToken(options.auth);
	if (token) {
		// The token replaces an Authorization header however it is spelled: fetch would join two
		// spellings into one value (`Bearer a, Bearer b`), which Directus reads as no token at all.
		for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
		headers.Authorization = `Bearer ${token}`;
	}
	return { headers, token };
}

/** A header name (an HTTP token) and value (no line breaks, no NUL, no character past U+00FF): what fetch accepts. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The token each request refused by Directus was made with (to tell whether it was refreshed since). */
const usedTokens = new WeakMap<HistoryError, string | null>();

/** One request, no retry. */
export async function fetchHistoryOnce(channel: string, request: HistoryRequest, options: HistoryOptions, signal?: AbortSignal): Promise<HistoryReply> {
	const doFetch = options.fetch ?? globalThis.fetch;
	let response: Response;
	let sent: { headers: Record<string, string>; token: string | null };
	try {
		sent = await directusHeaders(options, { Accept: 'application/json' });
	} catch (error) {
		if (!(error instanceof TokenSourceError)) throw error;
		throw new HistoryError(`history of ${channel}: ${error.message}`, 0, 'TOKEN_SOURCE');
	}
	try {
		response = await doFetch(historyAddress(channel, request, options), {
			method: 'GET',
			headers: sent.headers,
			...(options.credentials ? { credentials: options.credentials } : {}),
			...(signal ? { signal } : {}),
		});
	} catch (error) {
		if (signal?.aborted) throw error;
		throw new HistoryError(`history of ${channel}: ${error instanceof Error ? error.message : String(error)}`, 0, 'NETWORK');
	}
	let body: unknown = null;
	try {
		body = await response.json();
	} catch {
		// Not JSON: the status says what happened.
	}
	if (!response.ok) {
		const first = (body as { errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }> } | null)?.errors?.[0];
		const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : `HTTP_${response.status}`;
		const message = typeof first?.message === 'string' ? first.message : response.statusText;
		const error = new HistoryError(`history of ${channel}: ${response.status} ${message}`, response.status, code);
		usedTokens.set(error, sent.token);
		throw error;
	}
	return parseHistoryReply(body, channel);
}

/** Waits `ms`, or rejects when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', stop);
			resolve();
		}, ms);
		const stop = () => {
			clearTimeout(timer);
			reject(signal!.reason);
		};
		signal?.addEventListener('abort', stop, { once: true });
	});
}

/** The wait before attempt `attempt + 1`: doubling from `delay`, at most `maxDelay`, with jitter. */
export function backoff(attempt: number, retry: RetryOptions = {}, random: () => number = Math.random): number {
	const base = Math.max(0, retry.delay ?? 250);
	const ceiling = Math.max(base, retry.maxDelay ?? 10_000);
	const plain = Math.min(ceiling, base * 2 ** Math.min(attempt, 30));
	return Math.round(plain / 2 + (plain / 2) * random());
}

/**
 * The request with retries: failures that may pass are tried again after a growing wait; a
 * refusal (400, 403, 404) or a malformed answer is not. A 401 is tried once more, with a token
 * asked for again: a Directus SDK client is made to refresh first (refreshAfter401).
 */
export async function fetchHistory(
	channel: string,
	request: HistoryRequest,
	options: HistoryOptions,
	signal?: AbortSignal,
	onRetry?: (error: HistoryError, attempt: number) => void,
): Promise<HistoryReply> {
	const attempts = Math.max(1, options.retry?.attempts ?? 8);
	let unauthorized = 0;
	for (let attempt = 1; ; attempt++) {
		try {
			return await fetchHistoryOnce(channel, request, options, signal);
		} catch (error) {
			if (!(error instanceof HistoryError)) throw error;
			if (error.status === 401) {
				if (unauthorized++ > 0 || attempt >= attempts || !(await refreshAfter401(options.auth, usedTokens.get(error) ?? null))) throw error;
				onRetry?.(error, attempt);
				continue;
			}
			if (!error.retryable || attempt >= attempts) throw error;
			onRetry?.(error, attempt);
			await pause(backoff(attempt - 1, options.retry), signal);
		}
	}
}
