/**
 * The outbox sender (docs/delivery.md, the outbox): one loop per instance that takes events from
 * the outbox stream through the shared consumer group, hands them to `deliver` (number, then send
 * to Pusher) and removes them once delivered. It first takes over entries another consumer left
 * pending for `claimAfterMs` (that consumer died), then reads new ones. When `deliver` rejects,
 * the sender keeps the batch and tries it again (with a growing wait, reading nothing newer, so a
 * channel's order holds); the entries stay pending meanwhile, so another instance that can reach
 * Pusher takes them over after `claimAfterMs`, and the sender then lets go of what it no longer
 * owns: at least once, each event with its own `id`.
 *
 * The stream must sit on a connection of its own: a blocking read holds it.
 */
import type { OutboxEntry, OutboxStream } from './outbox-stream.js';
import type { OutgoingEvent } from './queue.js';

/** How often a sender forgets the consumers of processes long gone, and after how long idle, ms. */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_IDLE_MS = 3_600_000;

export interface OutboxSenderOptions {
	/** Unique per process: the group tells consumers apart by it. */
	consumer: string;
	/** Numbers and sends the events, in order; resolves once they are sent. */
	deliver(events: OutgoingEvent[]): Promise<void>;
	/** How long an entry may sit read but unacknowledged before another consumer takes it over, ms. */
	claimAfterMs: number;
	/** Events per round (Pusher's batch endpoint takes 10). */
	batch?: number;
	/** How long a read waits for new events, ms; also bounds how long `stop` waits. */
	blockMs?: number;
	/** Wait after a failed round, ms; doubles with each failure in a row, up to `maxRetryMs`. */
	retryMs?: number;
	maxRetryMs?: number;
	warn(message: string): void;
}

export interface OutboxSenderStats {
	delivered: number;
	claimed: number;
	failedRounds: number;
}

export class OutboxSender {
	private running = false;
	private loop: Promise<void> | undefined;
	private readonly counters: OutboxSenderStats = { delivered: 0, claimed: 0, failedRounds: 0 };
	/** Ends the wait after a failed round, while there is one. */
	private wakeUp: (() => void) | undefined;

	constructor(
		private readonly stream: OutboxStream,
		private readonly options: OutboxSenderOptions,
	) {}

	start(): void {
		if (this.running) return;
		this.running = true;
		this.loop = this.run();
	}

	/** Stops reading; resolves once the round in flight is delivered and acknowledged (or left pending). */
	async stop(): Promise<void> {
		this.running = false;
		this.wake();
		await this.loop;
	}

	/**
	 * Tries again at once instead of after the rest of its wait after a failed round: its Redis
	 * connection is back (ready again), so the events added meanwhile need not wait up to
	 * `maxRetryMs` more.
	 */
	wake(): void {
		this.wakeUp?.();
	}

	stats(): OutboxSenderStats {
		return { ...this.counters };
	}

	private async run(): Promise<void> {
		const batch = this.options.batch ?? 10;
		let groupReady = false;
		// The batch in hand: read or claimed, not yet acknowledged; `sent` once Pusher took it.
		let held: OutboxEntry[] = [];
		let sent = false;
		let failures = 0;
		let prunedAt = Date.now();
		while (this.running) {
			try {
				if (!groupReady) {
					await this.stream.ensureGroup();
					groupReady = true;
				}
				if (Date.now() - prunedAt >= PRUNE_EVERY_MS) {
					prunedAt = Date.now();
					await this.stream.pruneConsumers(Math.max(PRUNE_IDLE_MS, this.options.claimAfterMs * 10));
				}
				if (held.length === 0) {
					let round = await this.stream.claim(this.options.consumer, this.options.claimAfterMs, batch);
					this.counters.claimed += round.entries.length;
					if (round.entries.length === 0 && round.broken.length === 0) round = await this.stream.read(this.options.consumer, batch, this.options.blockMs ?? 1_000);
					await this.stream.done(round.broken);
					held = round.entries;
					sent = false;
				} else if (!sent) {
					// A retry: what another instance took over meanwhile is its to send.
					held = await this.stream.owned(this.options.consumer, held);
				}
				if (held.length > 0) {
					if (!sent) {
						await this.options.deliver(held.map((entry) => entry.event));
						sent = true;
					}
					await this.stream.done(held.map((entry) => entry.entryId));
					this.counters.delivered += held.length;
					held = [];
				}
				failures = 0;
			} catch (error) {
				this.counters.failedRounds++;
				failures++;
				groupReady = false;
				this.options.warn(`realtime: the outbox sender failed a round (${(error as Error).message}); unsent events stay in the outbox`);
				const wait = Math.min(this.options.maxRetryMs ?? 10_000, (this.options.retryMs ?? 1_000) * 2 ** (failures - 1));
				if (this.running) {
					await new Promise<void>((resolve) => {
						const timer = setTimeout(resolve, wait);
						this.wakeUp = () => {
							clearTimeout(timer);
							resolve();
						};
					});
					this.wakeUp = undefined;
				}
			}
		}
	}
}
