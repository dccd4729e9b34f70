/**
 * Turns what a publisher asked for into an event ready to queue: names checked against
 * Pusher's rules, payload serialized once and checked against the size limit. The limit
 * (RT_MAX_PAYLOAD_KB) is of the event's data as the Pusher server receives it, so the envelope
 * and, on an encrypted channel, the sealing count: an event that passes here is never refused by
 * a Pusher server whose own limit is the same.
 */
import { assertEventName, channelType, isSocketId } from '../pusher/names.js';
import { sealedBytes } from '../pusher/encryption.js';
import { RealtimeError } from '../errors.js';
import { ENVELOPE_MAX_BYTES, isNumberedChannel, newEventId } from '../history/envelope.js';
import type { OutgoingEvent } from './queue.js';

/** What bounds one event's data (RT_MAX_PAYLOAD_KB), and what is added to a payload on its way. */
export interface PayloadLimit {
	maxBytes: number;
	/** Events travel in the envelope (RT_ENVELOPE). */
	envelope: boolean;
}

/** The most bytes of data the Pusher server receives for a payload of `payloadBytes` sent to `channel`. */
export function wireBytes(channel: string, payloadBytes: number, envelope: boolean): number {
	const text = payloadBytes + (envelope && isNumberedChannel(channel) ? ENVELOPE_MAX_BYTES : 0);
	return channelType(channel) === 'private-encrypted' ? sealedBytes(text) : text;
}

/** The payload's JSON text; throws PAYLOAD_TOO_LARGE when it, as sent to `channel` (when given), passes the limit. */
export function serializePayload(payload: unknown, limit: PayloadLimit, channel?: string): string {
	let data: string | undefined;
	try {
		data = JSON.stringify(payload ?? null);
	} catch (error) {
		throw new RealtimeError('INVALID_PAYLOAD', `payload cannot be serialized to JSON: ${(error as Error).message}`);
	}
	const size = Buffer.byteLength(data ?? '');
	const sent = channel === undefined ? size : wireBytes(channel, size, limit.envelope);
	if (sent > limit.maxBytes) {
		const as = sent === size ? '' : ` (up to ${sent} as sent${channelType(channel!) === 'private-encrypted' ? ', sealed' : ''}${limit.envelope ? ', in its envelope' : ''})`;
		throw new RealtimeError('PAYLOAD_TOO_LARGE', `payload is ${size} bytes${as}, above the limit of ${limit.maxBytes} (RT_MAX_PAYLOAD_KB)`);
	}
	return data ?? 'null';
}

export function outgoingEvent(channel: string, name: unknown, payload: unknown, exclude: unknown, source: string, limit: PayloadLimit): OutgoingEvent {
	assertEventName(name);
	// The id is the event's from here on: the same in every retry, redelivery and history answer.
	const event: OutgoingEvent = { channel, name, data: serializePayload(payload, limit, channel), source, id: newEventId() };
	// A socket id that does not look like one (e.g. no X-Socket-ID header: undefined) excludes nobody.
	if (isSocketId(exclude)) event.socketId = exclude;
	return event;
}
