/**
 * Pusher / Soketi webhooks, verified, pure: `X-Pusher-Key` must be our app key and
 * `X-Pusher-Signature` the hex HMAC-SHA256 of the raw body with the app secret (both compared in
 * constant time), then the body must be `{ time_ms, events: [...] }`. Nothing here reads a
 * request: the caller passes the headers and the raw bytes.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { RealtimeError } from '../errors.js';

/** Largest webhook body accepted (Pusher batches events; 256 KB holds hundreds of them). */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/** The webhook event names of Pusher Channels and Soketi, each emitted as `realtime.<name>`. */
export const WEBHOOK_EVENT_NAMES = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'subscription_count', 'cache_miss'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENT_NAMES)[number];

/** One event of a webhook, as Pusher and Soketi send it (fields absent when they do not apply). */
export interface WebhookEvent {
	name: string;
	channel: string;
	user_id?: string;
	event?: string;
	data?: unknown;
	socket_id?: string;
	subscription_count?: number;
}

export interface WebhookBatch {
	time_ms: number;
	events: WebhookEvent[];
}

const bad = (reason: string) => new RealtimeError('INVALID_SIGNATURE', reason);

/** Constant time, also for texts of different lengths (compares digests). */
function sameText(a: string, b: string): boolean {
	return timingSafeEqual(createHash('sha256').update(a, 'utf8').digest(), createHash('sha256').update(b, 'utf8').digest());
}

/**
 * The headers' check, before any byte of the body is read: both present, the key ours, the
 * signature 64 hex digits. Throws UNAUTHENTICATED (missing) or INVALID_SIGNATURE.
 */
export function checkWebhookHeaders(key: string | undefined, signature: string | undefined, appKey: string): void {
	if (!key || !signature) throw new RealtimeError('UNAUTHENTICATED', 'a webhook must carry X-Pusher-Key and X-Pusher-Signature');
	if (!sameText(key, appKey)) throw bad('X-Pusher-Key is not this app\'s key');
	if (!/^[0-9a-f]{64}$/i.test(signature)) throw bad('X-Pusher-Signature is not a hex HMAC-SHA256');
}

/** The body's signature: HMAC-SHA256 of the raw bytes with the app secret. Throws INVALID_SIGNATURE. */
export function checkWebhookSignature(raw: Buffer, signature: string, appSecret: string): void {
	const expected = createHmac('sha256', appSecret).update(raw).digest();
	const given = Buffer.from(signature, 'hex');
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad('X-Pusher-Signature does not match the body');
}

const MAX_FIELD = 1000;
const optionalText = (value: unknown, field: string): string | undefined => {
	if (value === undefined || value === null) return undefined;
	if (typeof value !== 'string' || value.length > MAX_FIELD) throw new RealtimeError('INVALID_PAYLOAD', `an event's ${field} must be a string of at most ${MAX_FIELD} characters`);
	return value;
};

/** The verified body's events; throws INVALID_PAYLOAD for anything but Pusher's shape. */
export function parseWebhook(raw: Buffer): WebhookBatch {
	let body: unknown;
	try {
		body = JSON.parse(raw.toString('utf8'));
	} catch {
		throw new RealtimeError('INVALID_PAYLOAD', 'the webhook body is not valid JSON');
	}
	if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RealtimeError('INVALID_PAYLOAD', 'the webhook body must be an object');
	const { time_ms, events } = body as Record<string, unknown>;
	if (typeof time_ms !== 'number' || !Number.isFinite(time_ms)) throw new RealtimeError('INVALID_PAYLOAD', 'time_ms must be a number');
	if (!Array.isArray(events)) throw new RealtimeError('INVALID_PAYLOAD', 'events must be a list');
	return {
		time_ms,
		events: events.map((entry) => {
			if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new RealtimeError('INVALID_PAYLOAD', 'each event must be an object');
			const e = entry as Record<string, unknown>;
			const name = optionalText(e.name, 'name');
			const channel = optionalText(e.channel, 'channel');
			if (!name || !channel) throw new RealtimeError('INVALID_PAYLOAD', 'each event needs a name and a channel');
			const event: WebhookEvent = { name, channel };
			const user_id = optionalText(e.user_id, 'user_id');
			const clientEvent = optionalText(e.event, 'event');
			const socket_id = optionalText(e.socket_id, 'socket_id');
			if (user_id !== undefined) event.user_id = user_id;
			if (clientEvent !== undefined) event.event = clientEvent;
			if (socket_id !== undefined) event.socket_id = socket_id;
			if (e.data !== undefined) event.data = e.data;
			if (typeof e.subscription_count === 'number') event.subscription_count = e.subscription_count;
			return event;
		}),
	};
}

/** All three steps on one request's parts: the verified batch, or a RealtimeError. */
export function verifyWebhook(raw: Buffer, headers: { key: string | undefined; signature: string | undefined }, app: { key: string; secret: string }): WebhookBatch {
	checkWebhookHeaders(headers.key, headers.signature, app.key);
	checkWebhookSignature(raw, headers.signature!, app.secret);
	return parseWebhook(raw);
}
