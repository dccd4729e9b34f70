/**
 * What a gate that ran before Directus hands to the route that answers the same request, typed,
 * and kept beside the request rather than on it: a body the auth gate had to read itself
 * (chunked uploads), or a webhook batch whose key and signature the webhook gate verified.
 * Entries go with their request (a WeakMap), so nothing is stuck on Directus' request object.
 */
import type { WebhookBatch } from '../webhooks/verify.js';

export type HandedBody =
	/** The raw bytes of an auth route's body (form or JSON), read by the auth gate within its limit. */
	| { kind: 'raw'; bytes: Buffer }
	/** A webhook batch whose key and signature held. */
	| { kind: 'webhook'; batch: WebhookBatch };

const handed = new WeakMap<object, HandedBody>();

export function handOver(req: object, body: HandedBody): void {
	handed.set(req, body);
}

/** What was handed over for this request, if it is of this kind. */
export function handedOver<K extends HandedBody['kind']>(req: object, kind: K): Extract<HandedBody, { kind: K }> | undefined {
	const body = handed.get(req);
	return body?.kind === kind ? (body as Extract<HandedBody, { kind: K }>) : undefined;
}
