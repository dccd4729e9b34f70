/**
 * Turns what a publisher asked for into an event ready to queue: names checked against
 * Pusher's rules, payload serialized once and checked against the size limit.
 */
import { assertEventName, isSocketId } from '../pusher/names.js';
import { RealtimeError } from '../errors.js';
import { newEventId } from '../history/envelope.js';
import type { OutgoingEvent } from './queue.js';

export function serializePayload(payload: unknown, maxBytes: number): string {
	let data: string | undefined;
	try {
		data = JSON.stringify(payload ?? null);
	} catch (error) {
		throw new RealtimeError('INVALID_PAYLOAD', `payload cannot be serialized to JSON: ${(error as Error).message}`);
	}
	const size = Buffer.byteLength(data ?? '');
	if (size > maxBytes) {
		throw new RealtimeError('PAYLOAD_TOO_LARGE', `payload is ${size} bytes, above the limit of ${maxBytes} (RT_MAX_PAYLOAD_KB)`);
	}
	return data ?? 'null';
}

export function outgoingEvent(
	channel: string,
	name: unknown,
	payload: unknown,
	exclude: unknown,
	source: string,
	maxPayloadBytes: number,
): OutgoingEvent {
	assertEventName(name);
	// The id is the event's from here on: the same in every retry, redelivery and history answer.
	const event: OutgoingEvent = { channel, name, data: serializePayload(payload, maxPayloadBytes), source, id: newEventId() };
	// A socket id that does not look like one (e.g. no X-Socket-ID header: undefined) excludes nobody.
	if (isSocketId(exclude)) event.socketId = exclude;
	return event;
}
