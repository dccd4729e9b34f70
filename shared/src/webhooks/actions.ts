/**
 * A verified webhook's events as Directus actions: `realtime.<name>` with `channel`, `user_id`,
 * `event`, `data`, `socket_id`, `time_ms` (fields that do not apply are left out). A
 * `client_event` becomes an action only when the row deciding its channel (the registry's first
 * match, in match order) has `client_events` on; the others are dropped and counted, as are
 * event names Pusher may add later.
 */
import type { ChannelSnapshot } from '../channels/registry.js';
import { WEBHOOK_EVENT_NAMES, type WebhookBatch } from './verify.js';

export interface WebhookAction {
	/** `realtime.member_added`, ... */
	name: string;
	payload: Record<string, unknown>;
}

export interface WebhookOutcome {
	actions: WebhookAction[];
	/** client_event webhooks of channels whose deciding row has client_events off (or no row). */
	closedClientEvents: number;
	unknownEvents: number;
}

const KNOWN = new Set<string>(WEBHOOK_EVENT_NAMES);

export function webhookActions(batch: WebhookBatch, snapshot: Pick<ChannelSnapshot, 'match'>): WebhookOutcome {
	const outcome: WebhookOutcome = { actions: [], closedClientEvents: 0, unknownEvents: 0 };
	for (const event of batch.events) {
		if (!KNOWN.has(event.name)) {
			outcome.unknownEvents++;
			continue;
		}
		if (event.name === 'client_event' && snapshot.match(event.channel)?.channel.row.client_events !== true) {
			outcome.closedClientEvents++;
			continue;
		}
		const { name, ...fields } = event;
		outcome.actions.push({ name: `realtime.${name}`, payload: { ...fields, time_ms: batch.time_ms } });
	}
	return outcome;
}

/** What GET /realtime/health shows admins about webhooks. */
export class WebhookCounters {
	received = 0;
	refused = 0;
	emitted = 0;
	droppedClientEvents = 0;
	unknownEvents = 0;

	count(outcome: WebhookOutcome): void {
		this.received++;
		this.emitted += outcome.actions.length;
		this.droppedClientEvents += outcome.closedClientEvents;
		this.unknownEvents += outcome.unknownEvents;
	}

	stats() {
		return { received: this.received, refused: this.refused, emitted: this.emitted, dropped_client_events: this.droppedClientEvents, unknown_events: this.unknownEvents };
	}
}
