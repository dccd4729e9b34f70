/**
 * Guards POST /realtime/webhook before Directus touches its body (at `middlewares.before`, like
 * the auth gate): the signature is over the raw bytes, which Directus' JSON parser would consume.
 * In order, each refusal answered at once with a JSON reason and nothing else run:
 * - no `X-Pusher-Key` or `X-Pusher-Signature`: 401, body unread; a key that is not ours or a
 *   signature that is not 64 hex digits: 401, body unread;
 * - a body in a content coding (gzip, deflate, br, any `Content-Encoding` but `identity`): 415,
 *   body unread (see encodedBody(): the signature and the limit are of the bytes as sent);
 * - a Content-Length above the limit: 413, body unread; a body of unknown length is read counting
 *   and refused as soon as it passes the limit;
 * - a signature that does not match the raw bytes: 401; a body not in Pusher's shape: 400.
 * A verified batch is handed over to the route (see shared/src/http/hand-over.ts), and Directus'
 * body parser is told the body was read.
 */
import {
	checkWebhookHeaders,
	encodedBody,
	guardedPaths,
	handOver,
	header,
	markBodyRead,
	MAX_WEBHOOK_BODY_BYTES,
	readBodyAtMost,
	RealtimeError,
	refuseEarly,
	requestPath,
	verifyWebhook,
	type CorsMiddleware,
	type GateRequest,
	type GateResponse,
} from '@directus-realtime/shared';

export interface WebhookGateOptions {
	publicUrl?: string;
	app: { key: string; secret: string };
	maxBytes?: number;
	cors?: CorsMiddleware;
	/** Called for every refused request (counted for GET /realtime/health). */
	onRefused?: (error: RealtimeError) => void;
}

export function webhookGate(options: WebhookGateOptions) {
	const paths = guardedPaths(options.publicUrl, ['/realtime/webhook']);
	const max = options.maxBytes ?? MAX_WEBHOOK_BODY_BYTES;
	const tooLarge = () => new RealtimeError('PAYLOAD_TOO_LARGE', `webhook body is larger than ${max} bytes`);

	return (req: GateRequest, res: GateResponse, next: (error?: unknown) => void): void => {
		if (req.method !== 'POST' || !paths.has(requestPath(req))) return next();
		const refuse = (error: RealtimeError) => {
			options.onRefused?.(error);
			refuseEarly(req, res, error, options.cors);
		};
		const key = header(req, 'x-pusher-key');
		const signature = header(req, 'x-pusher-signature');
		try {
			checkWebhookHeaders(key, signature, options.app.key);
		} catch (error) {
			return refuse(error as RealtimeError);
		}
		const encoded = encodedBody(req);
		if (encoded) return refuse(encoded);
		const length = header(req, 'content-length');
		if (length !== undefined && Number(length) > max) return refuse(tooLarge());
		readBodyAtMost(req, max).then(
			(body) => {
				if (body === null) return refuse(tooLarge());
				try {
					handOver(req, { kind: 'webhook', batch: verifyWebhook(body, { key, signature }, options.app) });
				} catch (error) {
					return refuse(error instanceof RealtimeError ? error : new RealtimeError('INVALID_PAYLOAD', 'unreadable webhook'));
				}
				markBodyRead(req, body, {});
				next();
			},
			(error: unknown) => next(error),
		);
	};
}
