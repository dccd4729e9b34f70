/** Webhooks as a Pusher server sends them: a JSON batch, signed with the app's secret. */
import { createHmac } from 'node:crypto';
import type { Directus } from './directus.js';
import type { PusherApp } from './soketi.js';

/** X-Pusher-Key and X-Pusher-Signature (HMAC-SHA256 of the raw body) for `body`. */
export function signedWebhookHeaders(app: Pick<PusherApp, 'key' | 'secret'>, body: string): Record<string, string> {
	return { 'content-type': 'application/json', 'x-pusher-key': app.key, 'x-pusher-signature': createHmac('sha256', app.secret).update(body).digest('hex') };
}

/** POSTs one signed batch of `events` to `directus`' /realtime/webhook; the answer as it came. */
export function postWebhookEvents(directus: Directus, app: Pick<PusherApp, 'key' | 'secret'>, events: unknown[]) {
	const body = JSON.stringify({ time_ms: Date.now(), events });
	return directus.request('POST', '/realtime/webhook', undefined, { token: null, raw: body, headers: signedWebhookHeaders(app, body) });
}
