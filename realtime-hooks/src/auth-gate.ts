/**
 * Guards the bodies of POST /realtime/auth, /realtime/user-auth and /realtime/dry-run before
 * Directus touches them.
 * Directus parses every JSON body (up to MAX_PAYLOAD_SIZE) before it authenticates the request,
 * and an endpoint runs last; so this runs first (at `middlewares.before`) and:
 * - answers 401 at once, body unread, when the request carries no credential at all (no
 *   `Authorization: Bearer`, no `access_token` query parameter, no session cookie: the places
 *   Directus' extractToken looks); a credential that is present but invalid is left to Directus,
 *   which refuses it before the route;
 * - answers 415 at once, body unread, for a body in a content coding (`Content-Encoding` other
 *   than `identity`: gzip, deflate, br, anything): the limits below are of the bytes that are
 *   parsed, and Directus' parser would inflate a 8 KB gzip body to MAX_PAYLOAD_SIZE (see
 *   encodedBody());
 * - answers 413 at once for a Content-Length above MAX_AUTH_BODY_BYTES;
 * - reads a body of unknown length (chunked) itself, counting as it streams, and answers 413 as
 *   soon as it passes the limit, never holding more than the limit.
 * A refusal is answered first; the rest of the upload is discarded without being kept, and the
 * connection closed past a bound. (Destroying the socket before answering would crash Directus'
 * request logger; that logger is not attached yet here, but answering first keeps it safe.)
 */
import { adminsOnly, errorAnswer, MAX_AUTH_BODY_BYTES, MAX_DRY_RUN_BODY_BYTES, PRE_READ_BODY, RealtimeError } from '@directus-realtime/shared';

export interface GateRequest {
	method?: string;
	url?: string;
	path?: string;
	headers: Record<string, string | string[] | undefined>;
	body?: unknown;
	on(event: string, listener: (...args: any[]) => void): unknown;
	off(event: string, listener: (...args: any[]) => void): unknown;
	resume(): unknown;
	socket?: { destroy(): unknown };
	[key: string | symbol]: unknown;
}

export interface GateResponse {
	headersSent: boolean;
	statusCode: number;
	setHeader(name: string, value: string): unknown;
	end(body?: string): unknown;
}

/**
 * The guarded routes, with their body limit and their answer to a request without credential:
 * the auth routes say 401 (pusher-js shows it), the admins-only dry-run the 403 every refusal of
 * an admins-only route gives. (A dry-run with a credential is parsed by Directus up to this
 * limit; whether it is an administrator's, Directus knows only after.)
 */
interface Guard {
	max: number;
	anonymous: () => RealtimeError;
}

const unauthenticated = () => new RealtimeError('UNAUTHENTICATED', 'log in first: send a Directus token (Authorization: Bearer, access_token or the session cookie)');

const ENDPOINTS: Record<string, Omit<Guard, 'max'> & { max?: number }> = {
	'/realtime/auth': { anonymous: unauthenticated },
	'/realtime/user-auth': { anonymous: unauthenticated },
	'/realtime/dry-run': { anonymous: adminsOnly, max: MAX_DRY_RUN_BODY_BYTES },
};

/** Every guarded path has it: a request without it (in any case) passes the gate untouched. */
const REALTIME = /realtime/i;

/**
 * How long a refused upload is read and thrown away before the connection is closed, as a web
 * server's lingering close does: closing while the client still sends makes the kernel reset the
 * connection, and a reset can discard the answer before the client has read it. So the rest is
 * discarded (never kept) until the client stops, for at most this many bytes or milliseconds.
 */
const LINGER_BYTES = 64 * 1024 * 1024;
const LINGER_MS = 10_000;

export interface BodyGateOptions {
	/** Directus' PUBLIC_URL: its path, when it has one, may prefix the routes too. */
	publicUrl?: string;
	/** Directus' SESSION_COOKIE_NAME. */
	sessionCookieName: string;
	maxBytes?: number;
	/** Directus' CORS middleware: early answers carry the same CORS headers as Directus' own. */
	cors?: ((req: any, res: any, next: (error?: unknown) => void) => void) | null;
}

/** The prefixes the routes answer under: none, and PUBLIC_URL's path when it has one. */
function routePrefixes(publicUrl: string | undefined): string[] {
	const prefixes = new Set(['']);
	try {
		if (publicUrl) prefixes.add(new URL(publicUrl).pathname.replace(/\/+$/, '').toLowerCase());
	} catch {
		// A relative PUBLIC_URL (Directus warns about it): the routes are at the root.
	}
	return [...prefixes];
}

/** The given routes' paths, also under PUBLIC_URL's path. */
export function guardedPaths(publicUrl: string | undefined, endpoints: readonly string[]): Set<string> {
	return new Set(routePrefixes(publicUrl).flatMap((prefix) => endpoints.map((path) => prefix + path)));
}

/** The auth and dry-run routes' paths with their guards. */
function guardedRoutes(publicUrl: string | undefined, authMax: number): Map<string, Guard> {
	return new Map(
		routePrefixes(publicUrl).flatMap((prefix) => Object.entries(ENDPOINTS).map(([path, guard]) => [prefix + path, { anonymous: guard.anonymous, max: guard.max ?? authMax }] as const)),
	);
}

export function header(req: GateRequest, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

/** The same three places, and the same rules, as Directus' extractToken. */
export function carriesCredential(req: GateRequest, sessionCookieName: string): boolean {
	const authorization = header(req, 'authorization')?.split(' ');
	if (authorization?.length === 2 && authorization[0]!.toLowerCase() === 'bearer') return true;
	const query = (req.url ?? '').split('?')[1];
	if (query && new URLSearchParams(query).get('access_token')) return true;
	const cookies = header(req, 'cookie') ?? '';
	return cookies.split(';').some((pair) => {
		const at = pair.indexOf('=');
		if (at <= 0 || pair.slice(0, at).trim() !== sessionCookieName) return false;
		// Directus' cookie parser drops the quotes around a value: `name=""` is no token there.
		let value = pair.slice(at + 1).trim();
		if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
		return value !== '';
	});
}

/**
 * Answers at once, then discards what the client still sends (see LINGER_BYTES): the socket is
 * closed only once the client stopped, or past the lingering bounds.
 */
export function refuseEarly(req: GateRequest, res: GateResponse, error: RealtimeError, cors: BodyGateOptions['cors']): void {
	const answer = errorAnswer(error);
	const send = () => {
		if (res.headersSent) return;
		res.statusCode = answer.status;
		res.setHeader('Content-Type', 'application/json; charset=utf-8');
		// RFC 7694: a 415 for a content coding says which codings are accepted.
		if (error.code === 'UNSUPPORTED_ENCODING') res.setHeader('Accept-Encoding', 'identity');
		res.end(JSON.stringify(answer.body));
	};
	// The CORS middleware sets its headers and calls back (with an error for a refused origin:
	// the answer goes out all the same, without CORS headers, as Directus would leave it).
	if (cors) cors(req, res, () => send());
	else send();
	let discarded = 0;
	const close = () => req.socket?.destroy();
	const timer = setTimeout(close, LINGER_MS);
	timer.unref?.();
	req.on('data', (chunk: Buffer | string) => {
		discarded += chunk.length;
		if (discarded > LINGER_BYTES) close();
	});
	const stop = () => clearTimeout(timer);
	req.on('end', stop);
	req.on('close', stop);
	req.resume();
}

/** The body, or null once it passed `max` bytes (then nothing read is kept) or the client left. */
export function readBodyAtMost(req: GateRequest, max: number): Promise<Buffer | null> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const done = (result: Buffer | null, error?: unknown) => {
			req.off('data', onData);
			req.off('end', onEnd);
			req.off('error', onError);
			req.off('close', onClose);
			if (error) reject(error);
			else resolve(result);
		};
		const onData = (chunk: Buffer | string) => {
			const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
			size += buffer.length;
			if (size > max) {
				chunks.length = 0;
				done(null);
			} else chunks.push(buffer);
		};
		const onEnd = () => done(Buffer.concat(chunks));
		const onError = (error: unknown) => done(null, error);
		const onClose = () => done(null);
		req.on('data', onData);
		req.on('end', onEnd);
		req.on('error', onError);
		req.on('close', onClose);
	});
}

/**
 * A refusal for a body sent in a content coding, or null for a plain one (no `Content-Encoding`,
 * or only `identity`). No Pusher client or server compresses these bodies (pusher-js, Laravel
 * Echo, Soketi's and Pusher's webhooks), a webhook's signature is over the bytes as sent, and the
 * body limits are of what is parsed: inflating would let a few kilobytes become Directus'
 * MAX_PAYLOAD_SIZE (a "zip bomb") or cost CPU before anything is decided. So coded bodies are
 * refused (415, with `Accept-Encoding: identity`), whatever the coding, known or not.
 */
export function encodedBody(req: GateRequest): RealtimeError | null {
	const coding = header(req, 'content-encoding');
	if (coding === undefined) return null;
	const codings = coding
		.split(',')
		.map((c) => c.trim().toLowerCase())
		.filter((c) => c !== '' && c !== 'identity');
	if (codings.length === 0) return null;
	const shown = codings.join(', ').slice(0, 40);
	return new RealtimeError('UNSUPPORTED_ENCODING', `request bodies in a content coding (Content-Encoding: ${shown}) are not accepted here: send the body uncompressed`);
}

function contentType(req: GateRequest): string {
	return (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The request's path as Directus' router sees it: `/realtime//auth` (repeated slashes) and a trailing slash route there too. */
export function requestPath(req: GateRequest): string {
	return (req.path ?? (req.url ?? '').split('?')[0]!).toLowerCase().replace(/\/{2,}/g, '/').replace(/(.)\/+$/, '$1');
}

export function authBodyGate(options: BodyGateOptions) {
	const paths = guardedRoutes(options.publicUrl, options.maxBytes ?? MAX_AUTH_BODY_BYTES);

	return (req: GateRequest, res: GateResponse, next: (error?: unknown) => void): void => {
		// Every request of Directus passes here: the cheap tests first. Normalizing below only
		// lowercases and merges slashes, so a path without "realtime" in any case is never guarded.
		if (req.method !== 'POST') return next();
		if (!REALTIME.test(req.path ?? (req.url ?? '').split('?')[0]!)) return next();
		const guard = paths.get(requestPath(req));
		if (guard === undefined) return next();
		const { max } = guard;
		const tooLarge = () => new RealtimeError('PAYLOAD_TOO_LARGE', `request body is larger than ${max} bytes`);
		if (!carriesCredential(req, options.sessionCookieName)) return refuseEarly(req, res, guard.anonymous(), options.cors);
		const encoded = encodedBody(req);
		if (encoded) return refuseEarly(req, res, encoded, options.cors);
		const length = header(req, 'content-length');
		if (length !== undefined) {
			// Node checked it is a number; Directus' parsers read no more than it says.
			return Number(length) > max ? refuseEarly(req, res, tooLarge(), options.cors) : next();
		}
		if (header(req, 'transfer-encoding') === undefined) return next();
		readBodyAtMost(req, max).then(
			(body) => {
				if (body === null) return refuseEarly(req, res, tooLarge(), options.cors);
				req[PRE_READ_BODY] = body;
				// Directus' JSON parser skips a request whose body was read (`_body`); do its work.
				req._body = true;
				req.rawBody = body;
				if (contentType(req) === 'application/json' && body.length > 0) {
					try {
						req.body = JSON.parse(body.toString('utf8'));
					} catch {
						return refuseEarly(req, res, new RealtimeError('INVALID_PAYLOAD', 'the body is not valid JSON'), options.cors);
					}
				}
				next();
			},
			(error: unknown) => next(error),
		);
	};
}
