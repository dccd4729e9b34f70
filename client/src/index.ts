/**
 * `directus-extension-realtime-pusher/client`: channels of a pusher-js client (or of Laravel
 * Echo's, `echo.connector.pusher`) whose events arrive each once and in order, with what was
 * missed during a reconnect or a gap fetched from the channel's history (docs/client.md).
 */
import { channelAuthorization, userAuthentication, AuthorizationError } from './authorize.js';
import { collectionChannel, eventNames, inboxChannel, itemChannel, DEFAULT_EVENT_NAMES, type ChannelPrefix, type EventNames } from './channels.js';
import { directusUrl, fetchHistory, HistoryError, backoff, pause, type HistoryOptions, type HistoryReply } from './history.js';
import { ChannelLedger, isEnvelope, type HistoryRequest, type LedgerItem, type LedgerReply, type Position, type Reset, type Step } from './ledger.js';
import { isSealed, openSealed, type SecretBox } from './sealed.js';
import { TOKEN_SOURCE_TIMEOUT_MS, TokenSourceError } from './token.js';

export { ChannelLedger, isEnvelope, HistoryError, AuthorizationError, TokenSourceError, TOKEN_SOURCE_TIMEOUT_MS };
export { channelAuthorization, userAuthentication, itemChannel, collectionChannel, inboxChannel, eventNames, DEFAULT_EVENT_NAMES };
export type { Envelope, Position, Reset, Delivery, HistoryRequest, LedgerReply, LedgerItem, Step } from './ledger.js';
export type { HistoryOptions, HistoryReply, HistoryItem, RetryOptions, HeaderSource } from './history.js';
export type { TokenSource, DirectusAuthLike } from './token.js';
export type { ChannelPrefix, EventNames } from './channels.js';
export type {
	AuthorizationOptions,
	ChannelAuthorizationOption,
	ChannelAuthorizationParams,
	ChannelAuthorizationData,
	UserAuthenticationOption,
	UserAuthenticationData,
} from './authorize.js';
export type { SecretBox } from './sealed.js';

/** The parts of a pusher-js channel the helper uses. */
export interface PusherChannelLike {
	name: string;
	subscribed?: boolean;
	bind(event: string, callback: (data: any) => void): unknown;
	unbind(event?: string, callback?: (data: any) => void): unknown;
	bind_global(callback: (event: string, data: any) => void): unknown;
	unbind_global(callback?: (event: string, data: any) => void): unknown;
}

/** The parts of a pusher-js client the helper uses. */
export interface PusherLike {
	subscribe(name: string): PusherChannelLike;
	unsubscribe(name: string): void;
	channel(name: string): PusherChannelLike | undefined | null;
}

export interface ClientOptions extends HistoryOptions {
	/** Live events held back per channel while a gap is filled (default 1000). */
	maxBuffer?: number;
	/** Event ids remembered per channel to drop repeats (default 1000). */
	rememberIds?: number;
	/** tweetnacl, to open history items of `private-encrypted-` channels when the pusher-js build does not expose its own. */
	nacl?: SecretBox;
}

/** What comes with each delivered event. */
export interface EventMeta {
	id: string;
	seq: number;
	epoch: string;
	/** It came from the history (it was missed live). */
	replayed: boolean;
}

export interface SubscribeOptions {
	/** Event names to deliver (default: every event but pusher's own). */
	events?: string[];
	/**
	 * Each event once, in order. `meta` is null for an event without an envelope (the server
	 * sends bare payloads with `RT_ENVELOPE=false`): those pass as they come.
	 */
	onEvent: (event: string, data: unknown, meta: EventMeta | null) => void;
	/**
	 * The history could not fill a gap (`recovered: false`): reload the state through Directus'
	 * REST API. Events after `latest` follow.
	 */
	onReset?: (reset: Reset) => void;
	/**
	 * The subscription was refused (an `AuthorizationError`, `status` 403 for a caller the channel
	 * does not admit), a history request failed for good, an item did not open, or a handler threw.
	 */
	onError?: (error: Error) => void;
	/** Start after this position (saved with `position()`) rather than where the channel stands. */
	since?: Position;
}

export interface RecoveringSubscription {
	readonly channel: PusherChannelLike;
	/** The last event delivered; save it to continue after a reload with `since`. */
	position(): Position | null;
	unsubscribe(): void;
}

/** A handler of one action of a permission-mode row: the item as the row sends it. */
export type ItemHandler<T> = (item: T, meta: EventMeta | null) => void;

/**
 * Handlers of a channel a permission-mode row publishes to by itself (no publisher script): each
 * created, updated or deleted item arrives as the row reads it with its `fields`.
 */
export interface RowHandlers<T = Record<string, unknown>> {
	created?: ItemHandler<T>;
	updated?: ItemHandler<T>;
	/** The item as it was just before the delete. */
	deleted?: ItemHandler<T>;
	/** Any other event on the channel (another row's, a Flow's, a client event), as `subscribe`'s `onEvent`. */
	onOther?: (event: string, data: unknown, meta: EventMeta | null) => void;
	onReset?: (reset: Reset) => void;
	onError?: (error: Error) => void;
	since?: Position;
	/** The row's `event_names`, where it renames `created` / `updated` / `deleted`. */
	eventNames?: EventNames;
	/** The channel's type prefix, when the row's pattern is not the preset's `private-` (default `private`). */
	prefix?: ChannelPrefix;
}

export interface RecoveringClient {
	subscribe(name: string, options: SubscribeOptions): RecoveringSubscription;
	/** One item's channel, `private-<collection>.<id>` (the Item channel preset). */
	subscribeItem<T = Record<string, unknown>>(collection: string, id: string | number, handlers: RowHandlers<T>): RecoveringSubscription;
	/** A collection's channel, `private-<collection>` (the Collection channel preset). */
	subscribeCollection<T = Record<string, unknown>>(collection: string, handlers: RowHandlers<T>): RecoveringSubscription;
	/** A user's inbox in a collection, `private-<collection>.user.<userId>` (the User inbox preset). */
	subscribeInbox<T = Record<string, unknown>>(collection: string, userId: string, handlers: RowHandlers<T>): RecoveringSubscription;
}

const PUSHER_OWN = /^pusher(_internal)?:/;
const CLIENT_EVENT = /^client-/;

export function createRecoveringClient(pusher: PusherLike, options: ClientOptions): RecoveringClient {
	if (!directusUrl(options) && !options.historyUrl) {
		throw new TypeError('createRecoveringClient needs baseUrl (the Directus URL), historyUrl, or a Directus SDK client with a url as auth');
	}
	const subscribe = (name: string, subscribeOptions: SubscribeOptions) => subscribeRecovering(pusher, name, options, subscribeOptions);
	const rows = <T>(name: string, handlers: RowHandlers<T>) => subscribeRow(subscribe, name, handlers);
	return {
		subscribe,
		subscribeItem: (collection, id, handlers) => rows(itemChannel(collection, id, handlers.prefix), handlers),
		subscribeCollection: (collection, handlers) => rows(collectionChannel(collection, handlers.prefix), handlers),
		subscribeInbox: (collection, userId, handlers) => rows(inboxChannel(collection, userId, handlers.prefix), handlers),
	};
}

/** A row's channel: its three events to their handlers, the rest to `onOther` (all numbered alike). */
function subscribeRow<T>(subscribe: (name: string, options: SubscribeOptions) => RecoveringSubscription, name: string, handlers: RowHandlers<T>): RecoveringSubscription {
	const names = eventNames(handlers.eventNames);
	const actions = new Map<string, 'created' | 'updated' | 'deleted'>([
		[names.created, 'created'],
		[names.updated, 'updated'],
		[names.deleted, 'deleted'],
	]);
	return subscribe(name, {
		onEvent(event, data, meta) {
			const action = actions.get(event);
			if (action) handlers[action]?.(data as T, meta);
			else handlers.onOther?.(event, data, meta);
		},
		...(handlers.onReset ? { onReset: handlers.onReset } : {}),
		...(handlers.onError ? { onError: handlers.onError } : {}),
		...(handlers.since ? { since: handlers.since } : {}),
	});
}

function subscribeRecovering(pusher: PusherLike, name: string, options: ClientOptions, handlers: SubscribeOptions): RecoveringSubscription {
	const ledger = new ChannelLedger({ maxBuffer: options.maxBuffer, rememberIds: options.rememberIds, since: handlers.since ?? null });
	const wanted = handlers.events ? new Set(handlers.events) : null;
	const existed = Boolean(pusher.channel(name));
	const channel = pusher.subscribe(name);
	const abort = new AbortController();
	let closed = false;
	/** Replies in a row that delivered nothing while still behind: slow down. */
	let idle = 0;

	const report = (error: unknown) => {
		if (closed) return;
		const e = error instanceof Error ? error : new Error(String(error));
		if (handlers.onError) handlers.onError(e);
		else console.error(e);
	};

	const hand = (event: string, data: unknown, meta: EventMeta | null) => {
		if (wanted && !wanted.has(event)) return;
		try {
			handlers.onEvent(event, data, meta);
		} catch (error) {
			report(error);
		}
	};

	const apply = (step: Step, fromHistory = false) => {
		if (closed) return;
		if (step.reset) {
			try {
				handlers.onReset?.(step.reset);
			} catch (error) {
				report(error);
			}
		}
		for (const d of step.deliver) {
			hand(d.event, d.envelope.data, { id: d.envelope.id, seq: d.envelope.seq, epoch: d.envelope.epoch, replayed: d.replayed });
		}
		if (step.fetch) void ask(step.fetch, !fromHistory || step.deliver.length > 0 || step.reset !== null);
	};

	const ask = async (request: HistoryRequest, progressed: boolean) => {
		idle = progressed ? 0 : idle + 1;
		try {
			if (idle > 1) await pause(backoff(idle - 2, options.retry), abort.signal);
			if (idle > Math.max(1, options.retry?.attempts ?? 8)) {
				throw new HistoryError(`history of ${name}: the answers do not fill the gap`, 200, 'GAP_NOT_FILLED');
			}
			const reply = await fetchHistory(name, request, options, abort.signal);
			if (closed) return;
			apply(ledger.history(open(reply)), true);
		} catch (error) {
			if (closed) return;
			report(error);
			apply(ledger.abandon(), true);
		}
	};

	/** The reply with its items opened into envelopes; an item that does not open makes it unrecovered. */
	const open = (reply: HistoryReply): LedgerReply => {
		try {
			const items: LedgerItem[] = reply.items.map((item) => {
				const data = isSealed(item.data) ? openItem(item.data) : item.data;
				if (!isEnvelope(data)) throw new HistoryError(`history of ${name}: item ${item.seq} carries no envelope`, 200, 'INVALID_REPLY');
				return { id: item.id, seq: item.seq, event: item.event, data };
			});
			return { ...reply, items };
		} catch (error) {
			report(error);
			return { ...reply, recovered: false, items: [] };
		}
	};

	const openItem = (sealed: { nonce: string; ciphertext: string }): unknown => {
		const own = channel as unknown as { key?: Uint8Array | null; nacl?: SecretBox };
		const nacl = options.nacl ?? own.nacl;
		if (!own.key || !nacl) throw new Error(`history of ${name}: a sealed item needs the channel's shared secret and tweetnacl (pusher-js/with-encryption, or the nacl option)`);
		return openSealed(sealed, own.key, nacl);
	};

	const onAny = (event: string, data: unknown) => {
		if (closed || PUSHER_OWN.test(event)) return;
		// Client events come from other members, never from the server's numbering: a forged
		// envelope there must not move the channel's position.
		if (isEnvelope(data) && !CLIENT_EVENT.test(event)) apply(ledger.live(event, data));
		else hand(event, data, null);
	};
	const onSubscribed = () => {
		if (!closed) apply(ledger.start());
	};
	/** pusher-js could not authorize the subscription (`/realtime/auth` refused, or no token): to onError. */
	const onRefused = (data: unknown) => {
		const d = (typeof data === 'object' && data !== null ? data : {}) as { error?: unknown; status?: unknown };
		const message = typeof d.error === 'string' ? d.error : typeof data === 'string' ? data : 'refused';
		const status = typeof d.status === 'number' ? d.status : Number(/: (\d{3}) /.exec(message)?.[1] ?? 0);
		report(new AuthorizationError(`subscription to ${name} refused: ${message}`, status, 'SUBSCRIPTION_REFUSED'));
	};

	channel.bind_global(onAny);
	channel.bind('pusher:subscription_succeeded', onSubscribed);
	channel.bind('pusher:subscription_error', onRefused);
	if (channel.subscribed) onSubscribed();

	return {
		channel,
		position: () => ledger.position,
		unsubscribe() {
			if (closed) return;
			closed = true;
			abort.abort(new Error('unsubscribed'));
			channel.unbind_global(onAny);
			channel.unbind('pusher:subscription_succeeded', onSubscribed);
			channel.unbind('pusher:subscription_error', onRefused);
			// A channel subscribed before (by Echo, or the application) stays subscribed.
			if (!existed) pusher.unsubscribe(name);
		},
	};
}
