/**
 * What each channel row did since this process started, and a sample of what left: per-row
 * counters (events queued for sending, events refused by the checks, script errors with the
 * last one's line and column, client events emitted and dropped over their sender's bound) and the last `tailSize` outgoing events with a short preview.
 * In memory, per instance, bounded: at most `maxRows` rows are counted (the oldest counted row
 * makes room), previews are at most 1 KB, and nothing of a private-encrypted payload is kept.
 */
import { channelType } from '../pusher/names.js';
import type { RowCounters, TailEvent, TailReply } from '../wire.js';
import type { OutgoingEvent } from './queue.js';

export const PREVIEW_BYTES = 1024;

export interface ActivityOptions {
	tailSize?: number;
	maxRows?: number;
}

export class DeliveryActivity {
	private readonly rows = new Map<string, RowCounters>();
	private readonly tail: TailEvent[] = [];
	private seq = 0;
	private readonly tailSize: number;
	private readonly maxRows: number;

	constructor(options: ActivityOptions = {}) {
		this.tailSize = options.tailSize ?? 200;
		this.maxRows = options.maxRows ?? 10_000;
	}

	/** An event handed to the publish queue. */
	queued(row: string | null, event: OutgoingEvent): void {
		const at = new Date().toISOString();
		if (row !== null) {
			const counters = this.counting(row);
			counters.sent++;
			counters.last_event_at = at;
		}
		const bytes = Buffer.byteLength(event.data);
		this.tail.push({
			seq: ++this.seq,
			at,
			row,
			channel: event.channel,
			event: event.name,
			bytes,
			preview: channelType(event.channel) === 'private-encrypted' ? null : preview(event.data, bytes),
		});
		if (this.tail.length > this.tailSize) this.tail.shift();
	}

	/** A send the checks refused (name rules, size, encryption, a channel of another row). */
	refused(row: string): void {
		this.counting(row).refused++;
	}

	/** A run of the row's script that failed; line and column in the admin's script when known. */
	failed(row: string, error: { message: string; line: number | null; column: number | null }): void {
		const counters = this.counting(row);
		counters.errors++;
		counters.last_error = { message: error.message, line: error.line, column: error.column, at: new Date().toISOString() };
	}

	/** A client event on one of the row's channels: emitted, or dropped over its sender's bound. */
	clientEvent(row: string, throttled: boolean): void {
		const counters = this.counting(row);
		if (throttled) counters.client_events_throttled++;
		else counters.client_events++;
	}

	counters(row: string): RowCounters {
		const counters = this.rows.get(row);
		return counters ? { ...counters } : emptyCounters();
	}

	/** The kept events after `after` (a seq from an earlier answer; 0 for all), oldest first. */
	since(after: number): TailReply {
		return { data: this.tail.filter((event) => event.seq > after), seq: this.seq };
	}

	private counting(row: string): RowCounters {
		let counters = this.rows.get(row);
		if (counters === undefined) {
			if (this.rows.size >= this.maxRows) this.rows.delete(this.rows.keys().next().value as string);
			counters = emptyCounters();
			this.rows.set(row, counters);
		}
		return counters;
	}
}

function emptyCounters(): RowCounters {
	return { sent: 0, refused: 0, errors: 0, client_events: 0, client_events_throttled: 0, last_error: null, last_event_at: null };
}

function preview(data: string, bytes: number): string {
	if (bytes <= PREVIEW_BYTES) return data;
	return `${Buffer.from(data).subarray(0, PREVIEW_BYTES - 3).toString('utf8').replace(/\uFFFD+$/, '')}…`;
}
