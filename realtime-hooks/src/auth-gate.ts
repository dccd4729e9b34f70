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
import {
	adminsOnly,
	carriesCredential,
	contentType,
	encodedBody,
	handOver,
	header,
	logInFirst,
	markBodyRead,
	MAX_AUTH_BODY_BYTES,
	MAX_DRY_RUN_BODY_BYTES,
	readBodyAtMost,
	RealtimeError,
	refuseEarly,
	requestPath,
	routePrefixes,
	type CorsMiddleware,
	type GateRequest,
	type GateResponse,
} from '@directus-realtime/shared';

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

const ENDPOINTS: Record<string, Omit<Guard, 'max'> & { max?: number }> = {
	'/realtime/auth': { anonymous: logInFirst },
	'/realtime/user-auth': { anonymous: logInFirst },
	'/realtime/dry-run': { anonymous: adminsOnly, max: MAX_DRY_RUN_BODY_BYTES },
};

/** Every guarded path has it: a request without it (in any case) passes the gate untouched. */
const REALTIME = /realtime/i;

export interface BodyGateOptions {
	/** Directus' PUBLIC_URL: its path, when it has one, may prefix the routes too. */
	publicUrl?: string;
	/** Directus' SESSION_COOKIE_NAME. */
	sessionCookieName: string;
	maxBytes?: number;
	cors?: CorsMiddleware;
}

/** The auth and dry-run routes' paths with their guards. */
function guardedRoutes(publicUrl: string | undefined, authMax: number): Map<string, Guard> {
	return new Map(
		routePrefixes(publicUrl).flatMap((prefix) => Object.entries(ENDPOINTS).map(([path, guard]) => [prefix + path, { anonymous: guard.anonymous, max: guard.max ?? authMax }] as const)),
	);
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
				handOver(req, { kind: 'raw', bytes: body });
				let parsed: unknown;
				if (contentType(req) === 'application/json' && body.length > 0) {
					try {
						parsed = JSON.parse(body.toString('utf8'));
					} catch {
						return refuseEarly(req, res, new RealtimeError('INVALID_PAYLOAD', 'the body is not valid JSON'), options.cors);
					}
				}
				markBodyRead(req, body, parsed);
				next();
			},
			(error: unknown) => next(error),
		);
	};
}
