/**
 * The steps of publishing an items event once its channels are chosen (items-events.ts): what
 * data (reader, one read per field set) -> what to send (the row's publisher, sandboxed, once
 * per item) -> checked and queued (names, sizes) -> sent by the queue. Nothing here waits on
 * Pusher, and a failing row is logged and affects no other row or item.
 */
import { userChannel, channelType } from '../pusher/names.js';
import type { ChannelPattern } from '../channels/pattern.js';
import type { Channel, ChannelSnapshot } from '../channels/registry.js';
import type { ChannelAction } from '../channels/row.js';
import { RealtimeError } from '../errors.js';
import { outgoingEvent } from '../delivery/event.js';
import type { OutgoingEvent } from '../delivery/queue.js';
import { fieldSetKey, type Item, type ItemReader, type ItemsByKey, type PrimaryKey } from '../items/types.js';
import type { RunObserver, ScriptRunner } from '../scripts.js';
import { ScriptLog } from '../sandbox/index.js';
import { channelParamsOf } from '../channels/permission-mode.js';

/** Which of a row's event_names default publishing sends for an action. */
const EVENT_OF = { create: 'created', update: 'updated', delete: 'deleted' } as const;

export interface ItemsEvent {
	collection: string;
	action: ChannelAction;
	keys: PrimaryKey[];
	/** The update's delta; null for create and delete. */
	changed: Item | null;
	/** Id of the user who made the change, null for the system or public. */
	user: string | null;
	/** X-Socket-ID of the request that made the change, when it looked like a socket id. */
	socketId: string | null;
}

export interface PublisherDeps {
	scripts: ScriptRunner;
	enqueue: (event: OutgoingEvent) => void;
	maxPayloadBytes: number;
	encryption: boolean;
	/** Events travel in the envelope (RT_ENVELOPE): it counts against maxPayloadBytes. */
	envelope: boolean;
	log: { warn(message: string): void; error(message: string): void };
	/** Counters per row and the scripts' console lines (real runs); absent in a dry-run. */
	observer?: RunObserver;
}

/** Items read for an event's channels, by field set (a delete's before the rows go). */
export type PreRead = Map<string, ItemsByKey>;

/** An event's channels, chosen once, with the snapshot they came from and their items. */
export interface ReadForEvent {
	snapshot: ChannelSnapshot;
	channels: readonly Channel[];
	items: PreRead;
}

function byFieldSet(channels: readonly Channel[]): Map<string, Channel[]> {
	const groups = new Map<string, Channel[]>();
	for (const channel of channels) {
		const key = fieldSetKey(channel.row.fields);
		const group = groups.get(key);
		if (group) group.push(channel);
		else groups.set(key, [channel]);
	}
	return groups;
}

/** Reads the items once per distinct field set of the channels. */
export async function readForChannels(
	deps: Pick<PublisherDeps, 'log'>,
	reader: ItemReader,
	collection: string,
	keys: PrimaryKey[],
	channels: readonly Channel[],
): Promise<PreRead> {
	const read: PreRead = new Map();
	for (const [key, group] of byFieldSet(channels)) {
		try {
			read.set(key, await reader.read(collection, keys, group[0]!.row.fields));
		} catch (error) {
			deps.log.error(
				`realtime: reading ${collection} with fields ${JSON.stringify(group[0]!.row.fields)} for ${group.map((c) => c.label).join(', ')} failed: ${(error as Error).message}`,
			);
		}
	}
	return read;
}

/** Runs each channel's publisher on each item of the event that was read. */
export async function publishRead(deps: PublisherDeps, event: ItemsEvent, read: ReadForEvent): Promise<void> {
	const { snapshot, channels, items } = read;
	for (const channel of channels) {
		const byKey = items.get(fieldSetKey(channel.row.fields));
		if (!byKey) continue;
		for (const key of event.keys) {
			const item = byKey.get(String(key));
			// Gone between the write and the read (or not readable): nothing to describe.
			if (!item) continue;
			const log = new ScriptLog();
			const failure = await runPublisher(deps, snapshot, { channel, event, key, item }, log);
			deps.observer?.logged(channel, log.lines);
			if (failure !== null) {
				deps.observer?.failed(channel, failure);
				deps.log.error(`realtime: publisher of ${channel.label} failed on ${event.action} of ${event.collection} ${key}: ${(failure as Error).message}`);
			}
		}
	}
}

/** One publisher run: the row (or a dry-run's unsaved script), the event, one item. */
export interface PublisherRun {
	channel: Channel;
	event: ItemsEvent;
	key: PrimaryKey;
	item: Item;
}

/**
 * Runs the publisher once; its events go to `deps.enqueue` once checked, its console lines to
 * `log`. Resolves with what made the run fail (null when it ran through); never rejects.
 */
export async function runPublisher(deps: PublisherDeps, snapshot: ChannelSnapshot, run: PublisherRun, log: ScriptLog): Promise<unknown> {
	const { channel, event, key, item } = run;
	const fill = (pattern: ChannelPattern, params: unknown) => {
		try {
			return snapshot.fill(pattern, params);
		} catch (error) {
			// Item data trying to steer an event elsewhere is worth a line even if the script catches it.
			if ((error as { code?: unknown }).code === 'CHANNEL_MISMATCH') {
				deps.log.warn(`realtime: publisher of ${channel.label} refused an event: ${(error as Error).message}`);
			}
			throw error;
		}
	};
	// Checked when the script calls (errors reach the script), queued when the sandbox says the
	// call counts: a slow script's first attempt may be abandoned and its calls made again.
	const publish = (name: string, eventName: unknown, payload: unknown, exclude: unknown) => {
		if (channelType(name) === 'private-encrypted' && !deps.encryption) {
			throw new RealtimeError('ENCRYPTION_NOT_CONFIGURED', `cannot publish to "${name}": RT_ENCRYPTION_MASTER_KEY is not set`);
		}
		const outgoing = outgoingEvent(name, eventName, payload, exclude, channel.label, { maxBytes: deps.maxPayloadBytes, envelope: deps.envelope });
		outgoing.row = channel.row.id;
		return () => deps.enqueue(outgoing);
	};
	/**
	 * A refused send counts for the row, whether or not the script catches the error; counted in
	 * the run's log, which forgets an abandoned attempt's counts, so a restarted run counts once.
	 */
	const counted =
		<A extends unknown[]>(send: (...args: A) => () => void) =>
		(...args: A) => {
			try {
				return send(...args);
			} catch (error) {
				log.count('refused');
				throw error;
			}
		};
	const reportRefused = () => {
		for (let n = log.counted('refused'); n > 0; n--) deps.observer?.refused(channel);
	};
	if (!channel.row.publisher?.trim()) {
		// Default publishing (permission mode): the item, to the channel its own fields name.
		try {
			const params = channelParamsOf(channel.pattern.params, item);
			if (params === null) {
				log.count('refused');
				throw new RealtimeError('CHANNEL_MISMATCH', `the item does not hold a plain value for every parameter of ${channel.row.channel_name} (${channel.pattern.params.join(', ')}): add them to the row's fields`);
			}
			const eventName = channel.row.event_names[EVENT_OF[event.action]];
			counted(publish)(fill(channel.pattern, params), eventName, item, event.socketId ?? undefined)();
			reportRefused();
			return null;
		} catch (error) {
			reportRefused();
			return error;
		}
	}
	try {
		await deps.scripts.run({
			source: channel.row.publisher!,
			context: {
				collection: event.collection,
				action: event.action,
				meta: {
					payload: item,
					key,
					keys: event.keys,
					changed: event.changed,
					user: event.user,
					socket_id: event.socketId,
				},
			},
			effects: {
				// A filled name must match its pattern back and belong to the row of that pattern (if any).
				trigger: counted((params: unknown, eventName: unknown, payload: unknown, exclude?: unknown) =>
					publish(fill(channel.pattern, params), eventName, payload, exclude),
				),
				broadcastTo: counted((pattern: unknown, params: unknown, eventName: unknown, payload: unknown, exclude?: unknown) => {
					if (typeof pattern !== 'string') throw new RealtimeError('INVALID_PATTERN', 'broadcastTo: the channel pattern must be a string');
					return publish(fill(snapshot.broadcastPattern(pattern), params), eventName, payload, exclude);
				}),
				sendToUser: counted((userId: unknown, eventName: unknown, payload: unknown) => publish(userChannel(userId), eventName, payload, undefined)),
			},
			log,
		});
		reportRefused();
		return null;
	} catch (error) {
		reportRefused();
		return error;
	}
}
