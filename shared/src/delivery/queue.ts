/**
 * The publish queue: everything the publishers send goes through here, so a Directus request
 * never waits for Pusher. Events are sent in batches (Pusher's batch endpoint takes 10), in
 * order (one batch in flight by default, since Pusher keeps order per connection only if we do),
 * retried with exponential backoff while the server is unreachable, for a bounded time, and
 * the queue itself is bounded: past `maxQueued` the oldest events are dropped and counted.
 */
import type { QueueStats } from '../wire.js';
import type { BatchEvent } from '../pusher/rest-client.js';

export interface OutgoingEvent {
	channel: string;
	name: string;
	/** JSON text, as sent; already size-checked. */
	data: string;
	/** Socket to exclude (the client that made the change). */
	socketId?: string | undefined;
	/** Where it came from, for logs: e.g. `channel row 3f2a… (private-chat-:userId)`. */
	source: string;
	/** The channel row that sent it, for its counters; absent for the Flows operation. */
	row?: string;
	/** Unique per event, fixed when it is accepted (docs/delivery.md, the envelope); kept across retries. */
	id?: string;
}

/**
 * Runs once per event, just before its first send (in queue order), and may change the event in
 * place: numbering puts the envelope around `data` here, so a retried event keeps its `seq`.
 */
export type EventPreparer = (events: OutgoingEvent[]) => Promise<void>;

/**
 * Sends one batch, as Pusher's batch API takes it; rejects with an error whose `status` (if any)
 * is the HTTP status. The batch is the sender's to change (seal a payload in place, say).
 */
export type BatchSender = (batch: BatchEvent[]) => Promise<void>;

export interface QueueLogger {
	warn(message: string): void;
	error(message: string): void;
}

export interface QueueOptions {
	maxBatch?: number;
	concurrency?: number;
	/** How long an event may wait for a successful send before it is dropped (ms). */
	retryForMs: number;
	maxQueued: number;
	backoffInitialMs?: number;
	backoffMaxMs?: number;
	/**
	 * Under load, how long a partial batch may wait for more events after the previous send
	 * (ms). A first event after a quiet spell, and a full batch, go out at once. 0: never wait.
	 */
	batchWaitMs?: number;
	prepare?: EventPreparer;
	logger: QueueLogger;
}

interface QueueEntry {
	event: OutgoingEvent;
	enqueuedAt: number;
	/** Sent alone: its batch was refused and we are finding the event at fault. */
	solo: boolean;
	/** `prepare` ran for it: a retry sends it as it is. */
	prepared: boolean;
}

/** An event in the shape Pusher's batch API takes. */
export function wireEvent(event: OutgoingEvent): BatchEvent {
	const wire: BatchEvent = { channel: event.channel, name: event.name, data: event.data };
	if (event.socketId) wire.socket_id = event.socketId;
	return wire;
}

/** Whether a failed send may succeed later: no answer at all, 429, or a server error. */
const isRetryableStatus = (status: number | undefined): boolean => status === undefined || status === 429 || status >= 500;

/**
 * Whether a failed send may succeed later: by its HTTP status, except an event this instance
 * cannot send at all (`unsendable`: an encrypted one without the key), which is dropped as a
 * refusal is, rather than retried ahead of every event behind it.
 */
export const isRetryableFailure = (error: unknown): boolean =>
	(error as { unsendable?: unknown } | null)?.unsendable !== true && isRetryableStatus((error as { status?: number } | null)?.status);

export class PublishQueue {
	private readonly entries: QueueEntry[] = [];
	private readonly maxBatch: number;
	private readonly concurrency: number;
	private readonly backoffInitialMs: number;
	private readonly backoffMaxMs: number;
	private readonly batchWaitMs: number;
	private lastSendAt = Number.NEGATIVE_INFINITY;
	private inFlight = 0;
	private scheduled = false;
	private pausedUntil = 0;
	private failures = 0;
	private droppedSinceLog = 0;
	private idleWaiters: Array<() => void> = [];
	private readonly counters = { sent: 0, dropped: 0, batches: 0, failedBatches: 0 };

	constructor(
		private readonly send: BatchSender,
		private readonly options: QueueOptions,
	) {
		this.maxBatch = options.maxBatch ?? 10;
		this.concurrency = options.concurrency ?? 1;
		this.backoffInitialMs = options.backoffInitialMs ?? 250;
		this.backoffMaxMs = options.backoffMaxMs ?? 10_000;
		this.batchWaitMs = options.batchWaitMs ?? 0;
	}

	/**
	 * Queues an event; never throws, never waits. `prepared`: it is numbered and in its envelope
	 * already (a cache_miss re-send of a kept event), so `prepare` leaves it as it is.
	 */
	enqueue(event: OutgoingEvent, prepared = false): void {
		this.entries.push({ event, enqueuedAt: Date.now(), solo: false, prepared: prepared || this.options.prepare === undefined });
		if (this.entries.length > this.options.maxQueued) {
			this.entries.shift();
			this.drop(1, `queue is full (${this.options.maxQueued} events)`);
		}
		this.schedule(0);
	}

	stats(): QueueStats {
		return { queued: this.entries.length, inFlight: this.inFlight, ...this.counters };
	}

	/** Resolves once everything queued has been sent or dropped. */
	idle(): Promise<void> {
		if (this.entries.length === 0 && this.inFlight === 0) return Promise.resolve();
		// Retry timers are unref'd so a queue never holds a process open; whoever waits does.
		const keepAlive = setInterval(() => {}, 1000);
		return new Promise((resolve) =>
			this.idleWaiters.push(() => {
				clearInterval(keepAlive);
				resolve();
			}),
		);
	}

	private schedule(delayMs: number): void {
		if (this.scheduled) return;
		this.scheduled = true;
		const run = () => {
			this.scheduled = false;
			this.pump();
		};
		if (delayMs > 0) setTimeout(run, delayMs).unref();
		else setImmediate(run);
	}

	private pump(): void {
		const now = Date.now();
		if (now < this.pausedUntil) {
			this.schedule(this.pausedUntil - now);
			return;
		}
		this.expire(now);
		// Events keep coming: let a partial batch fill up a little instead of one call per event.
		const waitUntil = this.lastSendAt + this.batchWaitMs;
		if (this.inFlight < this.concurrency && this.entries.length > 0 && this.entries.length < this.maxBatch && now < waitUntil) {
			this.schedule(waitUntil - now);
			return;
		}
		while (this.inFlight < this.concurrency && this.entries.length > 0) {
			const size = this.entries[0]!.solo ? 1 : this.batchSize();
			void this.sendBatch(this.entries.splice(0, size));
		}
		this.notifyIdle();
	}

	private batchSize(): number {
		let n = 0;
		while (n < this.maxBatch && n < this.entries.length && !this.entries[n]!.solo) n++;
		return n;
	}

	private expire(now: number): void {
		let expired = 0;
		while (this.entries.length > 0 && now - this.entries[0]!.enqueuedAt > this.options.retryForMs) {
			this.entries.shift();
			expired++;
		}
		if (expired > 0) this.drop(expired, `not delivered within ${this.options.retryForMs} ms`);
	}

	private async sendBatch(batch: QueueEntry[]): Promise<void> {
		this.inFlight++;
		this.lastSendAt = Date.now();
		this.counters.batches++;
		try {
			const fresh = batch.filter((e) => !e.prepared);
			if (fresh.length > 0) {
				await this.options.prepare!(fresh.map((e) => e.event));
				for (const e of fresh) e.prepared = true;
			}
			// The one copy per attempt, in the wire's shape: a sender may change what it is given.
			await this.send(batch.map((e) => wireEvent(e.event)));
			this.counters.sent += batch.length;
			this.failures = 0;
		} catch (error) {
			this.counters.failedBatches++;
			this.handleFailure(batch, error as Error & { status?: number });
		} finally {
			this.inFlight--;
		}
		this.schedule(0);
	}

	private handleFailure(batch: QueueEntry[], error: Error & { status?: number }): void {
		const status = error.status;
		const reason = status ? `HTTP ${status}` : error.message;
		if (isRetryableFailure(error)) {
			this.failures++;
			const delay = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** (this.failures - 1));
			this.pausedUntil = Date.now() + delay;
			this.entries.unshift(...batch);
			this.options.logger.warn(
				`realtime: sending ${batch.length} event(s) failed (${reason}); retrying in ${delay} ms, ${this.entries.length} queued (first from ${batch[0]!.event.source})`,
			);
			return;
		}
		if (batch.length > 1) {
			// The server refused the batch: send its events one by one to find the one at fault.
			this.entries.unshift(...batch.map((e) => ({ ...e, solo: true })));
			return;
		}
		const { event } = batch[0]!;
		this.counters.dropped++;
		this.options.logger.error(`realtime: Pusher refused event "${event.name}" on "${event.channel}" from ${event.source} (${reason}); dropped`);
	}

	private drop(count: number, why: string): void {
		this.counters.dropped += count;
		this.droppedSinceLog += count;
		// One line per burst, not one per event.
		if (this.droppedSinceLog === count) {
			queueMicrotask(() => {
				this.options.logger.error(`realtime: dropped ${this.droppedSinceLog} event(s): ${why}`);
				this.droppedSinceLog = 0;
			});
		}
	}

	private notifyIdle(): void {
		if (this.entries.length === 0 && this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
	}
}
