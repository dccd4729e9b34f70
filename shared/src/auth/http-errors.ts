/**
 * Error codes to HTTP answers, in one place. The client gets the code and a short reason; the
 * detail (script errors, row ids) goes to the log only. Never a stack trace.
 */
import { RealtimeError, type RealtimeErrorCode } from '../errors.js';

const STATUS: Partial<Record<RealtimeErrorCode, number>> = {
	INVALID_PAYLOAD: 400,
	INVALID_SOCKET_ID: 400,
	INVALID_CHANNEL_NAME: 400,
	PAYLOAD_TOO_LARGE: 413,
	UNSUPPORTED_ENCODING: 415,
	UNAUTHENTICATED: 401,
	PUBLIC_CHANNEL: 403,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	INVALID_SIGNATURE: 401,
	PUSHER_UNAVAILABLE: 502,
	ENCRYPTION_NOT_CONFIGURED: 501,
	INVALID_QUERY: 400,
	HISTORY_DISABLED: 404,
	HISTORY_UNAVAILABLE: 503,
};

export interface ErrorAnswer {
	status: number;
	body: { errors: Array<{ message: string; extensions: { code: string; reason: string } }> };
}

export function errorAnswer(error: unknown): ErrorAnswer {
	if (error instanceof RealtimeError) {
		const status = STATUS[error.code] ?? 400;
		return { status, body: { errors: [{ message: error.message, extensions: { code: error.code, reason: error.message } }] } };
	}
	return {
		status: 500,
		body: { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL', reason: 'The realtime endpoint failed; see the server log.' } }] },
	};
}

/** The one refusal of every admins-only route: anonymous, non-admin and unknown callers alike. */
export function adminsOnly(): RealtimeError {
	return new RealtimeError('FORBIDDEN', "You don't have permission to access this.");
}

/**
 * The one refusal of a request that acts for nobody where a user is needed (the auth routes, a
 * members query): answered by the auth gate before the body is read, and by the routes for a
 * token that names no user (a share link).
 */
export function logInFirst(): RealtimeError {
	return new RealtimeError('UNAUTHENTICATED', 'log in first: send a Directus token (Authorization: Bearer, access_token or the session cookie)');
}
