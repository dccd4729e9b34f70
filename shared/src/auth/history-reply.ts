/**
 * GET /realtime/channels/<name>/history: parse (name, query) -> who -> the decision of
 * /realtime/auth for that channel, made again now (public channels: a row of the channel's type
 * must match, as for publishing to it) -> the channel's history window -> the answer of
 * docs/delivery.md. Every refusal is the one FORBIDDEN of a join; nothing of the history is read
 * before the caller passed.
 */
import { assertChannelName, channelType } from '../pusher/names.js';
import { RealtimeError } from '../errors.js';
import { HistoryUnavailableError, type ChannelHistory, type HistoryWindow, type StoredEvent } from '../history/channel-history.js';
import { envelopeJson } from '../history/envelope.js';
import { parseHistoryQuery, type HistoryQuery } from '../history/history-query.js';
import { logInFirst } from './http-errors.js';
import { admitToChannel, notAllowedToJoin, type ChannelAuthDeps } from './channel-auth.js';

export interface HistoryItem {
	id: string;
	seq: number;
	event: string;
	/** What a pusher-js handler receives live: the envelope, or the sealed `{ nonce, ciphertext }`. */
	data: unknown;
}

export interface HistoryReply {
	channel: string;
	epoch: string;
	recovered: boolean;
	latest: number;
	items: HistoryItem[];
	more: boolean;
}

export type HistoryReplyDeps = Pick<ChannelAuthDeps, 'registry' | 'scripts' | 'caller' | 'readsUserAliases' | 'helpers' | 'directusUserNamed' | 'log' | 'observer' | 'encryption'> & {
	/** Undefined with RT_ENVELOPE=false: nothing is numbered. */
	history: ChannelHistory | undefined;
	/** Seals an envelope for a private-encrypted channel as a live send does. */
	seal(channel: string, text: string): string;
	maxResponseBytes: number;
};

export async function channelHistory(channel_name: unknown, query: unknown, userId: string | null, deps: HistoryReplyDeps): Promise<HistoryReply> {
	assertChannelName(channel_name);
	const request = parseHistoryQuery(query);
	await admitToHistory(channel_name, userId, deps);
	if (deps.history === undefined) throw new RealtimeError('HISTORY_DISABLED', 'events are not numbered here (RT_ENVELOPE=false): there is no history');
	let window: HistoryWindow;
	try {
		// One more than asked: whether there is more.
		window = await deps.history.read(channel_name, { after: request.since, limit: request.since === undefined ? request.limit : request.limit + 1 });
	} catch (error) {
		// The store logged it (spaced out).
		if (!(error instanceof HistoryUnavailableError)) throw error;
		throw new RealtimeError('HISTORY_UNAVAILABLE', 'the history cannot be read now; reload through the REST API');
	}
	return historyReply(channel_name, request, window, deps);
}

/** The decision of /realtime/auth for the channel, unsigned; public channels need a row of their own type. */
async function admitToHistory(channel: string, userId: string | null, deps: HistoryReplyDeps): Promise<void> {
	const type = channelType(channel);
	if (type === 'public') {
		const snapshot = await deps.registry.snapshot();
		if (snapshot.matches(channel).next().done) {
			deps.log.info(`realtime: refused the history of ${channel} for ${userId ? `user ${userId}` : 'the public'}: no channel row matches`);
			throw notAllowedToJoin();
		}
		return;
	}
	if (!userId) throw logInFirst();
	if (type === 'private-encrypted' && !deps.encryption) {
		throw new RealtimeError('ENCRYPTION_NOT_CONFIGURED', 'encrypted channels need RT_ENCRYPTION_MASTER_KEY on the server');
	}
	await admitToChannel(null, channel, userId, deps);
}

/** The answer for a window, bounded by `limit` and the response size. Pure but for sealing. */
export function historyReply(
	channel: string,
	request: HistoryQuery,
	window: HistoryWindow,
	deps: Pick<HistoryReplyDeps, 'seal' | 'maxResponseBytes'>,
): HistoryReply {
	const base = { channel, epoch: window.epoch, latest: window.latest };
	const lost = { ...base, recovered: false, items: [], more: false };
	// An entry the store could not read as an event: what it answers would have a hole.
	if (window.damaged) return lost;
	const item = (event: StoredEvent): { item: HistoryItem; bytes: number } => {
		let text = envelopeJson(event.id, event.seq, window.epoch, event.data);
		if (channelType(channel) === 'private-encrypted') text = deps.seal(channel, text);
		return { item: { id: event.id, seq: event.seq, event: event.name, data: JSON.parse(text) }, bytes: text.length + event.name.length + event.id.length + 48 };
	};

	if (request.since === undefined) {
		// A rewind: the newest events that fit, oldest first.
		const items: HistoryItem[] = [];
		let bytes = 0;
		for (const event of [...window.events].reverse()) {
			const next = item(event);
			if (items.length > 0 && bytes + next.bytes > deps.maxResponseBytes) break;
			bytes += next.bytes;
			items.unshift(next.item);
		}
		return { ...base, recovered: true, items, more: false };
	}

	const since = request.since;
	if (request.epoch !== window.epoch || since > window.latest) return lost;
	if (since === window.latest) return { ...base, recovered: true, items: [], more: false };
	// Every event after `since` must still be kept: the first of them is the oldest kept or later.
	if (window.oldest === null || window.oldest > since + 1 || window.events[0]?.seq !== since + 1) return lost;

	const items: HistoryItem[] = [];
	let bytes = 0;
	let more = false;
	for (const event of window.events) {
		if (items.length === request.limit) {
			more = true;
			break;
		}
		const next = item(event);
		// Always one event, however large: a client must be able to move on.
		if (items.length > 0 && bytes + next.bytes > deps.maxResponseBytes) {
			more = true;
			break;
		}
		bytes += next.bytes;
		items.push(next.item);
	}
	return { ...base, recovered: true, items, more };
}
