/**
 * The envelope every numbered event travels in (docs/delivery.md): `{ id, seq, epoch, data }`,
 * keys in that order, `data` the payload JSON the script or Flow chose, unchanged.
 */
import { randomBytes } from 'node:crypto';

/** Epochs and event ids are short, URL-safe words: what the history query accepts back. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

let counter = 0;

/**
 * Random bytes for event ids, drawn from the CSPRNG a block at a time: one randomBytes call per
 * event cost more than the rest of the id.
 */
const RANDOM_BLOCK = 4096;
let random = Buffer.alloc(0);
let randomAt = 0;

function randomHex(bytes: number): string {
	if (randomAt + bytes > random.length) {
		random = randomBytes(RANDOM_BLOCK);
		randomAt = 0;
	}
	const hex = random.toString('hex', randomAt, randomAt + bytes);
	randomAt += bytes;
	return hex;
}

/**
 * An id unique per event: the time it was accepted, this process' counter and random bits, so
 * two instances accepting at the same millisecond still differ.
 */
export function newEventId(): string {
	counter = (counter + 1) % 1_679_616;
	return `${Date.now().toString(36)}-${counter.toString(36)}${randomHex(4)}`;
}

/** A fresh epoch: a channel's numbering starts again at 1 under it. */
export function newEpoch(): string {
	return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** The envelope's JSON text around an already serialized payload. */
export function envelopeJson(id: string, seq: number, epoch: string, dataJson: string): string {
	return `{"id":${JSON.stringify(id)},"seq":${seq},"epoch":${JSON.stringify(epoch)},"data":${dataJson}}`;
}

/**
 * The most bytes the envelope adds around a payload: its keys, an id and an epoch of the longest
 * form the history accepts back (TOKEN_PATTERN) and the largest `seq`.
 */
export const ENVELOPE_MAX_BYTES = envelopeJson('x'.repeat(64), Number.MAX_SAFE_INTEGER, 'x'.repeat(64), '').length;

/**
 * Channels whose events are numbered and kept: every channel but a user's own
 * (`#server-to-user-<id>`, for `sendToUser`), which has no history.
 */
export function isNumberedChannel(channel: string): boolean {
	return !channel.startsWith('#');
}
