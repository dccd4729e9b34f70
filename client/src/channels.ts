/**
 * The names of the channels the Realtime module's presets create (docs/channels.md, "Channels
 * without scripts"): Item channel `private-<collection>.:<primary key>`, Collection channel
 * `private-<collection>`, User inbox `private-<collection>.user.:<user field>`; and the events
 * their rows send (`created`, `updated`, `deleted`, renamed by a row's `event_names`).
 */

/** The type prefix of a preset's channel: `private-` unless the row was changed to another. */
export type ChannelPrefix = 'private' | 'presence' | 'private-encrypted';

/** Event names of a row's `event_names`, where they differ from `created` / `updated` / `deleted`. */
export interface EventNames {
	created?: string;
	updated?: string;
	deleted?: string;
}

export const DEFAULT_EVENT_NAMES: Readonly<Required<EventNames>> = Object.freeze({ created: 'created', updated: 'updated', deleted: 'deleted' });

/** Pusher's limit on channel names (the server refuses longer ones). */
const MAX_NAME = 164;
/** Pusher's limit on event names. */
const MAX_EVENT = 200;
/** A collection name: Directus' own (letters, digits, `_`, `-`); no `.`, which separates the parts of a name. */
const COLLECTION = /^[A-Za-z0-9_-]+$/;
/**
 * One part of a name filled from a value (an item key, a user id): Pusher's channel-name
 * characters except `.`, so that a value cannot add a part and name another row's channel
 * (`subscribeItem('articles', 'user.5')` is not the inbox `private-articles.user.5`).
 */
const PART = /^[A-Za-z0-9_\-=@,;]+$/;

/** The text of a refused value, short and with no control characters, for an error message. */
function quoted(value: unknown): string {
	let text: string;
	try {
		text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
	} catch {
		text = Object.prototype.toString.call(value);
	}
	text = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
	return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}

function prefixOf(prefix: ChannelPrefix | undefined): string {
	const p = prefix ?? 'private';
	if (p !== 'private' && p !== 'presence' && p !== 'private-encrypted') throw new TypeError(`channel prefix ${quoted(p)} is not private, presence or private-encrypted`);
	return `${p}-`;
}

/**
 * Words that, right after a type prefix, make another kind of channel: `private-` +
 * `encrypted-notes` is an encrypted channel, `private-` + `cache-notes` a cache channel.
 */
const KIND_WORD = /^(encrypted|cache)-/;

function collectionPart(collection: unknown): string {
	if (typeof collection !== 'string' || !COLLECTION.test(collection)) {
		throw new TypeError(`collection ${quoted(collection)} cannot be part of a channel name (letters, digits, _ and - only)`);
	}
	if (KIND_WORD.test(collection)) {
		throw new TypeError(`collection ${quoted(collection)} would make a channel of another kind (${collection.split('-')[0]}-): give it a row and subscribe by name`);
	}
	return collection;
}

function valuePart(value: unknown, what: string): string {
	const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
	if (typeof text !== 'string' || !PART.test(text)) {
		throw new TypeError(`${what} ${quoted(value)} cannot be part of a channel name (a string or integer of A-Z a-z 0-9 _ - = @ , ; only)`);
	}
	return text;
}

function checked(name: string): string {
	if (name.length > MAX_NAME) throw new TypeError(`channel name ${quoted(name)} is longer than ${MAX_NAME} characters`);
	return name;
}

/** `private-<collection>.<id>`: one item's channel (the Item channel preset). */
export function itemChannel(collection: string, id: string | number, prefix?: ChannelPrefix): string {
	return checked(`${prefixOf(prefix)}${collectionPart(collection)}.${valuePart(id, 'item id')}`);
}

/** `private-<collection>`: a collection's channel (the Collection channel preset). */
export function collectionChannel(collection: string, prefix?: ChannelPrefix): string {
	return checked(`${prefixOf(prefix)}${collectionPart(collection)}`);
}

/** `private-<collection>.user.<userId>`: a user's inbox in a collection (the User inbox preset). */
export function inboxChannel(collection: string, userId: string, prefix?: ChannelPrefix): string {
	return checked(`${prefixOf(prefix)}${collectionPart(collection)}.user.${valuePart(userId, 'user id')}`);
}

/** The row's event names, the defaults where not given; each checked (non-empty, at most 200 characters, not Pusher's own). */
export function eventNames(names: EventNames = {}): Required<EventNames> {
	const out = { ...DEFAULT_EVENT_NAMES };
	for (const action of ['created', 'updated', 'deleted'] as const) {
		const name = names[action];
		if (name === undefined) continue;
		if (typeof name !== 'string' || name.length === 0 || name.length > MAX_EVENT || /^pusher(_internal)?:/.test(name)) {
			throw new TypeError(`event name for ${action} ${quoted(name)} is not an event name`);
		}
		out[action] = name;
	}
	if (new Set(Object.values(out)).size !== 3) throw new TypeError('the created, updated and deleted events need three different names');
	return out;
}
