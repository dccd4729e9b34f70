/**
 * A verified webhook batch, emitted: its events become Directus actions (see actions.ts), client
 * events over their sender's bound are dropped before any permission lookup, and every client
 * event that is emitted runs its Flows with its sender's permissions ("From Trigger"), never the
 * system's. Presence and channel facts come from the Pusher server and carry none. A cache_miss
 * also sends its channel's last event again (see cache-miss.ts).
 */
import type { ChannelSnapshot } from '../channels/registry.js';
import type { DeliveryActivity } from '../delivery/activity.js';
import type { ActionEmitter } from '../host.js';
import { boundClientEvents, webhookActions, type WebhookCounters } from './actions.js';
import type { CacheMissResender } from './cache-miss.js';
import type { ClientEventBound } from './sender-bound.js';
import type { WebhookBatch } from './verify.js';

export interface WebhookEmitDeps<A> {
	snapshot(): Promise<Pick<ChannelSnapshot, 'match'>>;
	bound: Pick<ClientEventBound, 'admit'>;
	activity: Pick<DeliveryActivity, 'clientEvent'>;
	counters: Pick<WebhookCounters, 'count' | 'cacheMiss'>;
	/** Answers Soketi's cache_miss events by sending the channel's last event again. */
	cacheMisses: Pick<CacheMissResender, 'resend'>;
	/** Whose permissions a client event's Flows run with: its sender's (the presence member's user_id). */
	senderAccountability(userId: unknown): Promise<A>;
	emitter: Promise<ActionEmitter>;
	/** The context actions are emitted with (database, schema), read once the batch has actions to emit. */
	context(): Promise<Record<string, unknown>>;
	log: { warn(message: string): void };
}

/** What POST /realtime/webhook answers. */
export interface WebhookReceipt {
	received: number;
	emitted: number;
}

export async function emitWebhook<A>(batch: WebhookBatch, deps: WebhookEmitDeps<A>): Promise<WebhookReceipt> {
	// Client events over their sender's bound leave here: no permission lookup, no Flow.
	const outcome = await boundClientEvents(webhookActions(batch, await deps.snapshot()), deps.bound, (row) => deps.activity.clientEvent(row, true));
	deps.counters.count(outcome);
	if (outcome.unknownEvents > 0) deps.log.warn(`realtime: webhook: ${outcome.unknownEvents} event(s) of unknown names ignored`);
	// Re-sent before the actions run: a Flow on realtime.cache_miss sees the event on its way.
	for (const event of batch.events) {
		if (event.name === 'cache_miss') deps.counters.cacheMiss(await deps.cacheMisses.resend(event.channel));
	}
	const context = await deps.context();
	const emitter = await deps.emitter;
	for (const action of outcome.actions) {
		let accountability: A | null = null;
		if (action.client) {
			deps.activity.clientEvent(action.client.row, false);
			accountability = await deps.senderAccountability(action.payload.user_id);
		}
		emitter.emitAction(action.name, action.payload, { ...context, accountability });
	}
	return { received: batch.events.length, emitted: outcome.actions.length };
}
