/**
 * The Flows operation `realtime-trigger`: the options a Flow rendered (channel, event, payload,
 * exclude_socket_id) become an event for the publish queue, through the same checks as a
 * publisher's: Pusher's channel and event name rules, RT_MAX_PAYLOAD_KB, and encrypted channels
 * only with RT_ENCRYPTION_MASTER_KEY. A refusal is an answer, not an error, so a Flow can branch.
 */
import { assertChannelName, channelType, isSocketId } from '../pusher/names.js';
import { outgoingEvent } from '../delivery/event.js';
import type { OutgoingEvent } from '../delivery/queue.js';

export interface FlowSendOptions {
	channel?: unknown;
	event?: unknown;
	payload?: unknown;
	exclude_socket_id?: unknown;
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

export function flowEvent(options: FlowSendOptions, deps: { maxPayloadBytes: number; encryption: boolean }): FlowSend {
	try {
		const channel = typeof options.channel === 'string' ? options.channel.trim() : options.channel;
		assertChannelName(channel);
		if (channelType(channel) === 'private-encrypted' && !deps.encryption) {
			return { ok: false, reason: `cannot publish to "${channel}": RT_ENCRYPTION_MASTER_KEY is not set` };
		}
		const exclude = typeof options.exclude_socket_id === 'string' ? options.exclude_socket_id.trim() : options.exclude_socket_id;
		// A Flow template whose value is absent (no X-Socket-ID) renders "undefined" or "null": no one to exclude.
		if (exclude !== undefined && exclude !== null && !ABSENT.has(String(exclude)) && !isSocketId(exclude)) {
			return { ok: false, reason: 'exclude_socket_id is not a socket id (e.g. "1234.5678")' };
		}
		const eventName = typeof options.event === 'string' ? options.event.trim() : options.event;
		return { ok: true, event: outgoingEvent(channel as string, eventName, payloadOf(options.payload), exclude, FLOW_SOURCE, deps.maxPayloadBytes) };
	} catch (error) {
		return { ok: false, reason: (error as Error).message };
	}
}
