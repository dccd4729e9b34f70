/**
 * The replies of the admins' endpoints the Realtime module reads: GET /realtime/health, GET
 * /realtime/tail and POST /realtime/dry-run. The schemas are the types (as Directus'
 * `websocket/messages.ts`): the server's modules and the Vue views use the inferred types, the
 * tests parse real replies with the schemas.
 *
 * Import types only, outside tests: the schemas are zod values, and nothing at run time needs
 * them (the server builds these replies itself), so neither bundle carries zod.
 */
import * as z from 'zod/mini';

const count = z.number();

// ---- Sandbox console lines and failures, as a dry-run shows them -------------------------------

export const scriptLogLevel = z.enum(['log', 'info', 'warn', 'error', 'debug']);
export type ScriptLogLevel = z.infer<typeof scriptLogLevel>;

export const scriptLogLine = z.strictObject({ level: scriptLogLevel, message: z.string() });
export type ScriptLogLine = z.infer<typeof scriptLogLine>;

/** Where a script failed: line and column in the admin's script when known. */
export const dryRunError = z.strictObject({ message: z.string(), line: z.nullable(count), column: z.nullable(count) });
export type DryRunError = z.infer<typeof dryRunError>;

// ---- GET /realtime/tail ------------------------------------------------------------------------

export const tailEvent = z.strictObject({
	seq: count,
	at: z.string(),
	/** The channel row that sent it; null for the Flows operation. */
	row: z.nullable(z.string()),
	channel: z.string(),
	event: z.string(),
	bytes: count,
	/** At most PREVIEW_BYTES of the JSON payload; null for private-encrypted channels. */
	preview: z.nullable(z.string()),
});
export type TailEvent = z.infer<typeof tailEvent>;

/** The kept events after `after`, oldest first, and the last seq to ask after next. */
export const tailReply = z.strictObject({ data: z.array(tailEvent), seq: count });
export type TailReply = z.infer<typeof tailReply>;

// ---- GET /realtime/health ----------------------------------------------------------------------

export const rowError = z.strictObject({ message: z.string(), line: z.nullable(count), column: z.nullable(count), at: z.string() });
export type RowError = z.infer<typeof rowError>;

export const rowCounters = z.strictObject({
	sent: count,
	refused: count,
	errors: count,
	/** Client events on the row's channels that became realtime.client_event actions. */
	client_events: count,
	/** Client events on the row's channels dropped over their sender's bound (RT_CLIENT_EVENTS_PER_SECOND). */
	client_events_throttled: count,
	last_error: z.nullable(rowError),
	last_event_at: z.nullable(z.string()),
});
export type RowCounters = z.infer<typeof rowCounters>;

/** A channel row as admins see it; `order` is its place in the match order (null: never decides). */
export const rowOverview = z.strictObject({
	id: z.string(),
	channel_name: z.string(),
	collection: z.string(),
	/** How its channels are authorized. */
	type: z.enum(['public', 'private', 'presence', 'private-encrypted']),
	/** What names it matches: the type, or its cache- kind (Soketi's cache channels). */
	kind: z.enum(['public', 'private', 'presence', 'private-encrypted', 'cache', 'private-cache', 'presence-cache', 'private-encrypted-cache']),
	enabled: z.boolean(),
	order: z.nullable(count),
	/** What decides a join: the authorizer script (or nobody, without one), or Directus' permissions. */
	mode: z.enum(['script', 'permissions']),
	/** What a subscriber receives from item events, in words. */
	receives: z.string(),
	counters: rowCounters,
});
export type RowOverview = z.infer<typeof rowOverview>;

export const queueStats = z.strictObject({ queued: count, inFlight: count, sent: count, dropped: count, batches: count, failedBatches: count });
export type QueueStats = z.infer<typeof queueStats>;

/** Reads asked for (one per event and field set), and the queries that served them. */
export const readStats = z.strictObject({ requested: count, queries: count });
export type ReadStats = z.infer<typeof readStats>;

export const webhookStats = z.strictObject({
	received: count,
	refused: count,
	emitted: count,
	dropped_client_events: count,
	public_client_events: count,
	invalid_client_events: count,
	throttled_client_events: count,
	unknown_events: count,
	/** Soketi's cache_miss webhooks; those answered by sending the channel's last event again, and those within its one-second interval. */
	cache_misses: count,
	cache_resent: count,
	cache_throttled: count,
});
export type WebhookStats = z.infer<typeof webhookStats>;

/** Numbering and history: where they live, events numbered, and events numbered in memory because Redis failed. */
export const historyStats = z.strictObject({ store: z.enum(['memory', 'redis']), appended: count, redisFailures: count });
export type HistoryStats = z.infer<typeof historyStats>;

/**
 * The Redis outbox (docs/delivery.md): events added to it; delivered by this instance's sender
 * (`claimed`: of those read, the ones taken over from another instance); sent live from memory
 * because Redis was unavailable (`fallbacks`); refused by Pusher and dropped; the sender's failed
 * rounds; and the events in the outbox not yet sent, all instances together (`pending`).
 */
export const outboxStats = z.strictObject({ accepted: count, delivered: count, claimed: count, fallbacks: count, refused: count, failedRounds: count, pending: count });
export type OutboxStats = z.infer<typeof outboxStats>;

/**
 * The counters RT_USE_STATS logs and the health reply shows admins (`history`: null with
 * RT_ENVELOPE=false; `outbox`: null without Redis or with RT_OUTBOX=false).
 */
export const runtimeStatsReply = z.strictObject({ queue: queueStats, reads: readStats, webhooks: webhookStats, history: z.nullable(historyStats), outbox: z.nullable(outboxStats) });
export type RuntimeStats = z.infer<typeof runtimeStatsReply>;

export const pusherProbe = z.strictObject({ reachable: z.boolean(), latency_ms: count, error: z.optional(z.string()) });
export type PusherProbe = z.infer<typeof pusherProbe>;

/** What anyone sees: it is up. */
export const publicHealthReply = z.strictObject({ status: z.literal('ok') });
/** What admins see: the runtime's counters, the Pusher server's reachability, every channel row. */
export const adminHealthReply = z.strictObject({
	status: z.literal('ok'),
	...runtimeStatsReply.shape,
	pusher: pusherProbe,
	rows: z.array(rowOverview),
});
export type AdminHealthReply = z.infer<typeof adminHealthReply>;
export const healthReply = z.union([adminHealthReply, publicHealthReply]);
export type HealthReply = z.infer<typeof healthReply>;

// ---- POST /realtime/dry-run --------------------------------------------------------------------

export const publisherDryRunAnswer = z.strictObject({
	events: z.array(z.strictObject({ channel: z.string(), event: z.string(), data: z.unknown() })),
	logs: z.array(scriptLogLine),
	error: z.nullable(dryRunError),
});
export type PublisherDryRunAnswer = z.infer<typeof publisherDryRunAnswer>;

export const authorizerDryRunAnswer = z.strictObject({
	granted: z.boolean(),
	/** The presence member the join would carry. */
	channel_data: z.optional(z.strictObject({ user_id: z.string(), user_info: z.optional(z.record(z.string(), z.unknown())) })),
	/** The row that decides first for the name in a real join; null when none matches. */
	matched_row: z.nullable(z.string()),
	logs: z.array(scriptLogLine),
	error: z.nullable(dryRunError),
	/** A row in permission mode: what Directus' permissions decided, and why (the refused field, if one). */
	permission_decision: z.optional(
		z.strictObject({ granted: z.boolean(), reason: z.string(), scope: z.optional(z.enum(['item', 'items'])), fields: z.optional(z.array(z.string())), field: z.optional(z.string()) }),
	),
});
export type AuthorizerDryRunAnswer = z.infer<typeof authorizerDryRunAnswer>;

export const publisherDryRunReply = z.strictObject({ data: publisherDryRunAnswer });
export const authorizerDryRunReply = z.strictObject({ data: authorizerDryRunAnswer });
export const dryRunReply = z.union([publisherDryRunReply, authorizerDryRunReply]);
export type DryRunReply = z.infer<typeof dryRunReply>;
