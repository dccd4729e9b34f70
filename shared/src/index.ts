/**
 * The core both entries of the bundle use, with no knowledge of Directus' extension API or of
 * Express: configuration, channel rows and their matching, the script sandbox, the publish and
 * authorization pipelines, Pusher's protocol and the delivery queue. The entries
 * (`realtime-hooks/`, `realtime-endpoints/`) import from here only.
 *
 * Layers, each importing only from those listed before it:
 *   errors, config -> pusher -> channels, items, sandbox, scripts -> delivery -> publisher, auth,
 *   webhooks -> schema, host -> runtime, admin, http
 */
export { RealtimeError, ConfigError, type RealtimeErrorCode } from './errors.js';
export { closestVariable, readBoolean, readConfig, realtimeEnv, unknownVariables, type RealtimeConfig, type PusherConnectionConfig } from './config.js';

export { channelKind, channelType, isCache, isChannelName, isSocketId, type ChannelKind, type ChannelType } from './pusher/names.js';
export { PusherApp } from './pusher/app.js';

export { CHANNELS_COLLECTION, type ChannelRow, type ChannelAction } from './channels/row.js';
export { ChannelRegistry, ANNOUNCED_CHECK_GAP_MS, type Channel, type ChannelPeers } from './channels/registry.js';
export { contentSignature, databaseChannelSource } from './channels/source.js';
export { clientEventsProblem, validateChannelPayload, type StoredChannelRow, type ValidationDeps } from './channels/validate.js';
export { SYSTEM_SOURCES, systemSourceProblem } from './channels/system-collections.js';
export { carriesScripts, revisionWithoutScripts, withoutChannelPermissions, SCRIPT_FIELDS } from './channels/admin-only.js';

export { fieldSetKey, isUuid, type Item, type ItemReader, type ItemsByKey, type PrimaryKey } from './items/types.js';
export { coalescedReader, ReadCoalescer } from './items/coalesce.js';

export { ScriptSandbox } from './sandbox/index.js';
export { scriptValidation } from './script-validation.js';

export { type ItemsEvent, type PublisherDeps } from './publisher/pipeline.js';
export { ItemsEventPublisher, type HostEventContext, type ItemsEventPublisherDeps, type Writer } from './publisher/items-events.js';
export { flowEvent, FLOW_SOURCE, type FlowSend, type FlowSendOptions } from './publisher/flow-event.js';

export { callerHelpers, readCaller, readsUserAliases, requireAdmin, withoutUserAliases, type Accountability, type CallerServices } from './auth/caller.js';
export { readRowSafely, readUserRow, readUserSafely, type RowReader } from './auth/safe-read.js';
export { admitToChannel, authorizeChannel, notAllowedToJoin } from './auth/channel-auth.js';
export { channelMembers, occupiedChannels } from './auth/channel-queries.js';
export { channelHistory, historyReply, type HistoryItem, type HistoryReply } from './auth/history-reply.js';
export { directusReadAccess, type ReadAccess } from './auth/read-access.js';
export { decidedByPermissions, decidePermissionJoin } from './auth/permission-join.js';
export { authenticateUser } from './auth/user-auth.js';
export { cutOffReason, cutOffUsers } from './auth/cut-off.js';
export { adminsOnly, errorAnswer, logInFirst } from './auth/http-errors.js';
export { redactItem, type SchemaLike } from './auth/redact.js';
export { fieldReadsSecret } from './auth/secret-reads.js';

export { checkWebhookHeaders, MAX_WEBHOOK_BODY_BYTES, verifyWebhook, WEBHOOK_EVENT_NAMES, type WebhookBatch, type WebhookEvent } from './webhooks/verify.js';
export { boundClientEvents, webhookActions, WebhookCounters, type WebhookAction, type WebhookOutcome } from './webhooks/actions.js';
export { ClientEventBound, clientEventSender, MemoryBoundStore, RedisBoundStore, type BoundStore } from './webhooks/sender-bound.js';
export { SenderCache, SENDER_CACHE_TTL_MS } from './webhooks/sender-cache.js';
export { CacheMissResender, historyLastEvents, type CacheMissOutcome, type LastEvent, type LastEventSource } from './webhooks/cache-miss.js';
export { emitWebhook, type WebhookEmitDeps, type WebhookReceipt } from './webhooks/emit.js';

export { ensureChannelsSchema, dropChannelsSchema, channelsSchemaComplete, type SchemaChanges, type SchemaOutcome } from './schema/channels-table.js';
export { loadDirectusCors, loadDirectusEmitter, directusRunsWithRedis, loadDirectusModule, loadDirectusRedis, loadValidateAccess, type ActionEmitter, type ActionRegistrar, type Middleware } from './host.js';

export {
	carriesCredential,
	contentType,
	encodedBody,
	guardedPaths,
	header,
	markBodyRead,
	readBodyAtMost,
	refuseEarly,
	requestPath,
	routePrefixes,
	type CorsMiddleware,
	type GateRequest,
	type GateResponse,
} from './http/early-http.js';
export { handedOver, handOver, type HandedBody } from './http/hand-over.js';
export { MAX_AUTH_BODY_BYTES, readBodyFields, type RequestLike } from './http/body-fields.js';

export { realtimeRuntime, runtimeStats, type RealtimeRuntime, type RuntimeCapabilities, type RuntimeLimits, type Logger } from './runtime.js';

export { parseDryRun, MAX_DRY_RUN_BODY_BYTES, type AuthorizerDryRun, type PublisherDryRun } from './admin/dry-run-request.js';
export { dryRunPublisher, type PublisherDryRunDeps } from './admin/publisher-dry-run.js';
export { dryRunAuthorizer, type AuthorizerDryRunDeps } from './admin/authorizer-dry-run.js';
export { channelRowsOverview, databaseRowLoader } from './admin/overview.js';
export { DeliveryActivity, PREVIEW_BYTES } from './delivery/activity.js';
export { envelopeJson, isNumberedChannel, newEpoch, newEventId } from './history/envelope.js';
export { HistoryUnavailableError, type ChannelHistory, type HistoryStats, type HistoryWindow, type NewEvent, type Numbered, type StoredEvent } from './history/channel-history.js';
export { MemoryHistory } from './history/memory-history.js';
export { RedisHistory, type HistoryRedis } from './history/redis-history.js';
export { HistoryStore } from './history/history-store.js';
export { parseHistoryQuery, DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, type HistoryQuery } from './history/history-query.js';
export { ScriptLog, SCRIPT_LOG_LIMITS } from './sandbox/index.js';
// The replies the Realtime module reads: types only (the schemas are for tests, see wire.ts).
export type {
	AdminHealthReply,
	AuthorizerDryRunAnswer,
	DryRunError,
	DryRunReply,
	HealthReply,
	PublisherDryRunAnswer,
	PusherProbe,
	QueueStats,
	RowCounters,
	RowError,
	RowOverview,
	RuntimeStats,
	ScriptLogLine,
	TailEvent,
	TailReply,
} from './wire.js';
export type { RunObserver } from './scripts.js';
