/**
 * Pusher's rules for names, checked before anything is sent or signed:
 * channel names use [A-Za-z0-9_\-=@,.;] and at most 164 characters (Pusher Channels' limit,
 * below Soketi's 200); event names at most 200 characters; socket ids look like "1234.5678".
 */
import { RealtimeError } from '../errors.js';

export const MAX_CHANNEL_NAME_LENGTH = 164;
export const MAX_EVENT_NAME_LENGTH = 200;

const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]+$/;
const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/;
const USER_CHANNEL_PREFIX = '#server-to-user-';

export type ChannelType = 'public' | 'private' | 'presence' | 'private-encrypted';

/**
 * A channel's kind: its type, and whether it is one of Soketi's cache channels (`cache-`,
 * `private-cache-`, `presence-cache-`, `private-encrypted-cache-`), whose last event the Pusher
 * server keeps and hands to each new subscriber. Rows match names of their own kind only.
 */
export type ChannelKind = ChannelType | 'cache' | 'private-cache' | 'presence-cache' | 'private-encrypted-cache';

/** Longest prefix first: `private-encrypted-cache-` before `private-encrypted-` before `private-`. */
const KIND_PREFIXES: ReadonlyArray<readonly [string, ChannelKind]> = [
	['private-encrypted-cache-', 'private-encrypted-cache'],
	['private-encrypted-', 'private-encrypted'],
	['private-cache-', 'private-cache'],
	['private-', 'private'],
	['presence-cache-', 'presence-cache'],
	['presence-', 'presence'],
	['cache-', 'cache'],
];

/** The prefix decides the kind; a name with none of the prefixes is public. */
export function channelKind(name: string): ChannelKind {
	for (const [prefix, kind] of KIND_PREFIXES) if (name.startsWith(prefix)) return kind;
	return 'public';
}

/** Whether the Pusher server keeps the last event of channels of this kind: the cache kinds. */
export function isCache(kind: ChannelKind): boolean {
	return kind === 'cache' || kind.endsWith('-cache');
}

/** The type of a kind: how it is authorized. A cache kind is authorized as its kind without the cache. */
export function typeOfKind(kind: ChannelKind): ChannelType {
	if (kind === 'cache') return 'public';
	return (kind.endsWith('-cache') ? kind.slice(0, -'-cache'.length) : kind) as ChannelType;
}

/**
 * The prefix decides the type (how the channel is authorized and whether it is encrypted):
 * `private-encrypted-` is checked before `private-`, and a cache channel has the type of its
 * kind without the cache (`private-cache-x` is private, `cache-x` public).
 */
export function channelType(name: string): ChannelType {
	return typeOfKind(channelKind(name));
}

/** At most 60 characters of a refused name, to quote in its error. */
function quotedPart(value: unknown): string {
	const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
	return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function assertChannelName(name: unknown): asserts name is string {
	if (typeof name !== 'string' || name.length === 0) {
		throw new RealtimeError('INVALID_CHANNEL_NAME', 'channel name must be a non-empty string');
	}
	if (name.length > MAX_CHANNEL_NAME_LENGTH) {
		throw new RealtimeError('INVALID_CHANNEL_NAME', `channel name is longer than ${MAX_CHANNEL_NAME_LENGTH} characters`);
	}
	if (!CHANNEL_NAME.test(name)) {
		throw new RealtimeError('INVALID_CHANNEL_NAME', `channel name "${quotedPart(name)}" has characters outside A-Z a-z 0-9 _ - = @ , . ;`);
	}
}

/** Whether `name` passes the channel name rules of /realtime/auth (assertChannelName). */
export function isChannelName(name: unknown): name is string {
	return typeof name === 'string' && name.length > 0 && name.length <= MAX_CHANNEL_NAME_LENGTH && CHANNEL_NAME.test(name);
}

export function assertEventName(name: unknown): asserts name is string {
	if (typeof name !== 'string' || name.length === 0) {
		throw new RealtimeError('INVALID_EVENT_NAME', 'event name must be a non-empty string');
	}
	if (name.length > MAX_EVENT_NAME_LENGTH) {
		throw new RealtimeError('INVALID_EVENT_NAME', `event name is longer than ${MAX_EVENT_NAME_LENGTH} characters`);
	}
	if (name.startsWith('pusher:') || name.startsWith('pusher_internal:')) {
		throw new RealtimeError('INVALID_EVENT_NAME', `event name "${quotedPart(name)}" uses a prefix reserved by Pusher`);
	}
}

export function isSocketId(value: unknown): value is string {
	return typeof value === 'string' && SOCKET_ID.test(value);
}

export function assertSocketId(value: unknown): asserts value is string {
	if (!isSocketId(value)) throw new RealtimeError('INVALID_SOCKET_ID', 'socket_id must look like "1234.5678"');
}

/** The channel Pusher uses for events sent to one authenticated user (`sendToUser`). */
export function userChannel(userId: unknown): string {
	if ((typeof userId !== 'string' && typeof userId !== 'number') || String(userId).length === 0) {
		throw new RealtimeError('INVALID_CHANNEL_NAME', 'user id must be a non-empty string or number');
	}
	const id = String(userId);
	if (id.length > MAX_CHANNEL_NAME_LENGTH || !CHANNEL_NAME.test(id)) {
		throw new RealtimeError('INVALID_CHANNEL_NAME', `user id "${quotedPart(id)}" cannot be part of a channel name`);
	}
	return `${USER_CHANNEL_PREFIX}${id}`;
}
