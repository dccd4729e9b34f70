/**
 * The Flows operation `realtime-trigger`: the options a Flow rendered (channel, event, payload,
 * exclude_socket_id) become an event for the publish queue, through the same checks as a
 * publisher's: Pusher's channel and event name rules, RT_MAX_PAYLOAD_KB, and encrypted channels
 * only with RT_ENCRYPTION_MASTER_KEY. A refusal is an answer, not an error, so a Flow can branch.
 *
 * The publisher rule holds too: a Flow renders its channel name from templates, often filled from
 * item data (`private-chat-{{$trigger.payload.recipient}}`), so the rendered name must be decided
 * by an enabled channel row of its type (the first in match order) and match that row's pattern
 * back with the parameters read from it. Item data cannot steer the event into a channel no row
 * guards or that another row decides. A user's channel (`#server-to-user-<id>`) belongs to no
 * row. Administrators who want free names turn on the option `any_channel` (off by default):
 * then only Pusher's name rules apply, and `#server-to-user-<id>` reaches the signed-in user.
 */
import type { ChannelSnapshot } from '../channels/registry.js';
import { assertChannelName, channelKind, channelType, isSocketId, userChannel } from '../pusher/names.js';
import { outgoingEvent } from '../delivery/event.js';
import type { OutgoingEvent } from '../delivery/queue.js';

export interface FlowSendOptions {
	channel?: unknown;
	event?: unknown;
	payload?: unknown;
	exclude_socket_id?: unknown;
	/** On: any name Pusher accepts, with no channel row deciding it (and users' channels). */
	any_channel?: unknown;
}

export type FlowSend = { ok: true; event: OutgoingEvent } | { ok: false; reason: string };

const ABSENT = new Set(['', 'undefined', 'null']);

export const FLOW_SOURCE = 'the Flows operation realtime-trigger';

/**
 * A payload option arrives as the JSON the code editor holds (an object), or as text when the
 * Flow templated it: text that is JSON is sent as that value, other text as a JSON string.
 */
function payloadOf(value: unknown): unknown {
	if (typeof value !== 'string') return value ?? null;
	try {
		return JSON.parse(value);
	} catch {
		return value;
	}
}

const USER_PREFIX = '#server-to-user-';

/**
 * On only for the boolean true, as the options form's toggle stores it; text (`"true"`) is off.
 * (Flows render a lone `{{x}}` as x's value, so a template put there through the API hands the
 * switch to whoever fills x: the README warns against it.)
 */
function isOn(value: unknown): boolean {
	return value === true;
}

/** Why no row decides `channel` for a Flow, or null when one does and its pattern fills back to it. */
function undecided(channel: string, snapshot: ChannelSnapshot): string | null {
	const match = snapshot.match(channel);
	if (!match) {
		return `no enabled channel row of kind ${channelKind(channel)} matches "${channel}": add a row with a pattern for it, or turn on "any_channel" for free names`;
	}
	let back: string | undefined;
	try {
		back = match.channel.pattern.fill(match.params);
	} catch {
		back = undefined;
	}
	if (back !== channel) return `"${channel}" does not match the pattern of ${match.channel.label}, which decides it, back`;
	return null;
}

export function flowEvent(options: FlowSendOptions, deps: { maxPayloadBytes: number; encryption: boolean; envelope: boolean; snapshot: ChannelSnapshot }): FlowSend {
	try {
		const rendered = typeof options.channel === 'string' ? options.channel.trim() : options.channel;
		const free = isOn(options.any_channel);
		let channel: string;
		if (typeof rendered === 'string' && rendered.startsWith(USER_PREFIX)) {
			if (!free) return { ok: false, reason: `"${rendered.slice(0, 60)}" is a user's channel, which no channel row decides: turn on "any_channel" to send to users` };
			channel = userChannel(rendered.slice(USER_PREFIX.length));
		} else {
			assertChannelName(rendered);
			channel = rendered;
		}
		if (channelType(channel) === 'private-encrypted' && !deps.encryption) {
			return { ok: false, reason: `cannot publish to "${channel}": RT_ENCRYPTION_MASTER_KEY is not set` };
		}
		if (!free) {
			const reason = undecided(channel, deps.snapshot);
			if (reason) return { ok: false, reason };
		}
		const exclude = typeof options.exclude_socket_id === 'string' ? options.exclude_socket_id.trim() : options.exclude_socket_id;
		// A Flow template whose value is absent (no X-Socket-ID) renders "undefined" or "null": no one to exclude.
		if (exclude !== undefined && exclude !== null && !ABSENT.has(String(exclude)) && !isSocketId(exclude)) {
			return { ok: false, reason: 'exclude_socket_id is not a socket id (e.g. "1234.5678")' };
		}
		const eventName = typeof options.event === 'string' ? options.event.trim() : options.event;
		return { ok: true, event: outgoingEvent(channel, eventName, payloadOf(options.payload), exclude, FLOW_SOURCE, { maxBytes: deps.maxPayloadBytes, envelope: deps.envelope }) };
	} catch (error) {
		return { ok: false, reason: (error as Error).message };
	}
}
