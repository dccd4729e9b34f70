/**
 * Errors with codes. Each module throws these; the edges (endpoint, hook) map a code to an HTTP
 * status and a client-safe reason in one place (`http-errors.ts`), and log the detail.
 */
export type RealtimeErrorCode =
	| 'CONFIG_INVALID'
	| 'INVALID_PAYLOAD'
	| 'INVALID_SOCKET_ID'
	| 'INVALID_CHANNEL_NAME'
	| 'INVALID_EVENT_NAME'
	| 'INVALID_PATTERN'
	/** A publisher's filled channel name does not resolve back to its pattern (and row). */
	| 'CHANNEL_MISMATCH'
	| 'PAYLOAD_TOO_LARGE'
	/** A request body in a content coding (gzip, deflate, br, ...) where only plain bodies are taken. */
	| 'UNSUPPORTED_ENCODING'
	| 'UNAUTHENTICATED'
	| 'PUBLIC_CHANNEL'
	| 'FORBIDDEN'
	/** A dry-run names a row, an item or a user that does not exist. */
	| 'NOT_FOUND'
	/** A webhook whose key or signature is not ours. */
	| 'INVALID_SIGNATURE'
	/** The Pusher server failed or did not answer a query made for a client. */
	| 'PUSHER_UNAVAILABLE'
	| 'ENCRYPTION_NOT_CONFIGURED'
	/** A history query whose since, epoch or limit is malformed. */
	| 'INVALID_QUERY'
	/** History asked for with RT_ENVELOPE=false: nothing is numbered. */
	| 'HISTORY_DISABLED'
	/** The history store (Redis) cannot be read now. */
	| 'HISTORY_UNAVAILABLE';

export class RealtimeError extends Error {
	readonly code: RealtimeErrorCode;
	/** Detail for the log only; never sent to a client. */
	readonly detail: string | undefined;

	constructor(code: RealtimeErrorCode, message: string, detail?: string) {
		super(message);
		this.name = 'RealtimeError';
		this.code = code;
		this.detail = detail;
	}
}

export class ConfigError extends RealtimeError {
	readonly variable: string;

	constructor(variable: string, message: string) {
		super('CONFIG_INVALID', `${variable}: ${message}`);
		this.name = 'ConfigError';
		this.variable = variable;
	}
}
