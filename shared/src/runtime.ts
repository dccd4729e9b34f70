/**
 * The parts the bundle's entries share, created once per Directus process: configuration,
 * channel registry, script sandboxes, Pusher client and publish queue. The entries are one
 * bundle and share this module, so one set means one pair of isolate pools, one queue, and a
 * registry that the hook invalidates for the endpoint too.
 */
import type { Knex } from 'knex';
import { ChannelRegistry } from './channels/registry.js';
import { databaseChannelSource } from './channels/source.js';
import { ReadCoalescer } from './items/coalesce.js';
import { readConfig, realtimeEnv, type RealtimeConfig } from './config.js';
import { PublishQueue, type OutgoingEvent } from './delivery/queue.js';
import { DeliveryActivity } from './delivery/activity.js';
import { Outbox } from './delivery/outbox.js';
import { PusherApp } from './pusher/app.js';
import { ConsoleBudget, runFailure, ScriptSandbox } from './sandbox/index.js';
import type { RunObserver } from './scripts.js';
import { WebhookCounters } from './webhooks/actions.js';
import { CacheMissResender, historyLastEvents } from './webhooks/cache-miss.js';
import { ClientEventBound, RedisBoundStore } from './webhooks/sender-bound.js';
import { SenderCache } from './webhooks/sender-cache.js';
import { loadDirectusRedis } from './host.js';
import type { ChannelHistory } from './history/channel-history.js';
import { envelopeJson, isNumberedChannel, newEventId } from './history/envelope.js';
import { HistoryStore } from './history/history-store.js';
import type { Accountability } from './auth/caller.js';
import type { PusherProbe, RuntimeStats } from './wire.js';

export interface Logger {
	info(message: string): void;
	warn(message: string): void;
	error(message: string): void;
	debug?(message: string): void;
}

/** What this configuration can do: asked here, never re-derived from the settings. */
export interface RuntimeCapabilities {
	/** RT_ENCRYPTION_MASTER_KEY is set: private-encrypted channels can be authorized and published to. */
	encryption: boolean;
	/** RT_ENVELOPE: events travel in the envelope `{ id, seq, epoch, data }`, which counts against RT_MAX_PAYLOAD_KB. */
	envelope: boolean;
}

/** The bounds every entry applies the same way. */
export interface RuntimeLimits {
	/** Largest payload of one event, bytes (RT_MAX_PAYLOAD_KB). */
	maxPayloadBytes: number;
	/** Most keys of one items event read and published (RT_MAX_KEYS_PER_EVENT). */
	maxKeysPerEvent: number;
	/** Memory budget of the delete pre-reads waiting for their action, bytes (RT_PENDING_MAX_MB). */
	pendingMaxBytes: number;
	/**
	 * How long an items event's publishing may hold back the events of later writes (ms): a
	 * publisher's time limit (RT_SCRIPT_TIMEOUT) and 10 s for its reads and its wait for an isolate.
	 */
	orderHoldMs: number;
	/** Most events waiting behind an earlier write's unfinished publishing (RT_PUBLISH_MAX_QUEUE). */
	orderMaxWaiting: number;
}

export interface RealtimeRuntime {
	config: RealtimeConfig;
	capabilities: RuntimeCapabilities;
	limits: RuntimeLimits;
	registry: ChannelRegistry;
	/**
	 * Authorizers and publishers run in isolate pools of their own: authorizers run for whoever
	 * sends join requests, and a flood of them (slow scripts, many callers) must not hold up
	 * publishing, nor fill the queue publisher runs wait in.
	 */
	scripts: { authorizers: ScriptSandbox; publishers: ScriptSandbox };
	pusher: PusherApp;
	queue: PublishQueue;
	/**
	 * The Redis outbox events go through when Directus runs with Redis (docs/delivery.md, the
	 * outbox); undefined with RT_OUTBOX=false. Its sender starts with the server.
	 */
	outbox: Outbox | undefined;
	/** Merges the publisher's concurrent item reads. */
	reads: ReadCoalescer;
	/** Per-row counters and the tail of outgoing events (GET /realtime/health, /realtime/tail). */
	activity: DeliveryActivity;
	/** Where real runs report: counters, and console lines to the log at debug level. */
	observer: RunObserver;
	/**
	 * Numbers and keeps the events as they go out (docs/delivery.md); undefined with
	 * RT_ENVELOPE=false, when events go out bare and nothing is numbered.
	 */
	history: ChannelHistory | undefined;
	/** Hands a checked event to the queue, counted for its row and kept in the tail. */
	publish(event: OutgoingEvent): void;
	/** The Pusher server's HTTP API, probed at most once per PROBE_CACHE_MS. */
	probePusher(): Promise<PusherProbe>;
	/** What POST /realtime/webhook received, emitted and dropped. */
	webhooks: WebhookCounters;
	/**
	 * Client events: the per-sender bound (RT_CLIENT_EVENTS_PER_SECOND, counted in Redis when
	 * Directus has it) and the senders' permissions, looked up at most once a second each.
	 */
	clientEvents: { bound: ClientEventBound; senders: SenderCache<Accountability> };
	/**
	 * Answers Soketi's cache_miss webhooks with the channel's last event from history, at most
	 * once per channel and second; without history (RT_ENVELOPE=false) a miss is only counted.
	 */
	cacheMisses: CacheMissResender;
}

export interface RuntimeContext {
	env: Record<string, unknown>;
	database: Knex;
	logger: Logger;
}

let current: RealtimeRuntime | undefined;

/** Runs waiting for an isolate, per pool; past it a run fails with SANDBOX_BUSY (and is logged). */
const AUTHORIZER_QUEUE = 1000;
const PUBLISHER_QUEUE = 10_000;
/** What an items event's publishing may take past its script's time limit before later events stop waiting for it. */
const ORDER_HOLD_MARGIN_MS = 10_000;
/** The health probe of the Pusher server: its time-out, and how long an answer is reused. */
const PROBE_TIMEOUT_MS = 2000;
const PROBE_CACHE_MS = 5000;

/** Throws ConfigError / SandboxUnavailableError with a message naming the problem. */
export function realtimeRuntime(ctx: RuntimeContext): RealtimeRuntime {
	if (current) return current;
	const config = readConfig(realtimeEnv(ctx.env));
	const log = (level: 'warn' | 'error') => (message: string) => ctx.logger[level](message);
	const sandbox = (maxQueue: number) =>
		new ScriptSandbox({
			timeoutMs: config.script.timeoutMs,
			memoryMb: config.script.maxMemoryMb,
			sliceMs: config.script.sliceMs,
			maxCalls: config.script.maxCalls,
			maxConcurrentCalls: config.script.maxConcurrentCalls,
			maxQueue,
			logger: { warn: log('warn') },
		});
	const pusher = new PusherApp(config.pusher);
	const activity = new DeliveryActivity();
	let probe: { at: number; answer: Promise<PusherProbe> } | undefined;
	const { delivery } = config;
	const history = delivery.envelope
		? new HistoryStore({
				size: delivery.history ? delivery.historySize : 0,
				ttlMs: delivery.historyTtlMs,
				prefix: delivery.redisPrefix,
				redis: loadDirectusRedis,
				warn: log('warn'),
			})
		: undefined;
	// Events the outbox could not take (Redis unavailable): numbered in memory when they go out.
	const inMemory = new WeakSet<OutgoingEvent>();
	const queue = new PublishQueue((batch) => pusher.triggerBatch(batch), {
		retryForMs: config.publish.retryForMs,
		maxQueued: config.publish.maxQueuedEvents,
		batchWaitMs: config.publish.batchWaitMs,
		...(history ? { prepare: (events: OutgoingEvent[]) => numberEvents(history, events, inMemory) } : {}),
		logger: { warn: log('warn'), error: log('error') },
	});
	const outbox = delivery.outbox
		? new Outbox({
				redis: loadDirectusRedis,
				prefix: delivery.redisPrefix,
				claimAfterMs: delivery.outboxClaimAfterMs,
				maxLength: config.publish.maxQueuedEvents,
				prepare: history ? (events) => numberEvents(history, events) : undefined,
				send: (batch) => pusher.triggerBatch(batch),
				live(event, fallback) {
					if (fallback) inMemory.add(event);
					queue.enqueue(event);
				},
				warn: log('warn'),
				error: log('error'),
			})
		: undefined;
	const consoleBudget = new ConsoleBudget();
	const runtime: RealtimeRuntime = {
		config,
		capabilities: Object.freeze({ encryption: pusher.encryption !== undefined, envelope: delivery.envelope }),
		limits: Object.freeze({
			maxPayloadBytes: config.publish.maxPayloadBytes,
			maxKeysPerEvent: config.items.maxKeysPerEvent,
			pendingMaxBytes: config.items.pendingMaxBytes,
			orderHoldMs: config.script.timeoutMs + ORDER_HOLD_MARGIN_MS,
			orderMaxWaiting: config.publish.maxQueuedEvents,
		}),
		// A join request waiting past a full queue is refused (403) rather than kept: its caller retries.
		scripts: { authorizers: sandbox(AUTHORIZER_QUEUE), publishers: sandbox(PUBLISHER_QUEUE) },
		pusher,
		reads: new ReadCoalescer(),
		webhooks: new WebhookCounters(),
		cacheMisses: new CacheMissResender({
			source: history ? historyLastEvents(history) : null,
			// Prepared: the event is in history already and keeps its id, seq and epoch.
			send: (event) => queue.enqueue({ ...event, source: 'a cache_miss re-send' }, true),
			log: { warn: log('warn') },
		}),
		clientEvents: {
			bound: new ClientEventBound({
				perSecond: config.webhooks.clientEventsPerSecond,
				store: () => loadDirectusRedis().then((redis) => (redis ? new RedisBoundStore(redis) : null)),
				warn: log('warn'),
			}),
			senders: new SenderCache<Accountability>(),
		},
		registry: new ChannelRegistry(databaseChannelSource(ctx.database), { checkIntervalMs: config.channels.checkIntervalMs, warn: log('warn') }),
		queue,
		outbox,
		history,
		activity,
		observer: {
			logged(channel, lines) {
				if (lines.length === 0 || typeof ctx.logger.debug !== 'function') return;
				for (const line of consoleBudget.take(channel.row.id, lines)) ctx.logger.debug(`realtime: ${channel.label} console.${line.level}: ${line.message}`);
			},
			failed: (channel, error) => activity.failed(channel.row.id, runFailure(error)),
			refused: (channel) => activity.refused(channel.row.id),
		},
		publish(event) {
			activity.queued(event.row ?? null, event);
			if (outbox) outbox.accept(event);
			else queue.enqueue(event);
		},
		probePusher() {
			const now = Date.now();
			if (probe === undefined || now - probe.at >= PROBE_CACHE_MS) probe = { at: now, answer: pusher.probe(PROBE_TIMEOUT_MS) };
			return probe.answer;
		},
	};
	if (config.useStats) {
		setInterval(() => ctx.logger.info(`realtime: stats ${JSON.stringify(runtimeStats(runtime))}`), config.statsIntervalMs).unref();
	}
	current = runtime;
	return runtime;
}

/**
 * Numbers the events of a batch in order and puts each payload into its envelope, once per event
 * (the queue's `prepare`): a retry sends the same id, seq and epoch. Those in `inMemory` (the
 * outbox could not take them) are numbered in this process' memory whatever the store.
 */
async function numberEvents(history: HistoryStore, events: OutgoingEvent[], inMemory?: WeakSet<OutgoingEvent>): Promise<void> {
	const numbered = events.filter((event) => isNumberedChannel(event.channel));
	for (const event of numbered) event.id ??= newEventId();
	const local = numbered.filter((event) => inMemory?.has(event));
	const shared = local.length === 0 ? numbered : numbered.filter((event) => !inMemory!.has(event));
	const entry = (event: OutgoingEvent) => ({ channel: event.channel, id: event.id!, name: event.name, data: event.data });
	const [localMarks, sharedMarks] = await Promise.all([local.length > 0 ? history.appendInMemory(local.map(entry)) : [], history.append(shared.map(entry))]);
	const wrap = (event: OutgoingEvent, mark: { seq: number; epoch: string }) => {
		event.data = envelopeJson(event.id!, mark.seq, mark.epoch, event.data);
	};
	local.forEach((event, i) => wrap(event, localMarks[i]!));
	shared.forEach((event, i) => wrap(event, sharedMarks[i]!));
}

/** The counters RT_USE_STATS logs and GET /realtime/health shows admins. */
export function runtimeStats(runtime: RealtimeRuntime): RuntimeStats {
	return {
		queue: runtime.queue.stats(),
		reads: runtime.reads.stats(),
		webhooks: runtime.webhooks.stats(),
		history: runtime.history?.stats() ?? null,
		outbox: runtime.outbox?.stats() ?? null,
	};
}
