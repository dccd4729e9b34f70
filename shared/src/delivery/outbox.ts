/**
 * The outbox in the publish path (docs/delivery.md, the outbox). When Directus runs with Redis,
 * every event a script or the Flows operation produces is added to the outbox stream at once
 * (one `XADD`, never awaited by the write that caused it), and this instance's sender, on a
 * Redis connection of its own, numbers and sends what the shared consumer group hands it: an
 * instance that dies leaves its events to the others. Without Redis, and for `sendToUser`
 * (no history), events go to the in-memory queue as before.
 *
 * Redis unavailable (its client disconnected, an add failing or slower than ADD_TIMEOUT_MS): the
 * event goes out live from memory, numbered in memory; a counter and a warning (at most one per
 * 10 s) say so, and the next events try Redis again after a short pause. Events keep the order
 * they were accepted in across the switch: one for memory waits until the adds in flight before
 * it have settled (added, or fallen back themselves).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isNumberedChannel, newEventId } from '../history/envelope.js';
import { spaced } from '../spaced.js';
import type { OutboxStats } from '../wire.js';
import { OutboxGate } from './outbox-gate.js';
import { OutboxSender } from './outbox-sender.js';
import { OutboxStream, type OutboxRedis } from './outbox-stream.js';
import { isRetryableFailure, wireEvent, type BatchSender, type EventPreparer, type OutgoingEvent } from './queue.js';

/** How long an add may take before the event goes out from memory instead, ms. */
export const ADD_TIMEOUT_MS = 500;
/** How long `stop` waits for the round in flight before it closes the sender's connection, ms. */
const STOP_WAIT_MS = 3000;
/** How often the health's `pending` is read again at most, ms. */
const PENDING_EVERY_MS = 1000;

/** A connection of the sender's own (a blocking read holds it). */
export interface OutboxConnection extends OutboxRedis {
	disconnect(): void;
	/** ioredis emits `error` on every failed reconnect (without a listener it prints each one), and `ready` once connected again. */
	on?(event: 'error' | 'ready', listener: (error?: Error) => void): unknown;
}

/** Directus' shared Redis client (ioredis), as the outbox uses it. */
export interface OutboxClient extends OutboxRedis {
	/** ioredis' connection status (`ready`, `reconnecting`, …). */
	status?: string;
	duplicate?(): OutboxConnection;
}

export interface OutboxOptions {
	/** Directus' Redis client when it runs with Redis, else null. */
	redis: () => Promise<OutboxClient | null>;
	/** Key prefix (RT_REDIS_PREFIX). */
	prefix: string;
	/** RT_OUTBOX_CLAIM_AFTER, ms. */
	claimAfterMs: number;
	/** Entries kept at most (RT_PUBLISH_MAX_QUEUE). */
	maxLength: number;
	/** Numbers a batch (puts each payload into its envelope) just before it is sent; absent with RT_ENVELOPE=false. */
	prepare: EventPreparer | undefined;
	/** Sends one batch to Pusher; rejects with the HTTP status when it refuses. */
	send: BatchSender;
	/**
	 * Hands an event to the in-memory queue. `fallback`: Redis is unavailable, so it must be
	 * numbered in memory; otherwise (no Redis, `sendToUser`) it is numbered as usual.
	 */
	live(event: OutgoingEvent, fallback: boolean): void;
	warn(message: string): void;
	error(message: string): void;
	/** Tuning for tests. */
	addTimeoutMs?: number;
	sender?: { blockMs?: number; retryMs?: number; maxRetryMs?: number };
}

export class Outbox {
	private client: Promise<OutboxClient | null> | undefined;
	private known: OutboxClient | null | undefined;
	private stream: OutboxStream | undefined;
	private sender: OutboxSender | undefined;
	private connection: OutboxConnection | undefined;
	private starting: Promise<void> | undefined;
	private stopped = false;
	private readonly gate = new OutboxGate();
	private readonly counters = { accepted: 0, fallbacks: 0, refused: 0 };
	private pending = 0;
	private pendingAt = Number.NEGATIVE_INFINITY;
	/** Adds sent to Redis and not yet settled (added, failed or late), and when all of them will have. */
	private inflight = 0;
	private inflightSettled: Promise<void> = Promise.resolve();
	/** Events waiting behind in-flight adds, in the order accepted (see `place`). */
	private waiting: Promise<void> | undefined;

	constructor(private readonly options: OutboxOptions) {}

	/** Takes an event; never throws, never waits. */
	accept(event: OutgoingEvent): void {
		if (!isNumberedChannel(event.channel)) return this.options.live(event, false);
		event.id ??= newEventId();
		// Every event is chained on the same promise, so they are placed in the order accepted.
		void this.redis().then(
			(client) => (client ? this.enqueue(client, event) : this.options.live(event, false)),
			() => this.options.live(event, false),
		);
	}

	/** Starts this instance's sender (at server start, and with the first event). */
	start(): Promise<void> {
		this.starting ??= this.redis().then((client) => {
			if (!client || this.stopped) return;
			const connection = client.duplicate?.();
			if (!connection) {
				this.options.warn('realtime: Directus\' Redis client cannot open a second connection; the outbox has no sender and events go out from memory');
				return;
			}
			// The sender's failed rounds say it (spaced out); the connection's own errors add nothing.
			connection.on?.('error', () => {});
			// Back after an outage: send what was added meanwhile now, not after the sender's wait.
			connection.on?.('ready', () => this.sender?.wake());
			this.connection = connection;
			this.sender = new OutboxSender(new OutboxStream(connection, { prefix: this.options.prefix }), {
				consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
				claimAfterMs: this.options.claimAfterMs,
				deliver: (events) => this.deliver(events),
				warn: spaced(this.options.warn),
				...this.options.sender,
			});
			this.sender.start();
		});
		return this.starting;
	}

	/** Stops the sender (the round in flight finishes, or is left pending for another instance) and closes its connection. */
	async stop(): Promise<void> {
		this.stopped = true;
		await this.starting;
		const sender = this.sender;
		if (!sender) return;
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([sender.stop(), new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
		clearTimeout(timer);
		this.connection?.disconnect();
	}

	/** Null when events do not go through an outbox (no Redis, or not known yet). */
	stats(): OutboxStats | null {
		if (!this.known || !this.stream) return null;
		this.refreshPending(this.known, this.stream);
		const sender = this.sender?.stats() ?? { delivered: 0, claimed: 0, failedRounds: 0 };
		return { ...this.counters, ...sender, pending: this.pending };
	}

	private redis(): Promise<OutboxClient | null> {
		this.client ??= this.options.redis().then(
			(client) => {
				this.known = client;
				if (client) this.stream = new OutboxStream(client, { prefix: this.options.prefix, maxLength: this.options.maxLength });
				return client;
			},
			() => (this.known = null),
		);
		return this.client;
	}

	/** Places the event now, or behind the events already waiting, so that none overtakes another. */
	private enqueue(client: OutboxClient, event: OutgoingEvent): void {
		const wait = this.waiting ? this.waiting.then(() => this.place(client, event)) : this.place(client, event);
		if (!wait) return;
		this.waiting = wait;
		void wait.then(() => {
			if (this.waiting === wait) this.waiting = undefined;
		});
	}

	/**
	 * Adds the event to the outbox, or hands it to memory when Redis is unavailable. An event for
	 * memory waits until the adds in flight have settled (each within the add timeout): one of
	 * them may still fall back to memory, and must go out first. Resolves (never rejects) once
	 * the event is placed, when it had to wait; then the events after it wait for it.
	 */
	private place(client: OutboxClient, event: OutgoingEvent): Promise<void> | undefined {
		if (!this.starting && !this.stopped) void this.start();
		if (this.gate.route(Date.now(), client.status) === 'outbox') {
			this.add(event);
			return undefined;
		}
		if (this.inflight > 0) return this.inflightSettled.then(() => this.place(client, event));
		this.fallBack(event, `Redis is ${client.status === 'ready' ? 'slow or failing' : client.status}`);
		return undefined;
	}

	private add(event: OutgoingEvent): void {
		let late = false;
		let timer: NodeJS.Timeout | undefined;
		let settle!: () => void;
		const settled = new Promise<void>((resolve) => (settle = resolve));
		this.inflightSettled = this.inflight === 0 ? settled : Promise.all([this.inflightSettled, settled]).then(() => undefined);
		this.inflight++;
		const added = this.stream!.add(event);
		void Promise.race([
			added.then(() => 'added' as const),
			new Promise<'late'>((resolve) => (timer = setTimeout(resolve, this.options.addTimeoutMs ?? ADD_TIMEOUT_MS, 'late'))),
		])
			.then(
				(outcome) => {
					clearTimeout(timer);
					if (outcome === 'added') {
						this.counters.accepted++;
						return;
					}
					late = true;
					this.gate.failed(Date.now());
					this.fallBack(event, `adding to the outbox took more than ${this.options.addTimeoutMs ?? ADD_TIMEOUT_MS} ms`);
				},
				(error: Error) => {
					clearTimeout(timer);
					this.gate.failed(Date.now());
					this.fallBack(event, `adding to the outbox failed: ${error.message}`);
				},
			)
			.finally(() => {
				this.inflight--;
				settle();
			});
		// An add that succeeds after the event went out from memory is taken back (best effort:
		// a sender may have read it already, and clients drop the second copy by id).
		added.then(
			(entryId) => {
				if (late) void this.stream!.remove([entryId]).catch(() => {});
			},
			() => {},
		);
	}

	private fallBack(event: OutgoingEvent, why: string): void {
		this.counters.fallbacks++;
		const count = this.gate.fellBack(Date.now());
		if (count !== null) {
			this.options.warn(`realtime: ${why}; ${count} event(s) sent live from memory instead (numbered in memory, under another epoch; not kept for another instance) — ${this.counters.fallbacks} so far`);
		}
		this.options.live(event, true);
	}

	/** Numbers (idempotent by id) and sends a batch; resolves once Pusher took it, or refused what it will never take. */
	private async deliver(events: OutgoingEvent[]): Promise<void> {
		// Copies: a retry numbers the events as read, not their envelopes.
		const copies = events.map((event) => ({ ...event }));
		if (this.options.prepare) await this.options.prepare(copies);
		try {
			await this.options.send(copies.map(wireEvent));
		} catch (error) {
			if (isRetryableFailure(error)) throw error;
			// The server refused the batch: send the events one by one, and drop those it refuses.
			for (const event of copies) await this.sendAlone(event);
		}
	}

	private async sendAlone(event: OutgoingEvent): Promise<void> {
		try {
			await this.options.send([wireEvent(event)]);
		} catch (error) {
			if (isRetryableFailure(error)) throw error;
			const status = (error as { status?: number }).status;
			this.counters.refused++;
			const why = status ? `Pusher refused it (HTTP ${status})` : `it cannot be sent: ${(error as Error).message}`;
			this.options.error(`realtime: event "${event.name}" on "${event.channel}" from ${event.source} dropped from the outbox: ${why}`);
		}
	}

	private refreshPending(client: OutboxClient, stream: OutboxStream): void {
		const now = Date.now();
		if (now - this.pendingAt < PENDING_EVERY_MS || this.gate.route(now, client.status) === 'memory') return;
		this.pendingAt = now;
		stream.length().then(
			(length) => (this.pending = length),
			() => {},
		);
	}
}
