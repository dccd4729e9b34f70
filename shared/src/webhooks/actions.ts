/**
 * A verified webhook's events as Directus actions: `realtime.<name>` with `channel`, `user_id`,
 * `event`, `data`, `socket_id`, `time_ms` (fields that do not apply are left out). A
 * `client_event` becomes an action only when, in this order:
 * - its channel name passes the name rules of /realtime/auth (Pusher's characters and length),
 *   checked before any matching;
 * - the channel is not public: Pusher servers (Soketi 1.6.1 among them) accept client events on
 *   public channels, which anyone may join without an account, so those never reach Flows, even
 *   if a row saved before this rule (or written to the database by hand) has client_events on;
 * - the row deciding its channel (the registry's first match, in match order) has `client_events` on;
 * - its sender is within the per-sender bound (`boundClientEvents`, see sender-bound.ts).
 * Every other is dropped and counted, as are event names Pusher may add later.
 */
import type { ChannelSnapshot } from '../channels/registry.js';
import { channelType, isChannelName } from '../pusher/names.js';
import { clientEventSender, type ClientEventBound } from './sender-bound.js';
import type { WebhookStats } from '../wire.js';
import type { CacheMissOutcome } from './cache-miss.js';
import { WEBHOOK_EVENT_NAMES, type WebhookBatch } from './verify.js';

export interface WebhookAction {
	/** `realtime.member_added`, ... */
	name: string;
	payload: Record<string, unknown>;
	/** For a client event: the row that opened its channel, and whom it is counted for. */
	client?: { row: string; sender: string };
}

export interface WebhookOutcome {
	actions: WebhookAction[];
	/** client_event webhooks of channels whose deciding row has client_events off (or no row). */
	closedClientEvents: number;
	/** client_event webhooks of public channels, dropped whatever the rows say. */
	publicClientEvents: number;
	/** client_event webhooks whose channel name breaks the name rules of /realtime/auth. */
	invalidClientEvents: number;
	/** client_event webhooks over their sender's bound (set by boundClientEvents). */
	throttledClientEvents: number;
	unknownEvents: number;
}

const KNOWN_EVENTS = new Set<string>(WEBHOOK_EVENT_NAMES);

export function webhookActions(batch: WebhookBatch, snapshot: Pick<ChannelSnapshot, 'match'>): WebhookOutcome {
	const outcome: WebhookOutcome = { actions: [], closedClientEvents: 0, publicClientEvents: 0, invalidClientEvents: 0, throttledClientEvents: 0, unknownEvents: 0 };
	for (const event of batch.events) {
		if (!KNOWN_EVENTS.has(event.name)) {
			outcome.unknownEvents++;
			continue;
		}
		let client: WebhookAction['client'];
		if (event.name === 'client_event') {
			if (!isChannelName(event.channel)) {
				outcome.invalidClientEvents++;
				continue;
			}
			if (channelType(event.channel) === 'public') {
				outcome.publicClientEvents++;
				continue;
			}
			const row = snapshot.match(event.channel)?.channel.row;
			if (row?.client_events !== true) {
				outcome.closedClientEvents++;
				continue;
			}
			client = { row: row.id, sender: clientEventSender(event) };
		}
		const { name, ...fields } = event;
		const action: WebhookAction = { name: `realtime.${name}`, payload: { ...fields, time_ms: batch.time_ms } };
		if (client) action.client = client;
		outcome.actions.push(action);
	}
	return outcome;
}

/**
 * Holds each client event of `outcome` to its sender's bound, in order: those over it leave the
 * actions, are counted in the outcome and reported for their row (`onThrottled`). Nothing is read
 * from the database for them and no Flow runs.
 */
export async function boundClientEvents(outcome: WebhookOutcome, bound: Pick<ClientEventBound, 'admit'>, onThrottled: (row: string) => void = () => {}): Promise<WebhookOutcome> {
	const actions: WebhookAction[] = [];
	for (const action of outcome.actions) {
		if (action.client && !(await bound.admit(action.client.sender))) {
			outcome.throttledClientEvents++;
			onThrottled(action.client.row);
			continue;
		}
		actions.push(action);
	}
	outcome.actions = actions;
	return outcome;
}

/** What GET /realtime/health shows admins about webhooks. */
export class WebhookCounters {
	received = 0;
	refused = 0;
	emitted = 0;
	/** Every client event not emitted, whatever the reason; the three below are parts of it. */
	droppedClientEvents = 0;
	publicClientEvents = 0;
	invalidClientEvents = 0;
	throttledClientEvents = 0;
	unknownEvents = 0;
	/** cache_miss events received; the two below are parts of it (the rest had nothing to send). */
	cacheMisses = 0;
	cacheResent = 0;
	cacheThrottled = 0;

	count(outcome: WebhookOutcome): void {
		this.received++;
		this.emitted += outcome.actions.length;
		this.droppedClientEvents += outcome.closedClientEvents + outcome.publicClientEvents + outcome.invalidClientEvents + outcome.throttledClientEvents;
		this.publicClientEvents += outcome.publicClientEvents;
		this.invalidClientEvents += outcome.invalidClientEvents;
		this.throttledClientEvents += outcome.throttledClientEvents;
		this.unknownEvents += outcome.unknownEvents;
	}

	cacheMiss(outcome: CacheMissOutcome): void {
		this.cacheMisses++;
		if (outcome === 'resent') this.cacheResent++;
		if (outcome === 'throttled') this.cacheThrottled++;
	}

	stats(): WebhookStats {
		return {
			received: this.received,
			refused: this.refused,
			emitted: this.emitted,
			dropped_client_events: this.droppedClientEvents,
			public_client_events: this.publicClientEvents,
			invalid_client_events: this.invalidClientEvents,
			throttled_client_events: this.throttledClientEvents,
			unknown_events: this.unknownEvents,
			cache_misses: this.cacheMisses,
			cache_resent: this.cacheResent,
			cache_throttled: this.cacheThrottled,
		};
	}
}
